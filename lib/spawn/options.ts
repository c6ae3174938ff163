// spawn()'s options: their types, Docker's defaults, and validation that names
// the option and the value received before anything is created.
import { constants as bufferConstants } from 'node:buffer';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toBytes } from '../util/size';
import { planLimits, type Limits } from '../cgroup/controllers';
import { describe, optionRangeError, optionTypeError } from '../errors';
import { normalizeAccess } from '../cgroup/devices/rules';

import { RLIMITS, resolveRlimits } from '../security/rlimits';
import { suggest } from '../util/suggest';
import { PROPAGATIONS, receivesHostEvents, type Propagation } from './propagation';
import { sysctlRefusal } from './sysctl';
import { CAPABILITY_NAMES } from '../caps/names';
import { isObj } from '../util/is-obj';

export { suggest } from '../util/suggest';

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
  | {
      type: 'bind';
      source: string;
      target: string;
      readonly?: boolean;
      /** Set-user-ID bits and file capabilities of its files count for nothing (mount(2) MS_NOSUID), recursively. */
      nosuid?: boolean;
      /** Its device nodes open nothing (MS_NODEV), recursively. */
      nodev?: boolean;
      /** Its files cannot be executed (MS_NOEXEC), recursively. */
      noexec?: boolean;
      /**
       * The mount's propagation (mount_namespaces(7)): 'rslave' lets mounts the
       * host makes under the source appear in the container (Kubernetes'
       * HostToContainer), 'rshared' also sends the container's back (Bidirectional).
       * Either needs rootPropagation 'slave' or 'shared'. Default: as the root.
       */
      propagation?: Propagation;
    }
  | {
      type: 'tmpfs';
      target: string;
      size?: string | number;
      mode?: number;
      /** Mounted read-only (an empty tmpfs: docker run --tmpfs /x:ro). */
      readonly?: boolean;
      /** Its files cannot be executed (MS_NOEXEC; Docker's default for --tmpfs). Always nosuid and nodev. */
      noexec?: boolean;
    };

export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;

/** How piped output is returned: a string in this encoding, or 'buffer' for the bytes as they came. */
export type Encoding = BufferEncoding | 'buffer';
/** A host device node made in the container and allowed in its device program (docker run --device). */
export interface DeviceMapping {
  /** The host's node, e.g. /dev/loop7 (symlinks followed, as Docker does). */
  path: string;
  /** Where the node appears in the container (default: path); its directory must exist there. */
  containerPath?: string;
  /** What the container may do with it: some of r, w, m (default 'rwm'). */
  permissions?: string;
}

/**
 * A root filesystem that spawn() mounts itself: overlayfs (filesystems/overlayfs
 * in the kernel's docs) over lower directories, mounted inside the container's
 * own mount namespace before pivot_root, so nothing is mounted on the host and
 * nothing needs unmounting after. lib/image's rootfsFor() makes these.
 */
export interface OverlayRootfs {
  type: 'overlay';
  /** An existing (empty) directory the overlay is mounted on, in the container's namespace only. */
  target: string;
  /** The directory relative lower, upper and work paths are resolved from: the mount is made with it as cwd. */
  base: string;
  /** Lower directories, top first, relative to base (short names let many layers fit in mount(2)'s one page). */
  lower: string[];
  /** The upper and work directories (both or neither; neither: a read-only root of the lowers). */
  upper?: string;
  work?: string;
  /**
   * overlayfs' volatile option: syncs of the overlay are not passed to the upper
   * filesystem. Without it, the unmount at the container's exit syncs the whole
   * filesystem under upper (ovl_sync_fs -> sync_filesystem), milliseconds on a
   * busy disk. For an upper that is thrown away with the container.
   */
  volatile?: boolean;
  /**
   * Upper and work directories in a tmpfs of this size (bytes, with k, m, g, or % of RAM)
   * that the child mounts on target first, instead of upper and work on disk:
   * overlayfs checks its upper filesystem at every mount (a work directory, a
   * tmpfile, xattrs, a whiteout rename), which on a busy disk costs more than
   * the container's whole start. The container's writes then live in memory
   * (charged to its memory cgroup) and go with it.
   */
  tmpfsUpper?: string;
}

