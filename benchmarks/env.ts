// What the benchmarks run on: the host's facts (systeminformation, which runs
// lscpu and dmidecode: a dev dependency used only here, never by info or spawn),
// the cgroup layout as the peers see it, and which peer binaries
// are installed, with their versions.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { which } from '../support/uml';
import { collectInfo } from '../lib/index';
import type { HostFacts } from '../lib/info/host';

export type Where = 'host' | 'uml';

export interface HostDescription {
  where: Where;
  cpu: string;
  cores: number;
  memoryBytes: number;
  distro: string;
  kernel: string;
  arch: string;
  cgroupMode: string;
  cgroupMountpoint: string | null;
  cgroupControllers: string[];
  node: string;
  tools: Record<string, string | null>;
}

/** Filesystem magic numbers (statfs(2), linux/magic.h). */
export const TMPFS_MAGIC = 0x01021994;
export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const CGROUP_SUPER_MAGIC = 0x27e0eb;

/**
 * The cgroup layout from the filesystem types of /sys/fs/cgroup and
 * /sys/fs/cgroup/unified (null: not there). Hybrid, as systemd sets it up: a tmpfs
 * of v1 hierarchies at /sys/fs/cgroup with cgroup2 beside them at .../unified.
 */
export function cgroupLayoutFromTypes(root: number | null, unified: number | null): 'unified' | 'hybrid' | 'legacy' | 'none' {
  if (root === CGROUP2_SUPER_MAGIC) return 'unified';
  if (root === TMPFS_MAGIC && unified === CGROUP2_SUPER_MAGIC) return 'hybrid';
  if (root === TMPFS_MAGIC) return 'legacy';
  return 'none';
}

function fsType(p: string): number | null {
  try {
    return fs.statfsSync(p).type;
  } catch {
    return null;
  }
}

export function cgroupLayout(): ReturnType<typeof cgroupLayoutFromTypes> {
  return cgroupLayoutFromTypes(fsType('/sys/fs/cgroup'), fsType('/sys/fs/cgroup/unified'));
}

/** The v2 hierarchy's mount point on this machine, or null. */
export function v2Mount(): string | null {
  if (fsType('/sys/fs/cgroup') === CGROUP2_SUPER_MAGIC) return '/sys/fs/cgroup';
  if (fsType('/sys/fs/cgroup/unified') === CGROUP2_SUPER_MAGIC) return '/sys/fs/cgroup/unified';
  return null;
}

export { which };

/** The first line of `cmd --version`, or null when it is not installed. */
export function toolVersion(cmd: string): string | null {
  if (!which(cmd)) return null;
  try {
    const r = cp.spawnSync(cmd, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    return ((r.stdout || r.stderr) ?? '').trim().split('\n')[0] || 'unknown version';
  } catch {
    return 'unknown version';
  }
}

/** CPU, memory and distribution from systeminformation, falling back to what `bulkhead info` reads. */
async function hardware(fallback: HostFacts): Promise<HostFacts> {
  const si = await import('systeminformation');
  const [cpu, mem, osi] = await Promise.all([
    si.cpu().catch(() => null),
    si.mem().catch(() => null),
    si.osInfo().catch(() => null),
  ]);
  return {
    cpu: cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : fallback.cpu,
    cores: cpu?.cores ?? fallback.cores,
    memoryBytes: mem?.total ?? fallback.memoryBytes,
    distro: osi ? `${osi.distro} ${osi.release}`.trim() : fallback.distro,
  };
}

export async function describeHost(where: Where): Promise<HostDescription> {
  const info = await collectInfo();
  return {
    where,
    ...(await hardware(info.host)),
    kernel: info.kernel.release,
    arch: info.kernel.arch,
    cgroupMode: info.cgroup.mode,
    cgroupMountpoint: info.cgroup.mountpoint,
    cgroupControllers: info.cgroup.controllers,
    node: process.version,
    tools: Object.fromEntries(['crun', 'runc', 'bwrap', 'unshare'].map((t) => [t, toolVersion(t)])),
  };
}
