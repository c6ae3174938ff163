// cpuset controller (Documentation/admin-guide/cgroup-v2.rst, "Cpuset").
import { shown } from '../../util/shown';
import { expectObject } from '../units';
import type { Controller, FileWrite } from './types';

export interface CpusetLimits {
  /** cpuset.cpus: '0-3,6' or [0, 1, 2]; '' takes the parent's. */
  cpus?: string | number[];
  /** cpuset.mems: memory nodes, same syntax. */
  mems?: string | number[];
}

const KEYS = ['cpus', 'mems'] as const;
// The kernel's list format (Documentation/admin-guide/cgroup-v2.rst refers to
// cpuset(7)): comma-separated numbers and ranges.
const LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

function list(field: string, value: unknown): string {
  if (Array.isArray(value)) {
    if (value.length === 0 || !value.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new RangeError(`${field}: expected numbers >= 0 like [0, 1] or a list like "0-3,6", got ${shown(value)}`);
    }
    return value.join(',');
  }
  if (typeof value === 'string') {
    const s = value.replace(/\s+/g, '');
    if (s === '' || LIST.test(s)) {
      for (const range of s ? s.split(',') : []) {
        const [a, b] = range.split('-').map(Number);
        if (b !== undefined && b < a) throw new RangeError(`${field}: range ${range} runs backwards in ${shown(value)}`);
      }
      return s;
    }
  }
  throw new RangeError(`${field}: expected a list like "0-3,6" or [0, 1], got ${shown(value)}`);
}

function files(limits: CpusetLimits): FileWrite[] {
  const l = expectObject('cpuset', limits, KEYS);
  const out: FileWrite[] = [];
  // Memory nodes first: a task's cpus and mems are checked against the cpuset as it stands.
  if (l.mems !== undefined) out.push(['cpuset.mems', list('cpuset.mems', l.mems)]);
  if (l.cpus !== undefined) out.push(['cpuset.cpus', list('cpuset.cpus', l.cpus)]);
  return out;
}

export const cpuset: Controller<CpusetLimits> = { name: 'cpuset', files };
