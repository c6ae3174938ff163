// docker stats' JSON from a container's cgroup v2 group (Docker's v2 mapping:
// cpu.stat usage_usec, memory.current and memory.max, pids.current and
// pids.max). A section is absent when the host's v2 hierarchy lacks the
// controller (a hybrid host has no memory or pids there): absent, never zero.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Cgroup } from '../../cgroup/cgroup';

export interface ContainerStats {
  read: string;
  id: string;
  name: string;
  num_procs: number;
  cpu_stats?: { cpu_usage: { total_usage: number; usage_in_usermode: number; usage_in_kernelmode: number }; system_cpu_usage: number; online_cpus: number };
  memory_stats?: { usage: number; limit?: number; stats?: Record<string, number> };
  pids_stats?: { current: number; limit?: number };
  blkio_stats?: { io_service_bytes_recursive: Array<{ major: number; minor: number; op: string; value: number }> };
}

const readOpt = (f: string): string | undefined => {
  try {
    return fs.readFileSync(f, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** System CPU time in ns from /proc/stat's first line (Docker's system_cpu_usage). */
function systemCpuNs(): number {
  const line = (readOpt('/proc/stat') ?? '').split('\n')[0].split(/\s+/).slice(1, 8).map(Number);
  const hz = 100; // USER_HZ: 100 on every Linux ABI Node supports (proc(5)).
  return (line.reduce((a, b) => a + b, 0) / hz) * 1e9;
}

export function collectContainerStats(id: string, name: string, dir: string): ContainerStats {
  const s = Cgroup.open(dir).stats();
  const out: ContainerStats = { read: new Date().toISOString(), id, name, num_procs: 0 };
  if (s.cpu) {
    out.cpu_stats = {
      cpu_usage: { total_usage: s.cpu.usageUsec * 1000, usage_in_usermode: s.cpu.userUsec * 1000, usage_in_kernelmode: s.cpu.systemUsec * 1000 },
      system_cpu_usage: systemCpuNs(),
      online_cpus: os.availableParallelism(),
    };
  }
  if (s.memory) {
    const max = readOpt(path.join(dir, 'memory.max'));
    out.memory_stats = { usage: s.memory.current, ...(max && max !== 'max' ? { limit: Number(max) } : { limit: os.totalmem() }), ...(s.memory.stat ? { stats: s.memory.stat } : {}) };
  }
  if (s.pids) {
    const max = readOpt(path.join(dir, 'pids.max'));
    out.pids_stats = { current: s.pids.current, ...(max && max !== 'max' ? { limit: Number(max) } : {}) };
  }
  if (s.io) {
    const rows: Array<{ major: number; minor: number; op: string; value: number }> = [];
    for (const [dev, d] of Object.entries(s.io.devices)) {
      const [major, minor] = dev.split(':').map(Number);
      rows.push({ major, minor, op: 'read', value: d.rbytes ?? 0 }, { major, minor, op: 'write', value: d.wbytes ?? 0 });
    }
    out.blkio_stats = { io_service_bytes_recursive: rows };
  }
  return out;
}
