// The benchmarks' other pure helpers: cgroup layout detection, OCI config edits,
// goals and ratios, SVG output, progress relay, the concurrent timing loop and
// the command line. No kernel, no root.
import t from 'tap';
import { cgroupLayoutFromTypes, CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC, TMPFS_MAGIC } from '../../../benchmarks/env';
import { timeConcurrent } from '../../../benchmarks/harness';
import { parseArgs, UsageError } from '../../../benchmarks/main';
import { editOciConfig } from '../../../benchmarks/oci';
import { createRelayProgress, replayProgress, silentProgress, type Progress } from '../../../benchmarks/progress';
import { shortReason } from '../../../benchmarks/report';
import { allCapabilities, BENCH_LIMITS, bulkheadOptions, computeRatios, describeOptions, evaluateGoals, parseInside, throughputCount, type SpawnRow } from '../../../benchmarks/spawn';
import { summarize } from '../../../benchmarks/stats';
import { barChart, esc, niceTicks, requestedVsMeasuredChart } from '../../../benchmarks/svg';

t.test('cgroup layout from the filesystem types of /sys/fs/cgroup and .../unified', async (t) => {
  t.equal(cgroupLayoutFromTypes(CGROUP2_SUPER_MAGIC, null), 'unified');
  t.equal(cgroupLayoutFromTypes(TMPFS_MAGIC, CGROUP2_SUPER_MAGIC), 'hybrid');
  t.equal(cgroupLayoutFromTypes(TMPFS_MAGIC, null), 'legacy');
  t.equal(cgroupLayoutFromTypes(TMPFS_MAGIC, CGROUP_SUPER_MAGIC), 'legacy');
  t.equal(cgroupLayoutFromTypes(null, null), 'none');
});

t.test('editOciConfig changes args, terminal, root and (optionally) the cgroup mount only', async (t) => {
  const base = {
    ociVersion: '1.0.0',
    process: { terminal: true, args: ['sh'], env: ['PATH=/bin'] },
    root: { path: 'rootfs', readonly: true },
    mounts: [{ destination: '/proc' }, { destination: '/sys/fs/cgroup' }],
    linux: { namespaces: [{ type: 'pid' }] },
  };
  const c = editOciConfig(base, { rootfs: '/tmp/r', args: ['/bin/true'], dropCgroupMount: true }) as typeof base;
  t.same(c.process, { terminal: false, args: ['/bin/true'], env: ['PATH=/bin'] });
  t.same(c.root, { path: '/tmp/r', readonly: true });
  t.same(c.mounts, [{ destination: '/proc' }]);
  t.same(c.linux, base.linux);
  t.equal(base.process.terminal, true, 'the input is not changed');
  const kept = editOciConfig(base, { rootfs: '/tmp/r', args: ['/bin/true'], dropCgroupMount: false }) as typeof base;
  t.equal(kept.mounts.length, 2);
  t.throws(() => editOciConfig(base, { rootfs: 'rel', args: [], dropCgroupMount: false }), RangeError);
  t.throws(() => editOciConfig({}, { rootfs: '/r', args: [], dropCgroupMount: false }), TypeError);
});

const row = (id: string, group: SpawnRow['group'], samples: number[] | null, extra: Partial<SpawnRow> = {}): SpawnRow => ({
  id,
  label: id,
  group,
  concurrency: 1,
  command: id,
  status: samples ? 'ok' : 'skipped',
  ...(samples ? { stats: summarize(samples) } : { reason: 'not implemented yet: x' }),
  ...extra,
});

t.test('ratios to the floor, and throughput against the floor at the same concurrency', async (t) => {
  const rows = [
    row('floor', 'floor', [1, 1, 1]),
    row('crun', 'peer', [6, 6, 6]),
    row('bulkhead-rootfs', 'bulkhead', [1.5, 1.5, 1.5]),
    row('floor-x8', 'throughput', [5], { concurrency: 8, spawnsPerSec: 1000 }),
    row('bulkhead-x8', 'throughput', [8], { concurrency: 8, spawnsPerSec: 500 }),
    row('bulkhead-full', 'bulkhead', null),
  ];
  computeRatios(rows);
  t.equal(rows[0].ratio, 1);
  t.equal(rows[1].ratio, 6);
  t.equal(rows[2].ratio, 1.5);
  t.equal(rows[4].ratio, 2, 'half the spawns per second: twice the cost');
  t.equal(rows[5].ratio, undefined, 'a skipped row has none');
  t.equal(throughputCount(100, 32), 256);
  t.equal(throughputCount(500, 8), 500);
});

