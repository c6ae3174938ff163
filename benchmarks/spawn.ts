// Spawn latency: /bin/true started N times by child_process.spawn (the floor),
// by its peers (unshare, bwrap, crun, runc) and by Bulkhead in steps, each as a
// median, a p95 and a ratio to the floor; and Bulkhead 8 and 32 at a time as
// spawns per second. The Bulkhead rows are steps, each adding one thing to the
// one before: namespaces with security off, + rootfs, + a group, + limits, and
// the full defaults (Docker's capabilities, no_new_privs, the seccomp profile,
// masked and read-only paths). Rows that cannot run here are kept, skipped with
// the reason.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { capabilityNames, CAPABILITY_NAMES } from '../lib/caps/names';
import { attachDevicePolicy, DEFAULT_DEVICE_RULES } from '../lib/cgroup/devices/index';
import { Cgroup, spawn, type Limits, type SpawnOptions } from '../lib/index';
import { busyboxMissing, makeBusyboxRootfs } from '../support/rootfs';
import { cgroupLayout, describeHost, v2Mount, which, type HostDescription, type Where } from './env';
import { firstLines, livingChildren, onCleanup, rmdirCgroupSync, run, timeConcurrent, timeSequential, type Op } from './harness';
import { makeBundle } from './oci';
import { RESULT_MARK } from './peer-loop';
import { replayProgress, type Progress } from './progress';
import { median, perSecond, ratio, summarize, type Summary } from './stats';

export type Group = 'floor' | 'peer' | 'bulkhead' | 'throughput';

export interface SpawnRow {
  id: string;
  label: string;
  group: Group;
  /** Operations in flight at once (1: one after another). */
  concurrency: number;
  /** What runs, as a command line or an API call. */
  command: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  /** What is special about how it ran here. */
  note?: string;
  /** Milliseconds per spawn, from start to exit (under load for throughput rows). */
  stats?: Summary;
  /**
   * Cost relative to the floor: median / child_process.spawn's median; for
   * throughput rows, child_process.spawn's spawns per second at the same
   * concurrency / this row's (both: how many times the floor's cost).
   */
  ratio?: number | null;
  /** Timed operations per second of wall time. */
  spawnsPerSec?: number | null;
  /** Wall time of the timed batch, milliseconds. */
  wallMs?: number;
  samplesMs?: number[];
}

export interface Goal {
  id: 'floor-2x' | 'crun-3x';
  description: string;
  /** The row measured for "Bulkhead with full defaults". */
  subject: string | null;
  subjectLabel: string | null;
  /** floor-2x: Bulkhead median / floor median (goal <= 2); crun-3x: crun median / Bulkhead median (goal >= 3). */
  measured: number | null;
  target: number;
  met: boolean | null;
  detail: string;
}

export interface SpawnResults {
  benchmark: 'spawn';
  where: Where;
  startedAt: string;
  finishedAt: string;
  params: { n: number; warmup: number };
  host: HostDescription;
  rows: SpawnRow[];
  goals: Goal[];
  /** Checked after the run: children still there, cgroups left behind. */
  leftovers: string[];
  /** os.loadavg() (1, 5, 15 minutes) before and after: other work on the machine skews the numbers. */
  loadAverage: { start: number[]; end: number[] };
  /** For a UML run: the host's load average around the boot (the guest's own says little). */
  hostLoadAverage?: { start: number[]; end: number[] };
}

/** Full defaults (lib/spawn, lib/seccomp, lib/security) exist: the bulkhead-full row and the goals use them. */
export const FULL_DEFAULTS = {
  implemented: true,
  /** The row the goals measure. */
  row: 'bulkhead-full',
};

/** Cgroup limits (lib/cgroup) exist; where the v2 hierarchy lacks a controller the limits row is skipped with lib/cgroup's own error. */
export const LIMITS_IMPLEMENTED = true;

/**
 * The limits of the `+ cgroup limits` and full-defaults rows (and of the
 * throughput and isolation-overhead runs): real memory, cpu and pids limits
 * that /bin/true and the overhead workloads never reach (cpu.max one whole CPU,
 * so bandwidth control is armed but a single thread is never throttled).
 */
export const BENCH_LIMITS: Limits = { memory: { max: '64m' }, cpu: { max: 1 }, pids: { max: 64 } };

