// Who owns a lease: a pid and its start time (field 22 of /proc/<pid>/stat, in
// clock ticks since boot; proc(5)). A recycled pid has another start time, so a
// lease whose owner is gone is recognised as such and can be reclaimed.
import { processStartTime } from '../../util/proc';

export interface Owner {
  pid: number;
  startTime: string;
}

export function startTime(pid: number): string | undefined {
  const v = processStartTime(pid);
  return v === null ? undefined : String(v);
}

let mine: Owner | undefined;
/** This process as an owner (its start time read once: it cannot change). */
export const self = (): Owner => (mine ??= { pid: process.pid, startTime: startTime(process.pid) ?? '0' });

export function alive(o: Owner): boolean {
  // This process's own leases (all of a daemon's) need no /proc read.
  if (o.pid === process.pid) return o.startTime === self().startTime;
  return startTime(o.pid) === o.startTime;
}
