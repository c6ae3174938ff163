// The names of the child's steps (IsolationError.step). The one list is
// native/spawn/plan.h's BULKHEAD_CHILD_STEPS, from which the addon makes both its
// enum and these names; TS reads them from the addon instead of keeping a copy.
import { native } from '../native/load';

/** The child's steps in wire order: 'sync', 'signals', ..., 'execve', ... */
export function childSteps(): readonly string[] {
  return native().childSteps;
}

/** Steps the parent itself reports (before or around clone), not in the addon's list. */
export const PARENT_STEPS = ['rootfs', 'cgroup', 'uid_map', 'gid_map', 'cgroup.procs', 'clone3', 'clone', 'spawn'] as const;

/** Child steps whose report index lib/spawn/index.ts turns into a path; each must be a real step. */
export const INDEXED_STEPS = ['execve', 'dup', 'prlimit', 'capbset', 'chdir'] as const;