export interface SpawnContext {
  where: Where;
  layout: ReturnType<typeof cgroupLayout>;
  v2: string | null;
  /** A temporary directory for bundles. */
  work: string;
  rootfs: string | null;
  rootfsMissing: string | null;
  /** A group under the v2 hierarchy for this run, created on first use. */
  cgroupParent(): string;
  /** Why BENCH_LIMITS cannot be set here (lib/cgroup's error from a real attempt), or null; probed once. */
  limitsUnavailable(): string | null;
  /** "Security off" capabilities: ['ALL'], or every capability this process has when it lacks some (capAdd ALL would fail at capset). */
  allCaps: string[];
  /** A container id not used before in this run. */
  nextId(): string;
}

type Measure = (n: number, warmup: number, progress: Progress) => Promise<{ samples: number[]; wallMs?: number; note?: string }>;
type Prepared = ({ op: Op; check?: Op } | { measure: Measure }) & { cleanup?: () => void; /** Appended to the row's note (what a check saw inside). */ note?: string };

export interface SpawnCase {
  id: string;
  label: string;
  /** A label that depends on the machine (default label). */
  labelFor?(ctx: SpawnContext): string;
  group: Group;
  concurrency: number;
  command(ctx: SpawnContext): string;
  /** Why it cannot run here, or null. */
  skip(ctx: SpawnContext): string | null;
  prepare(ctx: SpawnContext): Promise<Prepared>;
  note?(ctx: SpawnContext): string | undefined;
}

const TRUE = '/bin/true';
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
const notInstalled = (cmd: string, pkg: string) => (which(cmd) ? null : `${cmd} is not installed (apt-get install -y ${pkg})`);
const needRootfs = (ctx: SpawnContext) => (ctx.rootfs ? null : `no busybox rootfs: ${ctx.rootfsMissing}`);
const firstOf = (...reasons: Array<() => string | null>) => {
  for (const r of reasons) {
    const why = r();
    if (why) return why;
  }
  return null;
};

const ENV = { PATH: '/bin' };

export type Step = 'ns' | 'rootfs' | 'devices' | 'cgroup' | 'limits' | 'full';

export interface StepEnv {
  rootfs: string;
  /** The parent of the per-spawn groups. */
  parent: string;
  /** Capabilities that mean "all" here (see SpawnContext.allCaps). */
  allCaps: string[];
  /** Whether BENCH_LIMITS can be set (full: no group otherwise). */
  limits: boolean;
}

/** Security off: every capability, no seccomp filter, no no_new_privs, nothing masked or made read-only. */
export const securityOff = (allCaps: string[]): SpawnOptions => ({ seccomp: false, capAdd: allCaps, noNewPrivileges: false, maskedPaths: [], readonlyPaths: [] });

/**
 * Bulkhead's options for each step. Every container has a group of its own (made,
 * CLONE_INTO_CGROUP, removed after the exit) wherever a v2 hierarchy is mounted;
 * each step adds one thing to the one before: `ns` namespaces without a mount
 * namespace, security off, no device program (devices: 'unrestricted'); `rootfs` +
 * the mount namespace, /proc, /dev, /sys and pivot_root; `devices` + the device
 * program attached to the group (the default allow list); `cgroup` + the group's
 * counters read after the exit (`limits: {}`); `limits` + memory, cpu and pids
 * limits in it; `full` the same with spawn()'s security defaults left on (where
 * limits cannot be set, the group with its device program and no limits). Pure.
 */
export function bulkheadOptions(step: Step, e: StepEnv): SpawnOptions {
  const common: SpawnOptions = { env: ENV, stdio: 'ignore', buffer: false, ...(e.parent ? { cgroup: e.parent } : {}) };
  const unrestricted: SpawnOptions = { devices: 'unrestricted' };
  if (step === 'ns') return { ...common, ...securityOff(e.allCaps), ...unrestricted, namespaces: { mount: false } };
  const withRoot: SpawnOptions = { ...common, rootfs: e.rootfs };
  if (step === 'full') return e.limits ? { ...withRoot, limits: BENCH_LIMITS } : withRoot;
  const bare = { ...withRoot, ...securityOff(e.allCaps) };
  if (step === 'rootfs') return { ...bare, ...unrestricted };
  if (step === 'devices') return bare;
  return { ...bare, limits: step === 'limits' ? BENCH_LIMITS : {} };
}

/** The step's options in this run's context (creates the run's parent group when a step needs one). */
function optionsFor(step: Step, ctx: SpawnContext): SpawnOptions {
  return bulkheadOptions(step, {
    rootfs: ctx.rootfs as string,
    parent: ctx.v2 ? ctx.cgroupParent() : '',
    allCaps: ctx.allCaps,
    limits: step === 'limits' || (step === 'full' && ctx.limitsUnavailable() === null),
  });
}

