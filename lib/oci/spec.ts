// An OCI runtime-spec config.json (runtime-spec config.md, config-linux.md)
// turned into spawn() options. Pure: reads no file except to resolve the root
// path and the kind of bind sources; every refusal is an OciSpecError naming the
// JSON path of the field (`process.args`, `linux.namespaces[2].type`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Limits } from '../cgroup/controllers';
import type { DeviceMapping, Mount, Namespaces, SpawnOptions } from '../spawn/options';
import { CAPABILITY_NAMES } from '../caps/names';
import { RLIMITS } from '../security/rlimits';
import { unifiedFiles } from '../cgroup/controllers/unified';
import { PROPAGATIONS, receivesHostEvents, type Propagation } from '../spawn/propagation';
import { sysctlRefusal } from '../spawn/sysctl';
import { isObj } from '../util/is-obj';

export class OciSpecError extends Error {
  readonly code = 'ERR_BULKHEAD_OCI_SPEC';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`config.json: ${field}: ${message}`);
    this.name = 'OciSpecError';
  }
}

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface OciHooks {
  prestart: OciHook[];
  createRuntime: OciHook[];
  createContainer: OciHook[];
  startContainer: OciHook[];
  poststart: OciHook[];
  poststop: OciHook[];
}

export interface FromOciResult {
  command: string;
  args: string[];
  options: SpawnOptions;
  /** Where the container's group goes: a cgroup v2 path (relative to the v2 mount), or undefined. */
  cgroupsPath?: string;
  /** Namespace files to join instead of new namespaces (linux.namespaces[].path), by the spec's type; opened by the caller into options.netns and options.sharedNamespaces. */
  nsPaths: Partial<Record<'network' | 'pid' | 'ipc' | 'uts' | 'cgroup', string>>;
  hooks: OciHooks;
  annotations: Record<string, string>;
  /** Settings accepted but not enforced or only approximated, one line each. */
  warnings: string[];
  /**
   * linux.devices whose numbers no host node of that path has: spawn's `devices`
   * copies host nodes, so the caller makes one (mknod) and maps it to `path`.
   */
  devicesToMake: DeviceNodeSpec[];
}

export interface DeviceNodeSpec {
  path: string;
  type: 'b' | 'c';
  major: number;
  minor: number;
  fileMode: number;
  permissions: string;
}

type Obj = Record<string, unknown>;

