// cpu controller (Documentation/admin-guide/cgroup-v2.rst, "CPU"; the bandwidth
// bounds are in Documentation/scheduler/sched-bwc.rst).
import { shown } from '../../util/shown';
import { expectObject, parseInteger } from '../units';
import type { Controller, FileWrite } from './types';

export interface CpuLimits {
  /**
   * cpu.max: a number of CPUs (0.5 = half of one CPU, 2 = two CPUs) over a
   * 100 ms period, { quota, period } in microseconds, or 'max' (no limit).
   */
  max?: number | 'max' | { quota: number | 'max'; period?: number };
  /** cpu.weight: the share under contention, 1..10000 (default 100). */
  weight?: number;
  /** cpu.max.burst: microseconds of unused quota a period may carry over (Linux 5.14). */
  burst?: number;
}

const KEYS = ['max', 'weight', 'burst'] as const;
export const DEFAULT_PERIOD_US = 100_000;
// sched-bwc.rst: the period is 1 ms .. 1 s and the quota at least 1 ms.
const MIN_US = 1_000;
const MAX_PERIOD_US = 1_000_000;

function cpuMax(value: unknown): { data: string; quota: number | 'max' } {
  const expected = 'expected a number of CPUs > 0 (e.g. 0.5), { quota, period } in microseconds, or "max"';
  if (value === 'max') return { data: 'max', quota: 'max' };
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`cpu.max: ${expected}, got ${shown(value)}`);
    const quota = Math.round(value * DEFAULT_PERIOD_US);
    if (quota < MIN_US) {
      throw new RangeError(`cpu.max: ${value} CPUs is ${quota}us per ${DEFAULT_PERIOD_US}us period, below the kernel's minimum quota of ${MIN_US}us (0.01 CPUs)`);
    }
    return { data: `${quota} ${DEFAULT_PERIOD_US}`, quota };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = expectObject('cpu.max', value, ['quota', 'period']);
    const period = o.period === undefined ? DEFAULT_PERIOD_US : parseInteger('cpu.max.period', o.period, { min: MIN_US, max: MAX_PERIOD_US, what: `microseconds from ${MIN_US} to ${MAX_PERIOD_US}` });
    const quota = parseInteger('cpu.max.quota', o.quota, { min: MIN_US, allowMax: true, what: `microseconds >= ${MIN_US}` });
    return { data: `${quota} ${period}`, quota };
  }
  throw new RangeError(`cpu.max: ${expected}, got ${shown(value)}`);
}

function files(limits: CpuLimits): FileWrite[] {
  const l = expectObject('cpu', limits, KEYS);
  const out: FileWrite[] = [];
  let quota: number | 'max' | undefined;
  if (l.weight !== undefined) out.push(['cpu.weight', String(parseInteger('cpu.weight', l.weight, { min: 1, max: 10_000 }))]);
  if (l.max !== undefined) {
    const m = cpuMax(l.max);
    quota = m.quota;
    out.push(['cpu.max', m.data]);
  }
  if (l.burst !== undefined) {
    const burst = parseInteger('cpu.burst', l.burst, { min: 0, what: 'microseconds >= 0' });
    // The kernel refuses a burst above the quota (EINVAL); say so before writing.
    if (typeof quota === 'number' && typeof burst === 'number' && burst > quota) {
      throw new RangeError(`cpu.burst: ${burst}us is more than the quota of ${quota}us per period, which the kernel refuses`);
    }
    // After cpu.max: a burst is checked against the quota in force.
    out.push(['cpu.max.burst', String(burst)]);
  }
  return out;
}

export const cpu: Controller<CpuLimits> = { name: 'cpu', files };
