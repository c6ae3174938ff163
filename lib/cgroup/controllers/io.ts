// io controller (Documentation/admin-guide/cgroup-v2.rst, "IO"): io.max is the
// per-device throttle (blk-throttle), io.weight the proportional share, which
// only exists when the kernel has a weight-based policy (io.cost, or BFQ's io.bfq.weight).
import { shown } from '../../util/shown';
import { parseSize } from '../../util/size';
import { expectObject, parseInteger } from '../units';
import type { Controller, FileWrite, Size } from './types';

export interface IoDeviceLimits {
  /** The block device's numbers, as in /proc/partitions or `ls -l /dev/sda` (8, 0). */
  major: number;
  minor: number;
  /** Read and write bytes per second: a size ('10m') or 'max'. */
  rbps?: Size;
  wbps?: Size;
  /** Read and write operations per second, or 'max'. */
  riops?: number | 'max';
  wiops?: number | 'max';
}

export interface IoLimits {
  /** io.weight default: 1..10000 (default 100). */
  weight?: number;
  devices?: IoDeviceLimits[];
}

const DEVICE_KEYS = ['major', 'minor', 'rbps', 'wbps', 'riops', 'wiops'] as const;

function deviceLine(field: string, d: unknown): string {
  const o = expectObject(field, d, DEVICE_KEYS);
  const major = parseInteger(`${field}.major`, o.major, { min: 0, max: 4095 });
  const minor = parseInteger(`${field}.minor`, o.minor, { min: 0, max: 1048575 });
  const parts: string[] = [];
  for (const key of ['rbps', 'wbps'] as const) {
    if (o[key] === undefined) continue;
    const v = parseSize(`${field}.${key}`, o[key]);
    // A rate of 0 would stall every request of the group; "max" lifts the limit.
    if (v === 0) throw new RangeError(`${field}.${key}: expected bytes per second > 0 like 10m, or "max", got ${shown(o[key])}`);
    parts.push(`${key}=${v}`);
  }
  for (const key of ['riops', 'wiops'] as const) {
    if (o[key] === undefined) continue;
    parts.push(`${key}=${parseInteger(`${field}.${key}`, o[key], { min: 1, allowMax: true })}`);
  }
  if (parts.length === 0) throw new RangeError(`${field}: give at least one of rbps, wbps, riops, wiops`);
  // Keys left out keep their current value; "max" removes a limit.
  return `${major}:${minor} ${parts.join(' ')}`;
}

function files(limits: IoLimits): FileWrite[] {
  const l = expectObject('io', limits, ['weight', 'devices']);
  const out: FileWrite[] = [];
  if (l.weight !== undefined) out.push(['io.weight', `default ${parseInteger('io.weight', l.weight, { min: 1, max: 10_000 })}`]);
  if (l.devices !== undefined) {
    if (!Array.isArray(l.devices)) throw new TypeError(`io.devices: expected an array of { major, minor, rbps, wbps, riops, wiops }, got ${shown(l.devices)}`);
    // io.max takes one device per write.
    l.devices.forEach((d, i) => out.push(['io.max', deviceLine(`io.devices[${i}]`, d)]));
  }
  return out;
}

export const io: Controller<IoLimits> = { name: 'io', files };
