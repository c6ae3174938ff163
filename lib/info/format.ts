// Human form of `bulkhead info`: an aligned two-column table, then one line per
// missing feature.
import type { Info } from './collect';

const yesNo = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'yes' : 'no');

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatTable(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export function formatInfo(info: Info): string {
  const list = (xs: string[]) => (xs.length ? xs.join(' ') : '(none)');
  const rows: Array<[string, string]> = [
    ['Kernel', `${info.kernel.release} (${info.kernel.arch})`],
    ['Cgroup mode', info.cgroup.mode],
    ['Cgroup v2 mount', info.cgroup.mountpoint ?? '(not mounted)'],
    ['Cgroup v2 controllers', list(info.cgroup.controllers)],
    ['Current cgroup', info.cgroup.current ?? '(none)'],
    ['Enabled for it', list(info.cgroup.enabled)],
    ['Can create children', yesNo(info.cgroup.delegated)],
  ];
  if (info.cgroup.v1Controllers.length) rows.push(['Cgroup v1 controllers', list(info.cgroup.v1Controllers)]);
  rows.push(
    ['clone3', yesNo(info.clone3.available)],
    ['pidfd', yesNo(info.clone3.pidfd)],
    ['CLONE_INTO_CGROUP', yesNo(info.clone3.intoCgroup)],
    ['User namespaces', `max ${info.userNamespaces.maxUserNamespaces ?? '?'}, unprivileged ${yesNo(info.userNamespaces.unprivileged)}`],
    ['Overlayfs', yesNo(info.overlayfs)],
    ['Seccomp', info.seccomp.filter ? `filter (${info.seccomp.actions.length} actions)` : yesNo(info.seccomp.available)],
    ['Capabilities', info.capabilities.all ? `all (${info.capabilities.effective.length})` : list(info.capabilities.effective)],
    ['CPU', `${info.host.cpu}, ${info.host.cores} cores`],
    ['Memory', formatBytes(info.host.memoryBytes)],
    ['Distribution', info.host.distro],
  );
  let out = formatTable(rows);
  if (info.missing.length) {
    out += '\n\nMissing:\n' + info.missing.map((m) => `  - ${m.feature} (needed by ${m.neededBy}): ${m.detail}`).join('\n');
  }
  return out + '\n';
}