export interface SpawnOptions {
  /** Root filesystem to pivot_root into: a directory or an overlay spawn() mounts; omitted: the host's filesystem, read-only, with private /proc, /dev, /tmp, /run. */
  rootfs?: string | OverlayRootfs;
  /** Make cwd inside the root when it is missing, each directory made owned by uid:gid (docker run's WorkingDir); needs rootfs and cwd. */
  createCwd?: { uid: number; gid: number };
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
  /** As child_process: fds 0, 1, 2 and more (3, 4, ... in the child; an extra 'pipe' is one the child writes). */
  stdio?: StdioOption | StdioOption[];
  /** A cgroup v2 directory under which the container's own group is made (default: this process's group). */
  cgroup?: string;
  /**
   * cgroup v2 limits, written to the container's own group (every container has one,
   * under `cgroup` or this process's group; it starts inside it and the group is
   * removed after the exit); the result then carries `usage` and `oomKilled`.
   */
  limits?: Limits;
  /**
   * The device allow list: every container gets a group of its own with a device
   * program that allows mknod of any node but read and write only of Docker's
   * defaults (null, zero, full, random, urandom, tty, console, ptmx, pts, tun) and
   * these devices. 'unrestricted' attaches no program (docker run --privileged's
   * device side).
   */
  devices?: DeviceMapping[] | 'unrestricted';
  /** Collect piped stdout/stderr into the result (default true); false settles at the exit. */
  buffer?: boolean;
  /** Most output kept per stream, in characters (bytes with encoding 'buffer'); more kills the program (default 100_000_000). */
  maxBuffer?: number;
  /** Decoding of buffered output (default 'utf8'); 'buffer' returns Buffers. */
  encoding?: Encoding;
  /** Written to the program's stdin, which is then closed (stdin must be 'pipe'). */
  input?: string | Uint8Array;
  /** result.all: stdout and stderr interleaved as they arrived (needs buffer). */
  all?: boolean;
  /** Milliseconds until the program is sent killSignal; result.timedOut then says so. */
  timeout?: number;
  /** What timeout, signal and maxBuffer send (default 'SIGTERM'). */
  killSignal?: NodeJS.Signals | number;
  /** Milliseconds after killSignal until SIGKILL follows (default 5000; false: never). */
  forceKillAfterDelay?: number | boolean;
  /** Aborting it kills the program (killSignal); result.isCanceled then says so. */
  signal?: AbortSignal;
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
  /**
   * The five capability sets as an OCI process gives them (capabilities(7)),
   * instead of capAdd/capDrop: each a list of names, an absent one empty. The
   * kernel's rules still hold: ambient ones must be permitted and inheritable
   * (others are left out), and execve recomputes the sets from them.
   */
  capabilities?: { bounding?: string[]; effective?: string[]; permitted?: string[]; inheritable?: string[]; ambient?: string[] };
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
  /**
   * Namespaces of the new container joined from namespace files instead of
   * made (an OCI bundle's linux.namespaces[].path, how a pod's containers share
   * one): an open fd of /proc/<pid>/ns/<type> or a bind mount of one, per type.
   * Each needs that namespace in `namespaces`; the network one is `netns`.
   */
  sharedNamespaces?: { pid?: number; ipc?: number; uts?: number; cgroup?: number };
  /** Enter a running process's namespaces and cgroup instead of making new ones (docker exec); see JoinOptions. */
  join?: JoinOptions;
  /**
   * OCI create (lib/oci): an fd (O_PATH is enough) of a FIFO. The child sets
   * everything up, then blocks opening it for writing just before execve; spawn()
   * returns at that point, and the program starts once a reader opens the FIFO.
   * Needs dieWithParent: false (the creator usually exits before the start).
   */
  startFifo?: number;
  /** The size of /dev/shm, a tmpfs of the container's own (default 64m, as Docker; docker run --shm-size). */
  shmSize?: string | number;
  /** argv[0] as the program sees it (default: command, as child_process's argv0); the file run is still found from command. */
  argv0?: string;
  /** The NIS domain name of the container's UTS namespace (setdomainname(2); docker run --domainname, an OCI domainname). Needs namespaces.uts. */
  domainname?: string;
  /** The program's file mode creation mask, 0 to 0o777 (umask(2); an OCI process.user.umask). Default: this process's. */
  umask?: number;
  /**
   * The program's /proc/self/oom_score_adj, -1000 to 1000 (proc(5); docker run
   * --oom-score-adj). Children inherit it. A value below this process's own needs
   * CAP_SYS_RESOURCE.
   */
  oomScoreAdj?: number;
  /**
   * Kernel parameters of the container's own namespaces (docker run --sysctl, an
   * OCI linux.sysctl): { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1048576' }.
   * Only namespaced ones: net.* with namespaces.net, IPC ones and fs.mqueue.*
   * with namespaces.ipc, kernel.hostname/domainname with namespaces.uts.
   */
  sysctls?: Record<string, string | number>;
  /**
   * Propagation of the container's mount tree (an OCI rootfsPropagation; mount_namespaces(7)).
   * Default 'private': no mount event crosses between host and container in either
   * direction (stricter than runc's rslave). 'slave'/'rslave': host mounts under a
   * bind mount's source appear in the container; 'shared'/'rshared' (needs rootfs):
   * also the other way, for bind mounts whose propagation is shared.
   */
  rootPropagation?: Propagation;
}

/** A domain name spawn() sets (setdomainname(2): at most __NEW_UTS_LEN, 64 bytes). */
export const DOMAINNAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/** A namespace by its /proc/<pid>/ns name. */
export type NamespaceName = 'user' | 'mnt' | 'pid' | 'net' | 'ipc' | 'uts' | 'cgroup';
export const NAMESPACE_NAMES: readonly NamespaceName[] = ['user', 'mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'];

/**
 * spawn's `join`: the program starts inside existing namespaces (setns(2)),
 * the way docker exec enters a running container. Give the process (`pid` or
 * `pidfd`: all of its namespaces that differ from this process's, or those
 * listed in `namespaces`, entered through the pidfd in one call), or namespace
 * files as fds (`fds`: /proc/<pid>/ns/<x> or a bind mount of one, as an OCI
 * runtime's linux.namespaces[].path). The program starts in `cgroup` (default:
 * the process's own group).
 */
export interface JoinOptions {
  pid?: number;
  pidfd?: number;
  namespaces?: NamespaceName[];
  fds?: Array<{ fd: number; type: NamespaceName }>;
  cgroup?: string;
}

/** Options that describe a new container, meaningless when entering a running one (oomScoreAdj: its write needs the host's /proc). */
export const JOIN_EXCLUDES = [
  'rootfs', 'namespaces', 'hostname', 'uidMappings', 'gidMappings', 'mounts', 'cgroup', 'limits', 'devices',
  'init', 'maskedPaths', 'readonlyPaths', 'readonlyRootfs', 'netns', 'sharedNamespaces', 'legacyClone',
  'sysctls', 'rootPropagation', 'oomScoreAdj', 'domainname', 'shmSize',
] as const;

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