const bulkheadOp = (opts: SpawnOptions): Op => async () => {
  await spawn(TRUE, [], opts);
};

/** The call as text, with placeholders for this run's paths. */
export function describeOptions(o: SpawnOptions, program = TRUE): string {
  const shown: Record<string, unknown> = { ...o };
  if (o.rootfs) shown.rootfs = 'ROOTFS';
  if (o.cgroup) shown.cgroup = 'PARENT';
  if (o.capAdd && !(o.capAdd.length === 1 && o.capAdd[0] === 'ALL')) shown.capAdd = `<all ${o.capAdd.length} this process has>`;
  return `spawn('${program}', [], ${JSON.stringify(shown)})`;
}

const describeStep = (step: Step, ctx: SpawnContext) =>
  describeOptions(bulkheadOptions(step, { rootfs: 'ROOTFS', parent: ctx.v2 ? 'PARENT' : '', allCaps: ctx.allCaps, limits: step === 'limits' || (step === 'full' && ctx.limitsUnavailable() === null) }));

/** What the process saw inside: seccomp mode, no_new_privs, effective capabilities, and its group's limits. */
export function parseInside(text: string): { seccomp: string; noNewPrivs: string; capEff: string; limits: Record<string, string> } {
  const field = (k: string) => text.match(new RegExp(`^${k}:\\s*(\\S+)`, 'm'))?.[1] ?? '?';
  const limits: Record<string, string> = {};
  for (const m of text.matchAll(/^(memory\.max|cpu\.max|pids\.max)=(.*)$/gm)) limits[m[1]] = m[2].trim();
  return { seccomp: field('Seccomp'), noNewPrivs: field('NoNewPrivs'), capEff: field('CapEff'), limits };
}

/**
 * Runs the step's options once with a shell instead of /bin/true (untimed) and
 * says what it saw, so that each row is shown to be the step it claims.
 */
async function checkInside(step: Step, opts: SpawnOptions): Promise<string> {
  const sh = step === 'ns' ? '/bin/sh' : '/bin/busybox';
  const script =
    'grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status; for f in memory.max cpu.max pids.max; do [ -r /sys/fs/cgroup/$f ] && echo "$f=$(cat /sys/fs/cgroup/$f)"; done; true';
  const r = await spawn(sh, step === 'ns' ? ['-c', script] : ['sh', '-c', script], { ...opts, stdio: 'pipe', buffer: true, env: { PATH: '/bin:/usr/bin' } });
  const i = parseInside(String(r.stdout));
  const caps = i.capEff === '00000000a80425fb' ? `CapEff ${i.capEff} (Docker's 14)` : `CapEff ${i.capEff}`;
  const lim = Object.entries(i.limits).map(([k, v]) => `${k} ${v}`).join(', ');
  return `checked inside: seccomp mode ${i.seccomp}, no_new_privs ${i.noNewPrivs}, ${caps}${lim ? `; ${lim}` : step === 'ns' || step === 'rootfs' || step === 'devices' ? '' : '; no limit files (no controllers)'}`;
}

/** Why crun/runc cannot run on this cgroup layout, or null. */
function runtimeCgroupSkip(runtime: 'crun' | 'runc', ctx: SpawnContext): string | null {
  if (ctx.layout === 'unified') return null;
  if (ctx.layout === 'hybrid') {
    if (runtime === 'crun') return null;
    return 'hybrid cgroup host (/sys/fs/cgroup is a tmpfs of v1 hierarchies, v2 only at /sys/fs/cgroup/unified): runc creates its cgroups in the v1 hierarchies, which are not this benchmark\'s to write; it runs in UML (`npm run bench -- spawn --vm`)';
  }
  return `cgroup layout "${ctx.layout}": ${runtime} would create its cgroups in v1 hierarchies, which are not this benchmark's to write; it runs in UML (\`npm run bench -- spawn --vm\`)`;
}

/**
 * crun on a hybrid host refuses to start ("cgroups in hybrid mode not
 * supported") even with --cgroup-manager=disabled. In a private mount namespace
 * with an empty tmpfs over /sys/fs/cgroup/unified it sees no v2 mount; with
 * --cgroup-manager=disabled it then creates no cgroup at all (without it, it would
 * create one in every v1 hierarchy). The loop runs in a node of its own inside
 * that namespace, so only `crun run` is timed.
 */
