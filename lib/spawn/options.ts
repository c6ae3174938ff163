// spawn()'s options: their types, Docker's defaults, and validation that names
// the option and the value received before anything is created.
import * as path from 'node:path';
import { nearest } from '../cli/args';
import { planLimits, type Limits } from '../cgroup/controllers';
import { seccompProfileFor } from '../seccomp/index';

export interface Namespaces {
  pid: boolean;
  mount: boolean;
  uts: boolean;
  ipc: boolean;
  net: boolean;
  cgroup: boolean;
  user: boolean;
  time: boolean;
}

export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

export type Mount =
  | { type: 'bind'; source: string; target: string; readonly?: boolean }
  | { type: 'tmpfs'; target: string; size?: string | number; mode?: number };

export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;

export interface SpawnOptions {
  /** Root filesystem to pivot_root into; omitted: the host's filesystem, read-only, with private /proc, /dev, /tmp, /run. */
  rootfs?: string;
  namespaces?: Partial<Namespaces>;
  hostname?: string;
  /** The program's whole environment (nothing is inherited); default PATH and HOME. */
  env?: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  mounts?: Mount[];
  stdio?: StdioOption | StdioOption[];
  /** A cgroup v2 directory the process starts in (CLONE_INTO_CGROUP); with limits, the parent of its own group. */
  cgroup?: string;
  /**
   * cgroup v2 limits: the process gets a group of its own (under `cgroup`, or this
   * process's group), starts inside it and the group is removed after the exit; the
   * result then carries `usage` and `oomKilled`. `{}` gives a group with no limits.
   */
  limits?: Limits;
  /** Collect piped stdout/stderr into the result (default true). */
  buffer?: boolean;
  /** Reject when the program exits non-zero or by a signal (default true). */
  reject?: boolean;
  /** Kill the process if this Node process dies (PR_SET_PDEATHSIG; default true). */
  dieWithParent?: boolean;
  /** Use clone(2) and a cgroup.procs write, as on kernels without clone3. */
  legacyClone?: boolean;
  /** Capabilities added to Docker's default 14 (names with or without CAP_, or 'ALL'). */
  capAdd?: string[];
  /** Capabilities removed from them ('ALL' for every one). */
  capDrop?: string[];
  /** prctl(PR_SET_NO_NEW_PRIVS) before execve (default true). */
  noNewPrivileges?: boolean;
  /** The seccomp profile: Docker's default (undefined), false for none, a profile object or a path to a Docker/OCI JSON file. */
  seccomp?: false | string | object;
  /** Mount the root filesystem read-only. */
  readonlyRootfs?: boolean;
  /** Resource limits by `ulimit` names: { nofile: 1024, core: 0, nproc: { soft: 64, hard: 128 } }. */
  rlimits?: Record<string, number | 'unlimited' | { soft: number | 'unlimited'; hard: number | 'unlimited' }>;
  /** Run a tiny init as pid 1 that reaps zombies and forwards signals (docker run --init). */
  init?: boolean;
  /** Paths hidden from the container (default: Docker's masked paths). */
  maskedPaths?: string[];
  /** Paths made read-only (default: Docker's read-only paths). */
  readonlyPaths?: string[];
  /** A pty from the container's own devpts as stdin, stdout and stderr; the handle's `pty` is its master. */
  tty?: boolean | { rows: number; cols: number };
  /** network: an fd open on a prepared network namespace (lib/network's endpoint.netns) that the child joins with setns instead of a new, empty one. */
  netns?: number;
}

export const DEFAULT_NAMESPACES: Namespaces = {
  pid: true,
  mount: true,
  uts: true,
  ipc: true,
  net: true,
  cgroup: true,
  user: false,
  time: false,
};

/** Docker's default PATH (moby's oci/defaults). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const KEYS: Array<keyof SpawnOptions> = [
  'rootfs', 'namespaces', 'hostname', 'env', 'cwd', 'uid', 'gid', 'groups', 'uidMappings', 'gidMappings',
  'mounts', 'stdio', 'cgroup', 'buffer', 'reject', 'dieWithParent', 'legacyClone', 'capAdd', 'capDrop',
  'noNewPrivileges', 'seccomp', 'readonlyRootfs', 'rlimits', 'init', 'maskedPaths', 'readonlyPaths', 'tty', 'limits',
  'netns',
];

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

function typeError(option: string, want: string, got: unknown): never {
  throw new TypeError(`spawn: option ${option} must be ${want}, got ${show(got)}`);
}

function rangeError(option: string, why: string, got: unknown): never {
  throw new RangeError(`spawn: option ${option} ${why}, got ${show(got)}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bool(name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') typeError(name, 'a boolean', v);
}

function id(name: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'number') typeError(name, 'an integer', v);
  if (!Number.isInteger(v) || v < 0 || v > 0xfffffffe) rangeError(name, 'must be an integer from 0 to 4294967294', v);
}

function absolute(name: string, v: unknown): string {
  if (typeof v !== 'string') typeError(name, 'a string', v);
  if (v === '' || v.includes('\0')) rangeError(name, 'must be a non-empty path without NUL bytes', v);
  if (!path.posix.isAbsolute(v)) rangeError(name, 'must be an absolute path', v);
  return v;
}

/** The normalized path of target inside the container, refusing `..` that climbs out of its root. */
export function containedTarget(name: string, target: unknown): string {
  const t = absolute(name, target);
  // Resolve `..` lexically against "/": a target that names the root or climbs above it
  // would land outside the container's root filesystem.
  const parts: string[] = [];
  for (const part of t.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) rangeError(name, 'must stay inside the root filesystem', target);
      parts.pop();
    } else parts.push(part);
  }
  if (parts.length === 0) rangeError(name, 'must not be the root itself', target);
  return '/' + parts.join('/');
}