/** execa's default maxBuffer: 100 MB. */
export const DEFAULT_MAX_BUFFER = 100_000_000;
/** execa's default forceKillAfterDelay. */
export const DEFAULT_FORCE_KILL_MS = 5000;
/** The most fds the child can be given: 0, 1, 2 and 64 more (native/spawn/child.cc). */
export const MAX_STDIO = 3 + 64;
/** setTimeout's largest delay (a larger one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const KEYS: Array<keyof SpawnOptions> = [
  'rootfs', 'namespaces', 'hostname', 'env', 'cwd', 'uid', 'gid', 'groups', 'uidMappings', 'gidMappings',
  'mounts', 'stdio', 'cgroup', 'buffer', 'reject', 'dieWithParent', 'legacyClone', 'capAdd', 'capDrop', 'capabilities', 'sharedNamespaces',
  'noNewPrivileges', 'seccomp', 'readonlyRootfs', 'rlimits', 'init', 'maskedPaths', 'readonlyPaths', 'tty', 'limits',
  'maxBuffer', 'encoding', 'input', 'all', 'timeout', 'killSignal', 'forceKillAfterDelay', 'signal', 'devices', 'netns', 'startFifo',
  'join', 'createCwd', 'umask', 'oomScoreAdj', 'sysctls', 'rootPropagation', 'domainname', 'argv0', 'shmSize',
];

function typeError(option: string, want: string, got: unknown): never {
  throw optionTypeError('spawn', option, want, got);
}

function rangeError(option: string, why: string, got: unknown): never {
  throw optionRangeError('spawn', option, why, got);
}

/** Another module's TypeError/RangeError about an option, as spawn's: the option named, the code set. */
function renamed(option: string, err: TypeError | RangeError): TypeError | RangeError {
  if ((err as { option?: string }).option !== undefined) return err;
  const msg = `spawn: option ${option}: ${err.message}`;
  const e = err instanceof TypeError ? new TypeError(msg, { cause: err }) : new RangeError(msg, { cause: err });
  return Object.assign(e, { code: err instanceof TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_INVALID_ARG_VALUE', option });
}

/** Visits every index of an array, holes included (forEach and some skip holes). */
function each<T>(a: readonly T[], fn: (v: T, i: number) => void): void {
  for (let i = 0; i < a.length; i++) fn(a[i], i);
}


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

/** overlayfs separates options with "," and lowerdirs with ":" (a "\\" escapes them): paths with none of these, nor NUL. */
const OVERLAY_PATH = /^[^,:\\\0\n]+$/;
/** mount(2) copies at most one page of options (copy_mount_options in fs/namespace.c). */
const MOUNT_DATA_MAX = 4095;

/** Validates an overlay rootfs; returns its target (the directory it is mounted on). */
function overlayRootfs(r: Record<string, unknown>): string {
  if (r.type !== 'overlay') rangeError('rootfs.type', 'must be "overlay" (or rootfs a directory path)', r.type);
  const target = absolute('rootfs.target', r.target);
  absolute('rootfs.base', r.base);
  if (!Array.isArray(r.lower) || r.lower.length === 0) typeError('rootfs.lower', 'a non-empty array of paths', r.lower);
  const rel = (name: string, v: unknown) => {
    if (typeof v !== 'string') typeError(name, 'a string', v);
    if (!OVERLAY_PATH.test(v)) rangeError(name, 'must be a non-empty path without , : \\ or NUL', v);
  };
  each(r.lower as unknown[], (l, i) => rel(`rootfs.lower[${i}]`, l));
  if (r.volatile !== undefined && typeof r.volatile !== 'boolean') typeError('rootfs.volatile', 'a boolean', r.volatile);
  if (r.tmpfsUpper !== undefined) {
    if (typeof r.tmpfsUpper !== 'string' || !/^[0-9]+[kmg%]?$/.test(r.tmpfsUpper)) rangeError('rootfs.tmpfsUpper', 'must be a size: digits with an optional k, m, g or %', r.tmpfsUpper);
    if (r.upper !== undefined) rangeError('rootfs.tmpfsUpper', 'and rootfs.upper exclude each other', r.upper);
    if (!OVERLAY_PATH.test(`${r.target}/upper`)) rangeError('rootfs.target', 'must be a path without , : \\ or NUL (with tmpfsUpper it names the upper)', r.target);
  } else if ((r.upper === undefined) !== (r.work === undefined)) rangeError('rootfs.upper', 'and rootfs.work go together', r.upper ?? r.work);
  if (r.upper !== undefined) {
    rel('rootfs.upper', r.upper);
    rel('rootfs.work', r.work);
  } else if (r.tmpfsUpper === undefined && (r.lower as unknown[]).length < 2) {
    // Without an upper layer overlayfs needs two lowers at least (filesystems/overlayfs.rst).
    rangeError('rootfs.lower', 'needs two entries at least without an upper directory', r.lower);
  }
  if (overlayData(r as unknown as OverlayRootfs).length > MOUNT_DATA_MAX) rangeError('rootfs.lower', `makes mount options longer than one page (${MOUNT_DATA_MAX} bytes): too many layers or paths too long`, (r.lower as unknown[]).length);
  return target;
}

/** The overlay's mount options, as overlayfs parses them. */
export function overlayData(r: OverlayRootfs): string {
  const parts = [`lowerdir=${r.lower.join(':')}`];
  if (r.tmpfsUpper !== undefined) parts.push(`upperdir=${r.target}/upper`, `workdir=${r.target}/work`);
  else if (r.upper !== undefined) parts.push(`upperdir=${r.upper}`, `workdir=${r.work}`);
  if ((r.upper !== undefined || r.tmpfsUpper !== undefined) && r.volatile) parts.push('volatile');
  return parts.join(',');
}

/** The directory a rootfs option pivots into. */
export function rootDirOf(rootfs: string | OverlayRootfs): string {
  return typeof rootfs === 'string' ? rootfs : rootfs.target;
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
  each(v, (m, i) => {
    if (!isObj(m)) typeError(`${name}[${i}]`, 'an object { containerId, hostId, size }', m);
    for (const k of ['containerId', 'hostId', 'size'] as const) {
      if (m[k] === undefined) typeError(`${name}[${i}].${k}`, 'an integer', m[k]);
      id(`${name}[${i}].${k}`, m[k]);
    }
    if ((m.size as number) < 1) rangeError(`${name}[${i}].size`, 'must be at least 1', m.size);
  });
}

function stdioEntry(name: string, v: unknown): void {
  if (v === 'pipe' || v === 'inherit' || v === 'ignore') return;
  if (typeof v !== 'number') typeError(name, '"pipe", "inherit", "ignore" or an fd number', v);
  // An fd is a C int: a larger number would be truncated into another fd.
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) rangeError(name, 'must be an fd number from 0 to 2147483647', v);
  try {
    fs.fstatSync(v);
  } catch {
    rangeError(name, 'must be an open fd of this process', v);
  }
}

/** A size in bytes for tmpfs (a positive integer, or digits with k, m or g); `size=0` would mean unlimited. */
function tmpfsSize(name: string, v: unknown): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 1) rangeError(name, 'must be a whole number of bytes from 1 to 2^53-1 (tmpfs reads size=0 as unlimited)', v);
    return;
  }
  if (typeof v !== 'string') typeError(name, 'bytes or a size like "64m"', v);
  // The one size grammar (lib/util/size.ts); null past 2^53-1.
  const bytes = toBytes(v);
  if (bytes === null) rangeError(name, 'must be bytes or a size like "64m"', v);
  if (bytes < 1) rangeError(name, 'must be at least 1 byte (tmpfs reads size=0 as unlimited)', v);
}

