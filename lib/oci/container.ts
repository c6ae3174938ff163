// The container operations behind `bulkhead-oci`: create (everything set up, the
// process waiting on exec.fifo before execve), start (open the FIFO for reading),
// kill, delete, pause/resume, ps, update. Each acts under the id's lock and
// leaves nothing half-made: a failed create removes its process, group and state.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from '../spawn/index';
import { native } from '../native/load';
import { discoverCgroupCached } from '../cgroup/discover';
import { Cgroup } from '../cgroup/cgroup';
import type { Limits } from '../cgroup/controllers';
import { fromOciSpec, OciSpecError, type FromOciResult, type OciHook } from './spec';
import { runHooks, runHooksJoined } from './hooks';
import { alive, OciError, StateStore, type OciState, type StoredState } from './state';

/** openat(2)'s "relative to the cwd" dirfd (fcntl.h). */
const AT_FDCWD = -100;

// O_PATH (open(2)), not in Node's fs.constants: an fd that names the FIFO without opening it.
const O_PATH = 0o10000000;

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  /** run: stdio of the container as this process's own 0, 1, 2 (default), or a tty through consoleSocket. */
  warn?: (msg: string) => void;
}

/** config.json of a bundle, parsed; errors name the file and what is wrong. */
export function loadBundle(bundle: string): FromOciResult {
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new OciError(e.code === 'ENOENT' ? `JSON specification file ${file} not found` : `cannot read ${file}: ${e.message}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new OciError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  try {
    return fromOciSpec(config, bundle);
  } catch (err) {
    if (err instanceof OciSpecError) throw new OciError(err.message);
    throw err;
  }
}

/**
 * cgroupsPath as a directory of the v2 hierarchy: "/a/b" below the mount point;
 * "slice:prefix:name" (the systemd driver's form, which containerd may pass) as
 * the path slice/prefix-name.scope, made by hand since --systemd-cgroup is off.
 */
export function cgroupDir(cgroupsPath: string, mountpoint: string): string {
  let rel = cgroupsPath;
  const parts = cgroupsPath.split(':');
  if (parts.length === 3 && !cgroupsPath.startsWith('/')) rel = path.posix.join('/', parts[0] || 'system.slice', `${parts[1] ? `${parts[1]}-` : ''}${parts[2]}.scope`);
  const norm = path.posix.normalize('/' + rel);
  if (norm.split('/').includes('..')) throw new OciError(`linux.cgroupsPath ${cgroupsPath} climbs out of the hierarchy`);
  return path.join(mountpoint, norm);
}

function mkdirMissing(dir: string): string | null {
  // The first directory created, so that a failure or delete removes only what was made.
  let first: string | null = null;
  const parts = dir.split('/').filter(Boolean);
  let cur = '';
  for (const p of parts) {
    cur += '/' + p;
    try {
      fs.mkdirSync(cur);
      first ??= cur;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return first;
}

/** rmdir of dir and its empty parents up to (and including) top. */
function rmdirUpTo(dir: string, top: string): void {
  let cur = dir;
  for (;;) {
    try {
      fs.rmdirSync(cur);
    } catch {
      return;
    }
    if (cur === top || !cur.startsWith(top)) return;
    cur = path.dirname(cur);
  }
}

export interface Created {
  state: StoredState;
  /** The exit, for a caller that stays (run); create exits without waiting. */
  exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
}

export async function create(store: StateStore, id: string, o: CreateOptions): Promise<Created> {
  const bundle = path.resolve(o.bundle);
  const spec = loadBundle(bundle);
  for (const w of spec.warnings) o.warn?.(w);
  if (spec.options.tty && o.consoleSocket === undefined) throw new OciError('cannot allocate tty if runc will detach without setting console socket');
  if (!spec.options.tty && o.consoleSocket !== undefined) throw new OciError('cannot use console socket if runc will not detach or allocate tty');
  const release = store.lock(id);
  let made: { group?: Cgroup; parentMade?: string | null; pid?: number; pidfd?: number } = {};
  const nsFds: number[] = [];
  let fifoFd: number | undefined;
  try {
    store.reserve(id);
    try {
      const fifo = store.fifo(id);
      // 0622 as runc's: the program may run as any uid when it opens it for writing.
      native().mkfifo(fifo, 0o622);
      fs.chmodSync(fifo, 0o622);
      fifoFd = fs.openSync(fifo, O_PATH);
      const options = { ...spec.options, startFifo: fifoFd, stdio: [0, 1, 2] as number[] };
      for (const [type, file] of Object.entries(spec.nsPaths)) {
        const fd = openNamespace(type, file);
        nsFds.push(fd);
        if (type === 'network') options.netns = fd;
        else options.sharedNamespaces = { ...options.sharedNamespaces, [type]: fd };
      }
      if (spec.cgroupsPath !== undefined && spec.cgroupsPath !== '') {
        const mp = discoverCgroupCached().mountpoint;
        if (mp === null) throw new OciError('linux.cgroupsPath is set but no cgroup v2 hierarchy is mounted');
        const dir = cgroupDir(spec.cgroupsPath, mp);
        made.parentMade = mkdirMissing(dir);
        options.cgroup = dir;
      }
      if (spec.options.tty) delete (options as { stdio?: unknown }).stdio;
      if (spec.devicesToMake.length) {
        // Nodes the host lacks: made under the state directory (removed with it), mapped to their paths.
        const devDir = path.join(store.dir(id), 'dev');
        fs.mkdirSync(devDir, { mode: 0o700 });
        const made = spec.devicesToMake.map((d, i) => {
          const node = path.join(devDir, String(i));
          native().mknodat(AT_FDCWD, node, (d.type === 'b' ? fs.constants.S_IFBLK : fs.constants.S_IFCHR) | d.fileMode, d.major, d.minor);
          fs.chmodSync(node, d.fileMode);
          return { path: node, containerPath: d.path, permissions: d.permissions };
        });
        options.devices = [...(Array.isArray(options.devices) ? options.devices : []), ...made];
      }
      const sub = spawn(spec.command, spec.args, options);
      // A failure before the wait rejects at once; a waiting child has a pid.
      if (sub.pid === undefined) await sub;
      made = { ...made, pid: sub.pid, ...(sub.cgroup ? { group: sub.cgroup } : {}) };
      if (sub.pty && o.consoleSocket !== undefined) {
        const fd = (sub.pty as unknown as { _handle?: { fd?: number } })._handle?.fd;
        if (fd === undefined || fd < 0) throw new OciError('the pty master has no fd to send');
        native().sendFd(o.consoleSocket, fd, '/dev/ptmx');
      }
      const state: StoredState = {
        id,
        pid: sub.pid as number,
        startTime: startTimeOf(sub.pid as number),
        bundle,
        rootfs: spec.options.rootfs as string,
        created: new Date().toISOString(),
        annotations: spec.annotations,
        cgroup: sub.cgroup?.path ?? null,
        cgroupParentMade: made.parentMade ?? null,
        poststop: spec.hooks.poststop,
      };
      store.write(state);
      const st = store.state(id);
      runHooks('prestart', spec.hooks.prestart, st);
      runHooks('createRuntime', spec.hooks.createRuntime, st);
      // runtime.md "Lifecycle" step 6 is over (the runtime environment made);
      // the program still waits on exec.fifo. The state says "creating", as
      // runc's does for this hook.
      if (spec.hooks.createContainer.length) await hooksInContainer('createContainer', spec.hooks.createContainer, { ...st, status: 'creating' }, state);
      if (o.pidFile !== undefined) writePidFile(o.pidFile, state.pid);
      return { state, exited: Promise.resolve(sub).then((r) => ({ exitCode: r.exitCode ?? null, signal: (r.signal ?? null) as NodeJS.Signals | null })) };
    } catch (err) {
      // Nothing half-made: the waiting process, its group, the state directory.
      if (made.pid !== undefined) {
        try {
          process.kill(made.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      if (made.group) await made.group.destroy().catch(() => undefined);
      if (made.parentMade) rmdirUpTo(path.dirname(made.group?.path ?? made.parentMade + '/x'), made.parentMade);
      store.remove(id);
      throw err;
    }
  } finally {
    if (fifoFd !== undefined) fs.closeSync(fifoFd);
    for (const fd of nsFds) fs.closeSync(fd);
    release();
  }
}

/** /proc/<pid>/ns's names of the spec's namespace types (the link text "net:[4026531840]"). */
const NS_PROC_NAME: Record<string, string> = { network: 'net', pid: 'pid', ipc: 'ipc', uts: 'uts', cgroup: 'cgroup', mount: 'mnt', user: 'user', time: 'time' };

/** nsfs's f_type (statfs(2), linux/magic.h NSFS_MAGIC). */
const NSFS_MAGIC = 0x6e736673;

/**
 * Opens a linux.namespaces[].path and checks that it is a namespace of that
 * type. A /proc/<pid>/ns/<x> file's fd reads back through /proc/self/fd as
 * "x:[inode]" (namespaces(7), "The /proc/[pid]/ns/ directory"), which names its
 * type; a bind mount of one (ip netns's /run/netns/NAME) reads back as its path,
 * so there statfs says whether it is a namespace at all, and the child's
 * setns(2), given the type, refuses one of another type (EINVAL).
 */
export function openNamespace(type: string, file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new OciError(`${type} namespace path ${file}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
  }
  let link = '';
  try {
    link = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    // unreadable: not a namespace we can vouch for
  }
  const want = NS_PROC_NAME[type] ?? type;
  const kind = /^(\w+):\[\d+\]$/.exec(link)?.[1];
  let nsfs = kind !== undefined;
  if (!nsfs) {
    try {
      nsfs = fs.statfsSync(file).type === NSFS_MAGIC;
    } catch {
      nsfs = false;
    }
  }
  if (!nsfs || (kind !== undefined && kind !== want)) {
    fs.closeSync(fd);
    throw new OciError(`${type} namespace path ${file} is not a ${type} namespace${kind ? ` (it is a ${kind} namespace)` : ''}`);
  }
  return fd;
}

