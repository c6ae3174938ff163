// From `bulkhead run` flags to spawn options and cgroup limits, with docker
// run's meanings. Pure: every error is a UsageError naming the flag and value.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planLimits, type Limits } from '../../cgroup/controllers';
import { resolveCaps } from '../../security/caps';
import { embeddedIds, embeddedSeccomp } from '../../security/embedded';
import { resolveRlimits } from '../../security/rlimits';
import { validateSpawn, type SpawnOptions } from '../../spawn/options';
import { DEFAULT_PATH } from '../../util/default-path';
import { toBytes } from '../../util/size';
import { UsageError, type ParsedFlags } from '../args';
import { lookupUser } from './user';
import { applyTmpfsOption } from '../../spawn/tmpfs-options';

/** Limits in the shape lib/cgroup takes; sizes are bytes or 'max'. */
export interface RunLimits {
  memory?: { max?: number | 'max'; low?: number; swapMax?: number | 'max' };
  cpu?: { max?: number; weight?: number };
  cpuset?: { cpus: string };
  pids?: { max: number | 'max' };
  io?: { devices: Array<{ major: number; minor: number; rbps?: number; wbps?: number }> };
}

export interface RunConfig {
  /** The flags given, for messages about them. */
  flags: ParsedFlags;
  command: string;
  args: string[];
  options: SpawnOptions;
  limits: RunLimits;
  timeoutMs?: number;
  report?: string;
  interactive: boolean;
  tty: boolean;
}

const fail = (flag: string, why: string, got: unknown): never => {
  throw new UsageError(`bulkhead run: --${flag} ${why}, got ${JSON.stringify(got)}`, 125);
};

/** A size as util/size.ts reads it (docker's RAMInBytes is a subset), at least one byte. */
export function parseBytes(flag: string, text: string): number {
  const n = toBytes(text);
  if (n === null) return fail(flag, 'must be a size like 64m or 1.5g', text);
  if (n <= 0) fail(flag, 'must be positive', text);
  return n;
}

function number(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min) fail(flag, `must be a number of at least ${min}`, text);
  return n;
}

/**
 * major:minor of a block device from its st_rdev, in glibc's gnu_dev_major/minor
 * layout (sys/sysmacros.h): major in bits 8-19 and 32-43, minor in bits 0-7 and
 * 20-43. As a bigint: JavaScript's bit operators work on 32 bits only.
 */
export function splitRdev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major & 0xffffffffn), minor: Number(minor & 0xffffffffn) };
}

function device(flag: string, dev: string): { major: number; minor: number } {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(dev, { bigint: true });
  } catch {
    return fail(flag, 'names a device that does not exist', dev);
  }
  if (!st.isBlockDevice()) fail(flag, 'must name a block device', dev);
  return splitRdev(st.rdev);
}

function envLines(flag: string, lines: string[], env: Record<string, string>): void {
  for (const line of lines) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq === 0) fail(flag, 'needs NAME=VALUE', line);
    if (eq < 0) {
      // docker: a bare NAME takes its value from the caller's environment, if set.
      if (process.env[line] !== undefined) env[line] = process.env[line] as string;
    } else env[line.slice(0, eq)] = line.slice(eq + 1);
  }
}