function ms(name: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'number') typeError(name, 'a number of milliseconds', v);
  if (!Number.isInteger(v) || v < 0 || v > MAX_TIMER_MS) rangeError(name, `must be an integer from 0 to ${MAX_TIMER_MS} milliseconds`, v);
}

/** stdio as three or more entries, child_process's shorthand spelled out. */
export function stdioEntries(s: SpawnOptions['stdio']): StdioOption[] {
  if (s === undefined) return ['pipe', 'pipe', 'pipe'];
  if (!Array.isArray(s)) return [s, s, s];
  const out = [...s];
  while (out.length < 3) out.push('pipe');
  for (let i = 0; i < 3; i++) out[i] ??= 'pipe';
  return out;
}

/** Throws TypeError/RangeError naming the first bad option; returns the namespaces in force. */
export function validateSpawn(command: unknown, args: unknown, options: unknown): Namespaces {
  if (typeof command !== 'string' || command === '') typeError('command', 'a non-empty string', command);
  if (command.includes('\0')) rangeError('command', 'must not contain NUL bytes', command);
  if (!Array.isArray(args)) typeError('args', 'an array of strings', args);
  each(args, (a, i) => {
    if (typeof a !== 'string') typeError(`args[${i}]`, 'a string', a);
    if (a.includes('\0')) rangeError(`args[${i}]`, 'must not contain NUL bytes', a);
  });
  if (options === undefined) return { ...DEFAULT_NAMESPACES };
  if (!isObj(options)) typeError('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!(KEYS as string[]).includes(key)) {
      const near = suggest(key, KEYS as string[]);
      throw Object.assign(new TypeError(`spawn: unknown option ${describe(key)}${near ? `; did you mean "${near}"?` : ''}`), { code: 'ERR_INVALID_ARG_VALUE', option: key });
    }
  }
  const o = options as SpawnOptions;
  if (o.join !== undefined) {
    validateJoin(o);
    validateRun(o);
    return { pid: false, mount: false, uts: false, ipc: false, net: false, cgroup: false, user: false, time: false };
  }
  if (o.namespaces !== undefined && !isObj(o.namespaces)) typeError('namespaces', 'an object', o.namespaces);
  for (const key of Object.keys(o.namespaces ?? {})) {
    if (!Object.hasOwn(DEFAULT_NAMESPACES, key)) {
      const near = suggest(key, Object.keys(DEFAULT_NAMESPACES));
      throw Object.assign(new TypeError(`spawn: unknown namespace "namespaces.${key}"${near ? `; did you mean "${near}"?` : ''}`), { code: 'ERR_INVALID_ARG_VALUE', option: `namespaces.${key}` });
    }
    bool(`namespaces.${key}`, (o.namespaces as Record<string, unknown>)[key]);
  }
  const ns: Namespaces = { ...DEFAULT_NAMESPACES, ...o.namespaces };
  if (o.rootfs !== undefined) {
    const dir = isObj(o.rootfs) ? overlayRootfs(o.rootfs) : absolute('rootfs', o.rootfs);
    if (path.posix.normalize(dir) === '/') rangeError('rootfs', 'must not be the host root (omit it for a read-only view of the host)', dir);
  }
  if (o.createCwd !== undefined) {
    if (!isObj(o.createCwd)) typeError('createCwd', 'an object { uid, gid }', o.createCwd);
    id('createCwd.uid', o.createCwd.uid ?? -1);
    id('createCwd.gid', o.createCwd.gid ?? -1);
    if (o.rootfs === undefined || o.cwd === undefined) rangeError('createCwd', 'needs rootfs and cwd', o.createCwd);
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
  if (o.domainname !== undefined) {
    if (typeof o.domainname !== 'string') typeError('domainname', 'a string', o.domainname);
    if (!DOMAINNAME.test(o.domainname)) rangeError('domainname', 'must be 1 to 64 letters, digits, dots, dashes or underscores', o.domainname);
    if (!ns.uts) rangeError('domainname', 'needs namespaces.uts (it would rename the host\'s domain)', o.domainname);
    if (o.sysctls !== undefined && Object.hasOwn(o.sysctls, 'kernel.domainname')) rangeError('domainname', 'conflicts with sysctls["kernel.domainname"]', o.domainname);
  }
  validateProgram(o);
  mappings('uidMappings', o.uidMappings);
  mappings('gidMappings', o.gidMappings);
  if (!ns.user) {
    for (const k of ['uidMappings', 'gidMappings'] as const) {
      if (o[k] !== undefined) rangeError(k, 'needs namespaces.user', o[k]);
    }
  }
  if (o.mounts !== undefined) {
    if (!Array.isArray(o.mounts)) typeError('mounts', 'an array', o.mounts);
    each(o.mounts, (m, i) => {
      const n = `mounts[${i}]`;
      if (!isObj(m)) typeError(n, 'an object', m);
      if (m.type === 'bind') {
        absolute(`${n}.source`, m.source);
        for (const k of ['readonly', 'nosuid', 'nodev', 'noexec'] as const) bool(`${n}.${k}`, m[k]);
        if (m.propagation !== undefined) {
          propagation(`${n}.propagation`, m.propagation);
          if (receivesHostEvents(m.propagation) && !receivesHostEvents(o.rootPropagation)) {
            rangeError(`${n}.propagation`, 'needs rootPropagation "slave" or "shared" (a private root copies no mount event from the host)', m.propagation);
          }
        }
      } else if (m.type === 'tmpfs') {
        if (m.size !== undefined) tmpfsSize(`${n}.size`, m.size);
        if (m.mode !== undefined && !(Number.isInteger(m.mode) && m.mode >= 0 && m.mode <= 0o7777)) rangeError(`${n}.mode`, 'must be a file mode', m.mode);
        for (const k of ['readonly', 'noexec'] as const) bool(`${n}.${k}`, m[k]);
      } else typeError(`${n}.type`, '"bind" or "tmpfs"', (m as { type?: unknown }).type);
      containedTarget(`${n}.target`, m.target);
    });
  }
  if (o.cgroup !== undefined) absolute('cgroup', o.cgroup);
  for (const k of ['buffer', 'reject', 'dieWithParent', 'legacyClone', 'noNewPrivileges', 'readonlyRootfs', 'init', 'all'] as const) bool(k, o[k]);
  for (const k of ['maskedPaths', 'readonlyPaths'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (!Array.isArray(v)) typeError(k, 'an array of strings', v);
    each(v, (x, i) => (typeof x === 'string' ? undefined : typeError(`${k}[${i}]`, 'a string', x)));
  }
  for (const k of ['maskedPaths', 'readonlyPaths'] as const) each(o[k] ?? [], (p, i) => containedTarget(`${k}[${i}]`, p));
  if (o.tty && !ns.mount) rangeError('tty', 'needs namespaces.mount (the pty comes from the container\'s devpts)', o.tty);
  // Every limit is checked now: a bad one throws before any group exists.
  if (o.limits !== undefined) {
    try {
      planLimits(o.limits);
    } catch (err) {
      throw err instanceof TypeError || err instanceof RangeError ? renamed('limits', err) : err;
    }
  }
  if (o.devices !== undefined && o.devices !== 'unrestricted') {
    if (!Array.isArray(o.devices)) typeError('devices', 'an array of { path, containerPath?, permissions? } or "unrestricted"', o.devices);
    o.devices.forEach((d, i) => {
      const n = `devices[${i}]`;
      if (!isObj(d)) typeError(n, 'an object { path, containerPath?, permissions? }', d);
      for (const k of Object.keys(d)) if (k !== 'path' && k !== 'containerPath' && k !== 'permissions') throw new TypeError(`spawn: unknown option "${n}.${k}"`);
      absolute(`${n}.path`, d.path);
      if (d.containerPath !== undefined) containedTarget(`${n}.containerPath`, d.containerPath);
      if (d.permissions !== undefined && normalizeAccess(d.permissions) === null) rangeError(`${n}.permissions`, 'must be some of "r", "w", "m" (like "rwm")', d.permissions);
    });
    if (o.devices.length > 0 && !ns.mount) rangeError('devices', 'needs namespaces.mount (the nodes are made in the container\'s /dev)', o.devices);
  }
  if (o.init && !ns.mount) rangeError('init', 'needs namespaces.mount (the init is bound into the container)', o.init);
  // network: joining a namespace owned by the initial user namespace needs
  // CAP_SYS_ADMIN there, which a child in a new user namespace lacks (setns(2)).
  if (o.netns !== undefined) {
    if (!Number.isInteger(o.netns) || o.netns < 0) rangeError('netns', 'must be an open fd of a network namespace', o.netns);
    if (!ns.net) rangeError('netns', 'needs namespaces.net (the program would stay in the host\'s network)', o.netns);
    if (ns.user) rangeError('netns', 'cannot be joined from a new user namespace', o.netns);
  }
  if (o.sharedNamespaces !== undefined) {
    if (!isObj(o.sharedNamespaces)) typeError('sharedNamespaces', 'an object { pid?, ipc?, uts?, cgroup? } of namespace fds', o.sharedNamespaces);
    for (const [k, v] of Object.entries(o.sharedNamespaces)) {
      const n = `sharedNamespaces.${k}`;
      if (!['pid', 'ipc', 'uts', 'cgroup'].includes(k)) throw Object.assign(new TypeError(`spawn: unknown option "${n}" (the network namespace is netns)`), { code: 'ERR_INVALID_ARG_VALUE', option: n });
      if (v === undefined) continue;
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0x7fffffff) rangeError(n, 'must be an open fd of a namespace file', v);
      if (!ns[k as keyof Namespaces]) rangeError(n, `needs namespaces.${k} (the program would stay in the host's)`, v);
      if (ns.user) rangeError(n, 'cannot be joined from a new user namespace', v);
    }
  }
  // OCI create: the child reopens the FIFO through the container's /proc after pivot_root.
  if (o.startFifo !== undefined) {
    if (typeof o.startFifo !== 'number' || !Number.isInteger(o.startFifo) || o.startFifo < 0 || o.startFifo > 0x7fffffff) rangeError('startFifo', 'must be an open fd of a FIFO', o.startFifo);
    let st: fs.Stats | undefined;
    try {
      st = fs.fstatSync(o.startFifo);
    } catch {
      rangeError('startFifo', 'must be an open fd of a FIFO', o.startFifo);
    }
    if (!st.isFIFO()) rangeError('startFifo', 'must be an open fd of a FIFO (this fd is not one)', o.startFifo);
    if (!ns.mount) rangeError('startFifo', 'needs namespaces.mount (the FIFO is reopened through the container\'s /proc/self/fd)', o.startFifo);
    if (o.dieWithParent !== false) rangeError('startFifo', 'needs dieWithParent: false (the program waits for a start after spawn() returns)', o.startFifo);
  }
  validateKernelSettings(o, ns);
  validateRun(o);
  return ns;
}

