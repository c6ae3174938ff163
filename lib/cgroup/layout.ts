// Where cgroup v2 lives on this host and what it can do: the pure part, computed
// from mountinfo and /proc/self/cgroup so that unit tests can feed captured files.
import type { MountInfo, ProcCgroupEntry } from './mountinfo';

/** Controllers a v2 hierarchy can offer and that Bulkhead sets limits through. */
export const LIMIT_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids', 'hugetlb'] as const;

/** v1 names that correspond to a v2 controller (blkio became io; cpuacct folded into cpu). */
const V1_TO_V2: Record<string, string> = {
  cpu: 'cpu',
  cpuacct: 'cpu',
  cpuset: 'cpuset',
  blkio: 'io',
  memory: 'memory',
  pids: 'pids',
  hugetlb: 'hugetlb',
  freezer: 'freezer',
  devices: 'devices',
  perf_event: 'perf_event',
  net_cls: 'net_cls',
  net_prio: 'net_prio',
  rdma: 'rdma',
  misc: 'misc',
};

export type CgroupMode = 'unified' | 'hybrid' | 'legacy' | 'none';

export interface CgroupLayout {
  mode: CgroupMode;
  /** Where the v2 hierarchy is mounted, or null when it is not. */
  mountpoint: string | null;
  /** v2 controller name -> the v1 mount point that holds it, for error messages. */
  v1Bound: Record<string, string>;
  /** The current process's path inside the v2 hierarchy ("/" at its root). */
  currentPath: string | null;
}

export function computeLayout(mounts: MountInfo[], self: ProcCgroupEntry[]): CgroupLayout {
  // The v2 mount whose root is the hierarchy root; a bind of a subtree would hide siblings.
  const v2 = mounts.filter((m) => m.fstype === 'cgroup2');
  const v2mount = v2.find((m) => m.mountpoint === '/sys/fs/cgroup') ?? v2.find((m) => m.root === '/') ?? v2[0];
  const v1Bound: Record<string, string> = {};
  let v1Real = false;
  for (const m of mounts) {
    if (m.fstype !== 'cgroup') continue;
    for (const opt of m.superOptions) {
      const v2name = V1_TO_V2[opt];
      if (v2name === undefined) continue;
      v1Real = true;
      v1Bound[v2name] ??= m.mountpoint;
    }
  }
  let mode: CgroupMode;
  if (v2mount && !v1Real) mode = 'unified';
  else if (v2mount && v1Real) mode = 'hybrid';
  else if (v1Real) mode = 'legacy';
  else mode = 'none';
  const entry = self.find((e) => e.id === 0 && e.controllers.length === 0);
  let currentPath = entry ? entry.path : null;
  // Inside a cgroup namespace, or under a v2 mount of a subtree, /proc/self/cgroup is relative
  // to that mount's root: strip the mount root so that mountpoint + path names the directory.
  if (currentPath !== null && v2mount && v2mount.root !== '/' && currentPath.startsWith(v2mount.root)) {
    currentPath = currentPath.slice(v2mount.root.length) || '/';
  }
  return { mode, mountpoint: v2mount ? v2mount.mountpoint : null, v1Bound, currentPath };
}

/** Why a controller cannot be used through v2 here, in one sentence. */
export function missingControllerReason(layout: CgroupLayout, controller: string): string {
  if (layout.mountpoint === null) return `${controller}: no cgroup v2 hierarchy is mounted on this host`;
  const v1 = layout.v1Bound[controller];
  if (v1 !== undefined) {
    return `${controller} is bound to the cgroup v1 hierarchy at ${v1} on this host, so the v2 hierarchy at ${layout.mountpoint} cannot offer it`;
  }
  return `${controller} is not listed in ${layout.mountpoint}/cgroup.controllers (the kernel lacks it or it is not enabled above this cgroup)`;
}
