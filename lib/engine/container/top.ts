// docker top: the processes of a container's cgroup, with ps -ef's columns,
// read from /proc/<pid>/stat, status and cmdline (proc(5)).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

function procsOf(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    try {
      for (const l of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.push(Number(l));
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    } catch {
      // A group removed while walked: its processes are gone too.
    }
  };
  walk(dir);
  return out.sort((a, b) => a - b);
}

export function topOf(dir: string): TopResult {
  const Processes: string[][] = [];
  for (const pid of procsOf(dir)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || `[${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}]`;
      const ticks = Number(rest[11]) + Number(rest[12]);
      const secs = Math.floor(ticks / 100);
      const time = `${String(Math.floor(secs / 3600)).padStart(2, '0')}:${String(Math.floor(secs / 60) % 60).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
      Processes.push([uid, String(pid), rest[1], '0', '-', '?', time, cmd]);
    } catch {
      // Exited between the listing and the read.
    }
  }
  return { Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes };
}
