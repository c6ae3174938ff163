// Pure parsers for the formats of cgroup v2 interface files
// (Documentation/admin-guide/cgroup-v2.rst, "Interface Files" and "Format").

/** "max" in a file means no limit: it reads back as Infinity. */
function num(field: string, value: string): number {
  if (value === 'max') return Infinity;
  const n = Number(value);
  if (value === '' || !Number.isFinite(n)) throw new SyntaxError(`cgroup stats: ${field}: not a number: ${JSON.stringify(value)}`);
  return n;
}

/** A single-value file: "50315264\n", or "max". */
export function parseSingle(text: string): number {
  return num('value', text.trim());
}

/** Flat keyed, one "key value" per line: memory.stat, memory.events, cpu.stat, cgroup.events, pids.events. */
export function parseFlat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '') continue;
    const sp = l.indexOf(' ');
    if (sp < 0) throw new SyntaxError(`cgroup stats: flat-keyed line without a value: ${JSON.stringify(line)}`);
    const key = l.slice(0, sp);
    out[key] = num(key, l.slice(sp + 1).trim());
  }
  return out;
}

/**
 * Nested keyed, "KEY sub=value sub=value" per line: io.stat ("8:0 rbytes=1 wbytes=2 ..."), io.max.
 * A key with no pairs (io.stat lists a device it has no numbers for as "1:0 ") maps to {}.
 */
export function parseNested(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/).filter(Boolean);
    if (parts.length === 0) continue;
    const key = parts[0];
    const row: Record<string, number> = {};
    for (const pair of parts.slice(1)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SyntaxError(`cgroup stats: nested-keyed pair without "=": ${JSON.stringify(pair)} in ${JSON.stringify(line)}`);
      const sub = pair.slice(0, eq);
      row[sub] = num(`${key} ${sub}`, pair.slice(eq + 1));
    }
    out[key] = row;
  }
  return out;
}

export interface PressureLine {
  /** Percent of wall time stalled, averaged over 10 s, 60 s and 300 s. */
  avg10: number;
  avg60: number;
  avg300: number;
  /** Total stall time in microseconds. */
  total: number;
}

export interface Pressure {
  /** Some task in the group stalled on the resource. */
  some: PressureLine;
  /** All non-idle tasks stalled at once. cpu.pressure has it since 5.13 (always zero at the root). */
  full?: PressureLine;
}

/** PSI (Documentation/accounting/psi.rst): "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull ...". */
export function parsePressure(text: string): Pressure {
  const rows = parseNested(text);
  const line = (name: string): PressureLine | undefined => {
    const r = rows[name];
    if (r === undefined) return undefined;
    for (const k of ['avg10', 'avg60', 'avg300', 'total']) {
      if (r[k] === undefined) throw new SyntaxError(`cgroup stats: pressure line "${name}" lacks ${k}: ${JSON.stringify(text)}`);
    }
    return { avg10: r.avg10, avg60: r.avg60, avg300: r.avg300, total: r.total };
  };
  const some = line('some');
  if (some === undefined) throw new SyntaxError(`cgroup stats: pressure file without a "some" line: ${JSON.stringify(text)}`);
  const full = line('full');
  return full === undefined ? { some } : { some, full };
}

/** cgroup.procs, cgroup.threads: one id per line. */
export function parseIds(text: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => num('pid', l.trim()));
}

// ---- typed statistics of one group, assembled from whichever files exist ----

export interface CpuStats {
  usageUsec: number;
  userUsec: number;
  systemUsec: number;
  /** Bandwidth counters: present when the cpu controller is enabled for the group. */
  nrPeriods?: number;
  nrThrottled?: number;
  throttledUsec?: number;
  nrBursts?: number;
  burstUsec?: number;
}

export interface MemoryEvents {
  /** Times usage went under memory.low protection's reclaim anyway. */
  low: number;
  /** Times usage crossed memory.high and the group was throttled. */
  high: number;
  /** Times usage hit memory.max and reclaim ran. */
  max: number;
  /** Times the group hit its limit and would have invoked the OOM killer. */
  oom: number;
  /** Processes of the group killed by the OOM killer. */
  oomKill: number;
  /** Times the whole group was OOM-killed at once (memory.oom.group; Linux 5.17). */
  oomGroupKill?: number;
}

export interface MemoryStats {
  current: number;
  /** memory.peak, Linux 5.19. */
  peak?: number;
  swapCurrent?: number;
  /** memory.events: hierarchical counters (descendants included). */
  events?: MemoryEvents;
  /** memory.stat as the kernel names its keys (anon, file, pgfault, ...), in bytes or counts. */
  stat?: Record<string, number>;
}

export interface PidsStats {
  current: number;
  /** pids.peak (recent kernels; the 6.1 of the vm tier has it). */
  peak?: number;
  /** pids.events "max": forks refused because the group was at pids.max. */
  limitHits?: number;
}

