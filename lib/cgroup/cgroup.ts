// A cgroup v2 group: create with limits, change them live, read statistics,
// freeze, kill and remove. Plain file I/O on cgroupfs through io.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planLimits, type Limits, type LimitsPlan } from './controllers';
import { discoverCgroupCached, type CgroupHost } from './discover';
import { enableControllers } from './enable';
import { DEFAULT_WAIT_MS, CgroupWatcher, waitForEvents } from './events';
import { CgroupError, childGroups, mkdirCg, readCg, readCgOptional, rmdirCg, writeCg } from './io';
import { PressureWatch, type PressureTriggerOptions } from './pressure';
import { collectStats, collectUsage, parseIds, type CgroupStats, type UsageCounters } from './stats';

export interface CreateOptions {
  /**
   * Directory of an existing v2 group to create under. Default: the current
   * process's own group (on a hybrid host with nothing else set up, the v2 root).
   */
  parent?: string;
}

export interface WaitOptions {
  /** How long to wait for the kernel to confirm, in ms (default 10000). */
  timeoutMs?: number;
}

export interface KillOptions extends WaitOptions {
  /**
   * 'cgroup.kill' writes cgroup.kill (Linux 5.14); 'signal' sends SIGKILL to every
   * process of the group and its descendants until none is left; 'auto' (default)
   * uses cgroup.kill when the kernel has it.
   */
  method?: 'auto' | 'cgroup.kill' | 'signal';
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\n\0]/.test(name) || Buffer.byteLength(name) > 255) {
    throw new TypeError(`cgroup name: expected one path component (no "/", not "." or ".."), got ${JSON.stringify(name)}`);
  }
  return name;
}

function v2Host(): CgroupHost & { mountpoint: string } {
  const host = discoverCgroupCached();
  if (host.mountpoint === null) {
    throw new CgroupError(`cgroup: no cgroup v2 hierarchy is mounted on this host (cgroup mode: ${host.mode}); Bulkhead looked for a cgroup2 mount in /proc/self/mountinfo`, {
      code: 'ENOENT',
      op: 'open',
      path: '/proc/self/mountinfo',
    });
  }
  return host as CgroupHost & { mountpoint: string };
}

/** Where groups go when this process's own group cannot hold them (Docker's cgroupfs driver does the same). */
export const FALLBACK_PARENT = 'bulkhead';

/**
 * The default parent: this process's own group, unless controllers are needed
 * there and cannot be enabled for its children because it holds processes (the
 * no-internal-processes rule; a login shell's session scope, say). Then a
 * "bulkhead" group under the root, which that rule does not bind.
 */
