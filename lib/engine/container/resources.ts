// The resource fields of a HostConfig beyond Memory, NanoCpus and PidsLimit,
// as dockerd reads them (docker run --ulimit, --cpu-shares, --cpuset-cpus,
// --memory-reservation, --memory-swap, --group-add, --shm-size, --device):
// checked at create with dockerd's messages, turned into limits and spawn
// options at start.
import { planLimits, type Limits } from '../../cgroup/controllers';
import { RLIMITS } from '../../security/rlimits';
import type { SpawnOptions } from '../../spawn/options';
import { invalid } from '../../util/engine-error';
import { isObj } from '../../util/is-obj';
import { shown } from '../../util/shown';

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

export interface ResourceFields {
  Memory?: number;
  NanoCpus?: number;
  PidsLimit?: number;
  Ulimits?: Ulimit[];
  CpuShares?: number;
  CpusetCpus?: string;
  MemoryReservation?: number;
  MemorySwap?: number;
  GroupAdd?: string[];
  ShmSize?: number;
  Devices?: DeviceMapping[];
}

export const RESOURCE_KEYS = ['Ulimits', 'CpuShares', 'CpusetCpus', 'MemoryReservation', 'MemorySwap', 'GroupAdd', 'ShmSize', 'Devices'] as const;

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** The cgroup limits of all of them: memory.max/low/swap.max, cpu.max/weight, cpuset.cpus, pids.max. */
export function limitsOf(h: ResourceFields): Limits {
  const l: Limits = {};
  if (h.Memory || h.MemoryReservation || h.MemorySwap) {
    l.memory = {};
    if (h.Memory) l.memory.max = h.Memory;
    if (h.MemoryReservation) l.memory.low = h.MemoryReservation;
    // MemorySwap is memory plus swap (-1: unlimited swap); v2's memory.swap.max is swap alone.
    if (h.MemorySwap === -1) l.memory.swapMax = 'max';
    else if (h.MemorySwap && h.Memory) l.memory.swapMax = h.MemorySwap - h.Memory;
  }
  // NanoCpus: 1e9 is one CPU; cpu.max is quota/period in µs (cgroup-v2.rst, "cpu.max").
  if (h.NanoCpus || h.CpuShares) {
    l.cpu = {};
    if (h.NanoCpus) l.cpu.max = { quota: Math.round((h.NanoCpus / 1e9) * 100_000), period: 100_000 };
    // runc's ConvertCPUSharesToCgroupV2Value: weight = 1 + ((shares - 2) * 9999) / 262142.
    if (h.CpuShares) l.cpu.weight = 1 + Math.floor(((Math.min(Math.max(h.CpuShares, 2), 262144) - 2) * 9999) / 262142);
  }
  if (h.CpusetCpus) l.cpuset = { cpus: h.CpusetCpus };
  if (h.PidsLimit !== undefined && h.PidsLimit > 0) l.pids = { max: h.PidsLimit };
  return l;
}