export function runConfig(flags: ParsedFlags, command: string[]): RunConfig {
  if (command.length === 0) throw new UsageError('bulkhead run: no command given (usage: bulkhead run [OPTIONS] -- COMMAND [ARG...])', 125);
  const str = (k: string) => flags[k] as string | undefined;
  const list = (k: string) => (flags[k] as string[] | undefined) ?? [];
  const o: SpawnOptions = { reject: false, buffer: false };
  const limits: RunLimits = {};

  // A relative --rootfs is the cwd's, as docker's paths are.
  if (str('rootfs') !== undefined) {
    if (str('rootfs') === '') fail('rootfs', 'must name a directory', '');
    o.rootfs = path.resolve(str('rootfs') as string);
  }
  if (flags.detach) throw new UsageError('bulkhead run: --detach is not supported: a container lives as long as its bulkhead run (run it in the background with your shell instead)', 125);
  // --rm and --name: docker's, accepted; a foreground container is always removed.
  if (str('name') !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(str('name') as string)) fail('name', 'must be letters, digits, _ . or - (docker\'s [a-zA-Z0-9][a-zA-Z0-9_.-]*)', str('name'));
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const file of list('env-file')) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      return fail('env-file', `cannot be read (${(e as NodeJS.ErrnoException).code})`, file);
    }
    envLines('env-file', text.split('\n'), env);
  }
  envLines('env', list('env'), env);
  // HOME comes from the user's passwd entry unless -e or --env-file set it (docker).
  const explicitHome = env.HOME !== undefined;
  o.env = env;
  if (str('workdir') !== undefined) {
    if (!str('workdir')?.startsWith('/')) fail('workdir', 'must be an absolute path', str('workdir'));
    o.cwd = str('workdir');
  }
  if (str('user') !== undefined) {
    const u = lookupUser(str('user') as string, (o.rootfs as string | undefined) ?? '/');
    if (typeof u === 'string') fail('user', u, str('user'));
    const { uid, gid, groups, home } = u as Exclude<typeof u, string>;
    Object.assign(o, { uid, gid, groups });
    if (!explicitHome) env.HOME = home;
  } else if (o.rootfs === undefined) {
    // The embedded default runs as nobody: the host's files are the host's, and the
    // program gets what any unprivileged user of the host would, minus the hidden.
    Object.assign(o, embeddedIds());
    const u = lookupUser(String(o.uid), '/');
    if (!explicitHome) env.HOME = typeof u === 'string' ? '/' : u.home;
  } else {
    const u = lookupUser('0', o.rootfs as string);
    if (!explicitHome) env.HOME = typeof u === 'string' ? '/root' : u.home;
  }
  // Like docker, a container is named by a short random id unless told otherwise.
  o.hostname = str('hostname') ?? randomBytes(6).toString('hex');
  const mounts: NonNullable<SpawnOptions['mounts']> = [];
  for (const v of list('volume')) {
    const parts = v.split(':');
    if (parts.length < 2 || parts.length > 3 || !parts[0].startsWith('/') || !parts[1].startsWith('/')) fail('volume', 'must be /SRC:/DST[:ro|rw]', v);
    if (parts[2] !== undefined && parts[2] !== 'ro' && parts[2] !== 'rw') fail('volume', 'takes :ro or :rw as its option', v);
    if (!fs.existsSync(parts[0])) fail('volume', 'names a source that does not exist', v);
    mounts.push({ type: 'bind', source: parts[0], target: parts[1], readonly: parts[2] === 'ro' });
  }
  for (const v of list('tmpfs')) {
    const [target, opts] = v.split(/:(.*)/s);
    if (!target.startsWith('/')) fail('tmpfs', 'must be /DST[:OPTIONS]', v);
    // docker run's defaults: noexec (and nosuid, nodev, which spawn's tmpfs always has).
    const m: Extract<NonNullable<SpawnOptions['mounts']>[number], { type: 'tmpfs' }> = { type: 'tmpfs', target, noexec: true };
    for (const opt of (opts ?? '').split(',').filter(Boolean)) {
      const [k, val] = opt.split('=');
      if (k === 'size' && val) m.size = parseBytes('tmpfs', val);
      else if (!applyTmpfsOption(m, opt)) fail('tmpfs', 'supports size=N, mode=OCTAL, ro, rw, exec, noexec, nosuid, nodev', v);
    }
    mounts.push(m);
  }
  if (mounts.length) o.mounts = mounts;
  if (flags['read-only']) o.readonlyRootfs = true;
  const net = str('network');
  if (net !== undefined) {
    // Any other name is a network, checked and attached by ../network/run.ts.
    if (net === 'host') o.namespaces = { net: false };
  }
  if (list('cap-add').length) o.capAdd = list('cap-add');
  if (list('cap-drop').length) o.capDrop = list('cap-drop');
  for (const s of list('security-opt')) {
    const [k, v] = s.split(/[=:](.*)/s);
    if (k === 'seccomp') {
      if (!v) fail('security-opt', 'seccomp needs =unconfined or =FILE', s);
      o.seccomp = v === 'unconfined' ? false : path.resolve(v);
    } else if (k === 'no-new-privileges') {
      if (v !== undefined && v !== 'true' && v !== 'false') fail('security-opt', 'no-new-privileges takes true or false', s);
      o.noNewPrivileges = v !== 'false';
    } else if (k === 'devices') {
      if (v !== 'unrestricted') fail('security-opt', 'devices takes =unrestricted (no device allow list)', s);
      o.devices = 'unrestricted';
    } else fail('security-opt', 'supports seccomp=, no-new-privileges and devices=unrestricted', s);
  }
  const rl: NonNullable<SpawnOptions['rlimits']> = {};
  for (const u of list('ulimit')) {
    const m = /^([a-z]+)=(-?\d+|unlimited)(?::(-?\d+|unlimited))?$/.exec(u);
    if (!m) fail('ulimit', 'must be NAME=SOFT[:HARD]', u);
    const val = (x: string) => (x === 'unlimited' || x === '-1' ? 'unlimited' : Number(x));
    const [, name, soft, hard] = m as RegExpExecArray;
    rl[name] = { soft: val(soft), hard: val(hard ?? soft) };
  }
  if (Object.keys(rl).length) o.rlimits = rl;
  const sysctls: Record<string, string> = {};
  for (const s of list('sysctl')) {
    const eq = s.indexOf('=');
    if (eq <= 0) fail('sysctl', 'must be NAME=VALUE', s);
    sysctls[s.slice(0, eq)] = s.slice(eq + 1);
  }
  if (Object.keys(sysctls).length) o.sysctls = sysctls;
  for (const g of list('group-add')) {
    if (!/^\d+$/.test(g) || Number(g) > 0xfffffffe) fail('group-add', 'takes a numeric group id', g);
    o.groups = [...(o.groups ?? []), Number(g)];
  }
  const shm = str('shm-size');
  if (shm !== undefined) o.shmSize = parseBytes('shm-size', shm);
  const domain = str('domainname');
  if (domain !== undefined) o.domainname = domain;
  const oom = str('oom-score-adj');
  if (oom !== undefined) {
    if (!/^-?\d+$/.test(oom)) fail('oom-score-adj', 'must be an integer from -1000 to 1000', oom);
    o.oomScoreAdj = Number(oom);
  }
  // The embedded default refuses unix sockets (lib/security/embedded.ts) unless a profile is named.
  if (o.rootfs === undefined && o.seccomp === undefined) o.seccomp = embeddedSeccomp();
  if (flags.init) o.init = true;
  const devices: Array<{ path: string; containerPath?: string; permissions?: string }> = [];
  for (const d of list('device')) {
    // docker's parseDevice: HOST, HOST:CONTAINER, HOST:PERMS or HOST:CONTAINER:PERMS.
    const parts = d.split(':');
    const perms = (x: string | undefined) => x !== undefined && /^[rwm]{1,3}$/.test(x) && new Set(x).size === x.length;
    let entry: (typeof devices)[number];
    if (parts.length === 1) entry = { path: parts[0] };
    else if (parts.length === 2 && perms(parts[1])) entry = { path: parts[0], permissions: parts[1] };
    else if (parts.length === 2) entry = { path: parts[0], containerPath: parts[1] };
    else if (parts.length === 3 && perms(parts[2])) entry = { path: parts[0], containerPath: parts[1], permissions: parts[2] };
    else return fail('device', 'must be HOST[:CONTAINER][:PERMS] with PERMS some of r, w, m', d);
    if (!entry.path.startsWith('/') || (entry.containerPath !== undefined && !entry.containerPath.startsWith('/'))) fail('device', 'needs absolute paths', d);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(entry.path);
    } catch {
      fail('device', 'names a device that does not exist', d);
    }
    if (!st?.isBlockDevice() && !st?.isCharacterDevice()) fail('device', 'must name a block or character device', d);
    devices.push(entry);
  }
  if (devices.length) {
    if (o.devices === 'unrestricted') fail('device', 'cannot be combined with --security-opt devices=unrestricted', devices[0].path);
    o.devices = devices;
  }

  if (str('memory') !== undefined) limits.memory = { max: parseBytes('memory', str('memory') as string) };
  if (str('memory-reservation') !== undefined) limits.memory = { ...limits.memory, low: parseBytes('memory-reservation', str('memory-reservation') as string) };
  if (str('memory-swap') !== undefined) {
    const ms = str('memory-swap') as string;
    if (ms === '-1') limits.memory = { ...limits.memory, swapMax: 'max' };
    else {
      const max = limits.memory?.max;
      if (typeof max !== 'number') fail('memory-swap', 'needs --memory as well', ms);
      const total = parseBytes('memory-swap', ms);
      // docker's --memory-swap is memory plus swap; cgroup v2's memory.swap.max is the swap alone.
      if (total < (max as number)) fail('memory-swap', 'must be at least --memory', ms);
      limits.memory = { ...limits.memory, swapMax: total - (max as number) };
    }
  }
  if (str('cpus') !== undefined) {
    const n = number('cpus', str('cpus') as string, 0.01);
    limits.cpu = { max: n };
  }
  if (str('cpu-shares') !== undefined) {
    const shares = number('cpu-shares', str('cpu-shares') as string, 2);
    // runc's conversion of cgroup v1 shares (2..262144) to v2 weight (1..10000).
    limits.cpu = { ...limits.cpu, weight: Math.round(1 + ((Math.min(shares, 262144) - 2) * 9999) / 262142) };
  }
  if (str('cpuset-cpus') !== undefined) {
    if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(str('cpuset-cpus') as string)) fail('cpuset-cpus', 'must be a list like 0-1,3', str('cpuset-cpus'));
    limits.cpuset = { cpus: str('cpuset-cpus') as string };
  }
  if (str('pids-limit') !== undefined) {
    const n = Number(str('pids-limit'));
    if (!Number.isInteger(n)) fail('pids-limit', 'must be an integer', str('pids-limit'));
    limits.pids = { max: n <= 0 ? 'max' : n };
  }
  const io: Array<{ major: number; minor: number; rbps?: number; wbps?: number }> = [];
  for (const [flag, key] of [['device-read-bps', 'rbps'], ['device-write-bps', 'wbps']] as const) {
    for (const spec of list(flag)) {
      const at = spec.lastIndexOf(':');
      if (at <= 0) fail(flag, 'must be DEVICE:RATE', spec);
      const dev = device(flag, spec.slice(0, at));
      const rate = parseBytes(flag, spec.slice(at + 1));
      const entry = io.find((d) => d.major === dev.major && d.minor === dev.minor) ?? (io.push({ ...dev }), io[io.length - 1]);
      entry[key] = rate;
    }
  }
  if (io.length) limits.io = { devices: io };

  let timeoutMs: number | undefined;
  if (str('timeout') !== undefined) timeoutMs = number('timeout', str('timeout') as string, 0.001) * 1000;
  const tty = Boolean(flags.tty);
  const interactive = Boolean(flags.interactive);
  // Never the caller's own fds: pipes (or the container's own pty) that the CLI copies.
  o.stdio = [interactive ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  if (tty) {
    // A terminal of size 0x0 (as under script(1)) is one of unknown size.
    const { rows, columns } = process.stdout;
    o.tty = process.stdout.isTTY && rows > 0 && columns > 0 ? { rows, cols: columns } : true;
    // docker run -t: TERM=xterm unless the environment names one.
    if (env.TERM === undefined) env.TERM = 'xterm';
  }
  let report: string | undefined;
  if (str('report') !== undefined) {
    report = path.resolve(str('report') as string);
    // Checked before the program runs, so that its result is never lost.
    try {
      fs.accessSync(path.dirname(report), fs.constants.W_OK);
      if (fs.existsSync(report) && !fs.statSync(report).isFile()) fail('report', 'must name a file', str('report'));
      if (!fs.statSync(path.dirname(report)).isDirectory()) fail('report', 'must be in a directory', str('report'));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      fail('report', `cannot be written (${(e as NodeJS.ErrnoException).code})`, str('report'));
    }
  }
  const cfg: RunConfig = { flags, command: command[0], args: command.slice(1), options: o, limits, timeoutMs, report, interactive, tty };
  checkConfig(cfg);
  return cfg;
}