function propagation(name: string, v: unknown): void {
  if (!(PROPAGATIONS as readonly unknown[]).includes(v)) typeError(name, `one of ${PROPAGATIONS.map((p) => `"${p}"`).join(', ')}`, v);
}

/** shmSize, rootPropagation and sysctls: each checked against the namespaces it would change. */
function validateKernelSettings(o: SpawnOptions, ns: Namespaces): void {
  if (o.shmSize !== undefined) {
    tmpfsSize('shmSize', o.shmSize);
    if (!ns.mount) rangeError('shmSize', 'needs namespaces.mount (/dev/shm is the container\'s own tmpfs)', o.shmSize);
  }
  if (o.rootPropagation !== undefined) {
    propagation('rootPropagation', o.rootPropagation);
    if (!ns.mount) rangeError('rootPropagation', 'needs namespaces.mount', o.rootPropagation);
    // A shared tree's new mounts reach the host: only a given rootfs, whose
    // parent mount is made private first, keeps the setup's own mounts in.
    if (/shared/.test(o.rootPropagation) && o.rootfs === undefined) rangeError('rootPropagation', 'shared needs rootfs (the embedded default root is assembled on the host\'s tree)', o.rootPropagation);
  }
  if (o.sysctls !== undefined) {
    if (!isObj(o.sysctls)) typeError('sysctls', 'an object { name: value }', o.sysctls);
    for (const [k, v] of Object.entries(o.sysctls)) {
      const n = `sysctls.${k}`;
      if (typeof v === 'number' ? !Number.isFinite(v) : typeof v !== 'string') typeError(n, 'a string or a number', v);
      if (String(v).includes('\0')) rangeError(n, 'must not contain NUL bytes', v);
      const why = sysctlRefusal(k, { ns, ...(o.hostname !== undefined ? { hostname: o.hostname } : {}) });
      if (why !== null) rangeError(n, why, v);
    }
  }
}

