// Persistent state under the data root: JSON written atomically (a temp file in
// the same directory, fsync, rename(2), then fsync of the directory so that the
// rename itself survives a crash), read back whole; and one flock(2) per lock
// file, which the kernel releases when its holder dies, even by SIGKILL.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../native/load';
import { writeJsonAtomic as writeJsonAtomicUtil } from '../../util/atomic';

export function dataRoot(): string {
  return process.env.BULKHEAD_ROOT ?? '/var/lib/bulkhead';
}

export function networksDir(): string {
  return path.join(dataRoot(), 'networks');
}

/**
 * Atomic, and durable unless told otherwise (temp, fsync, rename, fsync of the
 * directory: lib/util/atomic). `durable: false` keeps the atomic rename and
 * drops both fsyncs: a SIGKILL of the writer still leaves the old file or the
 * new one whole (the page cache is the kernel's); only a power loss can lose
 * the change.
 */
export function writeJsonAtomic(file: string, value: unknown, o: { durable?: boolean } = {}): void {
  const durable = o.durable ?? true;
  writeJsonAtomicUtil(file, value, { mode: 0o644, syncDir: durable, fsync: durable });
}

export function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

let depth = 0;
let heldFd = -1;

/**
 * Runs fn holding the exclusive lock on <networks>/.lock. Re-entrant within this
 * process (one lock for every network keeps cross-network checks such as subnet
 * overlap race-free). Every critical section is short and synchronous.
 */
export function withLock<T>(fn: () => T): T {
  if (depth > 0) {
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  }
  fs.mkdirSync(networksDir(), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(path.join(networksDir(), '.lock'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    native().flock(fd, true, true);
    heldFd = fd;
    depth = 1;
    return fn();
  } finally {
    depth = 0;
    heldFd = -1;
    // Closing the last fd of the open file description releases the flock.
    fs.closeSync(fd);
  }
}

export const lockHeld = (): boolean => heldFd >= 0;
