// Locks. Node has no flock(2), so a cross-process lock is a file created with
// O_CREAT|O_EXCL (open(2): "fails if the pathname already exists") holding the
// owner's pid and start time; a lock whose owner is gone (or whose pid now names
// another process) is stale and is reclaimed. Within one process, a per-key
// promise chain serializes operations on one object.
import * as fs from 'node:fs';
import { processStartTime, sameProcess } from './proc';
import { EngineError } from './engine-error';

interface Owner {
  pid: number;
  start: number;
}

function readOwner(file: string): Owner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Owner;
    return typeof o.pid === 'number' && typeof o.start === 'number' ? o : null;
  } catch {
    return null;
  }
}

/**
 * Takes the lock file for this process, reclaiming a stale one; throws an
 * EngineError (CONFLICT) naming the live owner otherwise. Returns the release.
 */
export function acquireFileLock(file: string, what: string): () => void {
  const me: Owner = { pid: process.pid, start: processStartTime(process.pid) ?? 0 };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      try {
        fs.writeFileSync(fd, JSON.stringify(me));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      return () => {
        const o = readOwner(file);
        if (o && o.pid === me.pid && o.start === me.start) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    if (owner && owner.pid === me.pid && owner.start === me.start) {
      throw new EngineError('CONFLICT', `${what} is already locked by this process (${file})`);
    }
    if (owner && sameProcess(owner.pid, owner.start)) {
      throw new EngineError('CONFLICT', `${what} is in use by process ${owner.pid} (lock ${file})`);
    }
    // Stale: its owner died (or a half-written lock from a writer killed between
    // create and write; such a file is older than any live writer's few microseconds).
    if (!owner) {
      const age = Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age < 1000) continue;
    }
    fs.rmSync(file, { force: true });
  }
  throw new EngineError('CONFLICT', `${what}: could not take lock ${file}`);
}

/** Serializes async work per key inside this process. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
