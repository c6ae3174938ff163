// Change notification on cgroupfs. The kernel calls cgroup_file_notify() when
// cgroup.events, memory.events or pids.events changes, which kernfs turns into
// an inotify IN_MODIFY on the file (Documentation/admin-guide/cgroup-v2.rst:
// "a value change in this file generates a file modified event"), so fs.watch
// (inotify through libuv) wakes us: no polling. The kernel rate-limits these
// notifications to one per 10 ms per file, so each wake-up re-reads the file and
// compares counters instead of counting wake-ups.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError, readCg, readCgOptional } from './io';
import { parseFlat } from './stats';

export const DEFAULT_WAIT_MS = 10_000;

function watchFile(file: string, persistent: boolean): fs.FSWatcher {
  try {
    return fs.watch(file, { persistent });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new CgroupError(`cgroup: watch ${file} failed: ${code}`, { code, op: 'open', path: file });
  }
}

/**
 * Resolves once cgroup.events of dir satisfies test (e.g. frozen 1, populated 0).
 * The watch is set up before the first read, so a change between the two is not lost.
 */
export function waitForEvents(
  dir: string,
  test: (events: Record<string, number>) => boolean,
  opts: { what: string; timeoutMs?: number; ifRemoved?: 'resolve' | 'reject' },
): Promise<void> {
  const file = path.join(dir, 'cgroup.events');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
  return new Promise<void>((resolve, reject) => {
    let watcher: fs.FSWatcher;
    let parent: fs.FSWatcher | undefined;
    try {
      watcher = watchFile(file, true);
    } catch (err) {
      if ((err as CgroupError).code === 'ENOENT' && opts.ifRemoved === 'resolve') resolve();
      else reject(err);
      return;
    }
    let last = '';
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watcher.close();
      parent?.close();
      if (err) reject(err);
      else resolve();
    };
    // A removed group is empty for good; what it means for the wait is the caller's call.
    const removed = () =>
      opts.ifRemoved === 'resolve'
        ? finish()
        : finish(new CgroupError(`cgroup: ${dir} was removed while waiting for ${opts.what}`, { code: 'ENOENT', op: 'read', path: file }));
    const check = () => {
      try {
        last = readCg(file);
        if (test(parseFlat(last))) finish();
      } catch (err) {
        if ((err as CgroupError).code === 'ENOENT') removed();
        else finish(err);
      }
    };
    // A deadline, not a poll: it only turns a wait that never ends into an error.
    const timer = setTimeout(() => {
      const now = last.trim().replace(/\n/g, ', ');
      finish(new CgroupError(`cgroup: timed out after ${timeoutMs} ms waiting for ${opts.what} in ${file} (it says: ${now})`, { code: 'ETIMEDOUT', op: 'read', path: file }));
    }, timeoutMs);
    watcher.on('change', check);
    watcher.on('error', (err) => finish(err));
    // kernfs sends nothing on cgroup.events when its group is removed (rmdir by the
    // exit path of a spawn, say): only the parent directory hears of it, through the VFS.
    try {
      parent = watchFile(path.dirname(dir), true);
      parent.on('change', (_type, name) => {
        if (String(name) === path.basename(dir) && !fs.existsSync(dir)) removed();
      });
      parent.on('error', () => undefined);
    } catch (err) {
      finish(err);
      return;
    }
    check();
  });
}

/** A counter going up in memory.events or pids.events. */
export interface CounterEvent {
  /** The counter's value now. */
  count: number;
  /** How much it grew since the last notification. */
  delta: number;
}

export interface CgroupWatcherEvents {
  /** memory.events oom: the group hit memory.max and the OOM killer was invoked. */
  oom: [CounterEvent];
  /** memory.events oom_kill: a process of the group was killed by the OOM killer. */
  oomKill: [CounterEvent];
  /** memory.events high: the group went over memory.high and was throttled. */
  memoryHigh: [CounterEvent];
  /** memory.events max: the group reached memory.max and reclaimed. */
  memoryMax: [CounterEvent];
  /** pids.events max: a fork was refused at pids.max. */
  pidsMax: [CounterEvent];
  populated: [];
  empty: [];
  frozen: [];
  thawed: [];
  /** A read failed for another reason than the group going away. */
  error: [Error];
  /** The watcher stopped: close() was called or the group was removed (rmdir). */
  close: [];
}

