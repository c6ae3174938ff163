// memory controller (Documentation/admin-guide/cgroup-v2.rst, "Memory").
import { parseSize } from '../../util/size';
import { expectObject } from '../units';
import type { Controller, FileWrite, Size } from './types';

export interface MemoryLimits {
  /** memory.max: the hard limit; above it the group reclaims, then the OOM killer acts inside the group. */
  max?: Size;
  /** memory.high: the throttle limit; above it the group's allocators are slowed and reclaimed, never OOM-killed. */
  high?: Size;
  /** memory.low: best-effort protection from reclaim. */
  low?: Size;
  /** memory.min: hard protection from reclaim. */
  min?: Size;
  /** memory.swap.max: swap the group may use (0 forbids swapping). */
  swapMax?: Size;
  /** memory.oom.group: the OOM killer kills the whole group at once instead of one process. */
  oomGroup?: boolean;
}

const KEYS = ['max', 'high', 'low', 'min', 'swapMax', 'oomGroup'] as const;

// Protection first, then the limits: the kernel applies each write at once, and
// memory.max below the current usage reclaims (or OOM-kills) immediately.
const SIZE_FILES: Array<[keyof MemoryLimits, string]> = [
  ['min', 'memory.min'],
  ['low', 'memory.low'],
  ['high', 'memory.high'],
  ['max', 'memory.max'],
  ['swapMax', 'memory.swap.max'],
];

function files(limits: MemoryLimits): FileWrite[] {
  const l = expectObject('memory', limits, KEYS);
  const out: FileWrite[] = [];
  for (const [key, file] of SIZE_FILES) {
    if (l[key] === undefined) continue;
    // The kernel rounds byte values down to whole pages; what reads back may be lower.
    out.push([file, String(parseSize(`memory.${key}`, l[key]))]);
  }
  if (l.oomGroup !== undefined) {
    if (typeof l.oomGroup !== 'boolean') throw new TypeError(`memory.oomGroup: expected true or false, got ${JSON.stringify(l.oomGroup)}`);
    out.push(['memory.oom.group', l.oomGroup ? '1' : '0']);
  }
  return out;
}

export const memory: Controller<MemoryLimits> = { name: 'memory', files };