/** join and the options that may go with it (the new program's own: env, cwd, ids, caps, seccomp, rlimits, tty, stdio). */
function validateJoin(o: SpawnOptions): void {
  const j = o.join as unknown;
  if (!isObj(j)) typeError('join', 'an object { pid | pidfd | fds, namespaces?, cgroup? }', j);
  for (const k of Object.keys(j)) {
    if (!['pid', 'pidfd', 'namespaces', 'fds', 'cgroup'].includes(k)) throw Object.assign(new TypeError(`spawn: unknown option "join.${k}"`), { code: 'ERR_INVALID_ARG_VALUE', option: `join.${k}` });
  }
  for (const k of JOIN_EXCLUDES) {
    if (o[k] !== undefined) rangeError(k, 'cannot be combined with join (it describes a new container; join enters a running one)', o[k]);
  }
  const given = ['pid', 'pidfd', 'fds'].filter((k) => j[k] !== undefined);
  if (given.length !== 1) rangeError('join', 'needs exactly one of pid, pidfd or fds', j);
  if (j.pid !== undefined && !(Number.isInteger(j.pid) && (j.pid as number) > 0 && (j.pid as number) <= 0x3fffffff)) rangeError('join.pid', 'must be a process id', j.pid);
  if (j.pidfd !== undefined && !(Number.isInteger(j.pidfd) && (j.pidfd as number) >= 0 && (j.pidfd as number) <= 0x7fffffff)) rangeError('join.pidfd', 'must be an fd number', j.pidfd);
  const names = NAMESPACE_NAMES as readonly string[];
  if (j.namespaces !== undefined) {
    if (j.fds !== undefined) rangeError('join.namespaces', 'goes with pid or pidfd (fds name their own types)', j.namespaces);
    if (!Array.isArray(j.namespaces)) typeError('join.namespaces', `an array of ${names.join(', ')}`, j.namespaces);
    each(j.namespaces, (n, i) => (names.includes(n as string) ? undefined : rangeError(`join.namespaces[${i}]`, `must be one of ${names.join(', ')}`, n)));
  }
  if (j.fds !== undefined) {
    if (!Array.isArray(j.fds) || j.fds.length === 0) typeError('join.fds', 'a non-empty array of { fd, type }', j.fds);
    const seen = new Set<string>();
    each(j.fds, (f, i) => {
      if (!isObj(f)) typeError(`join.fds[${i}]`, 'an object { fd, type }', f);
      if (!(Number.isInteger(f.fd) && (f.fd as number) >= 0 && (f.fd as number) <= 0x7fffffff)) rangeError(`join.fds[${i}].fd`, 'must be an fd number', f.fd);
      if (!names.includes(f.type as string)) rangeError(`join.fds[${i}].type`, `must be one of ${names.join(', ')}`, f.type);
      if (seen.has(f.type as string)) rangeError(`join.fds[${i}].type`, 'names a namespace type given twice', f.type);
      seen.add(f.type as string);
    });
  }
  if (j.cgroup !== undefined) absolute('join.cgroup', j.cgroup);
  // The pty and the 'ignore' /dev/null come from the container's /dev: its mount namespace must be entered.
  const withMnt = j.fds !== undefined ? (j.fds as Array<{ type: string }>).some((f) => f.type === 'mnt') : j.namespaces === undefined || (j.namespaces as string[]).includes('mnt');
  if (o.tty && !withMnt) rangeError('tty', 'needs join to enter the mount namespace (the pty comes from the container\'s devpts)', o.tty);
  validateProgram(o);
}