const MEMORY_EVENTS: Array<[string, keyof CgroupWatcherEvents]> = [
  ['oom', 'oom'],
  ['oom_kill', 'oomKill'],
  ['high', 'memoryHigh'],
  ['max', 'memoryMax'],
];

/**
 * Events of one group, from inotify on its cgroup.events, memory.events and
 * pids.events (those that exist). PSI triggers (a threshold written to
 * *.pressure, signalled with POLLPRI) need poll(2) on the open file, which
 * fs.watch cannot do: they are not here.
 */
export class CgroupWatcher extends EventEmitter<CgroupWatcherEvents> {
  readonly path: string;
  private watchers: fs.FSWatcher[] = [];
  private state: Record<string, Record<string, number>> = {};
  private closed = false;

  constructor(dir: string, opts: { persistent?: boolean } = {}) {
    super();
    this.path = dir;
    const persistent = opts.persistent ?? true;
    for (const file of ['cgroup.events', 'memory.events', 'pids.events']) {
      const full = path.join(dir, file);
      // Baseline first, then watch: only changes after watch() are reported.
      const text = readCgOptional(full);
      if (text === undefined) {
        if (file === 'cgroup.events') {
          this.close();
          throw new CgroupError(`cgroup: ${full} does not exist (the root group has none; is ${dir} a cgroup v2 group?)`, { code: 'ENOENT', op: 'open', path: full });
        }
        continue;
      }
      this.state[file] = parseFlat(text);
      const w = watchFile(full, persistent);
      w.on('change', () => this.refresh(file));
      w.on('error', (err) => this.fail(err));
      this.watchers.push(w);
    }
    // kernfs sends nothing on the group's own files when it is removed, but the
    // rmdir(2) goes through the VFS, which reports it on the parent directory.
    const parent = watchFile(path.dirname(dir), persistent);
    parent.on('change', (_type, name) => {
      if (String(name) === path.basename(dir) && !fs.existsSync(dir)) this.close();
    });
    parent.on('error', (err) => this.fail(err));
    this.watchers.push(parent);
  }

  /** populated and frozen as last seen. */
  get populated(): boolean {
    return this.state['cgroup.events']?.populated === 1;
  }

  get frozen(): boolean {
    return this.state['cgroup.events']?.frozen === 1;
  }

  /** Reads every watched file now and emits what changed since it was last seen. */
  sync(): void {
    for (const file of Object.keys(this.state)) this.refresh(file);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.emit('close');
  }

  private fail(err: Error): void {
    if (this.closed) return;
    // The group was removed: kernfs drops the inode and the watch with it.
    if (!fs.existsSync(this.path)) {
      this.close();
      return;
    }
    this.emit('error', err);
  }

  private refresh(file: string): void {
    if (this.closed) return;
    let text: string | undefined;
    try {
      text = readCgOptional(path.join(this.path, file));
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (text === undefined) {
      this.close();
      return;
    }
    const before = this.state[file] ?? {};
    const now = parseFlat(text);
    this.state[file] = now;
    if (file === 'cgroup.events') {
      if (now.populated !== before.populated) this.emit(now.populated === 1 ? 'populated' : 'empty');
      if (now.frozen !== undefined && now.frozen !== before.frozen) this.emit(now.frozen === 1 ? 'frozen' : 'thawed');
    } else {
      const names: Array<[string, keyof CgroupWatcherEvents]> = file === 'memory.events' ? MEMORY_EVENTS : [['max', 'pidsMax']];
      for (const [key, event] of names) {
        const count = now[key] ?? 0;
        const delta = count - (before[key] ?? 0);
        if (delta > 0) (this.emit as (e: string, v: CounterEvent) => boolean)(event, { count, delta });
      }
    }
  }
}
