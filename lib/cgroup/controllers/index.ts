// All controllers behind the one contract, and the plan for a whole limits
// object: every value validated before the first write.
import { shown } from '../../util/shown';
import { cpu, type CpuLimits } from './cpu';
import { cpuset, type CpusetLimits } from './cpuset';
import { hugetlb, type HugetlbLimits } from './hugetlb';
import { io, type IoLimits } from './io';
import { memory, type MemoryLimits } from './memory';
import { pids, type PidsLimits } from './pids';
import { unifiedFiles, type UnifiedLimits } from './unified';
import type { Controller, ControllerName } from './types';

export type { CpuLimits, CpusetLimits, HugetlbLimits, IoLimits, MemoryLimits, PidsLimits, UnifiedLimits };
export type { Controller, ControllerName, FileWrite, Size } from './types';
export type { IoDeviceLimits } from './io';

export interface Limits {
  memory?: MemoryLimits;
  cpu?: CpuLimits;
  cpuset?: CpusetLimits;
  pids?: PidsLimits;
  io?: IoLimits;
  hugetlb?: HugetlbLimits;
  /** Raw interface files, written last: { 'memory.oom.group': '1' } (an OCI resources.unified). */
  unified?: UnifiedLimits;
}

// Write order: cpuset before the rest (placement first), as runc and youki do.
export const CONTROLLERS: ReadonlyArray<Controller<never>> = [cpuset, cpu, memory, pids, io, hugetlb] as Array<Controller<never>>;

export interface PlannedWrite {
  /** null: a core cgroup.* file, which needs no controller. */
  controller: ControllerName | null;
  file: string;
  data: string;
}

export interface LimitsPlan {
  /** Controllers that have at least one write. */
  controllers: ControllerName[];
  writes: PlannedWrite[];
}

/** Validates all of limits (RangeError/TypeError) and returns the writes, touching nothing. */
export function planLimits(limits: Limits | undefined): LimitsPlan {
  if (limits === undefined) return { controllers: [], writes: [] };
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new TypeError(`limits: expected an object like { memory: { max: '64m' } }, got ${shown(limits)}`);
  }
  const names: string[] = [...CONTROLLERS.map((c) => c.name), 'unified'];
  for (const key of Object.keys(limits)) {
    if (!names.includes(key as ControllerName)) throw new TypeError(`limits.${key}: unknown controller (valid: ${names.join(', ')})`);
  }
  const plan: LimitsPlan = { controllers: [], writes: [] };
  for (const c of CONTROLLERS) {
    const l = (limits as Record<string, unknown>)[c.name];
    if (l === undefined) continue;
    const writes = c.files(l as never);
    if (writes.length === 0) continue;
    plan.controllers.push(c.name);
    for (const [file, data] of writes) plan.writes.push({ controller: c.name, file, data });
  }
  if (limits.unified !== undefined) {
    for (const [file, data, controller] of unifiedFiles(limits.unified)) {
      if (controller !== null && !plan.controllers.includes(controller)) plan.controllers.push(controller);
      plan.writes.push({ controller, file, data });
    }
  }
  return plan;
}
