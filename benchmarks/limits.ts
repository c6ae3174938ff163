// Limit accuracy (run in UML, a pure cgroup v2 kernel, by `npm run bench --
// limits`): what each cgroup limit lets through against what was asked for, and
// what isolation costs a workload. The limit cases need lib/cgroup, which is
// not built yet: they are listed here, skipped with that reason, each ready for
// its `run`. The isolation-overhead cases need only spawn() and run today.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from '../lib/index';
import { describeHost, type HostDescription, type Where } from './env';
import { rmdirCgroup } from './harness';
import type { Progress } from './progress';
import { checkLeftovers, createContext, type SpawnContext } from './spawn';
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
  /** Repetitions per measurement. */
  reps: number;
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

const LIB_CGROUP = 'cgroup limits (lib/cgroup)';
const MiB = 'MiB';

const cpuCase = (pct: number): LimitCase => ({
  id: `cpu-max-${pct}`,
  group: 'cpu',
  label: `cpu.max ${pct}% of a CPU`,
  requested: { value: pct, unit: '% of a CPU' },
  measures: 'the CPU share a busy loop gets, over 3 s windows (cpu.stat usage_usec / wall time)',
  needs: LIB_CGROUP,
});

const memCase = (mib: number): LimitCase => ({
  id: `memory-max-${mib}`,
  group: 'memory',
  label: `memory.max ${mib} MiB`,
  requested: { value: mib, unit: MiB },
  measures: 'peak usage (memory.peak) when the OOM kill comes; time from crossing the limit to the kill event reaching JS',
  needs: LIB_CGROUP,
});

const ioCase = (dir: 'read' | 'write', mibPerSec: number): LimitCase => ({
  id: `io-max-${dir}`,
  group: 'io',
  label: `io.max ${dir === 'read' ? 'rbps' : 'wbps'} ${mibPerSec} MiB/s`,
  requested: { value: mibPerSec, unit: 'MiB/s' },
  measures: `${dir} throughput with O_DIRECT on a UML block device (ubd) backed by a file`,
  needs: `${LIB_CGROUP}; a ubd disk in the guest`,
});

// ---- isolation overhead: runs today ----

const WORKLOADS = {
  cpu: { script: (k: number) => `i=0; while [ $i -lt ${k} ]; do i=$((i+1)); done`, start: 20_000 },
  syscall: { script: (k: number) => `dd if=/dev/zero of=/dev/null bs=1 count=${k} 2>/dev/null`, start: 20_000 },
};

/** Wall milliseconds of one run of busybox sh -c script, plain (child_process) or isolated (Bulkhead). */
async function runWorkload(ctx: SpawnContext, script: string, isolated: boolean): Promise<number> {
  const rootfs = ctx.rootfs as string;
  const t0 = process.hrtime.bigint();
  if (!isolated) {
    await new Promise<void>((resolve, reject) => {
      const c = cp.spawn(path.join(rootfs, 'bin', 'busybox'), ['sh', '-c', script], { stdio: 'ignore' });
      c.once('error', reject);
      c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`plain workload exited ${code}`))));
    });
  } else {
    const dir = path.join(ctx.cgroupParent(), `w${process.hrtime.bigint()}`);
    fs.mkdirSync(dir);
    try {
      await spawn('/bin/busybox', ['sh', '-c', script], { rootfs, env: { PATH: '/bin' }, stdio: 'ignore', buffer: false, cgroup: dir });
    } finally {
      await rmdirCgroup(dir);
    }
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
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
      note: `median ${median(isolated).toFixed(0)} ms isolated, ${median(plain).toFixed(0)} ms plain; run-to-run spread (stddev/mean) ${spreadPct(isolated)}% and ${spreadPct(plain)}%, so differences below that are noise. Isolated: Bulkhead with rootfs and a cgroup (no limits); secure defaults (seccomp would weigh on syscalls) not implemented yet; spawn cost included in both`,
    };
  },
});

export const LIMIT_CASES: LimitCase[] = [
  ...[10, 25, 50, 100].map(cpuCase),
  ...[16, 64, 256].map(memCase),
  {
    id: 'memory-high-64',
    group: 'memory',
    label: 'memory.high 64 MiB',
    requested: { value: 64, unit: MiB },
    measures: 'slowdown of an allocator that crosses memory.high (time per MiB above the line against below it)',
    needs: LIB_CGROUP,
  },
  {
    id: 'pids-max-32',
    group: 'pids',
    label: 'pids.max 32',
    requested: { value: 32, unit: 'processes' },
    measures: 'the exact count of successful forks before EAGAIN',
    needs: LIB_CGROUP,
  },
  ioCase('read', 4),
  ioCase('write', 4),
  overheadCase('cpu', 'isolation overhead: CPU-bound', 'a busybox sh counting loop, isolated against plain, as a ratio of wall time'),
  overheadCase('syscall', 'isolation overhead: syscall-heavy', 'busybox dd bs=1 from /dev/zero to /dev/null (two syscalls a byte), isolated against plain, as a ratio of wall time'),
];

export async function runLimitsBench(o: { where: Where; progress: Progress; reps?: number; only?: string[] }): Promise<LimitsResults> {
  const startedAt = new Date().toISOString();
  const host = await describeHost(o.where);
  const { ctx: sctx, dispose } = createContext(o.where);
  const ctx: LimitContext = { spawn: sctx, progress: o.progress, reps: o.reps ?? 7 };
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
