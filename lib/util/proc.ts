// Process identity that survives pid reuse: a pid plus its start time, field 22
// of /proc/<pid>/stat (proc(5): "starttime: the time the process started after
// system boot, in clock ticks"). A recycled pid has a later start time.
import * as fs from 'node:fs';

/** Field 22 (starttime) of a /proc/<pid>/stat line, as its digits, or null when it has none. */
export function parseStartTime(stat: string): string | null {
  // comm (field 2) is in parentheses and may contain spaces and ")": fields resume after the last ")".
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // rest[0] is field 3 (state); field 22 is rest[19].
  const v = stat.slice(close + 2).split(' ')[19];
  return v !== undefined && /^\d+$/.test(v) ? v : null;
}

/** The start time of pid in clock ticks, or null when no such process exists. */
export function processStartTime(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const v = parseStartTime(stat);
  return v === null ? null : Number(v);
}

/** True when pid is alive and is the same process that had startTime (zombies count as gone). */
export function sameProcess(pid: number, startTime: number): boolean {
  if (!(pid > 0)) return false;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return false;
  return Number(rest[19]) === startTime;
}
