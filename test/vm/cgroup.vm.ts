// Cgroup limits on a pure cgroup v2 kernel (UML 6.1, one CPU, slow syscalls:
// times are compared as ratios). Every check runs real processes, started with
// child_process and moved in with addProcess(); each script waits on stdin until
// it has been moved, so everything it forks is born inside the group.
import './guest-only';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { Cgroup } from '../../lib/cgroup/cgroup';

const ROOT = '/sys/fs/cgroup';
const PREFIX = 'bulkhead-vm-cg-';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<NodeJS.Signals | number | null>;
}

const runs: Run[] = [];
function spawnIn(cg: Cgroup, script: string): Run {
  const child = spawn('sh', ['-c', `read _; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d));
  child.stderr?.on('data', (d: Buffer) => (err += d));
  const exit = new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));
  cg.addProcess(child.pid as number);
  child.stdin?.end('go\n');
  const run = { child, out: () => out, err: () => err, exit };
  runs.push(run);
  return run;
}

/** A promise or a failure after ms: a guard, so that a missing event fails instead of hanging the guest. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))),
  ]);
}

/** CPU the group used per wall-clock time over ms (cpu.stat usage_usec). */
async function cpuShare(cg: Cgroup, ms: number): Promise<number> {
  const u0 = cg.stats().cpu?.usageUsec ?? 0;
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const u1 = cg.stats().cpu?.usageUsec ?? 0;
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  return (u1 - u0) / wallUs;
}

const groups: Cgroup[] = [];
const made = (cg: Cgroup) => (groups.push(cg), cg);

t.teardown(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  for (const cg of groups.reverse()) await cg.destroy().catch(() => undefined);
});

t.test('memory.max: a hog is OOM-killed inside the group and oomKill fires', async (t) => {
  const cg = made(Cgroup.create(`${PREFIX}oom`, { memory: { max: '32m', swapMax: 0 } }));
  t.equal(fs.readFileSync(path.join(cg.path, 'memory.max'), 'utf8').trim(), String(32 * MiB));
  const w = cg.watch();
  const oomKill = within(new Promise((r) => w.once('oomKill', r)), 60_000, 'oomKill event');
  // tail keeps everything of a newline-free stream: it grows until killed. Its
  // oom_score_adj of 1000 makes it the OOM killer's choice whatever else is
  // charged at that moment (proc(5)), so the shell lives to report.
  const run = spawnIn(cg, 'head -c 200000000 /dev/zero | (echo 1000 > /proc/self/oom_score_adj; exec tail) > /dev/null; echo "tail $?"');
  t.match(await oomKill, { count: 1, delta: 1 }, 'oomKill event with the counter');
  await within(run.exit, 30_000, 'exit');
  t.equal(run.out(), 'tail 137\n', 'tail died of SIGKILL (128 + 9); the shell, small, lived');
  const s = cg.stats();
  t.ok((s.memory?.events?.oomKill ?? 0) >= 1, 'memory.events oom_kill');
  t.ok((s.memory?.events?.max ?? 0) >= 1, 'memory.events max');
  t.ok((s.memory?.peak ?? Infinity) <= 32 * MiB, `memory.peak ${s.memory?.peak} stayed under memory.max`);
  t.equal(s.pressure, undefined, 'the UML kernel has no PSI: left out');
  w.close();
  await cg.destroy();
});

t.test('memory.high throttles without killing; set() lifting it lets the process finish', async (t) => {
  const cg = made(Cgroup.create(`${PREFIX}high`, { memory: { high: '16m', swapMax: 0 } }));
  const w = cg.watch();
  const high = within(new Promise((r) => w.once('memoryHigh', r)), 30_000, 'memoryHigh event');
  const run = spawnIn(cg, 'head -c 48000000 /dev/zero | tail > /dev/null; echo "tail $?"');
  await high;
  t.pass('memoryHigh fired');
  await sleep(2000);
  t.equal(run.child.exitCode, null, 'still running after 2 s: throttled at 16m, not done with 48 MB');
  const s = cg.stats();
  t.ok((s.memory?.events?.high ?? 0) > 0, `memory.events high ${s.memory?.events?.high}`);
  t.equal(s.memory?.events?.oomKill, 0, 'nothing OOM-killed');
  t.ok((s.memory?.current ?? Infinity) < 24 * MiB, `memory.current ${s.memory?.current} held near memory.high`);
  cg.set({ memory: { high: 'max' } });
  t.equal(fs.readFileSync(path.join(cg.path, 'memory.high'), 'utf8').trim(), 'max');
  await within(run.exit, 60_000, 'exit after memory.high was lifted');
  t.equal(run.out(), 'tail 0\n', 'finished once memory.high was lifted');
  t.equal(cg.stats().memory?.events?.oomKill, 0);
  w.close();
  await cg.destroy();
});

t.test('pids.max: a fork fails inside the group', async (t) => {
  const cg = made(Cgroup.create(`${PREFIX}pids`, { pids: { max: 5 } }));
  const w = cg.watch();
  const hit = within(new Promise((r) => w.once('pidsMax', r)), 30_000, 'pidsMax event');
  // dash gives up at the first failed fork ("Cannot fork"); n counts the ones that worked.
  const run = spawnIn(cg, 'n=0; while [ $n -lt 50 ]; do sleep 30 & n=$((n+1)); echo $n; done');
  await within(run.exit, 30_000, 'the shell to stop');
  await hit;
  const lines = run.out().trim().split('\n');
  t.equal(lines[lines.length - 1], '4', 'the shell and 4 sleeps: 5 tasks, then fork failed');
  t.match(run.err(), /fork/i, `the shell saw the failure: ${run.err().trim()}`);
  const s = cg.stats();
  t.ok((s.pids?.limitHits ?? 0) >= 1, 'pids.events max');
  t.ok((s.pids?.peak ?? 0) <= 5, `pids.peak ${s.pids?.peak}`);
  w.close();
  await cg.destroy();
  t.notOk(fs.existsSync(cg.path), 'destroy killed the sleeps and removed the group');
});

t.test('cpu.max 0.2: a busy loop gets 0.2 of the time; set() to 0.6 live; freeze and thaw', async (t) => {
  const cg = made(Cgroup.create(`${PREFIX}cpu`, { cpu: { max: 0.2 } }));
  t.equal(fs.readFileSync(path.join(cg.path, 'cpu.max'), 'utf8').trim(), '20000 100000');
  spawnIn(cg, 'while :; do :; done');
  await sleep(300);
  const share = await cpuShare(cg, 2000);
  t.ok(Math.abs(share - 0.2) <= 0.02, `share over 2 s: ${share.toFixed(3)} (0.2 +- 10%)`);
  t.ok((cg.stats().cpu?.nrThrottled ?? 0) > 0, 'cpu.stat nr_throttled');

  cg.set({ cpu: { max: 0.6 } });
  t.equal(fs.readFileSync(path.join(cg.path, 'cpu.max'), 'utf8').trim(), '60000 100000');
  await sleep(200);
  const faster = await cpuShare(cg, 1000);
  t.ok(faster > 2 * share, `after set(): ${faster.toFixed(3)}, more than twice ${share.toFixed(3)}`);

  const w = cg.watch();
  const frozenEv = within(new Promise((r) => w.once('frozen', () => r(undefined))), 10_000, 'frozen event');
  await cg.freeze();
  await frozenEv;
  const still = await cpuShare(cg, 500);
  t.ok(still < 0.02, `frozen: ${still.toFixed(4)} of the time`);
  await cg.thaw();
  const again = await cpuShare(cg, 500);
  t.ok(again > 0.3, `thawed: ${again.toFixed(3)} of the time`);
  w.close();
  await cg.destroy();
});

t.test('kill() ends a tree of processes, in the group and below', async (t) => {
  // Processes live in leaves only: a group with processes and a threaded
  // controller (pids) enabled below it would make its domain children invalid
  // (cgroup-v2.rst, "Threads").
  const cg = made(Cgroup.create(`${PREFIX}kill`, { pids: { max: 50 } }));
  const a = Cgroup.create('a', { pids: { max: 10 } }, { parent: cg.path });
  const b = Cgroup.create('b', { pids: { max: 10 } }, { parent: cg.path });
  const top = spawnIn(a, 'sleep 100 & (sleep 100 & sleep 100 & wait) & wait');
  const deep = spawnIn(b, 'sleep 100 & wait');
  await sleep(500);
  t.ok(a.procs().length >= 5, `${a.procs().length} processes in a`);
  t.equal(cg.populated(), true);
  await cg.kill();
  t.equal(cg.populated(), false);
  t.same(a.procs(), []);
  t.same(b.procs(), []);
  t.equal(await top.exit, 'SIGKILL');
  t.equal(await deep.exit, 'SIGKILL');
  await cg.destroy();
  t.notOk(fs.existsSync(cg.path), 'destroy leaves no directory');
  t.notOk(fs.existsSync(a.path));
  await cg.destroy();
  t.pass('destroy is idempotent');
});

t.test('io.max: direct writes to a ramdisk are throttled', async (t) => {
  let dev: string;
  try {
    execFileSync('modprobe', ['-d', '/run/kmod', 'brd', 'rd_nr=1', 'rd_size=16384'], { stdio: 'ignore' });
    dev = fs.readFileSync('/sys/block/ram0/dev', 'utf8').trim();
  } catch {
    t.plan(0, 'no brd ramdisk module in this guest');
    return;
  }
  const [major, minor] = dev.split(':').map(Number);
  const node = '/tmp/bulkhead-ram0';
  if (!fs.existsSync(node)) execFileSync('mknod', [node, 'b', String(major), String(minor)]);
  const dd = `dd if=/dev/zero of=${node} bs=64k count=64 oflag=direct 2>/dev/null`;
  const free = made(Cgroup.create(`${PREFIX}io-free`));
  let t0 = Date.now();
  await within(spawnIn(free, dd).exit, 60_000, 'dd');
  const freeMs = Date.now() - t0;
  const cg = made(Cgroup.create(`${PREFIX}io`, { io: { devices: [{ major, minor, wbps: '2m' }] } }));
  t.equal(fs.readFileSync(path.join(cg.path, 'io.max'), 'utf8').trim(), `${dev} rbps=max wbps=${2 * MiB} riops=max wiops=max`);
  t0 = Date.now();
  await within(spawnIn(cg, dd).exit, 60_000, 'dd');
  const slowMs = Date.now() - t0;
  // 4 MiB at 2 MiB/s: about 2 s (blk-throttle lets a first slice through at once).
  t.ok(slowMs > 1000 && slowMs > 3 * freeMs, `4 MiB: ${slowMs} ms throttled, ${freeMs} ms free`);
  t.equal(cg.stats().io?.writeBytes, 4 * MiB, 'io.stat wbytes');
  await cg.destroy();
  await free.destroy();
});

t.test('100 groups with limits created and destroyed leave nothing behind', async (t) => {
  const descendants = () => fs.readFileSync(path.join(ROOT, 'cgroup.stat'), 'utf8').match(/^nr_descendants (\d+)$/m)?.[1];
  const before = fs.readdirSync(ROOT).filter((e) => fs.statSync(path.join(ROOT, e)).isDirectory());
  const count = descendants();
  for (let i = 0; i < 100; i++) {
    const cg = Cgroup.create(`${PREFIX}many-${i}`, { memory: { max: '16m' }, pids: { max: 10 }, cpu: { weight: 50 } });
    await cg.destroy();
  }
  const after = fs.readdirSync(ROOT).filter((e) => fs.statSync(path.join(ROOT, e)).isDirectory());
  t.same(after, before, 'the same groups as before');
  t.equal(descendants(), count, 'cgroup.stat nr_descendants agrees');
});
