// spawn(): a program in fresh namespaces, pivot_root'ed into a root filesystem,
// started by the addon with one clone3 and watched through its pidfd.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BulkheadError, IsolationError, optionRangeError } from '../errors';
import { initBinary, native } from '../native/load';
import { CAPABILITY_NAMES, capabilityNames } from '../caps/names';
import { RLIMITS } from '../security/rlimits';
import { PROC_GLOBALS } from '../security/paths';
import type { PathKind, ProcGlobals } from './plan';
import type { seccompProgram as SeccompProgram } from '../seccomp/index';

// The seccomp compiler and Docker's profile load on the first spawn that needs a
// filter: a process that makes one container without seccomp (bulkhead-oci run of
// a bundle with no linux.seccomp) does not pay for building them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const seccompProgram: typeof SeccompProgram = (...a) => (require('../seccomp/index') as typeof import('../seccomp/index')).seccompProgram(...a);
import { DEFAULT_FORCE_KILL_MS, rootDirOf, stdioEntries, validateSpawn, type SpawnOptions } from './options';
import { computePlan, NULL_STDIO } from './plan';
import { Subprocess, type ExitInfo, type RunOptions } from './subprocess';
import { Cgroup } from '../cgroup/cgroup';
import { discoverCgroupCached } from '../cgroup/discover';
import { attachDevicePolicy, DEFAULT_DEVICE_RULES, normalizeAccess, splitDev, type DeviceRule } from '../cgroup/devices/index';
import { groupName, reclaimOnce } from '../cgroup/reclaim';
import type { DeviceNode } from './plan';
import { resolveJoin, type JoinPlan } from './join';

export { ExitError, Subprocess, type CgroupUsage, type SpawnResult } from './subprocess';
export type { DeviceMapping, Encoding, IdMapping, JoinOptions, Mount, NamespaceName, Namespaces, OverlayRootfs, SpawnOptions, StdioOption } from './options';
export { childSteps } from './steps';

const isFile = (p: string): boolean => {
  try {
    return !fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};

// Facts of this kernel that every spawn needs, read once.
const kindCache = new Map<string, ReturnType<PathKind>>();
const pathKind: PathKind = (p) => {
  let k = kindCache.get(p);
  if (k === undefined) {
    try {
      k = fs.statSync(p).isDirectory() ? 'dir' : 'file';
    } catch {
      k = 'missing';
    }
    kindCache.set(p, k);
  }
  return k;
};
let capLastCache: number | undefined;
const capLast = (): number => {
  if (capLastCache === undefined) {
    try {
      capLastCache = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {
      capLastCache = CAPABILITY_NAMES.length - 1;
    }
  }
  return capLastCache;
};

let procCache: ProcGlobals | undefined;
/** The global entries of this kernel's /proc (not a pid, not a symlink), read once. */
const procGlobals = (): ProcGlobals => {
  if (procCache === undefined) {
    const entries = fs.readdirSync('/proc', { withFileTypes: true }).filter((d) => !/^\d+$/.test(d.name) && !d.isSymbolicLink());
    procCache = { names: entries.map((d) => d.name), stage: entries.find((d) => d.isDirectory())?.name };
  }
  return procCache;
};

let devNullFd: number | undefined;
/** One /dev/null for every 'ignore' without a mount namespace (O_CLOEXEC like all of node's fds; the child gets dup3 copies). */
const devNull = (): number => (devNullFd ??= fs.openSync('/dev/null', 'r+'));

let boundingCache: ReadonlySet<string> | undefined;
/** This process's bounding set, by name (CapBnd in proc(5)'s /proc/pid/status). */
const bounding = (): ReadonlySet<string> => {
  if (boundingCache === undefined) {
    const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 'ffffffffffffffff';
    boundingCache = new Set(capabilityNames(BigInt(`0x${hex}`)));
  }
  return boundingCache;
};

/** cgroup2's f_type (statfs(2), linux/magic.h CGROUP2_SUPER_MAGIC). */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * A `cgroup` option must be a directory on cgroup2: clone3 would refuse any
 * other fd with a bare EBADF. Missing is an IsolationError (it may have been
 * removed meanwhile); anything else is a RangeError naming the option.
 */
function cgroupDirProblem(dir: string): IsolationError | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return new IsolationError(`${e.code}: cgroup ${dir} does not exist`, { code: e.code ?? 'ENOENT', errno: e.errno, syscall: 'stat', step: 'cgroup', path: dir, cause: e });
  }
  if (!st.isDirectory()) throw optionRangeError('spawn', 'cgroup', 'must be a cgroup v2 directory (this is not a directory)', dir);
  if (fs.statfsSync(dir).type !== CGROUP2_SUPER_MAGIC) {
    throw optionRangeError('spawn', 'cgroup', 'must be a directory on a cgroup2 filesystem (statfs says it is not)', dir);
  }
  return undefined;
}

