// Limits through spawn({ limits }) and `bulkhead run`, where cgroup v2 enforces
// them: each checked from inside the container or by its effect.
import './guest-only';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { spawn } from '../../lib/index';

const CLI = path.resolve(__dirname, '..', '..', 'lib', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8' });
const groups = () => fs.readdirSync('/sys/fs/cgroup').filter((d) => d.startsWith('bulkhead-'));
// A memory hog: doubles a string until the kernel stops it.
const HOG = ['sh', '-c', 'x=a; while :; do x="$x$x"; done'];

t.test('spawn({ limits }): OOM kill, usage, and the group removed', async (t) => {
  const proc = spawn(HOG[0], HOG.slice(1), { limits: { memory: { max: '32m', swapMax: 0 } }, reject: false });
  // Its own group: other files of this run (one node process) make and remove groups meanwhile.
  const own = proc.cgroup ? path.basename(proc.cgroup.path) : 'none';
  let oomKills = 0;
  proc.cgroup?.watch().on('oomKill', () => oomKills++);
  const r = await proc;
  t.equal(r.oomKilled, true, 'oomKilled');
  t.ok(oomKills >= 1, 'the oomKill event reached the watcher before the group went');
  t.equal(r.signal, 'SIGKILL');
  t.ok(r.usage && r.usage.memoryPeakBytes !== null && r.usage.memoryPeakBytes <= 32 * 1024 * 1024 + 4096 && r.usage.memoryPeakBytes > 16 * 1024 * 1024, `peak ${r.usage?.memoryPeakBytes} near the 32m limit`);
  t.ok((r.usage?.cpuUsec ?? 0) > 0, 'cpu counted');
  // pids.peak came after 6.1: where the kernel lacks a file its field is null, never a guess.
  t.ok(r.usage?.pidsPeak === null || (r.usage?.pidsPeak ?? 0) >= 1, `pidsPeak ${r.usage?.pidsPeak}`);
  t.notOk(groups().includes(own), 'the group is gone');
  const ok = await spawn('true', [], { limits: {} });
  t.equal(ok.oomKilled, false);
  t.throws(() => spawn('true', [], { limits: { memory: { max: '64q' } } }), { name: 'RangeError', message: /memory\.max/ });
});

t.test('a failed spawn leaves no group behind', async (t) => {
  const before = groups();
  await t.rejects(async () => spawn('/nonexistent/program', [], { limits: { pids: { max: 10 } } }), { name: 'IsolationError', step: 'execve' });
  t.same(groups(), before);
});

t.test('bulkhead run --memory: 137 and the report says oomKilled', async (t) => {
  const report = '/tmp/run-report.json';
  const r = run('--memory', '32m', '--memory-swap', '32m', '--report', report, '--', ...HOG);
  t.equal(r.status, 137);
  const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
  t.equal(rep.oomKilled, true);
  t.ok(rep.memoryPeakBytes > 16 * 1024 * 1024 && rep.memoryPeakBytes <= 32 * 1024 * 1024 + 4096);
  t.ok(rep.pidsPeak === null || rep.pidsPeak >= 1);
});

t.test('bulkhead run: each limit lands in the container\'s own group', async (t) => {
  const r = run('--memory', '64m', '--memory-swap', '96m', '--memory-reservation', '16m', '--cpus', '0.5', '--cpu-shares', '512', '--pids-limit', '20', '--',
    'sh', '-c', 'cd /sys/fs/cgroup; cat memory.max memory.swap.max memory.low cpu.max cpu.weight pids.max');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, `${64 * 1024 ** 2}\n${32 * 1024 ** 2}\n${16 * 1024 ** 2}\n50000 100000\n20\n20\n`);
});

const cpuset = fs.readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('cpuset');
t.test('bulkhead run --cpuset-cpus', { skip: cpuset ? false : 'this kernel has no cpuset controller in its v2 hierarchy' }, async (t) => {
  const r = run('--cpuset-cpus', '0', '--', 'sh', '-c', 'cat /sys/fs/cgroup/cpuset.cpus; grep Cpus_allowed_list /proc/self/status');
  t.match(r.stdout, /^0\nCpus_allowed_list:\s+0\n$/);
});

t.test('bulkhead run --pids-limit: a fork fails inside', async (t) => {
  // The inner shell dies of its failed fork ("Cannot fork"); the outer one reports.
  const r = run('--pids-limit', '5', '--', 'sh', '-c', 'sh -c "for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait" 2>/dev/null; echo inner=$?; cat /sys/fs/cgroup/pids.events');
  t.match(r.stdout, /^inner=[1-9]/m, 'the forking shell failed');
  t.match(r.stdout, /^max [1-9]/m, 'pids.events counts refused forks');
});

t.test('bulkhead run --cpus 0.25: a busy loop gets a quarter of a CPU', async (t) => {
  const report = '/tmp/cpu-report.json';
  const r = run('--cpus', '0.25', '--timeout', '2', '--report', report, '--', 'sh', '-c', 'while :; do :; done');
  t.equal(r.status, 137, 'ended by --timeout');
  const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
  t.equal(rep.timedOut, true);
  const share = rep.cpuUsec / 1000 / rep.durationMs;
  t.ok(share > 0.25 * 0.8 && share < 0.25 * 1.2, `share ${share.toFixed(3)} within 20% of 0.25`);
});

t.test('bulkhead run --device-write-bps on a ram disk', async (t) => {
  const dev = '/dev/ram0';
  if (!fs.existsSync(dev)) {
    spawnSync('modprobe', ['-d', '/run/kmod', 'brd', 'rd_nr=1', 'rd_size=16384']);
  }
  t.ok(fs.existsSync(dev), 'brd made a ram disk');
  const r = run('--device-write-bps', `${dev}:1mb`, '--device-read-bps', `${dev}:2mb`, '--', 'cat', '/sys/fs/cgroup/io.max');
  t.match(r.stdout, /^1:0 rbps=2097152 wbps=1048576 riops=max wiops=max\n$/, 'io.max has both rates for the device');
});

t.test('limits from inside a group that holds processes (a login session) go under /sys/fs/cgroup/bulkhead', async (t) => {
  const session = '/sys/fs/cgroup/session-like';
  fs.mkdirSync(session);
  t.teardown(() => {
    for (const d of [session, '/sys/fs/cgroup/bulkhead']) if (fs.existsSync(d)) fs.rmdirSync(d);
  });
  const lib = path.resolve(__dirname, '..', '..', 'lib', 'index.js');
  // The shell moves itself into the session group first, then becomes node there.
  const script = `const { spawn } = require(${JSON.stringify(lib)});
    spawn('cat', ['/proc/self/cgroup'], { limits: { memory: { max: '64m' } }, namespaces: { cgroup: false } }).then((r) => console.log(r.stdout.trim()), (e) => { console.log('error', e.message); });`;
  const r = spawnSync('sh', ['-c', `echo $$ > ${session}/cgroup.procs && exec ${process.execPath} -e "$0"`, script], { encoding: 'utf8' });
  t.match(r.stdout, /^0::\/bulkhead\/bulkhead-\d+-\d+-1\n$/, r.stderr || 'the group went under /sys/fs/cgroup/bulkhead');
  t.same(fs.readdirSync('/sys/fs/cgroup/bulkhead').filter((d) => d.startsWith('bulkhead-')), [], 'and is gone after the exit');
});