function obj(field: string, v: unknown): Obj {
  if (!isObj(v)) throw new OciSpecError(field, `must be an object, got ${JSON.stringify(v)}`);
  return v;
}
function str(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new OciSpecError(field, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}
function arr(field: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new OciSpecError(field, `must be an array, got ${JSON.stringify(v)}`);
  return v;
}
function strs(field: string, v: unknown): string[] {
  return arr(field, v).map((s, i) => str(`${field}[${i}]`, s));
}
function int(field: string, v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new OciSpecError(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}
function bool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new OciSpecError(field, `must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** runtime-spec config-linux.md "Namespaces": the types and spawn's names for them. */
const NS_TYPES: Record<string, keyof Namespaces> = {
  pid: 'pid', network: 'net', mount: 'mount', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** Mount options (mount(8) FILESYSTEM-INDEPENDENT MOUNT OPTIONS) and what spawn can do with each. */
const FLAG_OPTIONS = new Set([
  'rw', 'ro', 'rro', 'rrw', 'bind', 'rbind', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
  'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'noatime', 'atime',
  'nodiratime', 'diratime', 'sync', 'async', 'dirsync', 'remount', 'mand', 'nomand', 'silent', 'loud', 'recursive', 'rnosuid', 'rnodev', 'rnoexec',
]);

/** Filesystems spawn already mounts at their standard places (Docker's and the spec's default mounts). */
const STANDARD_MOUNTS: Record<string, string[]> = {
  '/proc': ['proc'],
  '/dev': ['tmpfs'],
  '/dev/pts': ['devpts'],
  '/dev/shm': ['tmpfs', 'shm'],
  '/dev/mqueue': ['mqueue'],
  '/sys': ['sysfs', 'bind', 'none'],
  '/sys/fs/cgroup': ['cgroup', 'cgroup2', 'bind', 'none'],
};

/** Devices spawn makes in every container (lib/spawn/plan.ts DEVICES, plus the pty pair). */
const DEFAULT_DEVICE_PATHS = new Set(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/console', '/dev/ptmx']);

function capList(field: string, v: unknown): string[] {
  return strs(field, v).map((c, i) => {
    const name = c.toUpperCase().replace(/^CAP_/, '');
    if (!(CAPABILITY_NAMES as readonly string[]).includes(name)) throw new OciSpecError(`${field}[${i}]`, `unknown capability ${JSON.stringify(c)}`);
    return name;
  });
}

function hooksOf(v: unknown): OciHooks {
  const out: OciHooks = { prestart: [], createRuntime: [], createContainer: [], startContainer: [], poststart: [], poststop: [] };
  if (v === undefined) return out;
  const h = obj('hooks', v);
  for (const key of Object.keys(h)) {
    if (!(key in out)) throw new OciSpecError(`hooks.${key}`, `unknown hook kind (valid: ${Object.keys(out).join(', ')})`);
    out[key as keyof OciHooks] = arr(`hooks.${key}`, h[key]).map((e, i) => {
      const f = `hooks.${key}[${i}]`;
      const o = obj(f, e);
      const p = str(`${f}.path`, o.path);
      if (!path.isAbsolute(p)) throw new OciSpecError(`${f}.path`, `must be an absolute path, got ${JSON.stringify(p)}`);
      const hook: OciHook = { path: p };
      if (o.args !== undefined) hook.args = strs(`${f}.args`, o.args);
      if (o.env !== undefined) hook.env = strs(`${f}.env`, o.env);
      if (o.timeout !== undefined) hook.timeout = int(`${f}.timeout`, o.timeout, 1);
      return hook;
    });
  }
  return out;
}

function resources(v: unknown, warnings: string[]): { limits?: Limits; devices: DeviceRuleSpec[] } {
  const r = obj('linux.resources', v);
  const limits: Limits = {};
  const devices: DeviceRuleSpec[] = [];
  if (r.memory !== undefined) {
    const m = obj('linux.resources.memory', r.memory);
    const mem: NonNullable<Limits['memory']> = {};
    // runtime-spec: -1 means unlimited.
    const size = (k: string): number | 'max' | undefined => (m[k] === undefined ? undefined : m[k] === -1 ? 'max' : int(`linux.resources.memory.${k}`, m[k], 0));
    const limit = size('limit');
    if (limit !== undefined) mem.max = limit;
    const reservation = size('reservation');
    if (reservation !== undefined) mem.low = reservation;
    const swap = size('swap');
    // The spec's swap is memory+swap (cgroup v1's memsw); v2's memory.swap.max is swap alone (runc's ConvertMemorySwapToCgroupV2Value).
    if (swap !== undefined) mem.swapMax = swap === 'max' ? 'max' : limit === undefined || limit === 'max' ? swap : Math.max(0, swap - limit);
    for (const k of ['kernel', 'kernelTCP', 'swappiness']) if (m[k] !== undefined) warnings.push(`linux.resources.memory.${k} is a cgroup v1 setting: ignored`);
    if (m.disableOOMKiller === true) throw new OciSpecError('linux.resources.memory.disableOOMKiller', 'cannot be honoured on cgroup v2 (no memory.oom_control)');
    if (Object.keys(mem).length) limits.memory = mem;
  }
  if (r.cpu !== undefined) {
    const c = obj('linux.resources.cpu', r.cpu);
    const cpu: NonNullable<Limits['cpu']> = {};
    if (c.quota !== undefined) {
      const quota = c.quota === -1 ? 'max' : int('linux.resources.cpu.quota', c.quota, 1);
      cpu.max = { quota, ...(c.period !== undefined ? { period: int('linux.resources.cpu.period', c.period, 1) } : {}) };
    }
    // runc's ConvertCPUSharesToCgroupV2Value: weight = 1 + ((shares - 2) * 9999) / 262142.
    if (c.shares !== undefined) {
      const s = int('linux.resources.cpu.shares', c.shares, 2, 262144);
      cpu.weight = 1 + Math.floor(((s - 2) * 9999) / 262142);
    }
    if (c.burst !== undefined) cpu.burst = int('linux.resources.cpu.burst', c.burst, 0);
    if (c.realtimeRuntime !== undefined || c.realtimePeriod !== undefined) throw new OciSpecError('linux.resources.cpu.realtimeRuntime', 'real-time scheduling groups are not supported on cgroup v2');
    if (Object.keys(cpu).length) limits.cpu = cpu;
    if (c.cpus !== undefined || c.mems !== undefined) {
      limits.cpuset = {};
      if (c.cpus !== undefined && c.cpus !== '') limits.cpuset.cpus = str('linux.resources.cpu.cpus', c.cpus);
      if (c.mems !== undefined && c.mems !== '') limits.cpuset.mems = str('linux.resources.cpu.mems', c.mems);
    }
  }
  if (r.pids !== undefined) {
    const p = obj('linux.resources.pids', r.pids);
    if (p.limit !== undefined) limits.pids = { max: p.limit === -1 || p.limit === 0 ? 'max' : int('linux.resources.pids.limit', p.limit, 1) };
  }
  if (r.blockIO !== undefined) {
    const b = obj('linux.resources.blockIO', r.blockIO);
    const io: NonNullable<Limits['io']> = {};
    // runc's ConvertBlkIOToIOWeightValue: 1 + (weight - 10) * 9999 / 990.
    if (b.weight !== undefined) io.weight = 1 + Math.floor(((int('linux.resources.blockIO.weight', b.weight, 10, 1000) - 10) * 9999) / 990);
    const byDev = new Map<string, NonNullable<NonNullable<Limits['io']>['devices']>[number]>();
    for (const [key, field] of [['throttleReadBpsDevice', 'rbps'], ['throttleWriteBpsDevice', 'wbps'], ['throttleReadIOPSDevice', 'riops'], ['throttleWriteIOPSDevice', 'wiops']] as const) {
      if (b[key] === undefined) continue;
      arr(`linux.resources.blockIO.${key}`, b[key]).forEach((d, i) => {
        const f = `linux.resources.blockIO.${key}[${i}]`;
        const o = obj(f, d);
        const major = int(`${f}.major`, o.major);
        const minor = int(`${f}.minor`, o.minor);
        const e = byDev.get(`${major}:${minor}`) ?? { major, minor };
        (e as unknown as Record<string, unknown>)[field] = int(`${f}.rate`, o.rate);
        byDev.set(`${major}:${minor}`, e);
      });
    }
    if (b.weightDevice !== undefined) warnings.push('linux.resources.blockIO.weightDevice: per-device weights are ignored');
    if (byDev.size) io.devices = [...byDev.values()];
    if (Object.keys(io).length) limits.io = io;
  }
  if (r.hugepageLimits !== undefined) {
    const hl: Record<string, number> = {};
    arr('linux.resources.hugepageLimits', r.hugepageLimits).forEach((h, i) => {
      const o = obj(`linux.resources.hugepageLimits[${i}]`, h);
      hl[str(`linux.resources.hugepageLimits[${i}].pageSize`, o.pageSize)] = int(`linux.resources.hugepageLimits[${i}].limit`, o.limit);
    });
    if (Object.keys(hl).length) limits.hugetlb = hl as Limits['hugetlb'];
  }
  if (r.unified !== undefined) {
    const u: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj('linux.resources.unified', r.unified))) u[k] = str(`linux.resources.unified.${k}`, v);
    try {
      unifiedFiles(u);
    } catch (err) {
      throw new OciSpecError('linux.resources.unified', (err as Error).message);
    }
    if (Object.keys(u).length) limits.unified = u;
  }
  if (r.network !== undefined) warnings.push('linux.resources.network (classid, priorities) is a cgroup v1 setting: ignored');
  if (r.rdma !== undefined) throw new OciSpecError('linux.resources.rdma', 'is not supported');
  if (r.devices !== undefined) {
    arr('linux.resources.devices', r.devices).forEach((d, i) => {
      const f = `linux.resources.devices[${i}]`;
      const o = obj(f, d);
      const allow = bool(`${f}.allow`, o.allow);
      const type = o.type === undefined ? 'a' : str(`${f}.type`, o.type);
      if (!['a', 'b', 'c'].includes(type)) throw new OciSpecError(`${f}.type`, `must be "a", "b" or "c", got ${JSON.stringify(type)}`);
      const access = o.access === undefined ? 'rwm' : str(`${f}.access`, o.access);
      if (!/^[rwm]*$/.test(access)) throw new OciSpecError(`${f}.access`, `must be letters of "rwm", got ${JSON.stringify(access)}`);
      devices.push({ allow, type: type as 'a' | 'b' | 'c', major: o.major === undefined || o.major === -1 ? -1 : int(`${f}.major`, o.major), minor: o.minor === undefined || o.minor === -1 ? -1 : int(`${f}.minor`, o.minor), access });
    });
  }
  return { limits: Object.keys(limits).length ? limits : undefined, devices };
}

interface DeviceRuleSpec {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  access: string;
}

/** Whether the spec's device rules amount to "allow everything" (the last allow of type a with rwm and no deny after it). */
function allowsAll(rules: DeviceRuleSpec[]): boolean {
  let all = false;
  for (const r of rules) {
    if (r.type === 'a' && r.major === -1 && r.minor === -1) all = r.allow && r.access.length === 3;
  }
  return all;
}

function mounts(v: unknown, bundle: string, warnings: string[]): Mount[] {
  const out: Mount[] = [];
  arr('mounts', v).forEach((m, i) => {
    const f = `mounts[${i}]`;
    const o = obj(f, m);
    const dest = str(`${f}.destination`, o.destination);
    if (!path.posix.isAbsolute(dest)) throw new OciSpecError(`${f}.destination`, `must be an absolute path, got ${JSON.stringify(dest)}`);
    const type = o.type === undefined ? 'none' : str(`${f}.type`, o.type);
    const options = o.options === undefined ? [] : strs(`${f}.options`, o.options);
    let isBind = type === 'bind';
    let readonly = false;
    let size: string | undefined;
    let mode: number | undefined;
    // The flags a bind mount takes (mount(8)); later options override earlier ones, as runc reads them.
    const flags = { nosuid: false, nodev: false, noexec: false };
    let propagation: Propagation | undefined;
    options.forEach((opt, j) => {
      if (opt === 'bind' || opt === 'rbind') isBind = true;
      else if (opt === 'ro' || opt === 'rro') readonly = true;
      else if (opt === 'rw' || opt === 'rrw') readonly = false;
      else if (/^r?no(suid|dev|exec)$/.test(opt)) flags[opt.replace(/^r/, '') as keyof typeof flags] = true;
      else if (/^(suid|dev|exec)$/.test(opt)) flags[`no${opt}` as keyof typeof flags] = false;
      else if ((PROPAGATIONS as readonly string[]).includes(opt)) propagation = opt as Propagation;
      else if (FLAG_OPTIONS.has(opt)) return;
      else if (/^size=/.test(opt) && type === 'tmpfs') size = opt.slice(5);
      else if (/^mode=[0-7]{1,4}$/.test(opt)) mode = parseInt(opt.slice(5), 8);
      else if (/^(newinstance|ptmxmode=\d+|gid=\d+|uid=\d+|nr_inodes=\w+)$/.test(opt)) return;
      else throw new OciSpecError(`${f}.options[${j}]`, `unknown mount option ${JSON.stringify(opt)}`);
    });
    const norm = path.posix.normalize(dest).replace(/(.)\/$/, '$1');
    const standard = STANDARD_MOUNTS[norm];
    if (standard && !isBind ? standard.includes(type) : standard && (norm === '/sys' || norm === '/sys/fs/cgroup')) {
      // Made by spawn itself, with the same flags as the spec's default config (and read-only /sys).
      return;
    }
    if (isBind) {
      const src = str(`${f}.source`, o.source);
      const source = path.isAbsolute(src) ? src : path.resolve(bundle, src);
      out.push({ type: 'bind', source, target: norm, readonly, ...(flags.nosuid ? { nosuid: true } : {}), ...(flags.nodev ? { nodev: true } : {}), ...(flags.noexec ? { noexec: true } : {}), ...(propagation !== undefined ? { propagation } : {}) });
      return;
    }
    if (type === 'tmpfs') {
      out.push({ type: 'tmpfs', target: norm, ...(size !== undefined ? { size } : {}), ...(mode !== undefined ? { mode } : {}), ...(readonly ? { readonly: true } : {}), ...(flags.noexec ? { noexec: true } : {}) });
      // spawn's tmpfs is always nosuid and nodev: stricter than a config without them.
      return;
    }
    throw new OciSpecError(`${f}.type`, `${JSON.stringify(type)} at ${dest} is not supported (spawn mounts proc, sysfs, devpts, mqueue and cgroup at their standard places; elsewhere: bind and tmpfs)`);
  });
  return out;
}

/**
 * config.json (parsed) and the bundle directory into spawn() options. Throws
 * OciSpecError for a missing or malformed field, naming its JSON path.
 */
export function fromOciSpec(config: unknown, bundleDir: string): FromOciResult {
  const c = obj('(root)', config);
  const warnings: string[] = [];
  const version = str('ociVersion', c.ociVersion);
  if (!/^1\./.test(version)) throw new OciSpecError('ociVersion', `must be a 1.x version, got ${JSON.stringify(version)}`);
  const p = obj('process', c.process);
  const argv = strs('process.args', p.args);
  if (argv.length === 0) throw new OciSpecError('process.args', 'must name a program (got an empty array)');
  if (p.commandLine !== undefined) throw new OciSpecError('process.commandLine', 'is a Windows setting');
  const options: SpawnOptions = { dieWithParent: false, reject: false, buffer: false };
  // process.env: "KEY=value" strings; the container gets exactly these.
  const env: Record<string, string> = {};
  if (p.env !== undefined) {
    strs('process.env', p.env).forEach((e, i) => {
      const eq = e.indexOf('=');
      if (eq <= 0) throw new OciSpecError(`process.env[${i}]`, `must be KEY=value, got ${JSON.stringify(e)}`);
      env[e.slice(0, eq)] = e.slice(eq + 1);
    });
  }
  options.env = env;
  const cwd = str('process.cwd', p.cwd);
  if (!path.posix.isAbsolute(cwd)) throw new OciSpecError('process.cwd', `must be an absolute path, got ${JSON.stringify(cwd)}`);
  options.cwd = cwd;
  const user = obj('process.user', p.user);
  options.uid = int('process.user.uid', user.uid, 0, 0xfffffffe);
  options.gid = int('process.user.gid', user.gid, 0, 0xfffffffe);
  if (user.additionalGids !== undefined) options.groups = arr('process.user.additionalGids', user.additionalGids).map((g, i) => int(`process.user.additionalGids[${i}]`, g, 0, 0xfffffffe));
  if (user.umask !== undefined) options.umask = int('process.user.umask', user.umask, 0, 0o777);
  if (user.username !== undefined) throw new OciSpecError('process.user.username', 'is a Windows setting');
  if (p.terminal !== undefined && bool('process.terminal', p.terminal)) {
    options.tty = p.consoleSize !== undefined ? { rows: int('process.consoleSize.height', obj('process.consoleSize', p.consoleSize).height, 1, 65535), cols: int('process.consoleSize.width', obj('process.consoleSize', p.consoleSize).width, 1, 65535) } : true;
  }
  if (p.capabilities !== undefined) {
    const caps = obj('process.capabilities', p.capabilities);
    const sets: Record<string, string[]> = {};
    for (const k of Object.keys(caps)) {
      if (!['bounding', 'effective', 'permitted', 'inheritable', 'ambient'].includes(k)) throw new OciSpecError(`process.capabilities.${k}`, 'unknown capability set (valid: bounding, effective, permitted, inheritable, ambient)');
      sets[k] = capList(`process.capabilities.${k}`, caps[k]);
    }
    // Each of the five sets as given (an absent one empty), applied by the child
    // in runc's order: bounding, then permitted/effective/inheritable, then ambient.
    options.capabilities = { bounding: sets.bounding ?? [], effective: sets.effective ?? [], permitted: sets.permitted ?? [], inheritable: sets.inheritable ?? [], ambient: sets.ambient ?? [] };
  } else {
    options.capabilities = {};
  }
  if (p.rlimits !== undefined) {
    const rl: NonNullable<SpawnOptions['rlimits']> = {};
    arr('process.rlimits', p.rlimits).forEach((r, i) => {
      const f = `process.rlimits[${i}]`;
      const o = obj(f, r);
      const type = str(`${f}.type`, o.type);
      const name = type.replace(/^RLIMIT_/, '').toLowerCase();
      if (!Object.hasOwn(RLIMITS, name)) throw new OciSpecError(`${f}.type`, `unknown rlimit ${JSON.stringify(type)}`);
      // 2^64-1 (RLIM_INFINITY) does not survive JSON.parse exactly: anything past 2^53 is unlimited.
      const lim = (k: string): number | 'unlimited' => (typeof o[k] === 'number' && (o[k] as number) >= 2 ** 53 ? 'unlimited' : int(`${f}.${k}`, o[k]));
      rl[name] = { soft: lim('soft'), hard: lim('hard') };
    });
    options.rlimits = rl;
  }
  options.noNewPrivileges = p.noNewPrivileges === undefined ? false : bool('process.noNewPrivileges', p.noNewPrivileges);
  if (p.oomScoreAdj !== undefined) options.oomScoreAdj = int('process.oomScoreAdj', p.oomScoreAdj, -1000, 1000);
  if (p.apparmorProfile !== undefined) warnings.push('process.apparmorProfile is ignored (no AppArmor support)');
  if (p.selinuxLabel !== undefined) warnings.push('process.selinuxLabel is ignored (no SELinux support)');
  if (p.scheduler !== undefined || p.ioPriority !== undefined || p.execCPUAffinity !== undefined) warnings.push('process.scheduler, ioPriority and execCPUAffinity are ignored');

  const root = obj('root', c.root);
  const rootPath = str('root.path', root.path);
  options.rootfs = path.resolve(bundleDir, rootPath);
  if (root.readonly !== undefined) options.readonlyRootfs = bool('root.readonly', root.readonly);
  if (c.hostname !== undefined) options.hostname = str('hostname', c.hostname);
  if (c.domainname !== undefined && c.domainname !== '') options.domainname = str('domainname', c.domainname);
  options.mounts = c.mounts === undefined ? [] : mounts(c.mounts, bundleDir, warnings);

  const ns: Namespaces = { pid: false, mount: false, uts: false, ipc: false, net: false, cgroup: false, user: false, time: false };
  const nsPaths: FromOciResult['nsPaths'] = {};
  let cgroupsPath: string | undefined;
  const linux = c.linux === undefined ? {} : obj('linux', c.linux);
  if (linux.namespaces !== undefined) {
    arr('linux.namespaces', linux.namespaces).forEach((n, i) => {
      const f = `linux.namespaces[${i}]`;
      const o = obj(f, n);
      const type = str(`${f}.type`, o.type);
      const key = NS_TYPES[type];
      if (key === undefined) throw new OciSpecError(`${f}.type`, `unknown namespace type ${JSON.stringify(type)} (valid: ${Object.keys(NS_TYPES).join(', ')})`);
      if (o.path !== undefined && o.path !== '') {
        const nsPath = str(`${f}.path`, o.path);
        if (type === 'mount' || type === 'user' || type === 'time') throw new OciSpecError(`${f}.path`, `joining a ${type} namespace by path is not supported (${nsPath}); network, pid, ipc, uts and cgroup can be`);
        if (!path.isAbsolute(nsPath)) throw new OciSpecError(`${f}.path`, `must be an absolute path, got ${JSON.stringify(nsPath)}`);
        nsPaths[type as keyof FromOciResult['nsPaths']] = nsPath;
        ns[key] = true;
        return;
      }
      ns[key] = true;
    });
  }
  if (!ns.mount) throw new OciSpecError('linux.namespaces', 'must include a mount namespace (the root filesystem is pivot_root\'ed in one)');
  options.namespaces = ns;
  if (linux.uidMappings !== undefined || linux.gidMappings !== undefined) {
    const maps = (k: 'uidMappings' | 'gidMappings') => arr(`linux.${k}`, linux[k] ?? []).map((m, i) => {
      const o = obj(`linux.${k}[${i}]`, m);
      return { containerId: int(`linux.${k}[${i}].containerID`, o.containerID, 0, 0xfffffffe), hostId: int(`linux.${k}[${i}].hostID`, o.hostID, 0, 0xfffffffe), size: int(`linux.${k}[${i}].size`, o.size, 1, 0xffffffff) };
    });
    options.uidMappings = maps('uidMappings');
    options.gidMappings = maps('gidMappings');
    if (!ns.user) throw new OciSpecError('linux.uidMappings', 'needs a user namespace in linux.namespaces');
  }
  if (linux.sysctl !== undefined) {
    // Only those of the container's own namespaces (runc's validator): each
    // refused one names itself, before anything exists.
    const sysctls: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj('linux.sysctl', linux.sysctl))) {
      sysctls[k] = str(`linux.sysctl.${k}`, v);
      const why = sysctlRefusal(k, { ns, ...(options.hostname !== undefined ? { hostname: options.hostname } : {}) });
      if (why !== null) throw new OciSpecError(`linux.sysctl.${k}`, why.replace(/namespaces\.(\w+)/, (_, n: string) => `a ${n} namespace in linux.namespaces`));
    }
    if (Object.keys(sysctls).length) options.sysctls = sysctls;
  }
  if (linux.intelRdt !== undefined) throw new OciSpecError('linux.intelRdt', 'Intel RDT is not supported');
  if (linux.personality !== undefined) throw new OciSpecError('linux.personality', 'is not supported');
  if (linux.mountLabel !== undefined) warnings.push('linux.mountLabel is ignored (no SELinux support)');
  if (linux.rootfsPropagation !== undefined) {
    const prop = str('linux.rootfsPropagation', linux.rootfsPropagation);
    if (!(PROPAGATIONS as readonly string[]).includes(prop)) throw new OciSpecError('linux.rootfsPropagation', `unknown propagation ${JSON.stringify(prop)}`);
    options.rootPropagation = prop as Propagation;
    for (const m of options.mounts ?? []) {
      if (m.type !== 'bind' || !receivesHostEvents(m.propagation) || receivesHostEvents(options.rootPropagation)) continue;
      // As under runc: a bind's slave or shared under a private root receives nothing.
      warnings.push(`mount ${m.target}: ${m.propagation} under rootfsPropagation ${prop} receives no mount events`);
      delete m.propagation;
    }
  } else if ((options.mounts ?? []).some((m) => m.type === 'bind' && receivesHostEvents(m.propagation))) {
    // runc's default root propagation is rslave; spawn's is private, where a
    // bind mount's own rslave or rshared would receive nothing (ctr run --mount
    // ...,options=rbind:rslave relies on runc's default).
    options.rootPropagation = 'rslave';
  }
  options.maskedPaths = linux.maskedPaths === undefined ? [] : strs('linux.maskedPaths', linux.maskedPaths);
  options.readonlyPaths = linux.readonlyPaths === undefined ? [] : strs('linux.readonlyPaths', linux.readonlyPaths);
  if (linux.cgroupsPath !== undefined) cgroupsPath = str('linux.cgroupsPath', linux.cgroupsPath);
  let deviceRules: DeviceRuleSpec[] = [];
  if (linux.resources !== undefined) {
    const r = resources(linux.resources, warnings);
    if (r.limits) options.limits = r.limits;
    deviceRules = r.devices;
  }
  const devs: DeviceMapping[] = [];
  const nodesToMake: DeviceNodeSpec[] = [];
  if (linux.devices !== undefined) {
    arr('linux.devices', linux.devices).forEach((d, i) => {
      const f = `linux.devices[${i}]`;
      const o = obj(f, d);
      const p2 = str(`${f}.path`, o.path);
      const type = str(`${f}.type`, o.type);
      if (!['c', 'b', 'u', 'p'].includes(type)) throw new OciSpecError(`${f}.type`, `must be c, b, u or p, got ${JSON.stringify(type)}`);
      if (type === 'p') throw new OciSpecError(`${f}.type`, 'FIFO devices are not supported');
      if (DEFAULT_DEVICE_PATHS.has(p2)) return;
      // spawn makes the node from the host's node of that path: the numbers must agree.
      const major = int(`${f}.major`, o.major);
      const minor = int(`${f}.minor`, o.minor);
      const allowed = deviceRules.filter((r) => r.allow && (r.type === 'a' || r.type === (type === 'u' ? 'c' : type)) && (r.major === -1 || r.major === major) && (r.minor === -1 || r.minor === minor));
      const perm = [...new Set(allowed.flatMap((r) => [...r.access]))].join('') || 'rwm';
      const fileMode = o.fileMode === undefined ? 0o666 : int(`${f}.fileMode`, o.fileMode, 0, 0o7777);
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(p2);
      } catch {
        st = undefined;
      }
      const isType = st && (type === 'b' ? st.isBlockDevice() : st.isCharacterDevice());
      if (!st || !isType || Math.floor(st.rdev / 256) % 4096 !== major || (st.rdev & 0xff) !== minor % 256) {
        // spawn copies a host node: the runtime makes one with these numbers first (lib/oci/container.ts).
        nodesToMake.push({ path: p2, type: type === 'b' ? 'b' : 'c', major, minor, fileMode, permissions: perm });
        return;
      }
      devs.push({ path: p2, permissions: perm });
    });
  }
  if (allowsAll(deviceRules)) options.devices = 'unrestricted';
  else if (devs.length) options.devices = devs;
  if (nodesToMake.length && options.devices === 'unrestricted') warnings.push('linux.devices with no host node of that number are not made when every device is allowed');
  if (linux.seccomp !== undefined) {
    const s = obj('linux.seccomp', linux.seccomp);
    // lib/seccomp's parser reads the spec's LinuxSeccomp shape (defaultAction, architectures, syscalls).
    options.seccomp = s;
  } else {
    options.seccomp = false;
  }
  const annotations: Record<string, string> = {};
  if (c.annotations !== undefined) {
    const a = obj('annotations', c.annotations);
    for (const [k, v] of Object.entries(a)) annotations[k] = str(`annotations.${k}`, v);
  }
  const hooks = hooksOf(c.hooks);
  return {
    command: argv[0],
    args: argv.slice(1),
    options,
    ...(cgroupsPath !== undefined ? { cgroupsPath } : {}),
    nsPaths,
    hooks,
    annotations,
    warnings,
    devicesToMake: options.devices === 'unrestricted' ? [] : nodesToMake,
  };
}