export interface IoDeviceStats {
  rbytes: number;
  wbytes: number;
  rios: number;
  wios: number;
  dbytes: number;
  dios: number;
}

export interface IoStats {
  /** Per "major:minor". */
  devices: Record<string, Partial<IoDeviceStats>>;
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}

export interface CgroupStats {
  cpu?: CpuStats;
  memory?: MemoryStats;
  pids?: PidsStats;
  io?: IoStats;
  /** PSI; absent on kernels built without CONFIG_PSI or booted with psi=0. */
  pressure?: { cpu?: Pressure; memory?: Pressure; io?: Pressure };
}

/** Reads one interface file of the group by name; undefined when the kernel lacks it. */
export type FileReader = (file: string) => string | undefined;

function opt<T>(text: string | undefined, parse: (t: string) => T): T | undefined {
  return text === undefined ? undefined : parse(text);
}

/** Drops undefined members so that absent files are absent keys. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

export function memoryEvents(flat: Record<string, number>): MemoryEvents {
  return compact({
    low: flat.low ?? 0,
    high: flat.high ?? 0,
    max: flat.max ?? 0,
    oom: flat.oom ?? 0,
    oomKill: flat.oom_kill ?? 0,
    oomGroupKill: flat.oom_group_kill,
  });
}

export function cpuStats(flat: Record<string, number>): CpuStats {
  return compact({
    usageUsec: flat.usage_usec ?? 0,
    userUsec: flat.user_usec ?? 0,
    systemUsec: flat.system_usec ?? 0,
    nrPeriods: flat.nr_periods,
    nrThrottled: flat.nr_throttled,
    throttledUsec: flat.throttled_usec,
    nrBursts: flat.nr_bursts,
    burstUsec: flat.burst_usec,
  });
}

export function ioStats(nested: Record<string, Record<string, number>>): IoStats {
  const out: IoStats = { devices: {}, readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
  for (const [dev, row] of Object.entries(nested)) {
    out.devices[dev] = row;
    out.readBytes += row.rbytes ?? 0;
    out.writeBytes += row.wbytes ?? 0;
    out.readOps += row.rios ?? 0;
    out.writeOps += row.wios ?? 0;
  }
  return out;
}

/** Everything stats() reports, from a reader of the group's files. */
export function collectStats(read: FileReader): CgroupStats {
  const out: CgroupStats = {};
  // cpu.stat's usage lines are core (always there); the bandwidth lines need the cpu controller.
  const cpu = opt(read('cpu.stat'), parseFlat);
  if (cpu) out.cpu = cpuStats(cpu);
  const current = opt(read('memory.current'), parseSingle);
  if (current !== undefined) {
    out.memory = compact({
      current,
      peak: opt(read('memory.peak'), parseSingle),
      swapCurrent: opt(read('memory.swap.current'), parseSingle),
      events: opt(read('memory.events'), (t) => memoryEvents(parseFlat(t))),
      stat: opt(read('memory.stat'), parseFlat),
    });
  }
  const pids = opt(read('pids.current'), parseSingle);
  if (pids !== undefined) {
    out.pids = compact({
      current: pids,
      peak: opt(read('pids.peak'), parseSingle),
      limitHits: opt(read('pids.events'), (t) => parseFlat(t).max),
    });
  }
  const io = opt(read('io.stat'), parseNested);
  if (io) out.io = ioStats(io);
  const pressure = compact({
    cpu: opt(read('cpu.pressure'), parsePressure),
    memory: opt(read('memory.pressure'), parsePressure),
    io: opt(read('io.pressure'), parsePressure),
  });
  if (Object.keys(pressure).length > 0) out.pressure = pressure;
  return out;
}

/** The counters a finished process's result reports; null where the kernel has no such file. */
export interface UsageCounters {
  cpuUsec: number | null;
  cpuUserUsec: number | null;
  cpuSystemUsec: number | null;
  memoryPeakBytes: number | null;
  pidsPeak: number | null;
  ioReadBytes: number | null;
  ioWriteBytes: number | null;
  oomKills: number;
}

/** Five files instead of stats()'s dozen: this runs once per spawn with limits. */
export function collectUsage(read: FileReader): UsageCounters {
  const cpu = opt(read('cpu.stat'), (t) => cpuStats(parseFlat(t)));
  const io = opt(read('io.stat'), (t) => ioStats(parseNested(t)));
  return {
    cpuUsec: cpu?.usageUsec ?? null,
    cpuUserUsec: cpu?.userUsec ?? null,
    cpuSystemUsec: cpu?.systemUsec ?? null,
    memoryPeakBytes: opt(read('memory.peak'), parseSingle) ?? null,
    pidsPeak: opt(read('pids.peak'), parseSingle) ?? null,
    ioReadBytes: io?.readBytes ?? null,
    ioWriteBytes: io?.writeBytes ?? null,
    oomKills: opt(read('memory.events'), (t) => memoryEvents(parseFlat(t)).oomKill) ?? 0,
  };
}