function crunHybridMeasure(bundle: string): Measure {
  return (n, warmup, progress) =>
    new Promise((resolve, reject) => {
      const argv = ['crun', '--cgroup-manager=disabled', 'run', '--bundle', bundle, '{id}'];
      // unshare and sh exec into the helper node: killing this pid ends the loop.
      const script = 'mount -t tmpfs -o size=4k,mode=755 bulkhead-bench-no-cgroup2 /sys/fs/cgroup/unified && exec "$0" "$@"';
      const child = cp.spawn(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-c', script, process.execPath, path.join(__dirname, 'peer-loop.js'), JSON.stringify({ argv, n, warmup, floor: true })],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const unregister = onCleanup(() => child.kill('SIGKILL'));
      let buf = '';
      let stderr = '';
      let result: { samples?: number[]; floorSamples?: number[]; error?: string } | null = null;
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith(`${RESULT_MARK}\t`)) result = JSON.parse(line.slice(RESULT_MARK.length + 1));
          else replayProgress(line, progress);
        }
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => {
        unregister();
        const r = result as { samples?: number[]; floorSamples?: number[]; error?: string } | null;
        const floor = r?.floorSamples?.length ? ` child_process.spawn('${TRUE}') from that helper: ${ms(median(r.floorSamples))} median.` : '';
        if (r?.samples) resolve({ samples: r.samples, note: `timed from a helper node inside the namespace.${floor}` });
        else reject(new Error(r?.error ?? `crun helper exited ${code}: ${firstLines(stderr)}`));
      });
    });
}

function runtimeCase(runtime: 'crun' | 'runc', pkg: string): SpawnCase {
  return {
    id: runtime,
    label: `${runtime} run`,
    labelFor: (ctx) => (runtime === 'crun' && ctx.layout === 'hybrid' ? 'crun run (no cgroup)' : `${runtime} run`),
    group: 'peer',
    concurrency: 1,
    command: (ctx) =>
      runtime === 'crun' && ctx.layout === 'hybrid'
        ? `crun --cgroup-manager=disabled run --bundle BUNDLE ID (in unshare --mount --propagation private, tmpfs over /sys/fs/cgroup/unified)`
        : `${runtime} run --bundle BUNDLE ID`,
    skip: (ctx) => firstOf(() => notInstalled(runtime, pkg), () => needRootfs(ctx), () => runtimeCgroupSkip(runtime, ctx)),
    note: (ctx) =>
      runtime === 'crun' && ctx.layout === 'hybrid'
        ? 'hybrid host: no cgroup is created (crun refuses hybrid mode; with v2 hidden it would create groups in the v1 hierarchies, so its cgroup manager is disabled); bundle without a /sys/fs/cgroup mount'
        : undefined,
    async prepare(ctx) {
      const bundle = makeBundle(runtime, path.join(ctx.work, `${runtime}-bundle`), {
        rootfs: ctx.rootfs as string,
        args: [TRUE],
        dropCgroupMount: ctx.layout === 'hybrid',
      });
      if (runtime === 'crun' && ctx.layout === 'hybrid') return { measure: crunHybridMeasure(bundle) };
      const argv = () => [runtime, 'run', '--bundle', bundle, ctx.nextId()];
      return { op: () => run(argv()), check: () => run(argv(), { captureStderr: true }) };
    },
  };
}

function commandCase(id: string, label: string, argv: (ctx: SpawnContext) => string[], skip: (ctx: SpawnContext) => string | null): SpawnCase {
  return {
    id,
    label,
    group: 'peer',
    concurrency: 1,
    command: (ctx) => argv(ctx).map((a) => (a === ctx.rootfs ? 'ROOTFS' : a)).join(' '),
    skip,
    async prepare(ctx) {
      const a = argv(ctx);
      return { op: () => run(a), check: () => run(a, { captureStderr: true }) };
    },
  };
}

const needV2 = (ctx: SpawnContext) => (ctx.v2 ? null : 'no cgroup v2 hierarchy is mounted');

const limitsText = () =>
  `memory.max ${BENCH_LIMITS.memory?.max}, cpu.max ${BENCH_LIMITS.cpu?.max} CPU, pids.max ${BENCH_LIMITS.pids?.max}`;

/** The full-defaults label's suffix where the limits cannot be set. */
const fullSuffix = (ctx: SpawnContext) => (ctx.limitsUnavailable() ? ' (no limits)' : '');

/**
 * A row that is not a spawn: the group's own cost, made and removed alone in a loop
 * (mkdir, open, then with `attach` the device program's BPF_PROG_ATTACH, close,
 * rmdir), to set beside the spawn rows' differences.
 */