/** Library option paths, as spawn() and the limits name them, to the flags that set them. */
function flagOf(option: string, cfg: RunConfig): string {
  const volumes = ((cfg.flags.volume as string[] | undefined) ?? []).length;
  const m = /^mounts\[(\d+)\]/.exec(option);
  if (m) return Number(m[1]) < volumes ? '--volume' : '--tmpfs';
  const sysctl = /^sysctls\.(.+)$/.exec(option);
  if (sysctl) return `--sysctl ${sysctl[1]}`;
  const table: Array<[RegExp, string]> = [
    [/^capAdd/, '--cap-add'], [/^capDrop/, '--cap-drop'], [/^cwd/, '--workdir'], [/^hostname/, '--hostname'],
    [/^env/, '--env'], [/^rlimits/, '--ulimit'], [/^seccomp/, '--security-opt seccomp'], [/^(uid|gid)/, '--user'], [/^groups/, '--user/--group-add'], [/^shmSize/, '--shm-size'],
    [/^rootfs/, '--rootfs'], [/^tty/, '--tty'], [/^command/, 'the command'], [/^args/, 'an argument'],
    [/^(limits\.)?memory\.max/, '--memory'], [/^(limits\.)?memory\.low/, '--memory-reservation'], [/^(limits\.)?memory\.swapMax/, '--memory-swap'],
    [/^(limits\.)?cpu\.max/, '--cpus'], [/^(limits\.)?cpu\.weight/, '--cpu-shares'], [/^(limits\.)?cpuset/, '--cpuset-cpus'],
    [/^(limits\.)?pids/, '--pids-limit'], [/^(limits\.)?io/, '--device-read-bps/--device-write-bps'],
    [/^oomScoreAdj/, '--oom-score-adj'], [/^domainname/, '--domainname'],
  ];
  return table.find(([re]) => re.test(option))?.[1] ?? `--${option}`;
}

