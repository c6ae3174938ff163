// Limit accuracy (run in UML, a pure cgroup v2 kernel, by `npm run bench --
// limits`): what each cgroup limit lets through against what was asked for, and
// what isolation costs a workload. Every workload runs in a container with
// Bulkhead's full defaults (the busybox rootfs, the default seccomp profile,
// Docker's capabilities, no_new_privs, masked paths) and a group of its own made
// by spawn({ limits }); the measuring side reads the group through proc.cgroup.
// The workloads that need exact timestamps are a small C program
// (bench-helper.c), built static at run time and copied into the rootfs.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Cgroup, spawn, type CgroupWatcher, type Limits, type SpawnOptions, type Subprocess } from '../lib/index';
import { describeHost, which, type HostDescription, type Where } from './env';
import { firstLines } from './harness';
import type { Progress } from './progress';
import { BENCH_LIMITS, checkLeftovers, createContext, type SpawnContext } from './spawn';
import { mean, median, ratio, stddev } from './stats';

export type LimitGroup = 'cpu' | 'memory' | 'pids' | 'io' | 'overhead';

export interface Quantity {
  value: number;
  unit: string;
}

export interface LimitRow {
  id: string;
  group: LimitGroup;
  label: string;
  /** The limit as set (null for the overhead cases). */
  requested: Quantity | null;
  /** What is measured, in words. */
  measures: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  note?: string;
  measured?: Quantity;
  /** measured / requested (limits), or isolated / plain (overhead). */
  ratio?: number | null;
  /** Further numbers a case reports (e.g. killLatencyMs, samples). */
  details?: Record<string, number | number[] | string>;
}

export interface LimitsResults {
  benchmark: 'limits';
  where: Where;
  startedAt: string;
  finishedAt: string;
  host: HostDescription;
  rows: LimitRow[];
  leftovers: string[];
  /** The host's load average around the UML boot. */
  hostLoadAverage?: { start: number[]; end: number[] };
}

export interface LimitContext {
  spawn: SpawnContext;
  progress: Progress;
  /** Repetitions per measurement of the overhead cases. */
  reps: number;
  /** The helper inside the rootfs ('/bin/bench-helper'), built on first use; throws why it cannot be. */
  helper(): string;
}

export interface LimitCase {
  id: string;
  group: LimitGroup;
  label: string;
  requested: Quantity | null;
  measures: string;
  /** What it needs that is not built yet; the case is skipped while this is set. */
  needs?: string;
  skip?(ctx: LimitContext): string | null;
  run?(ctx: LimitContext): Promise<Pick<LimitRow, 'measured' | 'ratio' | 'details' | 'note'>>;
}

