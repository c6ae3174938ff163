// The host's CPU, memory and distribution for `bulkhead info`, read from
// /proc/cpuinfo, /proc/meminfo and /etc/os-release. No child process: info and
// spawn() must not run lscpu or dmidecode (systeminformation does, as root);
// the benchmarks, which want more detail, use systeminformation themselves.
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface HostFacts {
  cpu: string;
  cores: number;
  memoryBytes: number;
  distro: string;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The CPU model from /proc/cpuinfo: `model name` on x86, `Model Name`/`Hardware`
 * on some ARM kernels (arm64 kernels often print neither: then null).
 */
export function cpuModel(cpuinfo: string): string | null {
  const m = /^(?:model name|Model Name|Hardware|cpu model)\s*:\s*(.+)$/m.exec(cpuinfo);
  return m ? m[1]!.trim().replace(/\s+/g, ' ') : null;
}

/** Logical CPUs: the `processor` entries of /proc/cpuinfo (0 if none). */
export function cpuCount(cpuinfo: string): number {
  return (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
}

/** MemTotal from /proc/meminfo (proc(5): in kibibytes, whatever the unit says), in bytes. */
export function memTotal(meminfo: string): number | null {
  const m = /^MemTotal:\s*(\d+)\s*kB$/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * The distribution from os-release(5): PRETTY_NAME, else NAME and VERSION_ID.
 * Values may be quoted with single or double quotes, with backslash escapes.
 */
export function distroName(osRelease: string): string | null {
  const vars: Record<string, string> = {};
  for (const line of osRelease.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    vars[m[1]!] = v;
  }
  if (vars.PRETTY_NAME) return vars.PRETTY_NAME;
  if (vars.NAME) return `${vars.NAME} ${vars.VERSION_ID ?? ''}`.trim();
  return null;
}

export function hostFacts(): HostFacts {
  const cpuinfo = readText('/proc/cpuinfo') ?? '';
  const cpus = os.cpus();
  // os-release(5): /etc/os-release, falling back to /usr/lib/os-release.
  const release = readText('/etc/os-release') ?? readText('/usr/lib/os-release') ?? '';
  return {
    cpu: cpuModel(cpuinfo) ?? cpus[0]?.model ?? 'unknown',
    cores: cpuCount(cpuinfo) || cpus.length,
    memoryBytes: memTotal(readText('/proc/meminfo') ?? '') ?? os.totalmem(),
    distro: distroName(release) ?? 'unknown',
  };
}