/** The options of the run itself, as the handle uses them. */
function runOptions(o: SpawnOptions): RunOptions {
  const force = o.forceKillAfterDelay;
  return {
    buffer: o.buffer ?? true,
    reject: o.reject ?? true,
    ...(o.encoding !== undefined ? { encoding: o.encoding } : {}),
    ...(o.maxBuffer !== undefined ? { maxBuffer: o.maxBuffer } : {}),
    ...(o.all !== undefined ? { all: o.all } : {}),
    ...(o.input !== undefined ? { input: o.input } : {}),
    ...(o.timeout ? { timeout: o.timeout } : {}),
    ...(o.killSignal !== undefined ? { killSignal: o.killSignal } : {}),
    forceKillAfterDelay: force === false ? false : force === true || force === undefined ? DEFAULT_FORCE_KILL_MS : force,
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  };
}

/**
 * The host nodes of spawn's `devices`, resolved by stat(2) (symlinks followed), and
 * the device rules: Docker's defaults plus one per node. An IsolationError (step
 * 'devices') for a path that is missing or not a device node.
 */
function resolveDevices(o: SpawnOptions): { nodes: DeviceNode[]; rules: readonly DeviceRule[] | null } | IsolationError {
  if (o.devices === 'unrestricted') return { nodes: [], rules: null };
  if (o.devices === undefined || o.devices.length === 0) return { nodes: [], rules: DEFAULT_DEVICE_RULES };
  const nodes: DeviceNode[] = [];
  const rules = [...DEFAULT_DEVICE_RULES];
  for (const d of o.devices) {
    let st: fs.Stats;
    try {
      st = fs.statSync(d.path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return new IsolationError(`${e.code}: device ${d.path} cannot be used (${e.message})`, { code: e.code ?? 'ENOENT', errno: e.errno, syscall: 'stat', step: 'devices', path: d.path });
    }
    if (!st.isBlockDevice() && !st.isCharacterDevice()) {
      return new IsolationError(`ENODEV: device ${d.path} is not a block or character device node`, { code: 'ENODEV', syscall: 'stat', step: 'devices', path: d.path });
    }
    const type = st.isBlockDevice() ? 'b' : 'c';
    nodes.push({ source: d.path, target: containerDevicePath(d.containerPath ?? d.path), type, rdev: st.rdev, mode: st.mode & 0o7777 });
    rules.push({ type, ...splitDev(st.rdev), access: normalizeAccess(d.permissions ?? 'rwm') as string });
  }
  return { nodes, rules };
}

/** A containerPath, normalized as mounts' targets are (validated already). */
const containerDevicePath = (p: string): string => path.posix.normalize(p).replace(/\/$/, '');

/** A handle whose promise rejects with why the process never started (a reason, or a promise of one). */
function failed<Out extends string | Buffer>(command: string, err: unknown): Subprocess<Out> {
  const why = err instanceof Promise ? (err as Promise<never>) : Promise.reject(err);
  return new Subprocess<Out>(undefined, command, null, [null, null, null], why, Number(process.hrtime.bigint()), {
    buffer: false,
    reject: true,
  });
}

/** Turns the addon's error into an IsolationError that names the step and the path. */
function isolationError(err: NodeJS.ErrnoException & { step?: string; index?: number }, plan: ReturnType<typeof computePlan>, join?: JoinPlan): IsolationError {
  const step = err.step ?? err.syscall ?? 'spawn';
  let p = err.path;
  if (p === undefined && step === 'join_pid') p = `pid namespace (fd ${plan.joinPidFd})`;
  if (p === undefined && typeof err.index === 'number' && err.index >= 0) {
    if (step === 'join') p = join?.what[err.index] ?? `namespace fd ${plan.joins?.[err.index]?.fd}`;
    else if (step === 'execve') p = plan.files[err.index];
    else if (step === 'dup') p = `fd ${err.index}`;
    else if (step === 'prlimit') p = `RLIMIT_${Object.keys(RLIMITS).find((k) => RLIMITS[k] === err.index)?.toUpperCase()}`;
    else if (step === 'capbset') p = `CAP_${CAPABILITY_NAMES[err.index] ?? err.index}`;
    else p = plan.ops[err.index]?.target;
  }
  if (p === undefined && step === 'execve') p = plan.files.length === 1 ? plan.files[0] : plan.argv[0];
  if (p === undefined && step === 'chdir') p = plan.cwd;
  const code = err.code ?? 'EUNKNOWN';
  // Placing fd n needs n below RLIMIT_NOFILE, and the child first lifts each fd above
  // all of the parent's (fcntl(2) F_DUPFD: EINVAL at or above the limit).
  const nofile = plan.rlimits?.find((r) => r.resource === RLIMITS.nofile);
  const why = step === 'dup' && nofile && (code === 'EINVAL' || code === 'EMFILE')
    ? `; rlimits.nofile ${nofile.soft} is too low for the child to place its stdio (it needs room above this process's open fds)`
    : '';
  return new IsolationError(`${code}: ${step} failed${p ? ` for ${p}` : ''} (${err.message})${why}`, {
    code,
    errno: err.errno,
    syscall: err.syscall ?? step,
    step,
    path: p,
    cause: err,
  });
}

export function spawn(command: string, args: string[], options: SpawnOptions & { encoding: 'buffer' }): Subprocess<Buffer>;
export function spawn(command: string, args?: string[], options?: SpawnOptions): Subprocess<string>;
export function spawn(command: string, args: string[] = [], options?: SpawnOptions): Subprocess<string | Buffer> {
  const ns = validateSpawn(command, args, options);
  const o = options ?? {};
  const started = Number(process.hrtime.bigint());
  if (o.cgroup !== undefined) {
    const missing = cgroupDirProblem(o.cgroup);
    if (missing) return failed(command, missing);
  }
  if (o.rootfs !== undefined) {
    const dir = rootDirOf(o.rootfs);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dir);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return failed(command, new IsolationError(`${e.code}: rootfs ${dir} cannot be used (${e.message})`, { code: e.code ?? 'ENOENT', errno: e.errno, syscall: 'stat', step: 'rootfs', path: dir }));
    }
    if (!st.isDirectory()) {
      return failed(command, new IsolationError(`ENOTDIR: rootfs ${dir} is not a directory`, { code: 'ENOTDIR', syscall: 'stat', step: 'rootfs', path: dir }));
    }
  }
  let init: string | undefined;
  try {
    init = o.init ? initBinary() : undefined;
  } catch (err) {
    // A missing bulkhead-init is this installation's failure, reported through the promise.
    return failed(command, err);
  }
  if (o.join !== undefined) return spawnJoined(command, args, o, started);
  const devices = resolveDevices(o);
  if (devices instanceof IsolationError) return failed(command, devices);
  const plan = computePlan({
    command,
    args,
    options: o,
    ns,
    isFile,
    hostUid: ns.user ? (process.getuid?.() ?? 0) : 0,
    hostGid: ns.user ? (process.getgid?.() ?? 0) : 0,
    pathKind,
    capLast: capLast(),
    capAvailable: bounding(),
    initBinary: init,
    procGlobals: ns.mount && o.readonlyPaths?.includes(PROC_GLOBALS) ? procGlobals() : undefined,
    devices: devices.nodes,
    // compileCached inside keeps one program per profile and capability set.
    seccomp: (caps) => seccompProgram((o.seccomp ?? true) as Parameters<typeof seccompProgram>[0], caps) ?? undefined,
  });

  // Everything is checked and computed by now, nothing created yet.
  if (o.signal?.aborted) {
    return failed(command, new BulkheadError(`Command was canceled before it started: ${[command, ...args].join(' ')}`, { code: 'ERR_BULKHEAD_CANCELED', cause: o.signal.reason }));
  }

  // Every container gets a group of its own (under `cgroup` when given): its cgroup
  // namespace is rooted there, and the device program is attached to it before the
  // program runs. Only with no v2 hierarchy at all, no limits and no device list
  // (devices: 'unrestricted') is there nothing to make; with a device list that
  // cannot be enforced the spawn fails closed.
  let group: Cgroup | undefined;
  if (o.limits === undefined && devices.rules !== null && discoverCgroupCached().mountpoint === null) {
    return failed(command, new IsolationError("ENOTSUP: no cgroup v2 hierarchy is mounted, so the device allow list cannot be enforced; pass devices: 'unrestricted' to run without one", { code: 'ENOTSUP', syscall: 'open', step: 'devices', path: '/proc/self/mountinfo' }));
  }
  if (o.limits !== undefined || devices.rules !== null || discoverCgroupCached().mountpoint !== null) {
    try {
      group = Cgroup.create(groupName(), o.limits, o.cgroup !== undefined ? { parent: o.cgroup } : {});
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw err;
      if (o.cgroup !== undefined && (err as NodeJS.ErrnoException).code === 'ENOENT' && (err as { op?: string }).op === 'open') {
        return failed(command, new IsolationError(`ENOENT: cgroup ${o.cgroup} does not exist`, { code: 'ENOENT', syscall: 'open', step: 'cgroup', path: o.cgroup }));
      }
      return failed(command, err);
    }
    // Groups of a Node process that died before removing them, once per parent and process.
    reclaimOnce(path.dirname(group.path));
  }
  const cgroupDir = group?.path;

  const stdio = stdioEntries(o.stdio);
  const toClose: number[] = [];
  const parentEnds: Array<number | null> = stdio.map(() => null);
  const childFds: number[] = [];
  let cgroupFd: number | undefined;
  try {
    stdio.forEach((s, i) => {
      // With a tty the child's 0, 1 and 2 are the pty's slave: no pipe to make (or leak).
      if (o.tty && i < 3) childFds.push(NULL_STDIO);
      else if (s === 'inherit') childFds.push(i);
      else if (typeof s === 'number') childFds.push(s);
      else if (s === 'ignore') childFds.push(ns.mount ? NULL_STDIO : devNull());
      else {
        const [r, w] = native().pipe();
        parentEnds[i] = i === 0 ? w : r;
        const child = i === 0 ? r : w;
        toClose.push(child);
        childFds.push(child);
      }
    });
    if (cgroupDir !== undefined) {
      cgroupFd = fs.openSync(cgroupDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      // Attached before the clone: the program is in force from the child's first step.
      if (devices.rules !== null) attachDevicePolicy(cgroupFd, cgroupDir, devices.rules);
      if (o.legacyClone) plan.cgroupProcs = `${cgroupDir}/cgroup.procs`;
      else plan.cgroupFd = cgroupFd;
    }
    const { pid, pidfd, ptyMaster } = native().spawn({ ...plan, stdio: childFds.slice(0, 3) as [number, number, number], fds: childFds.slice(3) });
    let resolveExit!: (e: ExitInfo | Promise<ExitInfo>) => void;
    const exited = new Promise<ExitInfo>((r) => (resolveExit = r));
    const watch = new (native().ProcessWatch)(pidfd, pid, (exitCode, signal, rusage) => {
      const e: ExitInfo = { exitCode, signal: signal as NodeJS.Signals | null, rusage };
      if (!group) return resolveExit(e);
      const g = group;
      if (o.limits === undefined) return resolveExit(g.destroy().then(() => e));
      // The counters first, then the group goes: kill what is left, wait until empty, rmdir.
      let counted = {};
      try {
        const { oomKills, ...usage } = g.usage();
        counted = { usage, oomKilled: oomKills > 0 };
      } catch {
        // Counters that cannot be read are left out; the group goes all the same.
      }
      resolveExit(g.destroy().then(() => ({ ...e, ...counted })));
    });
    const sub = new Subprocess<string | Buffer>(pid, [command, ...args].join(' '), watch, parentEnds, exited, started, {
      ...runOptions(o),
      ...(ptyMaster !== undefined ? { resize: (rows: number, cols: number) => native().setWindowSize(ptyMaster, rows, cols) } : {}),
    }, ptyMaster ?? null);
    sub.cgroup = group ?? null;
    return sub;
  } catch (err) {
    for (const fd of parentEnds) if (fd !== null) fs.closeSync(fd);
    const e = err as NodeJS.ErrnoException & { step?: string };
    const programming = e instanceof TypeError || e.code === undefined;
    const reason = programming
      ? err
      : e.code === 'ENOENT' && e.syscall === 'open' && cgroupDir
        ? new IsolationError(`ENOENT: cgroup ${cgroupDir} does not exist`, { code: 'ENOENT', syscall: 'open', step: 'cgroup', path: cgroupDir })
        : e.name === 'DeviceProgramError'
          ? err
          : isolationError(e, plan);
    if (group) {
      // Nothing ran in the group: it goes at once, so a failed spawn leaves none behind.
      const gone = group.destroy();
      if (programming) {
        gone.catch(() => undefined);
        throw err;
      }
      return failed(command, gone.then(() => Promise.reject(reason), () => Promise.reject(reason)));
    }
    if (programming) throw err;
    return failed(command, reason);
  } finally {
    for (const fd of toClose) fs.closeSync(fd);
    if (cgroupFd !== undefined) fs.closeSync(cgroupFd);
  }
}

