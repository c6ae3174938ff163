// One file lock per object (a blob, a layer, the index, a container), held with
// flock(2) on an fd: the kernel drops it when its holder dies, so a SIGKILLed
// pull never leaves a lock behind. LOCK_NB plus a short sleep keeps libuv's loop
// free while another process holds it. Lock files are never deleted: unlinking a
// lock file while another process waits on it would split the lock in two.
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { native } from '../../native/load';

export interface Lock {
  release(): void;
}

/** Takes the lock now, or null when another process (or another handle here) has it. */
export function tryLock(file: string): Lock | null {
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  let ok = false;
  try {
    ok = native().flock(fd, true);
  } finally {
    if (!ok) fs.closeSync(fd);
  }
  if (!ok) return null;
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      fs.closeSync(fd);
    },
  };
}

/** Waits for the lock, polling; an abort rejects with the signal's reason. */
export async function lock(file: string, signal?: AbortSignal): Promise<Lock> {
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    signal?.throwIfAborted();
    const l = tryLock(file);
    if (l) return l;
    await sleep(wait, undefined, signal ? { signal } : undefined);
  }
}

export async function withLock<T>(file: string, fn: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
  const l = await lock(file, signal);
  try {
    return await fn();
  } finally {
    l.release();
  }
}
