// Who owns a lease: a pid and its start time (field 22 of /proc/<pid>/stat, in
// clock ticks since boot; proc(5)). A recycled pid has another start time, so a
// lease whose owner is gone is recognised as such and can be reclaimed.
import * as fs from 'node:fs';

export interface Owner {
  pid: number;
  startTime: string;
}

export function startTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19];
}

export const self = (): Owner => ({ pid: process.pid, startTime: startTime(process.pid) ?? '0' });

export function alive(o: Owner): boolean {
  return startTime(o.pid) === o.startTime;
}