/**
 * Everything spawn() and the limits would refuse, refused now as a flag error
 * (one line, exit 125) that names the flag, not the library's option path.
 */
export function checkConfig(cfg: RunConfig): void {
  const o = cfg.options;
  try {
    validateSpawn(cfg.command, cfg.args, o);
    resolveCaps(o.capAdd, o.capDrop);
    resolveRlimits(o.rlimits);
    if (Object.keys(cfg.limits).length) planLimits(cfg.limits as Limits);
  } catch (err) {
    throw flagError(err, cfg);
  }
}

/** A library TypeError/RangeError as a flag error naming the flag; anything else unchanged. */
export function flagError(err: unknown, cfg: RunConfig): unknown {
  if (!(err instanceof TypeError || err instanceof RangeError)) return err;
  const msg = err.message.split('\n')[0];
  // "spawn: option capAdd[0] has ..." or "limits.memory.max: expected ..."
  const spawnStyle = /^spawn: option (\S+?)(?= |$)(.*)$/s.exec(msg);
  if (spawnStyle) return new UsageError(`bulkhead run: ${flagOf(spawnStyle[1], cfg)}${spawnStyle[2]}`, 125);
  const limitStyle = /^(?:limits\.)?([a-zA-Z0-9.[\]]+): (.*)$/s.exec(msg);
  if (limitStyle) return new UsageError(`bulkhead run: ${flagOf(limitStyle[1], cfg)}: ${limitStyle[2]}`, 125);
  return new UsageError(`bulkhead run: ${msg}`, 125);
}