const MiB = 'MiB';
const MIB = 1024 * 1024;
const ENV = { PATH: '/bin' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hr = () => process.hrtime.bigint();
const r3 = (x: number) => Number(x.toFixed(3));
const r4 = (x: number) => Number(x.toFixed(4));

/**
 * Bulkhead's full defaults in the busybox rootfs, in a group of its own with
 * these limits (under the run's parent group); with limits null, started
 * straight into extra.cgroup instead.
 */
export function fullDefaults(ctx: SpawnContext, limits: Limits | null, extra: SpawnOptions = {}): SpawnOptions {
  return { rootfs: ctx.rootfs as string, env: ENV, ...(limits ? { cgroup: ctx.cgroupParent(), limits } : {}), stdio: ['ignore', 'pipe', 'pipe'], reject: false, ...extra };
}

/** Why the limit cases cannot run here, or null. */
function needsLimits(ctx: LimitContext): string | null {
  if (!ctx.spawn.rootfs) return `no busybox rootfs: ${ctx.spawn.rootfsMissing}`;
  if (!ctx.spawn.v2) return 'no cgroup v2 hierarchy is mounted';
  return ctx.spawn.limitsUnavailable();
}

const needsHelper = (ctx: LimitContext): string | null => needsLimits(ctx) ?? (which('cc') ? null : 'no C compiler (cc) to build benchmarks/bench-helper.c: apt-get install -y gcc');

/** The lines the helper printed, split into words. */
const words = (text: string) => text.split('\n').filter(Boolean).map((l) => l.split(' '));

export interface HogReport {
  /** Before each chunk: CLOCK_MONOTONIC ns, bytes touched so far, memory.current (-1: unreadable). */
  marks: Array<{ t: bigint; touched: number; current: number }>;
  done: { t: bigint; touched: number } | null;
}

/** Parses `bench-helper hog` output (see bench-helper.c). Pure. */
export function parseHog(text: string): HogReport {
  const out: HogReport = { marks: [], done: null };
  for (const w of words(text)) {
    if (w[0] === 'm' && w.length === 4) out.marks.push({ t: BigInt(w[1]), touched: Number(w[2]), current: Number(w[3]) });
    else if (w[0] === 'done' && w.length === 3) out.done = { t: BigInt(w[1]), touched: Number(w[2]) };
  }
  return out;
}

/**
 * Milliseconds per MiB touched below `line` bytes and above it, from the hog's
 * own timestamps (each pair of marks is one chunk). Pure.
 */
export function msPerMiB(h: HogReport, line: number): { below: number | null; above: number | null } {
  const marks = h.done ? [...h.marks, { ...h.done, current: -1 }] : h.marks;
  let belowNs = 0n;
  let belowBytes = 0;
  let aboveNs = 0n;
  let aboveBytes = 0;
  for (let i = 1; i < marks.length; i++) {
    const dt = marks[i].t - marks[i - 1].t;
    const bytes = marks[i].touched - marks[i - 1].touched;
    if (marks[i].touched <= line) {
      belowNs += dt;
      belowBytes += bytes;
    } else {
      aboveNs += dt;
      aboveBytes += bytes;
    }
  }
  const per = (ns: bigint, bytes: number) => (bytes > 0 ? Number(ns) / 1e6 / (bytes / MIB) : null);
  return { below: per(belowNs, belowBytes), above: per(aboveNs, aboveBytes) };
}

/**
 * The crossing: the first mark from which the next chunk takes memory.current
 * over the limit (current + chunk > limit), and how many marks came after it
 * (reclaim of the group's few file pages can let the allocator go on a little
 * at the limit before the OOM kill). Null without a mark that got that close. Pure.
 */
export function crossing(h: HogReport, limitBytes: number, chunkBytes: number): { t: bigint; current: number; marksAfter: number } | null {
  const i = h.marks.findIndex((m) => m.current >= 0 && m.current + chunkBytes > limitBytes);
  if (i < 0) return null;
  return { t: h.marks[i].t, current: h.marks[i].current, marksAfter: h.marks.length - 1 - i };
}

/** Parses `bench-helper forks` output: how many forks succeeded and the errno name of the one that failed. Pure. */
export function parseForks(text: string): { forks: number; error: string } | null {
  const w = words(text).find((x) => x[0] === 'forks');
  return w ? { forks: Number(w[1]), error: w[2] } : null;
}

/** Parses `bench-helper io` output: bytes and MiB/s from the helper's own clock. Pure. */
export function parseIo(text: string): { bytes: number; seconds: number; mibPerSec: number } | null {
  const w = words(text).find((x) => x[0] === 'io');
  if (!w) return null;
  const bytes = Number(w[1]);
  const seconds = Number(BigInt(w[3]) - BigInt(w[2])) / 1e9;
  return { bytes, seconds, mibPerSec: bytes / MIB / seconds };
}

/** The helper's result or an error with what it said. */
async function helperRun(proc: Subprocess, what: string, killed = false): Promise<{ stdout: string; signal: string | null; oomKilled: boolean; usage: NonNullable<Awaited<Subprocess>['usage']> | undefined }> {
  const r = await proc;
  const stdout = String(r.stdout ?? '');
  const err = words(stdout).find((w) => w[0] === 'error');
  if (err) throw new Error(`${what}: ${err.join(' ')}`);
  if (r.exitCode !== 0 && !r.oomKilled && !(killed && r.signal === 'SIGKILL')) throw new Error(`${what}: exit ${r.exitCode ?? r.signal}: ${firstLines(String(r.stderr ?? ''))}`);
  return { stdout, signal: r.signal, oomKilled: r.oomKilled ?? false, usage: r.usage };
}

// ---- cpu.max ----

const CPU_WINDOW_MS = 3000;
const CPU_WINDOWS = 3;

const cpuCase = (pct: number): LimitCase => ({
  id: `cpu-max-${pct}`,
  group: 'cpu',
  label: `cpu.max ${pct}% of a CPU`,
  requested: { value: pct, unit: '% of a CPU' },
  measures: `the CPU share a busy loop (busybox sh) gets: cpu.stat usage_usec over wall time, median of ${CPU_WINDOWS} windows of ${CPU_WINDOW_MS / 1000} s after 0.5 s`,
  skip: needsLimits,
  async run(ctx) {
    const label = `cpu.max ${pct}%`;
    ctx.progress.start(label, CPU_WINDOWS, 0);
    const proc = spawn('/bin/sh', ['-c', 'while :; do :; done'], fullDefaults(ctx.spawn, { cpu: { max: pct / 100 } }, { stdio: 'ignore', buffer: false }));
    const shares: number[] = [];
    let throttled: number | undefined;
    try {
      const cg = proc.cgroup;
      if (!cg) throw new Error('spawn({ limits }) gave no proc.cgroup');
      await sleep(500);
      for (let i = 1; i <= CPU_WINDOWS; i++) {
        const u0 = cg.stats().cpu?.usageUsec ?? 0;
        const t0 = hr();
        await sleep(CPU_WINDOW_MS);
        const st = cg.stats().cpu;
        const wallUs = Number(hr() - t0) / 1000;
        shares.push(((st?.usageUsec ?? 0) - u0) / wallUs);
        throttled = st?.nrThrottled;
        ctx.progress.tick(i);
      }
    } finally {
      proc.kill('SIGKILL');
      await proc;
    }
    const m = 100 * median(shares);
    ctx.progress.done(`${m.toFixed(1)}% (windows: ${shares.map((x) => (100 * x).toFixed(1)).join(', ')})`);
    return {
      measured: { value: r3(m), unit: '% of a CPU' },
      ratio: r4(m / pct),
      details: { windowsPct: shares.map((x) => r3(100 * x)), nrThrottled: throttled ?? -1 },
      note: `windows ${shares.map((x) => `${(100 * x).toFixed(1)}%`).join(', ')}${throttled !== undefined ? `; throttled ${throttled} times` : ''}`,
    };
  },
});

// ---- memory.max ----

const HOG_CHUNK_KB = 64;

/**
 * The group is made with Cgroup.create and the container started straight into
 * it (spawn({ cgroup })), not with spawn({ limits }): spawn() removes its own
 * group as soon as the process is reaped, and the kernel sends a change of
 * memory.events at most once per 10 ms (CGROUP_FILE_NOTIFY_MIN_INTV), so after the many
 * "max" events of reclaim the oom_kill one can arrive after the group is gone.
 * Here the group outlives the process until the event has come.
 */
const memCase = (mib: number, reps = 5): LimitCase => ({
  id: `memory-max-${mib}`,
  group: 'memory',
  label: `memory.max ${mib} MiB`,
  requested: { value: mib, unit: MiB },
  measures:
    `peak usage (memory.peak) of an allocator touching ${HOG_CHUNK_KB} KiB at a time until the OOM kill; kill latency: from the allocator's timestamp before the first ${HOG_CHUNK_KB} KiB chunk that takes memory.current (read by it before each chunk) over the limit, to the oomKill event of Cgroup.watch() in node; median of ${reps}`,
  skip: needsHelper,
  async run(ctx) {
    const helper = ctx.helper();
    const label = `memory.max ${mib} MiB`;
    ctx.progress.start(label, reps, 0);
    const peaks: number[] = [];
    const latencies: number[] = [];
    const maxEventLatencies: number[] = [];
    const crossCurrent: number[] = [];
    const marksAfter: number[] = [];
    for (let i = 1; i <= reps; i++) {
      const cg = Cgroup.create(`oom-${mib}-${i}`, { memory: { max: `${mib}m`, swapMax: 0 } }, { parent: ctx.spawn.cgroupParent() });
      let w: CgroupWatcher | undefined;
      try {
        w = cg.watch();
        let tKill: bigint | null = null;
        let tMax: bigint | null = null;
        let killed!: () => void;
        const killEvent = new Promise<void>((r) => (killed = r));
        w.on('oomKill', () => {
          tKill ??= hr();
          killed();
        });
        w.on('memoryMax', () => (tMax ??= hr()));
        w.on('error', () => undefined);
        const r = await helperRun(spawn(helper, ['hog', String(HOG_CHUNK_KB), '0'], fullDefaults(ctx.spawn, null, { cgroup: cg.path })), label, true);
        await Promise.race([killEvent, sleep(2000)]);
        const st = cg.stats().memory;
        if (!st?.events?.oomKill) throw new Error(`${label}: the allocator was not OOM-killed (${r.signal ?? 'exit 0'})`);
        if (st.peak === undefined) throw new Error(`${label}: this kernel has no memory.peak`);
        const hog = parseHog(r.stdout);
        const cross = crossing(hog, mib * MIB, HOG_CHUNK_KB * 1024);
        if (!cross) throw new Error(`${label}: the allocator never reported memory.current within ${HOG_CHUNK_KB} KiB of the limit (${hog.marks.length} reports)`);
        if (tKill === null) throw new Error(`${label}: no oomKill event within 2 s of the exit`);
        peaks.push(st.peak / MIB);
        crossCurrent.push(cross.current / MIB);
        marksAfter.push(cross.marksAfter);
        latencies.push(Number((tKill as bigint) - cross.t) / 1e6);
        if (tMax !== null) maxEventLatencies.push(Number((tMax as bigint) - cross.t) / 1e6);
      } finally {
        w?.close();
        await cg.destroy();
      }
      ctx.progress.tick(i);
    }
    const peak = median(peaks);
    const lat = median(latencies);
    ctx.progress.done(`peak ${peak.toFixed(2)} MiB, crossing to oomKill in JS ${lat.toFixed(1)} ms`);
    return {
      measured: { value: r3(peak), unit: MiB },
      ratio: r4(peak / mib),
      details: {
        peakMiB: peaks.map(r3),
        killLatencyMs: latencies.map(r3),
        killLatencyMedianMs: r3(lat),
        memoryMaxEventMs: maxEventLatencies.map(r3),
        memoryCurrentAtCrossingMiB: crossCurrent.map(r3),
        chunksAfterCrossing: marksAfter,
      },
      note: `peak ${peaks.map((x) => x.toFixed(2)).join(', ')} MiB; crossing to oomKill in JS ${latencies.map((x) => x.toFixed(1)).join(', ')} ms (median ${lat.toFixed(1)} ms); chunks touched after the crossing before the kill: ${marksAfter.join(', ')}`,
    };
  },
});

// ---- memory.high ----

const HIGH_MIB = 64;
const HIGH_OVER_MIB = 4;

const memHighCase = (reps = 3): LimitCase => ({
  id: `memory-high-${HIGH_MIB}`,
  group: 'memory',
  label: `memory.high ${HIGH_MIB} MiB`,
  requested: { value: HIGH_MIB, unit: MiB },
  measures: `slowdown of an allocator touching ${HIGH_MIB + HIGH_OVER_MIB} MiB (${HIGH_OVER_MIB} MiB past memory.high; memory.max 256 MiB as a backstop) against the same with no memory.high: wall time from its first to its last timestamp, median of ${reps} alternating runs; and its time per MiB above the line against below it`,
  skip: needsHelper,
  async run(ctx) {
    const helper = ctx.helper();
    const label = `memory.high ${HIGH_MIB} MiB`;
    ctx.progress.start(label, reps, 0);
    const once = async (high: boolean) => {
      const limits: Limits = { memory: { max: '256m', swapMax: 0, ...(high ? { high: `${HIGH_MIB}m` } : {}) } };
      const proc = spawn(helper, ['hog', String(HOG_CHUNK_KB), String(HIGH_MIB + HIGH_OVER_MIB)], fullDefaults(ctx.spawn, limits));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
      let r;
      try {
        r = await helperRun(proc, label);
      } finally {
        clearTimeout(timer);
      }
      const hog = parseHog(r.stdout);
      if (!hog.done || r.oomKilled) throw new Error(`${label}: the allocator did not finish (${r.oomKilled ? 'OOM-killed' : `killed by ${r.signal} after 120 s`})`);
      return { ms: Number(hog.done.t - hog.marks[0].t) / 1e6, perMiB: msPerMiB(hog, HIGH_MIB * MIB) };
    };
    const free: number[] = [];
    const high: number[] = [];
    const above: number[] = [];
    const below: number[] = [];
    for (let i = 1; i <= reps; i++) {
      free.push((await once(false)).ms);
      const h = await once(true);
      high.push(h.ms);
      if (h.perMiB.above !== null) above.push(h.perMiB.above);
      if (h.perMiB.below !== null) below.push(h.perMiB.below);
      ctx.progress.tick(i);
    }
    const slow = median(high) / median(free);
    ctx.progress.done(`${slow.toFixed(1)}x slower (${median(high).toFixed(0)} ms against ${median(free).toFixed(0)} ms)`);
    return {
      measured: { value: r3(slow), unit: 'x slower' },
      ratio: r4(slow),
      details: {
        withHighMs: high.map(r3),
        withoutMs: free.map(r3),
        msPerMiBAbove: above.map(r3),
        msPerMiBBelow: below.map(r3),
      },
      note: `${HIGH_MIB + HIGH_OVER_MIB} MiB in ${median(high).toFixed(0)} ms with memory.high, ${median(free).toFixed(0)} ms without: ${slow.toFixed(1)}x; per MiB above the line ${above.length ? median(above).toFixed(1) : '?'} ms, below it ${below.length ? median(below).toFixed(2) : '?'} ms`,
    };
  },
});

// ---- pids.max ----

const pidsCase = (limit: number): LimitCase => ({
  id: `pids-max-${limit}`,
  group: 'pids',
  label: `pids.max ${limit}`,
  requested: { value: limit, unit: 'tasks' },
  measures: 'tasks in the group when the first fork failed: the helper (pid 1 of the container) plus its successful forks, each child waiting',
  skip: needsHelper,
  async run(ctx) {
    const helper = ctx.helper();
    ctx.progress.start(`pids.max ${limit}`, 1, 0);
    const proc = spawn(helper, ['forks', String(limit + 16)], fullDefaults(ctx.spawn, { pids: { max: limit } }));
    const r = await helperRun(proc, `pids.max ${limit}`);
    const f = parseForks(r.stdout);
    if (!f) throw new Error(`pids.max ${limit}: no report from the helper`);
    ctx.progress.tick(1);
    ctx.progress.done(`${f.forks} forks, then ${f.error}`);
    return {
      measured: { value: f.forks + 1, unit: 'tasks' },
      ratio: r4((f.forks + 1) / limit),
      details: { successfulForks: f.forks, failedWith: f.error, pidsPeak: r.usage?.pidsPeak ?? -1 },
      note: `${f.forks} forks succeeded, the next failed with ${f.error}${r.usage?.pidsPeak != null ? `; pids.peak ${r.usage.pidsPeak}` : ''}`,
    };
  },
});

// ---- io.max ----

const RAM = '/dev/ram0';
const IO_SECONDS = 4;
const IO_BS_KB = 64;

/** /dev/ram0 from the brd module (loaded here if missing, 64 MiB) and its size and major:minor. */
function ramDisk(): { major: number; minor: number; bytes: number } {
  if (!fs.existsSync(RAM)) {
    cp.execFileSync('modprobe', ['-d', '/run/kmod', 'brd', 'rd_nr=1', 'rd_size=65536'], { stdio: 'ignore' });
  }
  const [major, minor] = fs.readFileSync('/sys/block/ram0/dev', 'utf8').trim().split(':').map(Number);
  const bytes = Number(fs.readFileSync('/sys/block/ram0/size', 'utf8').trim()) * 512;
  return { major, minor, bytes };
}

const ioUnavailable = (ctx: LimitContext): string | null => {
  const why = needsHelper(ctx);
  if (why) return why;
  try {
    ramDisk();
    return null;
  } catch (err) {
    return `no ram disk: modprobe brd failed (${firstLines((err as Error).message)})`;
  }
};

async function ioOnce(ctx: LimitContext, dir: 'read' | 'write', mib: number, limit: number | null): Promise<ReturnType<typeof parseIo>> {
  const d = ramDisk();
  const limits: Limits = limit === null ? {} : { io: { devices: [{ major: d.major, minor: d.minor, [dir === 'read' ? 'rbps' : 'wbps']: `${limit}m` }] } };
  const proc = spawn(ctx.helper(), ['io', dir, RAM, String(mib), String(IO_BS_KB)], fullDefaults(ctx.spawn, limits, { mounts: [{ type: 'bind', source: RAM, target: RAM }] }));
  const r = await helperRun(proc, `io ${dir}`);
  const io = parseIo(r.stdout);
  if (!io) throw new Error(`io ${dir}: no report from the helper`);
  return io;
}

const ioCase = (dir: 'read' | 'write', mibPerSec: number): LimitCase => ({
  id: `io-max-${dir}-${mibPerSec}`,
  group: 'io',
  label: `io.max ${dir === 'read' ? 'rbps' : 'wbps'} ${mibPerSec} MiB/s`,
  requested: { value: mibPerSec, unit: 'MiB/s' },
  measures: `O_DIRECT ${dir}s of ${IO_BS_KB} KiB on ${RAM} (brd) bound into the container, about ${IO_SECONDS} s worth, timed by the helper; against the same with no limit`,
  skip: ioUnavailable,
  async run(ctx) {
    const d = ramDisk();
    const mib = Math.min(mibPerSec * IO_SECONDS, Math.floor(d.bytes / MIB));
    const label = `io.max ${dir} ${mibPerSec} MiB/s`;
    ctx.progress.start(label, 2, 0);
    const free = (await ioOnce(ctx, dir, mib, null)) as NonNullable<ReturnType<typeof parseIo>>;
    ctx.progress.tick(1);
    const lim = (await ioOnce(ctx, dir, mib, mibPerSec)) as NonNullable<ReturnType<typeof parseIo>>;
    ctx.progress.tick(2);
    ctx.progress.done(`${lim.mibPerSec.toFixed(2)} MiB/s (unlimited: ${free.mibPerSec.toFixed(0)} MiB/s)`);
    return {
      measured: { value: r3(lim.mibPerSec), unit: 'MiB/s' },
      ratio: r4(lim.mibPerSec / mibPerSec),
      details: { mib, seconds: r3(lim.seconds), unlimitedMiBPerSec: r3(free.mibPerSec) },
      note: `${mib} MiB in ${lim.seconds.toFixed(2)} s; unlimited ${free.mibPerSec.toFixed(0)} MiB/s`,
    };
  },
});

// ---- isolation overhead ----

const WORKLOADS = {
  cpu: { script: (k: number) => `i=0; while [ $i -lt ${k} ]; do i=$((i+1)); done`, start: 20_000 },
  syscall: { script: (k: number) => `dd if=/dev/zero of=/dev/null bs=1 count=${k} 2>/dev/null`, start: 20_000 },
};

/** Wall milliseconds of one run of busybox sh -c script, plain (child_process) or isolated (Bulkhead's full defaults with BENCH_LIMITS). */
async function runWorkload(ctx: SpawnContext, script: string, isolated: boolean): Promise<number> {
  const rootfs = ctx.rootfs as string;
  const t0 = hr();
  if (!isolated) {
    await new Promise<void>((resolve, reject) => {
      const c = cp.spawn(path.join(rootfs, 'bin', 'busybox'), ['sh', '-c', script], { stdio: 'ignore' });
      c.once('error', reject);
      c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`plain workload exited ${code}`))));
    });
  } else {
    await spawn('/bin/busybox', ['sh', '-c', script], fullDefaults(ctx, ctx.limitsUnavailable() ? {} : BENCH_LIMITS, { stdio: 'ignore', buffer: false, reject: true }));
  }
  return Number(hr() - t0) / 1e6;
}
/** Scales the workload until a plain run takes targetMs to 3x that. */
async function calibrate(ctx: SpawnContext, kind: keyof typeof WORKLOADS, targetMs: number): Promise<number> {
  let k = WORKLOADS[kind].start;
  for (let i = 0; i < 12; i++) {
    const t = await runWorkload(ctx, WORKLOADS[kind].script(k), false);
    if (t >= targetMs && t <= 3 * targetMs) return k;
    k = Math.max(1000, Math.ceil(k * Math.min(8, Math.max(0.1, (targetMs * 1.3) / Math.max(t, 1)))));
  }
  return k;
}

