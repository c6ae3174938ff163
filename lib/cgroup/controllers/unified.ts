// Raw interface files of the group (an OCI linux.resources.unified, runc's
// "unified"): written after the typed controllers, so they can set what those
// do not cover (memory.oom.group, cpu.idle, io.latency, ...). A file's prefix
// names its controller, which is enabled along the path like any other. Of the
// core cgroup.* files only the two limits are taken: the others change
// membership or state (cgroup.procs, .subtree_control, .kill, .freeze, .type),
// which is not a resource and would let a config move or kill other processes.
import type { ControllerName } from './types';

const CONTROLLER_FILE = /^(cpu|cpuset|io|memory|pids|hugetlb)\.[A-Za-z0-9_.]+$/;
const CORE_FILES = new Set(['cgroup.max.depth', 'cgroup.max.descendants']);

export type UnifiedLimits = Record<string, string | number>;

/** The writes, each with the controller it needs (null for a core file); TypeError naming a bad key or value. */
export function unifiedFiles(limits: UnifiedLimits): Array<[file: string, data: string, controller: ControllerName | null]> {
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new TypeError(`unified: expected an object of interface files like { "memory.high": "64M" }, got ${JSON.stringify(limits)}`);
  }
  const out: Array<[string, string, ControllerName | null]> = [];
  for (const [file, value] of Object.entries(limits)) {
    const m = CONTROLLER_FILE.exec(file);
    if (!m && !CORE_FILES.has(file)) {
      throw new TypeError(`unified.${file}: not a controller's interface file (cpu.*, cpuset.*, io.*, memory.*, pids.*, hugetlb.*) or one of ${[...CORE_FILES].join(', ')}`);
    }
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) throw new TypeError(`unified.${file}: expected a string, got ${JSON.stringify(value)}`);
    const data = String(value);
    if (data.includes('\0')) throw new TypeError(`unified.${file}: must not contain NUL bytes`);
    out.push([file, data, m ? (m[1] as ControllerName) : null]);
  }
  return out;
}

