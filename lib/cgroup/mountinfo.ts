// Parsers for /proc/<pid>/mountinfo and /proc/<pid>/cgroup (proc(5)).

export interface MountInfo {
  id: number;
  parent: number;
  root: string;
  mountpoint: string;
  options: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

// mountinfo escapes space, tab, newline and backslash as octal (\040 ...).
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * One line per mount: "36 35 98:0 /root /mnt rw,noatime master:1 - ext3 /dev/root rw".
 * Optional fields before the " - " separator vary in number, so split on it.
 */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) throw new SyntaxError(`mountinfo: no " - " separator in line: ${line}`);
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 6 || right.length < 3) throw new SyntaxError(`mountinfo: short line: ${line}`);
    out.push({
      id: Number(left[0]),
      parent: Number(left[1]),
      root: unescape(left[3]),
      mountpoint: unescape(left[4]),
      options: left[5].split(','),
      fstype: right[0],
      source: unescape(right[1]),
      superOptions: right[2].split(','),
    });
  }
  return out;
}

export interface ProcCgroupEntry {
  /** 0 for the v2 hierarchy. */
  id: number;
  /** v1 controllers bound to the hierarchy (empty for v2; "name=systemd" kept). */
  controllers: string[];
  path: string;
}

/** "hierarchy-ID:controller-list:cgroup-path" per line. */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) throw new SyntaxError(`/proc/self/cgroup: malformed line: ${line}`);
    const list = line.slice(a + 1, b);
    out.push({ id: Number(line.slice(0, a)), controllers: list === '' ? [] : list.split(','), path: line.slice(b + 1) });
  }
  return out;
}