t.test('goals: measured on the full-defaults row only, not measured (with the reason) without it', async (t) => {
  const rows = [
    row('floor', 'floor', [1]),
    row('crun', 'peer', [6]),
    row('bulkhead-ns', 'bulkhead', [1.1]),
    row('bulkhead-rootfs', 'bulkhead', [1.5]),
    row('bulkhead-cgroup', 'bulkhead', [1.6]),
    row('bulkhead-limits', 'bulkhead', null),
    { ...row('bulkhead-full', 'bulkhead', null), status: 'failed', reason: 'EPERM: capset failed' },
  ] as SpawnRow[];
  const [g1, g2] = evaluateGoals(rows);
  t.equal(g1.subject, null, 'no stand-in: a lesser step never answers for full defaults');
  t.equal(g1.met, null);
  t.equal(g1.measured, null);
  t.match(g1.detail, /Bulkhead with full defaults did not run \(EPERM: capset failed\)/);
  t.equal(g2.met, null);
  t.notMatch(g1.detail + g2.detail, /stand-in/);

  rows[6] = row('bulkhead-full', 'bulkhead', [1.5]);
  const [m1, m2] = evaluateGoals(rows);
  t.equal(m1.subject, 'bulkhead-full');
  t.equal(m1.measured, 1.5);
  t.equal(m1.met, true);
  t.equal(m2.measured, 4);
  t.equal(m2.met, true);

  rows[6] = row('bulkhead-full', 'bulkhead', [2.5]);
  const [f1, f2] = evaluateGoals(rows);
  t.equal(f1.met, false, '2.5x the floor is over 2x');
  t.equal(f2.met, false, '6 / 2.5 = 2.4x is under 3x');
  t.match(f1.detail, /not met$/);

  const noCrun = evaluateGoals([row('floor', 'floor', [1]), row('bulkhead-full', 'bulkhead', [1.1]), { ...row('crun', 'peer', null), reason: 'crun is not installed' }]);
  t.equal(noCrun[0].met, true);
  t.equal(noCrun[1].met, null);
  t.equal(noCrun[1].measured, null);
  t.match(noCrun[1].detail, /crun is not installed/);
  t.equal(evaluateGoals([row('floor', 'floor', null)])[0].met, null);
});

t.test('bulkhead steps: each adds one thing to the one before', async (t) => {
  const e = { rootfs: '/r', parent: '/sys/fs/cgroup/p', allCaps: ['ALL'], limits: true };
  const off = { seccomp: false, capAdd: ['ALL'], noNewPrivileges: false, maskedPaths: [], readonlyPaths: [] };
  const ns = bulkheadOptions('ns', e);
  t.same(ns.namespaces, { mount: false });
  t.match(ns, { ...off, cgroup: '/sys/fs/cgroup/p', devices: 'unrestricted' }, 'namespaces only: security off, a group with no device program');
  t.equal(ns.rootfs, undefined);
  const rootfs = bulkheadOptions('rootfs', e);
  t.match(rootfs, { ...off, rootfs: '/r', devices: 'unrestricted' });
  t.equal(rootfs.namespaces, undefined, "Docker's default namespaces");
  t.equal(rootfs.limits, undefined);
  const devices = bulkheadOptions('devices', e);
  t.match(devices, { ...off, rootfs: '/r', cgroup: '/sys/fs/cgroup/p' });
  t.equal(devices.devices, undefined, '+ the default device program');
  t.equal(devices.limits, undefined);
  t.match(bulkheadOptions('cgroup', e), { ...off, rootfs: '/r', cgroup: '/sys/fs/cgroup/p', limits: {} });
  t.same(bulkheadOptions('cgroup', e).limits, {}, 'a group without limits, counters read');
  t.equal(bulkheadOptions('cgroup', e).devices, undefined);
  t.match(bulkheadOptions('limits', e), { ...off, rootfs: '/r', limits: BENCH_LIMITS });
  const full = bulkheadOptions('full', e);
  for (const k of ['seccomp', 'capAdd', 'capDrop', 'noNewPrivileges', 'maskedPaths', 'readonlyPaths', 'devices'] as const) t.equal(full[k], undefined, `full: ${k} left to the default`);
  t.same(full.limits, BENCH_LIMITS);
  t.equal(bulkheadOptions('full', { ...e, limits: false }).limits, undefined, 'without controllers: no limits');
  t.equal(bulkheadOptions('full', { ...e, limits: false }).cgroup, '/sys/fs/cgroup/p', 'but its group, under the run\'s parent');
  t.equal(bulkheadOptions('rootfs', { ...e, parent: '' }).cgroup, undefined, 'no v2 hierarchy: no parent');
  t.same(Object.keys(BENCH_LIMITS).sort(), ['cpu', 'memory', 'pids']);
  t.match(describeOptions(bulkheadOptions('limits', { ...e, allCaps: ['CHOWN', 'KILL'] })), /"cgroup":"PARENT".*"rootfs":"ROOTFS".*"capAdd":"<all 2 this process has>"/);
});