function defaultParent(host: CgroupHost & { mountpoint: string }, controllers: readonly string[]): string | null {
  const cur = host.currentDir;
  if (cur === null || path.resolve(cur) === path.resolve(host.mountpoint) || controllers.length === 0) return cur;
  const enabled = (readCgOptional(path.join(cur, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/);
  if (controllers.every((c) => enabled.includes(c))) return cur;
  if ((readCgOptional(path.join(cur, 'cgroup.procs')) ?? '').trim() === '') return cur;
  const dir = path.join(host.mountpoint, FALLBACK_PARENT);
  if (!fs.existsSync(dir)) {
    try {
      mkdirCg(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return dir;
}

// Parents already seen to be groups: a group directory stays one until removed, and a
// removed parent makes the mkdir below fail with ENOENT all the same.
const knownParents = new Set<string>();

function resolveParent(host: CgroupHost & { mountpoint: string }, parent: string | undefined, controllers: readonly string[] = []): string {
  const dir = parent ?? defaultParent(host, controllers);
  if (dir === null) {
    throw new CgroupError(`cgroup: cannot tell where to create the group: ${host.delegationReason ?? '/proc/self/cgroup has no v2 entry'}; pass { parent }`, {
      code: 'ENOENT',
      op: 'open',
      path: '/proc/self/cgroup',
    });
  }
  const abs = path.resolve(dir);
  const rel = path.relative(host.mountpoint, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new TypeError(`cgroup parent: ${abs} is not inside the cgroup v2 hierarchy at ${host.mountpoint}`);
  }
  if (!knownParents.has(abs) && !fs.existsSync(path.join(abs, 'cgroup.procs'))) {
    throw new CgroupError(`cgroup: parent ${abs} is not a cgroup v2 group (no cgroup.procs there)`, { code: 'ENOENT', op: 'open', path: abs });
  }
  knownParents.add(abs);
  return abs;
}

export class Cgroup {
  /** The group's directory, e.g. /sys/fs/cgroup/job-1. */
  readonly path: string;

  private constructor(dir: string) {
    this.path = dir;
  }

  /**
   * Creates the group `name` under the parent with these limits. Every limit is
   * validated first (RangeError/TypeError before anything exists), controllers
   * are enabled along the path as needed, and a failure after mkdir removes the
   * directory again.
   */
  static create(name: string, limits?: Limits, opts: CreateOptions = {}): Cgroup {
    checkName(name);
    const plan = planLimits(limits);
    const host = v2Host();
    const parent = resolveParent(host, opts.parent, plan.controllers);
    enableControllers(host, parent, plan.controllers);
    const dir = path.join(parent, name);
    mkdirCg(dir);
    const cg = new Cgroup(dir);
    try {
      cg.apply(plan);
    } catch (err) {
      try {
        rmdirCg(dir);
      } catch {
        // The first error is the one to report; an empty new group always goes.
      }
      throw err;
    }
    return cg;
  }

  /** An existing group, by directory. */
  static open(dir: string): Cgroup {
    const abs = path.resolve(dir);
    readCg(path.join(abs, 'cgroup.procs'));
    return new Cgroup(abs);
  }

  get name(): string {
    return path.basename(this.path);
  }

  /** Changes limits of the live group; only the fields given are written. */
  set(limits: Limits): void {
    const plan = planLimits(limits);
    if (plan.controllers.length > 0) enableControllers(v2Host(), path.dirname(this.path), plan.controllers);
    this.apply(plan);
  }

  private apply(plan: LimitsPlan): void {
    for (const w of plan.writes) writeCg(path.join(this.path, w.file), w.data);
  }

  /** Numbers from the group's files; what this kernel lacks is left out. */
  stats(): CgroupStats {
    readCg(path.join(this.path, 'cgroup.controllers'));
    return collectStats((f) => readCgOptional(path.join(this.path, f)));
  }

  /** The counters a finished process reports (cpu, memory and pids peaks, io, OOM kills). */
  usage(): UsageCounters {
    return collectUsage((f) => readCgOptional(path.join(this.path, f)));
  }

  /** Process ids in the group itself (not its descendants). */
  procs(): number[] {
    return parseIds(readCg(path.join(this.path, 'cgroup.procs')));
  }

  /** Moves a process (all its threads) into the group. */
  addProcess(pid: number): void {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`addProcess: expected a process id > 0, got ${JSON.stringify(pid)}`);
    writeCg(path.join(this.path, 'cgroup.procs'), String(pid));
  }

  /** Whether the group or a descendant has a live process (cgroup.events populated). */
  populated(): boolean {
    return /^populated 1$/m.test(readCg(path.join(this.path, 'cgroup.events')));
  }

  /**
   * Stops every process of the group and its descendants; resolves once
   * cgroup.events says "frozen 1" (the kernel freezes tasks as they reach a
   * safe point, so the write alone does not mean they stopped).
   */
  async freeze(opts: WaitOptions = {}): Promise<void> {
    writeCg(path.join(this.path, 'cgroup.freeze'), '1');
    await waitForEvents(this.path, (e) => e.frozen === 1, { what: 'frozen 1', ...opts });
  }

  async thaw(opts: WaitOptions = {}): Promise<void> {
    writeCg(path.join(this.path, 'cgroup.freeze'), '0');
    await waitForEvents(this.path, (e) => e.frozen === 0, { what: 'frozen 0', ...opts });
  }

  /** SIGKILLs every process of the group and its descendants; resolves when none is left. */
  async kill(opts: KillOptions = {}): Promise<void> {
    const method = opts.method ?? 'auto';
    const killFile = path.join(this.path, 'cgroup.kill');
    if (method === 'cgroup.kill' || (method === 'auto' && fs.existsSync(killFile))) {
      // cgroup.kill kills the whole subtree at once, racing no fork (Linux 5.14).
      // The group may go under us (a spawn's exit path removes it once its program
      // exits): a group that is gone holds no process, which is what kill() promises.
      try {
        writeCg(killFile, '1');
      } catch (err) {
        if ((err as CgroupError).code === 'ENOENT' && !fs.existsSync(this.path)) return;
        throw err;
      }
      await waitForEvents(this.path, (e) => e.populated === 0, { what: 'populated 0', ifRemoved: 'resolve', ...opts });
      return;
    }
    await this.killBySignal(opts.timeoutMs ?? DEFAULT_WAIT_MS);
  }

  // Before cgroup.kill: a process may fork between reading cgroup.procs and the
  // kill, so repeat until populated is 0.
  private async killBySignal(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const pid of treeProcs(this.path)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
      const left = deadline - Date.now();
      try {
        await waitForEvents(this.path, (e) => e.populated === 0, { what: 'populated 0', ifRemoved: 'resolve', timeoutMs: Math.max(1, Math.min(100, left)) });
        return;
      } catch (err) {
        if ((err as CgroupError).code !== 'ETIMEDOUT' || left <= 100) throw err;
      }
    }
  }

  /**
   * Kills what runs in the group, waits until it is empty, and removes it with
   * its child groups, deepest first. Resolves at once when the group is gone.
   */
  /**
   * A PSI trigger: 'pressure' fires whenever tasks of the group stalled on the
   * resource for more than stallUs within windowUs (kernels with CONFIG_PSI).
   */
  pressure(opts: PressureTriggerOptions): PressureWatch {
    return new PressureWatch(this.path, opts);
  }

  async destroy(opts: KillOptions = {}): Promise<void> {
    // The common case, an empty group with no children and nobody watching, is one rmdir(2);
    // EBUSY (still populated, or child groups) takes the long way below.
    if (this.watchers.size === 0) {
      try {
        fs.rmdirSync(this.path);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code !== 'EBUSY' && code !== 'ENOTEMPTY') throw err;
      }
    }
    if (!fs.existsSync(this.path)) return;
    if (this.populated()) await this.kill(opts);
    // The kernel passes on events files changes at most every 10 ms, and after
    // rmdir there is nothing left to read: watchers get their last word now.
    for (const w of this.watchers) w.sync();
    removeTree(this.path);
    // Nothing is left to watch; closing releases their hold on the event loop.
    for (const w of [...this.watchers]) w.close();
  }

  private readonly watchers = new Set<CgroupWatcher>();

  /** An emitter of oom, oomKill, memoryHigh, memoryMax, pidsMax, populated, empty, frozen, thawed. */
  watch(opts: { persistent?: boolean } = {}): CgroupWatcher {
    const w = new CgroupWatcher(this.path, opts);
    this.watchers.add(w);
    w.once('close', () => this.watchers.delete(w));
    return w;
  }
}

/** Processes of a group and all its descendants. */
function treeProcs(dir: string): number[] {
  const own = readCgOptional(path.join(dir, 'cgroup.procs'));
  const pids = own === undefined ? [] : parseIds(own);
  for (const child of childGroups(dir)) pids.push(...treeProcs(child));
  return pids;
}

/** rmdir children before parents: a group with child groups cannot be removed (EBUSY). */
function removeTree(dir: string): void {
  for (const child of childGroups(dir)) removeTree(child);
  rmdirCg(dir);
}
