// The runtime's state under --root (default /run/bulkhead-oci): one directory
// per container id holding state.json (written atomically: temp, fsync, rename)
// and, between create and start, exec.fifo (runc's name). A lock file per id
// (lib/util/lock.ts) serializes the commands acting on one container.
//
// Status (runtime-spec runtime.md "State"), decided from the kernel, never from
// a stored word, so that it is true across invocations and after any kill:
//   creating  the directory exists, state.json not yet (create is under way);
//   created   the process lives (pid + start time, proc(5) field 22) and exec.fifo is still there;
//   running   it lives and the FIFO is gone (start opened it and removed it);
//   paused    it lives and its group is frozen (cgroup.events "frozen 1");
//   stopped   no such process, a zombie, or a pid that now names another process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic, removeStaleTemps } from '../util/atomic';
import { acquireFileLock } from '../util/lock';
import { sameProcess } from '../util/proc';

export const DEFAULT_ROOT = '/run/bulkhead-oci';
export const OCI_VERSION = '1.0.2';

export interface StoredState {
  id: string;
  pid: number;
  /** proc(5) field 22 of pid: a recycled pid has another. */
  startTime: number;
  bundle: string;
  rootfs: string;
  created: string;
  annotations: Record<string, string>;
  /** The container's own cgroup v2 directory, or null. */
  cgroup: string | null;
  /** The directory spawn created that group in, when this runtime made it (removed at delete). */
  cgroupParentMade: string | null;
  /** poststop hooks, run at delete. */
  poststop: Array<{ path: string; args?: string[]; env?: string[]; timeout?: number }>;
}

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface OciState {
  ociVersion: string;
  id: string;
  status: Status;
  pid?: number;
  bundle: string;
  rootfs?: string;
  created?: string;
  owner?: string;
  annotations?: Record<string, string>;
}

export class OciError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OciError';
  }
}

// runc's validateID: letters, digits and _+-. only, so an id never escapes --root.
const ID = /^[\w+\-.]+$/;

export class StateStore {
  constructor(readonly root: string = DEFAULT_ROOT) {}

  static checkId(id: string): void {
    if (!ID.test(id) || id === '.' || id === '..') throw new OciError(`invalid id format: ${id}`);
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }
  fifo(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Takes the per-id lock; the release is returned. */
  lock(id: string): () => void {
    StateStore.checkId(id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      return acquireFileLock(path.join(this.root, `.${id}.lock`), `container ${id}`);
    } catch (err) {
      throw new OciError((err as Error).message);
    }
  }

  exists(id: string): boolean {
    return fs.existsSync(this.dir(id));
  }

  /** Makes the container's directory; an id in use is refused as runc does. */
  reserve(id: string): void {
    StateStore.checkId(id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      fs.mkdirSync(this.dir(id), { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new OciError(`container with id exists: ${id}`);
      throw err;
    }
  }

  write(s: StoredState): void {
    writeJsonAtomic(path.join(this.dir(s.id), 'state.json'), s, { syncDir: true });
  }

  /** The stored state, null while creating; throws "container does not exist" for an unknown id. */
  read(id: string): StoredState | null {
    StateStore.checkId(id);
    if (!this.exists(id)) throw new OciError(`container does not exist: ${id}`);
    removeStaleTemps(this.dir(id));
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir(id), 'state.json'), 'utf8')) as StoredState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new OciError(`state of ${id} is unreadable: ${(err as Error).message}`);
    }
  }

  ids(): string[] {
    try {
      return fs.readdirSync(this.root).filter((n) => !n.startsWith('.') && ID.test(n)).sort();
    } catch {
      return [];
    }
  }

  remove(id: string): void {
    fs.rmSync(this.dir(id), { recursive: true, force: true });
  }

  status(id: string, s: StoredState | null): Status {
    if (s === null) return 'creating';
    if (!alive(s.pid, s.startTime)) return 'stopped';
    if (fs.existsSync(this.fifo(id))) return 'created';
    if (s.cgroup && frozen(s.cgroup)) return 'paused';
    return 'running';
  }

  state(id: string): OciState {
    const s = this.read(id);
    const status = this.status(id, s);
    if (s === null) return { ociVersion: OCI_VERSION, id, status, bundle: '' };
    return {
      ociVersion: OCI_VERSION,
      id,
      status,
      // runtime-spec: pid is REQUIRED when created or running; runc reports 0 once stopped.
      pid: status === 'stopped' ? 0 : s.pid,
      bundle: s.bundle,
      rootfs: s.rootfs,
      created: s.created,
      owner: '',
      annotations: s.annotations,
    };
  }
}

/** pid lives and is the process we started (a zombie counts as stopped: it will never run again). */
export const alive = (pid: number, startTime: number): boolean => sameProcess(pid, startTime);

function frozen(dir: string): boolean {
  try {
    return /^frozen 1$/m.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}