/** Throws an EngineError (400) naming the field, as dockerd words it where it has a message. */
export function validateResources(h: ResourceFields): void {
  if (h.Ulimits !== undefined && h.Ulimits !== null) {
    if (!Array.isArray(h.Ulimits)) throw invalid(`invalid HostConfig.Ulimits: must be an array of { Name, Soft, Hard }, got ${shown(h.Ulimits)}`);
    for (const u of h.Ulimits) {
      if (!isObj(u) || typeof u.Name !== 'string' || !isInt(u.Soft, -1) || !isInt(u.Hard, -1)) throw invalid(`invalid ulimit ${shown(u)}: must be { Name, Soft, Hard } with integers (-1: unlimited)`);
      if (!Object.hasOwn(RLIMITS, u.Name)) throw invalid(`invalid ulimit type: ${u.Name}`);
      if (u.Hard !== -1 && (u.Soft === -1 || u.Soft > u.Hard)) throw invalid(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    }
  }
  if (h.CpuShares !== undefined && !isInt(h.CpuShares, 0)) throw invalid(`invalid HostConfig.CpuShares: must be an integer >= 0, got ${shown(h.CpuShares)}`);
  if (h.CpusetCpus !== undefined && typeof h.CpusetCpus !== 'string') throw invalid(`invalid HostConfig.CpusetCpus: must be a string like "0-1", got ${shown(h.CpusetCpus)}`);
  if (h.MemoryReservation !== undefined && !isInt(h.MemoryReservation, 0)) throw invalid(`invalid HostConfig.MemoryReservation: must be an integer >= 0, got ${shown(h.MemoryReservation)}`);
  if (h.MemorySwap !== undefined && !isInt(h.MemorySwap, -1)) throw invalid(`invalid HostConfig.MemorySwap: must be an integer >= -1, got ${shown(h.MemorySwap)}`);
  if (h.MemorySwap && h.MemorySwap > 0) {
    if (!h.Memory) throw invalid('You should always set the Memory limit when using Memoryswap limit, see usage');
    if (h.MemorySwap < h.Memory) throw invalid('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (h.Memory && h.MemoryReservation && h.MemoryReservation > h.Memory) throw invalid('Minimum memory limit can not be less than memory reservation limit, see usage');
  if (h.GroupAdd !== undefined && h.GroupAdd !== null) {
    if (!Array.isArray(h.GroupAdd)) throw invalid(`invalid HostConfig.GroupAdd: must be an array of group ids, got ${shown(h.GroupAdd)}`);
    for (const g of h.GroupAdd) {
      if (typeof g !== 'string' || !/^\d+$/.test(g) || Number(g) > 0xfffffffe) throw invalid(`invalid group ${shown(g)} in GroupAdd: bulkheadd takes numeric group ids`);
    }
  }
  if (h.ShmSize !== undefined && !isInt(h.ShmSize, 0)) throw invalid(`invalid HostConfig.ShmSize: must be bytes >= 0, got ${shown(h.ShmSize)}`);
  if (h.Devices !== undefined && h.Devices !== null) {
    if (!Array.isArray(h.Devices)) throw invalid(`invalid HostConfig.Devices: must be an array of { PathOnHost, PathInContainer, CgroupPermissions }, got ${shown(h.Devices)}`);
    for (const d of h.Devices) {
      if (!isObj(d) || typeof d.PathOnHost !== 'string' || !d.PathOnHost.startsWith('/')) throw invalid(`invalid device mapping ${shown(d)}: PathOnHost must be an absolute path`);
      if (d.PathInContainer !== undefined && d.PathInContainer !== '' && (typeof d.PathInContainer !== 'string' || !d.PathInContainer.startsWith('/'))) throw invalid(`invalid device mapping ${shown(d)}: PathInContainer must be an absolute path`);
      if (d.CgroupPermissions !== undefined && d.CgroupPermissions !== '' && !(typeof d.CgroupPermissions === 'string' && /^[rwm]{1,3}$/.test(d.CgroupPermissions))) throw invalid(`invalid device mode: ${shown(d.CgroupPermissions)}`);
    }
  }
  // The cgroup values themselves (a cpuset list, sizes) by the controllers' own checks.
  try {
    planLimits(limitsOf(h));
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw invalid(`invalid resources: ${err.message}`);
    throw err;
  }
}

/** rlimits, groups, /dev/shm's size and devices as spawn options. */
export function resourceSpawnOptions(h: ResourceFields): Pick<SpawnOptions, 'rlimits' | 'groups' | 'shmSize' | 'devices'> {
  const o: Pick<SpawnOptions, 'rlimits' | 'groups' | 'shmSize' | 'devices'> = {};
  if (h.Ulimits?.length) {
    const lim = (v: number) => (v === -1 ? 'unlimited' : v);
    o.rlimits = Object.fromEntries(h.Ulimits.map((u) => [u.Name, { soft: lim(u.Soft), hard: lim(u.Hard) }]));
  }
  if (h.GroupAdd?.length) o.groups = h.GroupAdd.map(Number);
  if (h.ShmSize) o.shmSize = h.ShmSize;
  if (h.Devices?.length) {
    o.devices = h.Devices.map((d) => ({ path: d.PathOnHost, ...(d.PathInContainer ? { containerPath: d.PathInContainer } : {}), ...(d.CgroupPermissions ? { permissions: d.CgroupPermissions } : {}) }));
  }
  return o;
}