t.test('allCapabilities: ALL when every capability is there, else the ones this process has', async (t) => {
  t.same(allCapabilities('CapEff:\t000001ffffffffff\n', 40), ['ALL']);
  const some = allCapabilities('CapEff:\t000001fffeffffff\n', 40);
  t.equal(some.length, 40);
  t.notOk(some.includes('SYS_RESOURCE'), 'bit 24 is missing');
  t.same(allCapabilities('CapEff:\t00000000000000ff\n', 7), ['ALL'], 'an older kernel knows fewer');
  t.same(allCapabilities('no such line', 40), ['ALL']);
});

t.test('parseInside reads /proc/self/status fields and the limit files', async (t) => {
  const i = parseInside('Seccomp:\t2\nNoNewPrivs:\t1\nCapEff:\t00000000a80425fb\nmemory.max=67108864\ncpu.max=100000 100000\npids.max=64\n');
  t.same(i, { seccomp: '2', noNewPrivs: '1', capEff: '00000000a80425fb', limits: { 'memory.max': '67108864', 'cpu.max': '100000 100000', 'pids.max': '64' } });
  t.same(parseInside('').limits, {});
});

t.test('svg: escaped text, nice ticks, a goal line, skipped rows without a bar', async (t) => {
  t.equal(esc(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&#39;');
  t.same(niceTicks(6.14), [0, 2, 4, 6, 8]);
  t.same(niceTicks(0.9), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.same(niceTicks(10), [0, 2, 4, 6, 8, 10]);
  t.same(niceTicks(0), [0, 1]);
  const svg = barChart(
    [
      { label: 'a <floor>', value: 1, whisker: 1.2, group: 'floor' },
      { label: 'b', value: 3, group: 'bulkhead', annotation: '3 ms (3x)' },
      { label: 'c', value: 0, group: 'peer', skipped: 'skipped: not installed' },
    ],
    { title: 'T & t', unit: 'ms', goal: { value: 2, label: 'goal: 2x' }, legend: [{ group: 'floor', label: 'floor' }] },
  );
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.match(svg, /<\/svg>\n$/);
  t.match(svg, /a &lt;floor&gt;/);
  t.match(svg, /T &amp; t/);
  t.match(svg, /stroke-dasharray="5,4"/, 'the goal line');
  t.match(svg, /goal: 2x/);
  t.equal((svg.match(/<rect x=/g) ?? []).length, 3, 'two bars and a legend swatch: no bar for the skipped row');
  t.match(svg, /skipped: not installed/);
  t.notMatch(svg, /NaN|undefined/);
  const rvm = requestedVsMeasuredChart([{ label: '64 MiB', requested: 64, measured: 63.2 }], { title: 'memory', unit: 'MiB' });
  t.match(rvm, /<circle /);
  t.notMatch(rvm, /NaN|undefined/);
  t.equal(shortReason('not implemented yet: cgroup limits (lib/cgroup)'), 'not implemented yet');
  t.equal(shortReason(undefined), 'no reason given');
});

t.test('relayed progress replays into another Progress', async (t) => {
  const lines: string[] = [];
  const relay = createRelayProgress((l) => lines.push(l));
  relay.start('crun\trun', 3, 1);
  relay.warm(1);
  relay.tick(1);
  relay.tick(3);
  relay.done('1.00 ms median');
  relay.note('hello');
  const events: string[] = [];
  const rec: Progress = {
    start: (l, n, w) => events.push(`start ${l} ${n} ${w}`),
    warm: (i) => events.push(`warm ${i}`),
    tick: (i) => events.push(`tick ${i}`),
    done: (s) => events.push(`done ${s}`),
    note: (s) => events.push(`note ${s}`),
  };
  for (const l of lines) t.ok(replayProgress(l, rec, 'uml: '));
  t.equal(replayProgress('[    0.1] kernel says hi\n', rec), false);
  t.same(events.filter((e) => !e.startsWith('tick 1')), ['start uml: crun run 3 1', 'warm 1', 'tick 3', 'done 1.00 ms median', 'note uml: hello']);
  t.ok(events.includes('tick 3'), 'the last tick always comes through');
});

t.test('timeConcurrent keeps at most K in flight, times every operation, and rethrows a failure', async (t) => {
  let inFlight = 0;
  let peak = 0;
  let calls = 0;
  const op = async () => {
    calls++;
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
  };
  const { samples, wallMs } = await timeConcurrent(op, 20, 4, 3, silentProgress);
  t.equal(samples.length, 20);
  t.equal(calls, 24, 'warm-up runs too');
  t.equal(peak, 3);
  t.ok(wallMs > 0);
  let n = 0;
  await t.rejects(
    timeConcurrent(async () => {
      if (++n === 5) throw new Error('boom');
      await new Promise((r) => setTimeout(r, 1));
    }, 20, 0, 4, silentProgress),
    { message: 'boom' },
  );
  await new Promise((r) => setTimeout(r, 10));
  t.ok(n < 20, 'no new operations start after a failure');
});

t.test('command line', async (t) => {
  const o = parseArgs(['spawn', '--n', '100', '--warmup=5', '--json', 'x.json', '--out', 'res'], '/w', '/p');
  t.equal(o.command, 'spawn');
  t.equal(o.n, 100);
  t.equal(o.warmup, 5);
  t.equal(o.json, '/w/x.json');
  t.equal(o.out, '/w/res');
  t.equal(parseArgs(['all'], '/w', '/p').out, '/p/benchmarks/results');
  t.equal(parseArgs(['all'], '/w', '/p').n, 200);
  t.same(parseArgs(['spawn', '--only', 'floor,crun'], '/w', '/p').only, ['floor', 'crun']);
  t.equal(parseArgs(['spawn', '--vm'], '/w', '/p').vm, true);
  t.throws(() => parseArgs(['spwan'], '/w', '/p'), new UsageError('unknown command "spwan"; did you mean "spawn"? (valid: spawn, limits, all)'));
  t.throws(() => parseArgs(['spawn', '--nn', '3'], '/w', '/p'), /unknown flag "--nn"; did you mean "--n"\?/);
  t.throws(() => parseArgs(['spawn', '--n', '0'], '/w', '/p'), /--n must be an integer of at least 1/);
  t.throws(() => parseArgs(['spawn', '--n'], '/w', '/p'), /--n needs a value/);
  t.throws(() => parseArgs(['spawn', '--json', '--n'], '/w', '/p'), /--json needs a value/);
  t.throws(() => parseArgs([], '/w', '/p'), /a command is needed/);
  t.throws(() => parseArgs(['limits', '--vm'], '/w', '/p'), /--vm applies to spawn/);
  t.throws(() => parseArgs(['spawn', 'all'], '/w', '/p'), /one command only/);
  t.equal(parseArgs(['--help'], '/w', '/p').help, true);
});
