// Groups left behind by a Node process that died without removing them (SIGKILL,
// an OOM kill, a crash). Each per-container group is named after its owner:
// bulkhead-<pid>-<starttime>-[<threadId>.]<seq>, where starttime is field 22 of
// /proc/<pid>/stat (clock ticks since boot, proc(5)): a pid alone can be recycled,
// a pid with its start time names one process for the life of the machine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { parseStartTime, processStartTime } from '../util/proc';
import { childGroups, rmdirCg } from './io';

const NAME = /^bulkhead-(\d+)-(\d+)-(?:\d+\.)?\d+$/;

/** Field 22 of /proc/<pid>/stat, or null when there is no such process. */
export function startTime(pid: number | 'self'): string | null {
  const v = processStartTime(pid === 'self' ? process.pid : pid);
  return v === null ? null : String(v);
}

export { parseStartTime };

let selfTag: string | undefined;
/** "<pid>-<starttime>" of this process. */
export function ownerTag(): string {
  return (selfTag ??= `${process.pid}-${startTime('self') ?? '0'}`);
}

let seq = 0;
/**
 * A fresh name for a per-container group of this process. Each Worker has its
 * own copy of this module (and of seq), so a Worker's names carry its threadId.
 */
export function groupName(): string {
  return threadId === 0 ? `bulkhead-${ownerTag()}-${++seq}` : `bulkhead-${ownerTag()}-${threadId}.${++seq}`;
}

export interface ReclaimResult {
  /** Groups of dead owners that were removed. */
  removed: string[];
  /** Groups of dead owners that still hold processes (a container started with dieWithParent: false): left alone. */
  busy: string[];
}

/** The owner of a group directory name, or null when it is not one of ours. */
export function groupOwner(name: string): { pid: number; startTime: string } | null {
  const m = NAME.exec(name);
  return m ? { pid: Number(m[1]), startTime: m[2] } : null;
}

/** Whether the process that named a group is still running (same pid, same start time). */
export function ownerAlive(owner: { pid: number; startTime: string }): boolean {
  return startTime(owner.pid) === owner.startTime;
}

/**
 * Removes the per-container groups under parent whose owner is dead. Only rmdir(2)
 * is used, never a kill: the kernel refuses to remove a group that holds a process
 * (EBUSY), so a group whose owner was misjudged, or whose container still runs,
 * cannot lose anything but an empty directory. Groups of live owners are not touched.
 */
export function reclaimGroups(parent: string): ReclaimResult {
  const out: ReclaimResult = { removed: [], busy: [] };
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return out;
  }
  for (const name of names) {
    const owner = groupOwner(name);
    if (owner === null || ownerAlive(owner)) continue;
    const dir = path.join(parent, name);
    try {
      removeEmptyTree(dir);
      out.removed.push(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EBUSY' || code === 'ENOTEMPTY') out.busy.push(dir);
      else throw err;
    }
  }
  return out;
}

function removeEmptyTree(dir: string): void {
  for (const child of childGroups(dir)) removeEmptyTree(child);
  rmdirCg(dir);
}

const swept = new Set<string>();
/** reclaimGroups(parent) once per parent in the life of this process: the first spawn pays a readdir. */
export function reclaimOnce(parent: string): void {
  if (swept.has(parent)) return;
  swept.add(parent);
  try {
    reclaimGroups(parent);
  } catch {
    // Best effort on the spawn path: `bulkhead info --cleanup` reports what it cannot remove.
  }
}

/**
 * reclaimGroups() over where Bulkhead makes groups by default: this process's own
 * group and the fallback parent (`bulkhead` under the v2 root). For `bulkhead info --cleanup`.
 */
export function reclaimDefaultParents(host: { mountpoint: string | null; currentDir: string | null }, fallback: string): ReclaimResult {
  const out: ReclaimResult = { removed: [], busy: [] };
  if (host.mountpoint === null) return out;
  const parents = new Set([host.currentDir ?? host.mountpoint, path.join(host.mountpoint, fallback)]);
  for (const p of parents) {
    const r = reclaimGroups(p);
    out.removed.push(...r.removed);
    out.busy.push(...r.busy);
  }
  return out;
}