/**
 * spawn with `join`: the program enters a running process's namespaces and
 * cgroup (docker exec). No group, device program or mount is made: the ones of
 * the process it joins are in force.
 */
function spawnJoined(command: string, args: string[], o: SpawnOptions, started: number): Subprocess<string | Buffer> {
  let join: JoinPlan;
  try {
    join = resolveJoin(o.join!);
  } catch (err) {
    return failed(command, err);
  }
  const none = { pid: false, mount: false, uts: false, ipc: false, net: false, cgroup: false, user: false, time: false };
  const plan = computePlan({
    command,
    args,
    options: o,
    ns: none,
    isFile,
    hostUid: 0,
    hostGid: 0,
    capLast: capLast(),
    capAvailable: bounding(),
    seccomp: (caps) => seccompProgram((o.seccomp ?? true) as Parameters<typeof seccompProgram>[0], caps) ?? undefined,
  });
  plan.joins = join.joins;
  // The container's processes are there before this one: until its execve they
  // must not ptrace it (it holds our fds and a copy of our memory).
  plan.dumpable = false;
  if (join.joinPidFd !== undefined) plan.joinPidFd = join.joinPidFd;
  if (o.signal?.aborted) {
    join.close();
    return failed(command, new BulkheadError(`Command was canceled before it started: ${[command, ...args].join(' ')}`, { code: 'ERR_BULKHEAD_CANCELED', cause: o.signal.reason }));
  }
  const stdio = stdioEntries(o.stdio);
  const toClose: number[] = [];
  const parentEnds: Array<number | null> = stdio.map(() => null);
  const childFds: number[] = [];
  let cgroupFd: number | undefined;
  try {
    stdio.forEach((s, i) => {
      if (o.tty && i < 3) childFds.push(NULL_STDIO);
      else if (s === 'inherit') childFds.push(i);
      else if (typeof s === 'number') childFds.push(s);
      // The container's own /dev/null once its mount namespace is entered.
      else if (s === 'ignore') childFds.push(join.mount ? NULL_STDIO : devNull());
      else {
        const [r, w] = native().pipe();
        parentEnds[i] = i === 0 ? w : r;
        const child = i === 0 ? r : w;
        toClose.push(child);
        childFds.push(child);
      }
    });
    if (join.cgroup !== undefined) {
      // A task that enters a frozen group is frozen at once (cgroup-v2.rst,
      // "Core Interface Files": cgroup.freeze), before its execve: this call,
      // which waits for that execve, would never return. Refused instead; the
      // freeze is requested by writing cgroup.freeze, read here.
      let frozen = false;
      try {
        frozen = fs.readFileSync(path.join(join.cgroup, 'cgroup.freeze'), 'utf8').trim() === '1';
      } catch {
        // No freezer file (the root group, or cgroup v1): nothing can be frozen.
      }
      if (frozen) throw new IsolationError(`EBUSY: cgroup ${join.cgroup} is frozen; the program would freeze before it starts`, { code: 'EBUSY', syscall: 'open', step: 'cgroup', path: join.cgroup });
      try {
        cgroupFd = fs.openSync(join.cgroup, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new IsolationError(`${e.code}: cgroup ${join.cgroup} cannot be entered (${e.message})`, { code: e.code ?? 'ENOENT', errno: e.errno, syscall: 'open', step: 'cgroup', path: join.cgroup, cause: e });
      }
      plan.cgroupFd = cgroupFd;
    }
    const { pid, pidfd, ptyMaster } = native().spawn({ ...plan, stdio: childFds.slice(0, 3) as [number, number, number], fds: childFds.slice(3) });
    let resolveExit!: (e: ExitInfo | Promise<ExitInfo>) => void;
    const exited = new Promise<ExitInfo>((r) => (resolveExit = r));
    const watch = new (native().ProcessWatch)(pidfd, pid, (exitCode, signal, rusage) => resolveExit({ exitCode, signal: signal as NodeJS.Signals | null, rusage }));
    return new Subprocess<string | Buffer>(pid, [command, ...args].join(' '), watch, parentEnds, exited, started, {
      ...runOptions(o),
      ...(ptyMaster !== undefined ? { resize: (rows: number, cols: number) => native().setWindowSize(ptyMaster, rows, cols) } : {}),
    }, ptyMaster ?? null);
  } catch (err) {
    for (const fd of parentEnds) if (fd !== null) fs.closeSync(fd);
    const e = err as NodeJS.ErrnoException & { step?: string };
    if (e instanceof IsolationError) return failed(command, e);
    if (e instanceof TypeError || e.code === undefined) throw err;
    return failed(command, isolationError(e, plan, join));
  } finally {
    for (const fd of toClose) fs.closeSync(fd);
    if (cgroupFd !== undefined) fs.closeSync(cgroupFd);
    join.close();
  }
}
