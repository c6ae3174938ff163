// pids controller (Documentation/admin-guide/cgroup-v2.rst, "PID"): fork and
// clone fail with EAGAIN once the group holds pids.max tasks; moving tasks in
// is never refused, so pids.current can exceed it.
import { expectObject, parseInteger } from '../units';
import type { Controller, FileWrite } from './types';

export interface PidsLimits {
  /** pids.max: tasks (threads count) the group may hold, or 'max'. */
  max?: number | 'max';
}

// kernel/cgroup/pids.c: PIDS_MAX is PID_MAX_LIMIT + 1, written as "max".
const PID_MAX_LIMIT = 4 * 1024 * 1024;

function files(limits: PidsLimits): FileWrite[] {
  const l = expectObject('pids', limits, ['max']);
  if (l.max === undefined) return [];
  return [['pids.max', String(parseInteger('pids.max', l.max, { min: 0, max: PID_MAX_LIMIT, allowMax: true }))]];
}

export const pids: Controller<PidsLimits> = { name: 'pids', files };
