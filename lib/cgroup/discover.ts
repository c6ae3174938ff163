// Discovery of the v2 hierarchy on the running host: reads /proc and cgroupfs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { computeLayout, type CgroupLayout } from './layout';
import { parseMountinfo, parseProcCgroup } from './mountinfo';

export interface CgroupHost extends CgroupLayout {
  /** Controllers the v2 root offers (its cgroup.controllers). */
  controllers: string[];
  /** Absolute directory of the current process's v2 cgroup. */
  currentDir: string | null;
  /** Controllers available to the current cgroup (its cgroup.controllers). */
  enabled: string[];
  /** Whether this process may create child groups under currentDir. */
  delegated: boolean;
  /** When not delegated, why. */
  delegationReason?: string;
}

function readList(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

export function discoverCgroup(procRoot = '/proc'): CgroupHost {
  const layout = computeLayout(
    parseMountinfo(fs.readFileSync(path.join(procRoot, 'self/mountinfo'), 'utf8')),
    parseProcCgroup(fs.readFileSync(path.join(procRoot, 'self/cgroup'), 'utf8')),
  );
  const host: CgroupHost = { ...layout, controllers: [], currentDir: null, enabled: [], delegated: false };
  if (layout.mountpoint === null) {
    host.delegationReason = 'no cgroup v2 hierarchy is mounted';
    return host;
  }
  host.controllers = readList(path.join(layout.mountpoint, 'cgroup.controllers'));
  if (layout.currentPath === null) {
    host.delegationReason = '/proc/self/cgroup has no v2 (0::) entry';
    return host;
  }
  const dir = layout.currentPath === '/' ? layout.mountpoint : path.join(layout.mountpoint, layout.currentPath);
  host.currentDir = dir;
  host.enabled = readList(path.join(dir, 'cgroup.controllers'));
  // Delegation is write access to the directory and to its control files
  // (cgroups(7), "Cgroups v2 delegation"); access(2) also sees a read-only mount (EROFS).
  for (const target of [dir, path.join(dir, 'cgroup.procs'), path.join(dir, 'cgroup.subtree_control')]) {
    try {
      fs.accessSync(target, fs.constants.W_OK);
    } catch (err) {
      host.delegationReason = `${target} is not writable (${(err as NodeJS.ErrnoException).code})`;
      return host;
    }
  }
  host.delegated = true;
  return host;
}

let cached: { self: string; host: CgroupHost } | undefined;

/**
 * discoverCgroup() for the spawn path: the answer is kept while this process's
 * /proc/self/cgroup reads the same (one small read instead of mountinfo and a
 * handful of cgroupfs files per spawn).
 */
export function discoverCgroupCached(): CgroupHost {
  const self = fs.readFileSync('/proc/self/cgroup', 'utf8');
  if (cached?.self !== self) cached = { self, host: discoverCgroup() };
  return cached.host;
}