/**
 * Runs createContainer or startContainer hooks in the namespaces and group of
 * the container's init (hooks.ts runHooksJoined). Through a pidfd opened before
 * the init's start time is checked again: never a process that took a recycled pid.
 */
async function hooksInContainer(kind: string, hooks: readonly OciHook[], st: OciState, s: StoredState): Promise<void> {
  let pidfd: number;
  try {
    pidfd = native().pidfdOpen(s.pid);
  } catch {
    throw new OciError(`${kind} hooks: the container process has exited`);
  }
  try {
    if (!alive(s.pid, s.startTime)) throw new OciError(`${kind} hooks: the container process has exited`);
    await runHooksJoined(kind, hooks, st, pidfd, s.cgroup ?? undefined);
  } finally {
    fs.closeSync(pidfd);
  }
}

function startTimeOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function writePidFile(file: string, pid: number): void {
  // runc writes it through a temp file and rename, as here.
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}`);
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, file);
}

/** Releases a created container: open the FIFO for reading, take the byte, remove the FIFO. */
export async function start(store: StateStore, id: string, warn?: (m: string) => void): Promise<void> {
  const release = store.lock(id);
  try {
    const s = store.read(id);
    const status = store.status(id, s);
    if (status === 'stopped') throw new OciError('cannot start a container that has stopped');
    if (status !== 'created' || s === null) throw new OciError(`cannot start an already running container`);
    const config = loadBundle(s.bundle);
    if (config.hooks.startContainer.length) {
      // Before the FIFO is released: "before the user-specified process is
      // executed" (config.md). A failure stops the container, as runc's, whose
      // init runs them after the FIFO and exits on a failure; here `start` also
      // says so. The state stays, stopped, for delete (and its poststop hooks).
      try {
        await hooksInContainer('startContainer', config.hooks.startContainer, store.state(id), s);
      } catch (err) {
        stopInit(s);
        throw err;
      }
    }
    // O_NONBLOCK: the open succeeds with no writer, and the waiting open(O_WRONLY)
    // in the child completes at once (fifo(7)). Then poll for its byte, watching
    // the process: one that died meanwhile never writes.
    const fd = fs.openSync(store.fifo(id), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(1);
      for (let i = 0; ; i++) {
        let n = 0;
        try {
          n = fs.readSync(fd, buf, 0, 1, null);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        }
        if (n === 1) break;
        if (store.status(id, s) === 'stopped') throw new OciError('container process exited before start');
        if (i > 10000) throw new OciError('container did not open exec.fifo within 10 s');
        await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(store.fifo(id), { force: true });
    runHooks('poststart', config.hooks.poststart, store.state(id), warn);
  } finally {
    release();
  }
}

/** SIGKILL to the init (and what else is in its group), so that it never runs the program. */
function stopInit(s: StoredState): void {
  try {
    if (s.cgroup) fs.writeFileSync(path.join(s.cgroup, 'cgroup.kill'), '1');
    else process.kill(s.pid, 'SIGKILL');
  } catch {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

export function kill(store: StateStore, id: string, signal: number, all: boolean): void {
  const release = store.lock(id);
  try {
    const s = store.read(id);
    const status = store.status(id, s);
    if (s === null || status === 'stopped') throw new OciError('container not running');
    if (all && s.cgroup) {
      for (const pid of procs(s.cgroup)) {
        try {
          process.kill(pid, signal);
        } catch {
          // exited meanwhile
        }
      }
      return;
    }
    // pid and start time were checked just above (status): a pid recycled since then would need
    // the container to exit and its pid to be given to another process within this call.
    process.kill(s.pid, signal);
  } finally {
    release();
  }
}

function procs(group: string): number[] {
  try {
    return fs.readFileSync(path.join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function ps(store: StateStore, id: string): number[] {
  const s = store.read(id);
  if (s === null) throw new OciError(`container ${id} is still being created`);
  if (s.cgroup) return procs(s.cgroup);
  return store.status(id, s) === 'stopped' ? [] : [s.pid];
}

export async function remove(store: StateStore, id: string, force: boolean, warn?: (m: string) => void): Promise<void> {
  const release = store.lock(id);
  try {
    let s: StoredState | null;
    try {
      s = store.read(id);
    } catch (err) {
      if (force && err instanceof OciError) return; // runc: delete --force of a missing id is no error
      throw err;
    }
    const status = store.status(id, s);
    if (status !== 'stopped' && status !== 'created' && !force) throw new OciError(`cannot delete container ${id} that is not stopped: ${status}`);
    if (s !== null) {
      if (status !== 'stopped') {
        if (s.cgroup) {
          // Thaw first: a frozen task does not die until thawed (cgroup-v2.rst "cgroup.freeze").
          try {
            fs.writeFileSync(path.join(s.cgroup, 'cgroup.freeze'), '0');
          } catch {
            // no freezer here
          }
        }
        try {
          process.kill(s.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      if (s.cgroup) {
        await killGroupAndRemove(s.cgroup);
        if (s.cgroupParentMade) rmdirUpTo(path.dirname(s.cgroup), s.cgroupParentMade);
      }
      const st = store.state(id);
      store.remove(id);
      runHooks('poststop', s.poststop, { ...st, status: 'stopped' }, warn);
    } else {
      store.remove(id);
    }
  } finally {
    release();
  }
}

async function killGroupAndRemove(dir: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') throw err;
    }
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    } catch {
      for (const pid of procs(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new OciError(`cgroup ${dir} still holds processes after SIGKILL`);
}

export function freeze(store: StateStore, id: string, on: boolean): void {
  const release = store.lock(id);
  try {
    const s = store.read(id);
    const status = store.status(id, s);
    if (s === null || status === 'stopped' || status === 'created') throw new OciError('container not running');
    if (!s.cgroup) throw new OciError('pause needs a cgroup v2 group (cgroup.freeze)');
    fs.writeFileSync(path.join(s.cgroup, 'cgroup.freeze'), on ? '1' : '0');
  } finally {
    release();
  }
}

/** update --resources: the spec's LinuxResources, applied to the live group. */
export function update(store: StateStore, id: string, resources: unknown): void {
  const release = store.lock(id);
  try {
    const s = store.read(id);
    if (s === null || store.status(id, s) === 'stopped') throw new OciError('container not running');
    if (!s.cgroup) throw new OciError('update needs a cgroup v2 group');
    let limits: Limits | undefined;
    try {
      limits = fromOciSpec({ ociVersion: '1.0.2', process: { args: ['x'], cwd: '/', user: { uid: 0, gid: 0 } }, root: { path: '.' }, linux: { namespaces: [{ type: 'mount' }], resources } }, '/').options.limits;
    } catch (err) {
      if (err instanceof OciSpecError) throw new OciError(err.message.replace('config.json: linux.resources', 'resources'));
      throw err;
    }
    if (limits) Cgroup.open(s.cgroup).set(limits);
  } finally {
    release();
  }
}

export function stateOf(store: StateStore, id: string): OciState {
  return store.state(id);
}