/** Standard deviation over mean, in percent. */
const spreadPct = (xs: number[]) => Number(((100 * stddev(xs)) / mean(xs)).toFixed(1));

const overheadCase = (kind: keyof typeof WORKLOADS, label: string, measures: string): LimitCase => ({
  id: `overhead-${kind}`,
  group: 'overhead',
  label,
  requested: null,
  measures,
  skip: (ctx) => (ctx.spawn.rootfs ? (ctx.spawn.v2 ? null : 'no cgroup v2 hierarchy is mounted') : `no busybox rootfs: ${ctx.spawn.rootfsMissing}`),
  async run(ctx) {
    const k = await calibrate(ctx.spawn, kind, 300);
    const script = WORKLOADS[kind].script(k);
    const plain: number[] = [];
    const isolated: number[] = [];
    ctx.progress.start(label, ctx.reps, 1);
    await runWorkload(ctx.spawn, script, true);
    ctx.progress.warm(1);
    // Alternate, so drift in the machine's speed hits both alike.
    for (let i = 1; i <= ctx.reps; i++) {
      plain.push(await runWorkload(ctx.spawn, script, false));
      isolated.push(await runWorkload(ctx.spawn, script, true));
      ctx.progress.tick(i);
    }
    const r = ratio(median(isolated), median(plain));
    ctx.progress.done(`${r?.toFixed(3)}x (isolated ${median(isolated).toFixed(1)} ms, plain ${median(plain).toFixed(1)} ms)`);
    return {
      measured: { value: r === null ? NaN : Number(r.toFixed(4)), unit: 'x plain' },
      ratio: r === null ? null : Number(r.toFixed(4)),
      details: {
        iterations: k,
        plainMedianMs: Number(median(plain).toFixed(3)),
        isolatedMedianMs: Number(median(isolated).toFixed(3)),
        plainSpreadPct: spreadPct(plain),
        isolatedSpreadPct: spreadPct(isolated),
        plainMs: plain.map((x) => Number(x.toFixed(3))),
        isolatedMs: isolated.map((x) => Number(x.toFixed(3))),
      },
      note: `median ${median(isolated).toFixed(0)} ms isolated, ${median(plain).toFixed(0)} ms plain; run-to-run spread (stddev/mean) ${spreadPct(isolated)}% and ${spreadPct(plain)}%, so differences below that are noise. Isolated: Bulkhead's full defaults (the seccomp profile filters every system call) with ${ctx.spawn.limitsUnavailable() ? 'a group without limits' : 'memory.max 64m, cpu.max 1 CPU (not binding), pids.max 64'}; spawn cost included in both`,
    };
  },
});