function groupAloneCase(id: string, label: string, attach: boolean): SpawnCase {
  return {
    id,
    label,
    group: 'bulkhead',
    concurrency: 1,
    command: () => `Cgroup.create(name, undefined, { parent: PARENT }); open(2) the directory${attach ? '; bpf(BPF_PROG_ATTACH) of the default device program' : ''}; close(2); rmdir(2)`,
    note: () => `not a spawn: what ${attach ? 'a group with its device program' : 'a group'} costs on its own (no process in it)`,
    skip: (ctx) => needV2(ctx),
    async prepare(ctx) {
      const parent = ctx.cgroupParent();
      let i = 0;
      return {
        op: async () => {
          const g = Cgroup.create(`alone-${process.pid}-${++i}`, undefined, { parent });
          const fd = fs.openSync(g.path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
          try {
            if (attach) attachDevicePolicy(fd, g.path, DEFAULT_DEVICE_RULES);
          } finally {
            fs.closeSync(fd);
            await g.destroy();
          }
        },
      };
    },
  };
}

function bulkheadCase(
  step: Step,
  id: string,
  label: string,
  o: { note: (ctx: SpawnContext) => string; skip?: (ctx: SpawnContext) => string | null; labelFor?: (ctx: SpawnContext) => string },
): SpawnCase {
  return {
    id,
    label,
    labelFor: o.labelFor,
    group: 'bulkhead',
    concurrency: 1,
    command: (ctx) => describeStep(step, ctx),
    note: o.note,
    skip: o.skip ?? (() => null),
    async prepare(ctx) {
      const opts = optionsFor(step, ctx);
      const seen = await checkInside(step, opts);
      return { op: bulkheadOp(opts), note: seen };
    },
  };
}

function throughputCases(concurrency: number): SpawnCase[] {
  return [
    {
      id: `floor-x${concurrency}`,
      label: `child_process.spawn, ${concurrency} at a time`,
      group: 'throughput',
      concurrency,
      command: () => `child_process.spawn('${TRUE}'), ${concurrency} in flight`,
      skip: () => null,
      async prepare() {
        return { op: () => run([TRUE]) };
      },
    },
    {
      id: `bulkhead-x${concurrency}`,
      label: `Bulkhead full defaults, ${concurrency} at a time`,
      group: 'throughput',
      concurrency,
      labelFor: (ctx) => `Bulkhead full defaults${fullSuffix(ctx)}, ${concurrency} at a time`,
      command: (ctx) => `${describeStep('full', ctx)}, ${concurrency} in flight`,
      skip: (ctx) => firstOf(() => needRootfs(ctx), () => needV2(ctx)),
      note: (ctx) => `the full-defaults row's options${ctx.limitsUnavailable() ? ' (no limits: this host\'s v2 hierarchy cannot take them)' : ''}`,
      async prepare(ctx) {
        return { op: bulkheadOp(optionsFor('full', ctx)) };
      },
    },
  ];
}

export const SPAWN_CASES: SpawnCase[] = [
  {
    id: 'floor',
    label: 'child_process.spawn',
    group: 'floor',
    concurrency: 1,
    command: () => `child_process.spawn('${TRUE}'), await 'exit'`,
    skip: () => null,
    async prepare() {
      return { op: () => run([TRUE]), check: () => run([TRUE], { captureStderr: true }) };
    },
  },
  commandCase('unshare', 'unshare (5 namespaces)', () => ['unshare', '--mount', '--uts', '--ipc', '--net', '--pid', '--fork', TRUE], () => notInstalled('unshare', 'util-linux')),
  commandCase(
    'bwrap',
    'bwrap (rootfs)',
    (ctx) => ['bwrap', '--bind', ctx.rootfs ?? 'ROOTFS', '/', '--proc', '/proc', '--dev', '/dev', '--unshare-all', TRUE],
    (ctx) => firstOf(() => notInstalled('bwrap', 'bubblewrap'), () => needRootfs(ctx)),
  ),
  runtimeCase('crun', 'crun'),
  runtimeCase('runc', 'runc'),
  groupAloneCase('cgroup-alone', 'a group alone (no spawn)', false),
  groupAloneCase('devices-alone', 'a group + device program alone (no spawn)', true),
  bulkheadCase('ns', 'bulkhead-ns', 'Bulkhead: namespaces only', {
    note: () => "new pid, uts, ipc, net and cgroup namespaces in a group of their own with no device program (devices: 'unrestricted'); no mount namespace, so no mounts; security off (every capability this process has, no seccomp filter, no no_new_privs); the host's /bin/true",
  }),
  bulkheadCase('rootfs', 'bulkhead-rootfs', 'Bulkhead: + rootfs, pivot_root', {
    note: () => "+ the mount namespace: /proc, /dev (tmpfs, 6 device nodes, devpts, shm, mqueue), /sys, pivot_root into the busybox rootfs; still no device program; security off, nothing masked or read-only",
    skip: needRootfs,
  }),
  bulkheadCase('devices', 'bulkhead-devices', 'Bulkhead: + device program', {
    note: () => "+ the default device allow list: its eBPF program (loaded once) attached to the container's group with one BPF_PROG_ATTACH before the clone; security off",
    skip: (ctx) => firstOf(() => needRootfs(ctx), () => needV2(ctx)),
  }),
  bulkheadCase('cgroup', 'bulkhead-cgroup', 'Bulkhead: + group counters', {
    note: (ctx) => `+ limits: {} on the group under ${ctx.v2 ?? 'the v2 hierarchy'}: its counters (cpu, memory and pids peaks, io) read after the exit; security off`,
    skip: (ctx) => firstOf(() => needRootfs(ctx), () => needV2(ctx)),
  }),
  bulkheadCase('limits', 'bulkhead-limits', 'Bulkhead: + cgroup limits', {
    note: () => `+ ${limitsText()} in that group; security off`,
    skip: (ctx) =>
      firstOf(
        () => (LIMITS_IMPLEMENTED ? null : 'cgroup limits are not implemented'),
        () => needRootfs(ctx),
        () => needV2(ctx),
        () => {
          const why = ctx.limitsUnavailable();
          return why ? `this host's cgroup v2 hierarchy cannot take memory, cpu and pids limits: ${why}` : null;
        },
      ),
  }),
  bulkheadCase('full', 'bulkhead-full', 'Bulkhead: + full secure defaults', {
    labelFor: (ctx) => `Bulkhead: + full secure defaults${fullSuffix(ctx)}`,
    note: (ctx) =>
      `spawn()'s defaults left on: Docker's 14 capabilities, no_new_privs, the default seccomp profile, masked and read-only paths; rootfs; ${
        ctx.limitsUnavailable() ? `a group of its own with the device program and no limits: this host's v2 hierarchy cannot take them (the + cgroup limits row says why); crun makes no group here` : `a group per spawn with the device program and ${limitsText()}`
      }`,
    skip: (ctx) => firstOf(() => (FULL_DEFAULTS.implemented ? null : 'secure defaults are not implemented'), () => needRootfs(ctx)),
  }),
  ...throughputCases(8),
  ...throughputCases(32),
];

/** Timed operations for a throughput row: at least 8 rounds of its concurrency, so ramp-up and tail stay small. */
export const throughputCount = (n: number, concurrency: number): number => Math.max(n, 8 * concurrency);

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Fills in each row's ratio to the floor (see SpawnRow.ratio). */
export function computeRatios(rows: SpawnRow[]): void {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const floor = byId.get('floor');
  for (const r of rows) {
    if (r.status !== 'ok' || !r.stats) continue;
    if (r.group === 'throughput') {
      const ref = byId.get(`floor-x${r.concurrency}`);
      r.ratio = ref?.status === 'ok' ? ratio(ref.spawnsPerSec, r.spawnsPerSec) : null;
    } else {
      r.ratio = floor?.status === 'ok' && floor.stats ? ratio(r.stats.median, floor.stats.median) : null;
    }
    if (r.ratio !== null && r.ratio !== undefined) r.ratio = round(r.ratio);
  }
}

/** The two goals, measured on the full-defaults row (not measured, with the reason, when it did not run). */
export function evaluateGoals(rows: SpawnRow[]): Goal[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const ok = (id: string) => {
    const r = byId.get(id);
    return r && r.status === 'ok' && r.stats ? r : undefined;
  };
  const subjectRow = byId.get(FULL_DEFAULTS.row);
  const subject = ok(FULL_DEFAULTS.row);
  const floor = ok('floor');
  const crun = ok('crun');
  const crunRow = byId.get('crun');
  const missing = (what: string, r: SpawnRow | undefined) => `${what} did not run${r?.reason ? ` (${r.reason})` : r ? '' : ' (not selected)'}`;
  const goals: Goal[] = [];

  const r1 = subject && floor ? ratio(subject.stats?.median, floor.stats?.median) : null;
  goals.push({
    id: 'floor-2x',
    description: 'Bulkhead with full defaults at or under 2x child_process.spawn',
    subject: subject?.id ?? null,
    subjectLabel: subject?.label ?? null,
    measured: r1 === null ? null : round(r1),
    target: 2,
    met: r1 === null ? null : r1 <= 2,
    detail:
      r1 === null || !subject || !floor
        ? `not measured: ${!floor ? missing('child_process.spawn', byId.get('floor')) : missing('Bulkhead with full defaults', subjectRow)}`
        : `${subject.label}: ${ms(subject.stats!.median)} median = ${r1.toFixed(2)}x child_process.spawn (${ms(floor.stats!.median)}): ${r1 <= 2 ? 'met' : 'not met'}`,
  });

  const r2 = subject && crun ? ratio(crun.stats?.median, subject.stats?.median) : null;
  goals.push({
    id: 'crun-3x',
    description: 'Bulkhead with full defaults at least 3x faster than crun run',
    subject: subject?.id ?? null,
    subjectLabel: subject?.label ?? null,
    measured: r2 === null ? null : round(r2),
    target: 3,
    met: r2 === null ? null : r2 >= 3,
    detail:
      r2 === null || !subject || !crun
        ? `not measured: ${!crun ? missing('crun run', crunRow) : missing('Bulkhead with full defaults', subjectRow)}`
        : `${crun.label} ${ms(crun.stats!.median)} / ${subject.label} ${ms(subject.stats!.median)} = ${r2.toFixed(2)}x faster: ${r2 >= 3 ? 'met' : 'not met'}`,
  });
  return goals;
}

async function runCase(c: SpawnCase, ctx: SpawnContext, n: number, warmup: number, progress: Progress): Promise<SpawnRow> {
  const row: SpawnRow = { id: c.id, label: c.labelFor?.(ctx) ?? c.label, group: c.group, concurrency: c.concurrency, command: c.command(ctx), status: 'skipped' };
  const note = c.note?.(ctx);
  if (note) row.note = note;
  const why = c.skip(ctx);
  if (why) {
    row.reason = why;
    progress.note(`${row.label}: skipped: ${why}`);
    return row;
  }
  const count = c.concurrency > 1 ? throughputCount(n, c.concurrency) : n;
  progress.start(c.concurrency > 1 ? `${row.label} (${count} spawns)` : row.label, count, warmup);
  let prepared: Prepared | undefined;
  try {
    prepared = await c.prepare(ctx);
    if (prepared.note) row.note = row.note ? `${row.note}; ${prepared.note}` : prepared.note;
    let samples: number[];
    let wallMs: number | undefined;
    if ('measure' in prepared) {
      let note: string | undefined;
      ({ samples, wallMs, note } = await prepared.measure(count, warmup, progress));
      if (note) row.note = row.note ? `${row.note}; ${note}` : note;
    } else {
      await (prepared.check ?? prepared.op)();
      if (c.concurrency > 1) ({ samples, wallMs } = await timeConcurrent(prepared.op, count, warmup, c.concurrency, progress));
      else samples = await timeSequential(prepared.op, count, warmup, progress);
    }
    const total = samples.reduce((a, b) => a + b, 0);
    row.status = 'ok';
    row.stats = summarize(samples);
    row.spawnsPerSec = perSecond(samples.length, wallMs ?? total);
    if (wallMs !== undefined) row.wallMs = round(wallMs, 3);
    row.samplesMs = samples.map((s) => round(s));
    progress.done(
      c.concurrency > 1
        ? `${row.spawnsPerSec?.toFixed(0)} spawns/s (${ms(row.stats.median)} median latency)`
        : `${ms(row.stats.median)} median, ${ms(row.stats.p95)} p95`,
    );
  } catch (err) {
    row.status = 'failed';
    row.reason = (err as Error).message;
    progress.done(`failed: ${row.reason}`);
  } finally {
    prepared?.cleanup?.();
  }
  return row;
}

/**
 * Capabilities for "security off": ['ALL'] when this process has every one the
 * kernel knows; otherwise the ones it has (capAdd: ['ALL'] would then fail at
 * capset with EPERM, as it does in a container whose bounding set lacks some).
 */
export function allCapabilities(status = fs.readFileSync('/proc/self/status', 'utf8'), capLast = readCapLast()): string[] {
  const hex = status.match(/^CapEff:\s*([0-9a-f]+)$/m)?.[1];
  if (!hex) return ['ALL'];
  const have = capabilityNames(BigInt(`0x${hex}`)).filter((c) => (CAPABILITY_NAMES as readonly string[]).includes(c));
  const known = CAPABILITY_NAMES.slice(0, capLast + 1);
  return known.every((c) => have.includes(c)) ? ['ALL'] : have;
}

function readCapLast(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return CAPABILITY_NAMES.length - 1;
  }
}

export function createContext(where: Where): { ctx: SpawnContext; dispose: () => void } {
  const disposers: Array<() => void> = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-bench-'));
  disposers.push(onCleanup(() => fs.rmSync(work, { recursive: true, force: true })));
  const rootfsMissing = busyboxMissing();
  let rootfs: string | null = null;
  if (!rootfsMissing) {
    const r = makeBusyboxRootfs();
    rootfs = r.dir;
    disposers.push(onCleanup(r.cleanup));
  }
  const v2 = v2Mount();
  let parent: string | null = null;
  let seq = 0;
  let limitsWhy: string | null | undefined;
  const ctx: SpawnContext = {
    where,
    layout: cgroupLayout(),
    v2,
    work,
    rootfs,
    rootfsMissing,
    cgroupParent() {
      if (parent) return parent;
      if (!v2) throw new Error('no cgroup v2 hierarchy is mounted');
      const dir = fs.mkdtempSync(path.join(v2, 'bulkhead-bench-'));
      parent = dir;
      disposers.push(
        onCleanup(() => {
          // Groups of an interrupted spawn first, then the parent.
          for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            if (!e.isDirectory()) continue;
            try {
              // A spawn in flight when the run was interrupted (cgroup.kill: Linux 5.14).
              fs.writeFileSync(path.join(dir, e.name, 'cgroup.kill'), '1');
            } catch {
              // empty already, or an older kernel: rmdir retries meanwhile
            }
            rmdirCgroupSync(path.join(dir, e.name));
          }
          rmdirCgroupSync(dir);
        }),
      );
      return dir;
    },
    limitsUnavailable() {
      if (limitsWhy !== undefined) return limitsWhy;
      if (!v2) return (limitsWhy = 'no cgroup v2 hierarchy is mounted');
      // A real attempt: lib/cgroup's own error says which controller is missing and why.
      try {
        const probe = Cgroup.create(`probe-${process.pid}`, BENCH_LIMITS, { parent: ctx.cgroupParent() });
        rmdirCgroupSync(probe.path);
        limitsWhy = null;
      } catch (err) {
        limitsWhy = (err as Error).message;
      }
      return limitsWhy;
    },
    allCaps: allCapabilities(),
    nextId: () => `bulkhead-bench-${process.pid}-${seq++}`,
  };
  return { ctx, dispose: () => disposers.reverse().forEach((d) => d()) };
}

/** What a finished run left behind: living children, groups under the v2 hierarchy. */
export function checkLeftovers(): string[] {
  const out: string[] = [];
  const kids = livingChildren();
  if (kids.length) out.push(`child processes still there: ${kids.join(', ')}`);
  const v2 = v2Mount();
  if (v2) {
    const mine = fs.readdirSync(v2).filter((d) => d.startsWith('bulkhead-bench-'));
    if (mine.length) out.push(`cgroups left under ${v2}: ${mine.join(', ')}`);
  }
  for (const state of ['/run/crun', '/run/runc']) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(state).filter((d) => d.startsWith('bulkhead-bench-'));
    } catch {
      // no state directory
    }
    if (names.length) out.push(`container state left in ${state}: ${names.join(', ')}`);
  }
  return out;
}

export interface SpawnBenchOptions {
  where: Where;
  n: number;
  warmup: number;
  progress: Progress;
  /** Only these case ids (default: all). */
  only?: string[];
}

export async function runSpawnBench(o: SpawnBenchOptions): Promise<SpawnResults> {
  const startedAt = new Date().toISOString();
  const loadStart = os.loadavg();
  o.progress.note('describing the host (systeminformation)');
  const host = await describeHost(o.where);
  o.progress.note('building the busybox rootfs');
  const { ctx, dispose } = createContext(o.where);
  const rows: SpawnRow[] = [];
  try {
    for (const c of SPAWN_CASES) {
      if (o.only && !o.only.includes(c.id)) continue;
      rows.push(await runCase(c, ctx, o.n, o.warmup, o.progress));
    }
  } finally {
    dispose();
  }
  computeRatios(rows);
  return {
    benchmark: 'spawn',
    where: o.where,
    startedAt,
    finishedAt: new Date().toISOString(),
    params: { n: o.n, warmup: o.warmup },
    host,
    rows,
    goals: evaluateGoals(rows),
    leftovers: checkLeftovers(),
    loadAverage: { start: loadStart.map((x) => round(x, 2)), end: os.loadavg().map((x) => round(x, 2)) },
  };
}