function mappings(name: string, v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) typeError(name, 'an array of { containerId, hostId, size }', v);
  if (v.length === 0 || v.length > 340) rangeError(name, 'must have 1 to 340 entries (user_namespaces(7))', v);
  v.forEach((m, i) => {
    if (!isObj(m)) typeError(`${name}[${i}]`, 'an object { containerId, hostId, size }', m);
    for (const k of ['containerId', 'hostId', 'size'] as const) id(`${name}[${i}].${k}`, m[k]);
    if ((m.size as number) < 1) rangeError(`${name}[${i}].size`, 'must be at least 1', m.size);
  });
}

function stdioEntry(name: string, v: unknown): void {
  if (v === 'pipe' || v === 'inherit' || v === 'ignore') return;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return;
  typeError(name, '"pipe", "inherit", "ignore" or an fd number', v);
}

/** Throws TypeError/RangeError naming the first bad option; returns the namespaces in force. */
export function validateSpawn(command: unknown, args: unknown, options: unknown): Namespaces {
  if (typeof command !== 'string' || command === '') typeError('command', 'a non-empty string', command);
  if (command.includes('\0')) rangeError('command', 'must not contain NUL bytes', command);
  if (!Array.isArray(args)) typeError('args', 'an array of strings', args);
  args.forEach((a, i) => {
    if (typeof a !== 'string') typeError(`args[${i}]`, 'a string', a);
    if (a.includes('\0')) rangeError(`args[${i}]`, 'must not contain NUL bytes', a);
  });
  if (options === undefined) return { ...DEFAULT_NAMESPACES };
  if (!isObj(options)) typeError('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!(KEYS as string[]).includes(key)) {
      const near = nearest(key, KEYS as string[]);
      throw new TypeError(`spawn: unknown option "${key}"${near ? `; did you mean "${near}"?` : ''}`);
    }
  }
  const o = options as SpawnOptions;
  if (o.namespaces !== undefined && !isObj(o.namespaces)) typeError('namespaces', 'an object', o.namespaces);
  for (const key of Object.keys(o.namespaces ?? {})) {
    if (!(key in DEFAULT_NAMESPACES)) {
      const near = nearest(key, Object.keys(DEFAULT_NAMESPACES));
      throw new TypeError(`spawn: unknown namespace "namespaces.${key}"${near ? `; did you mean "${near}"?` : ''}`);
    }
    bool(`namespaces.${key}`, (o.namespaces as Record<string, unknown>)[key]);
  }
  const ns: Namespaces = { ...DEFAULT_NAMESPACES, ...o.namespaces };
  if (o.rootfs !== undefined) {
    absolute('rootfs', o.rootfs);
    if (path.posix.normalize(o.rootfs) === '/') rangeError('rootfs', 'must not be the host root (omit it for a read-only view of the host)', o.rootfs);
  }
  if (!ns.mount) {
    for (const k of ['rootfs', 'mounts'] as const) {
      if (o[k] !== undefined) rangeError(k, 'needs namespaces.mount', o[k]);
    }
  }
  if (o.hostname !== undefined) {
    if (typeof o.hostname !== 'string') typeError('hostname', 'a string', o.hostname);
    // sethostname(2): at most HOST_NAME_MAX (64) bytes.
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/.test(o.hostname)) {
      rangeError('hostname', 'must be 1 to 64 letters, digits, dots or dashes', o.hostname);
    }
    if (!ns.uts) rangeError('hostname', 'needs namespaces.uts (it would rename the host)', o.hostname);
  }
  if (o.env !== undefined) {
    if (!isObj(o.env)) typeError('env', 'an object of strings', o.env);
    for (const [k, v] of Object.entries(o.env)) {
      if (typeof v !== 'string') typeError(`env.${k}`, 'a string', v);
      if (k === '' || k.includes('=') || k.includes('\0') || v.includes('\0')) rangeError(`env.${k}`, 'needs a name without "=" and no NUL bytes', v);
    }
  }
  if (o.cwd !== undefined) absolute('cwd', o.cwd);
  id('uid', o.uid);
  id('gid', o.gid);
  if (o.groups !== undefined) {
    if (!Array.isArray(o.groups)) typeError('groups', 'an array of integers', o.groups);
    o.groups.forEach((g, i) => id(`groups[${i}]`, g));
  }
  mappings('uidMappings', o.uidMappings);
  mappings('gidMappings', o.gidMappings);
  if (!ns.user) {
    for (const k of ['uidMappings', 'gidMappings'] as const) {
      if (o[k] !== undefined) rangeError(k, 'needs namespaces.user', o[k]);
    }
  }
  if (o.mounts !== undefined) {
    if (!Array.isArray(o.mounts)) typeError('mounts', 'an array', o.mounts);
    o.mounts.forEach((m, i) => {
      const n = `mounts[${i}]`;
      if (!isObj(m)) typeError(n, 'an object', m);
      if (m.type === 'bind') {
        absolute(`${n}.source`, m.source);
        bool(`${n}.readonly`, m.readonly);
      } else if (m.type === 'tmpfs') {
        if (m.size !== undefined && !(typeof m.size === 'number' && m.size > 0) && !(typeof m.size === 'string' && /^\d+[kmg]?$/i.test(m.size))) {
          rangeError(`${n}.size`, 'must be bytes or a size like 64m', m.size);
        }
        if (m.mode !== undefined && !(Number.isInteger(m.mode) && m.mode >= 0 && m.mode <= 0o7777)) rangeError(`${n}.mode`, 'must be a file mode', m.mode);
      } else typeError(`${n}.type`, '"bind" or "tmpfs"', (m as { type?: unknown }).type);
      containedTarget(`${n}.target`, m.target);
    });
  }
  if (o.stdio !== undefined) {
    if (Array.isArray(o.stdio)) o.stdio.forEach((s, i) => stdioEntry(`stdio[${i}]`, s));
    else stdioEntry('stdio', o.stdio);
  }
  if (o.cgroup !== undefined) absolute('cgroup', o.cgroup);
  for (const k of ['buffer', 'reject', 'dieWithParent', 'legacyClone', 'noNewPrivileges', 'readonlyRootfs', 'init'] as const) bool(k, o[k]);
  for (const k of ['capAdd', 'capDrop', 'maskedPaths', 'readonlyPaths'] as const) {
    const v = o[k];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) typeError(k, 'an array of strings', v);
  }
  for (const k of ['maskedPaths', 'readonlyPaths'] as const) (o[k] ?? []).forEach((p, i) => containedTarget(`${k}[${i}]`, p));
  if (o.seccomp !== undefined && o.seccomp !== false && typeof o.seccomp !== 'string' && !isObj(o.seccomp)) {
    typeError('seccomp', 'false, a profile object or a path to a JSON profile', o.seccomp);
  }
  if (typeof o.seccomp === 'string') absolute('seccomp', o.seccomp);
  // Parses (and caches) a profile object or file now, so that a bad one throws before anything runs.
  if (o.seccomp !== undefined && o.seccomp !== false) seccompProfileFor(o.seccomp as Parameters<typeof seccompProfileFor>[0]);
  if (o.tty !== undefined && typeof o.tty !== 'boolean') {
    if (!isObj(o.tty)) typeError('tty', 'a boolean or { rows, cols }', o.tty);
    for (const k of ['rows', 'cols'] as const) {
      const v = (o.tty as Record<string, unknown>)[k];
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) rangeError(`tty.${k}`, 'must be an integer from 1 to 65535', v);
    }
  }
  if (o.tty && !ns.mount) rangeError('tty', 'needs namespaces.mount (the pty comes from the container\'s devpts)', o.tty);
  // Every limit is checked now: a bad one throws before any group exists.
  if (o.limits !== undefined) planLimits(o.limits);
  if (o.init && !ns.mount) rangeError('init', 'needs namespaces.mount (the init is bound into the container)', o.init);
  // network: joining a namespace owned by the initial user namespace needs
  // CAP_SYS_ADMIN there, which a child in a new user namespace lacks (setns(2)).
  if (o.netns !== undefined) {
    if (!Number.isInteger(o.netns) || o.netns < 0) rangeError('netns', 'must be an open fd of a network namespace', o.netns);
    if (!ns.net) rangeError('netns', 'needs namespaces.net (the program would stay in the host\'s network)', o.netns);
    if (ns.user) rangeError('netns', 'cannot be joined from a new user namespace', o.netns);
  }
  return ns;
}