/** The new program's own options: env, cwd, ids, stdio, capabilities, seccomp, the tty's size. */
function validateProgram(o: SpawnOptions): void {
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
    each(o.groups, (g, i) => (g === undefined ? typeError(`groups[${i}]`, 'an integer', g) : id(`groups[${i}]`, g)));
  }
  if (o.stdio !== undefined) {
    if (Array.isArray(o.stdio)) {
      if (o.stdio.length > MAX_STDIO) rangeError('stdio', `must have at most ${MAX_STDIO} entries`, o.stdio.length);
      // Holes in the first three mean 'pipe', as child_process reads them; past them a hole is a mistake.
      each(o.stdio, (s, i) => (i < 3 && s === undefined ? undefined : stdioEntry(`stdio[${i}]`, s)));
    } else stdioEntry('stdio', o.stdio);
  }
  for (const k of ['buffer', 'reject', 'dieWithParent', 'noNewPrivileges', 'all'] as const) bool(k, o[k]);
  for (const k of ['capAdd', 'capDrop'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (!Array.isArray(v)) typeError(k, 'an array of strings', v);
    each(v, (x, i) => (typeof x === 'string' ? undefined : typeError(`${k}[${i}]`, 'a string', x)));
  }
  if (o.capabilities !== undefined) {
    if (!isObj(o.capabilities)) typeError('capabilities', 'an object of capability lists { bounding, effective, permitted, inheritable, ambient }', o.capabilities);
    if (o.capAdd !== undefined || o.capDrop !== undefined) rangeError('capabilities', 'cannot be combined with capAdd or capDrop (it gives every set itself)', o.capabilities);
    for (const [k, v] of Object.entries(o.capabilities)) {
      if (!['bounding', 'effective', 'permitted', 'inheritable', 'ambient'].includes(k)) throw Object.assign(new TypeError(`spawn: unknown option "capabilities.${k}"`), { code: 'ERR_INVALID_ARG_VALUE', option: `capabilities.${k}` });
      if (v === undefined) continue;
      if (!Array.isArray(v)) typeError(`capabilities.${k}`, 'an array of strings', v);
      each(v, (x, i) => {
        if (typeof x !== 'string') typeError(`capabilities.${k}[${i}]`, 'a capability name', x);
        if (!(CAPABILITY_NAMES as readonly string[]).includes(x.toUpperCase().replace(/^CAP_/, ''))) rangeError(`capabilities.${k}[${i}]`, 'must name one capability (CAP_ prefix optional)', x);
      });
    }
  }
  if (o.seccomp !== undefined && o.seccomp !== false && typeof o.seccomp !== 'string' && !isObj(o.seccomp)) {
    typeError('seccomp', 'false, a profile object or a path to a JSON profile', o.seccomp);
  }
  if (typeof o.seccomp === 'string') absolute('seccomp', o.seccomp);
  // Parses (and caches) a profile object or file now, so that a bad one throws before anything runs.
  if (o.seccomp !== undefined && o.seccomp !== false) {
    try {
      // Loaded here, on the first profile to check: see lib/spawn/index.ts.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { seccompProfileFor } = require('../seccomp/index') as typeof import('../seccomp/index');
      seccompProfileFor(o.seccomp as Parameters<typeof seccompProfileFor>[0]);
    } catch (err) {
      if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
      throw renamed('seccomp', err);
    }
  }
  if (o.tty !== undefined && typeof o.tty !== 'boolean') {
    if (!isObj(o.tty)) typeError('tty', 'a boolean or { rows, cols }', o.tty);
    for (const k of ['rows', 'cols'] as const) {
      const v = (o.tty as Record<string, unknown>)[k];
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) rangeError(`tty.${k}`, 'must be an integer from 1 to 65535', v);
    }
  }
}