export const LIMIT_CASES: LimitCase[] = [
  ...[10, 25, 50, 100].map((p) => cpuCase(p)),
  ...[16, 64, 256].map((m) => memCase(m)),
  memHighCase(),
  ...[8, 32, 128].map(pidsCase),
  ioCase('read', 2),
  ioCase('read', 8),
  ioCase('write', 2),
  ioCase('write', 8),
  overheadCase('cpu', 'isolation overhead: CPU-bound', 'a busybox sh counting loop, isolated against plain, as a ratio of wall time'),
  overheadCase('syscall', 'isolation overhead: syscall-heavy', 'busybox dd bs=1 from /dev/zero to /dev/null (two syscalls a byte), isolated against plain, as a ratio of wall time'),
];

/** Builds bench-helper.c static into the rootfs (once); returns its path inside the container. */
function helperBuilder(sctx: SpawnContext): () => string {
  let built: string | null = null;
  return () => {
    if (built) return built;
    if (!sctx.rootfs) throw new Error(`no busybox rootfs: ${sctx.rootfsMissing}`);
    const src = path.resolve(__dirname, '..', '..', 'benchmarks', 'bench-helper.c');
    const out = path.join(sctx.rootfs, 'bin', 'bench-helper');
    try {
      cp.execFileSync('cc', ['-O2', '-static', '-o', out, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      throw new Error(`cc -static ${src} failed: ${firstLines(String((err as { stderr?: Buffer }).stderr ?? (err as Error).message))}`);
    }
    built = '/bin/bench-helper';
    return built;
  };
}

export async function runLimitsBench(o: { where: Where; progress: Progress; reps?: number; only?: string[] }): Promise<LimitsResults> {
  const startedAt = new Date().toISOString();
  const host = await describeHost(o.where);
  const { ctx: sctx, dispose } = createContext(o.where);
  const ctx: LimitContext = { spawn: sctx, progress: o.progress, reps: o.reps ?? 11, helper: helperBuilder(sctx) };
  const rows: LimitRow[] = [];
  try {
    for (const c of LIMIT_CASES) {
      if (o.only && !o.only.includes(c.id)) continue;
      const row: LimitRow = { id: c.id, group: c.group, label: c.label, requested: c.requested, measures: c.measures, status: 'skipped' };
      const why = c.needs ? `not implemented yet: ${c.needs}` : (c.skip?.(ctx) ?? (c.run ? null : 'no run function'));
      if (why) {
        row.reason = why;
        o.progress.note(`${c.label}: skipped: ${why}`);
      } else {
        try {
          Object.assign(row, await (c.run as NonNullable<LimitCase['run']>)(ctx));
          row.status = 'ok';
        } catch (err) {
          row.status = 'failed';
          row.reason = (err as Error).message;
          o.progress.done(`failed: ${row.reason}`);
        }
      }
      rows.push(row);
    }
  } finally {
    dispose();
  }
  return { benchmark: 'limits', where: o.where, startedAt, finishedAt: new Date().toISOString(), host, rows, leftovers: checkLeftovers() };
}