/** The options about running and collecting: umask, oomScoreAdj, rlimits, output, input, timeout, cancellation. */
function validateRun(o: SpawnOptions): void {
  if (o.argv0 !== undefined) {
    if (typeof o.argv0 !== 'string') typeError('argv0', 'a string', o.argv0);
    if (o.argv0.includes('\0')) rangeError('argv0', 'must not contain NUL bytes', o.argv0);
    // bulkhead-init runs the program with the argv it is given after "--", its own first.
    if (o.init) rangeError('argv0', 'cannot be combined with init (the init runs the command by its name)', o.argv0);
  }
  if (o.umask !== undefined && !(typeof o.umask === 'number' && Number.isInteger(o.umask) && o.umask >= 0 && o.umask <= 0o777)) {
    if (typeof o.umask !== 'number') typeError('umask', 'a file mode mask like 0o022', o.umask);
    rangeError('umask', 'must be an integer from 0 to 0o777', o.umask);
  }
  // proc(5): OOM_SCORE_ADJ_MIN -1000 to OOM_SCORE_ADJ_MAX 1000.
  if (o.oomScoreAdj !== undefined && !(typeof o.oomScoreAdj === 'number' && Number.isInteger(o.oomScoreAdj) && o.oomScoreAdj >= -1000 && o.oomScoreAdj <= 1000)) {
    if (typeof o.oomScoreAdj !== 'number') typeError('oomScoreAdj', 'an integer from -1000 to 1000', o.oomScoreAdj);
    rangeError('oomScoreAdj', 'must be an integer from -1000 to 1000', o.oomScoreAdj);
  }
  const stdio = stdioEntries(o.stdio);
  // 'inherit' past the third entry passes this process's fd of that number: it must be open.
  for (let i = 3; i < stdio.length; i++) {
    if (stdio[i] !== 'inherit') continue;
    try {
      fs.fstatSync(i);
    } catch {
      rangeError(`stdio[${i}]`, `is "inherit" but this process has no fd ${i} to pass on`, stdio[i]);
    }
  }
  if (o.rlimits !== undefined) {
    const rl = resolveRlimits(o.rlimits);
    // The child places its fds 0..n-1 after its limits are set (native/spawn/child.cc):
    // a nofile below n cannot hold them, and the program could not even have its stdio.
    const nofile = rl.find((r) => r.resource === RLIMITS.nofile);
    if (nofile && nofile.soft < stdio.length) {
      rangeError('rlimits.nofile', `must be at least ${stdio.length}: the program's fds 0 to ${stdio.length - 1} (stdio) must fit under it`, o.rlimits.nofile);
    }
  }
  if (o.encoding !== undefined) {
    if (typeof o.encoding !== 'string') typeError('encoding', '"buffer" or a Buffer encoding such as "utf8"', o.encoding);
    if (o.encoding !== 'buffer' && !Buffer.isEncoding(o.encoding)) rangeError('encoding', 'must be "buffer" or a Buffer encoding such as "utf8", "latin1", "base64"', o.encoding);
  }
  if (o.maxBuffer !== undefined) {
    // A string longer than MAX_STRING_LENGTH cannot exist; no Buffer is longer than MAX_LENGTH.
    const most = o.encoding === 'buffer' ? bufferConstants.MAX_LENGTH : bufferConstants.MAX_STRING_LENGTH;
    if (typeof o.maxBuffer !== 'number') typeError('maxBuffer', 'a number', o.maxBuffer);
    if (!Number.isInteger(o.maxBuffer) || o.maxBuffer < 1 || o.maxBuffer > most) rangeError('maxBuffer', `must be an integer from 1 to ${most}`, o.maxBuffer);
  }
  if (o.input !== undefined) {
    if (typeof o.input !== 'string' && !(o.input instanceof Uint8Array)) typeError('input', 'a string, a Buffer or a Uint8Array', o.input);
    if (o.tty) rangeError('input', 'cannot be used with tty (a terminal has no end of input)', o.input);
    if (stdio[0] !== 'pipe') rangeError('input', 'needs stdio[0] to be "pipe"', stdio[0]);
  }
  if (o.all && o.buffer === false) rangeError('all', 'needs buffer (it is collected output)', o.all);
  ms('timeout', o.timeout);
  if (o.killSignal !== undefined) {
    if (typeof o.killSignal === 'string') {
      if (!Object.hasOwn(os.constants.signals, o.killSignal)) rangeError('killSignal', 'must be a signal name such as "SIGTERM"', o.killSignal);
    } else if (typeof o.killSignal === 'number') {
      if (!Number.isInteger(o.killSignal) || o.killSignal < 1 || o.killSignal > 64) rangeError('killSignal', 'must be a signal number from 1 to 64', o.killSignal);
    } else typeError('killSignal', 'a signal name or number', o.killSignal);
  }
  if (typeof o.forceKillAfterDelay !== 'boolean') ms('forceKillAfterDelay', o.forceKillAfterDelay);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) typeError('signal', 'an AbortSignal', o.signal);
}
