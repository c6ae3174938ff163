// How long a container lives, whatever happens to the code that started it:
// the parent SIGKILLed (each id configuration, and at random points of a spawn
// loop), a Worker that ends while its container runs, and a write for the child
// that the kernel refuses. Each runs in a node process of its own, under a
// watchdog: a hang fails the test instead of stalling it.
import { execFile, spawn as cpSpawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { withBusyboxRoot } from '../../helpers/tier';

const LIB = path.resolve(__dirname, '..', '..', '..', 'lib', 'index.js');

withBusyboxRoot(main);

/** Runs a script in a new node process; rejects when it does not end within ms. */
function node(script: string, ms = 30_000): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: ms, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number; killed?: boolean; signal?: string }) | null;
      if (e?.killed) return reject(new Error(`watchdog: the process did not end within ${ms} ms (stdout ${stdout})`));
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

/** 'alive', 'zombie' or 'gone'. */
function state(pid: number): string {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) Z /.test(s) ? 'zombie' : 'alive';
  } catch {
    return 'gone';
  }
}

/** Pids of live processes whose environment holds mark. */
function marked(mark: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/environ`, 'latin1').includes(mark) && state(Number(d)) === 'alive') out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function settle(pids: () => number[], ms = 3000): Promise<number[]> {
  let left = pids();
  for (let waited = 0; left.length > 0 && waited < ms; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    left = pids();
  }
  return left;
}

function main(rootDir: string) {
  const base = `{ rootfs: ${JSON.stringify(rootDir)}, env: { PATH: '/bin', MARK }, reject: false, stdio: 'ignore' }`;
  const configs = `[{}, { uid: 65534, gid: 65534 }, { namespaces: { user: true } }]`;

  /** Starts node holding one container per id configuration, SIGKILLs it, returns the containers' states. */
  async function killHolder(dieWithParent: boolean): Promise<{ pids: number[]; left: number[] }> {
    const mark = `bulkhead-mark-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const script = `const MARK = ${JSON.stringify(mark)}; const { spawn } = require(${JSON.stringify(LIB)});` +
      `const ps = ${configs}.map((c) => spawn('/bin/sleep', ['1000'], { ...${base}, ...c, dieWithParent: ${dieWithParent} }));` +
      `console.log(JSON.stringify(ps.map((p) => p.pid))); setInterval(() => {}, 1000);`;
    const holder = cpSpawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((r) => holder.stdout.once('data', (d: Buffer) => r(String(d))));
    const pids = JSON.parse(line) as number[];
    const exited = new Promise((r) => holder.once('exit', r));
    holder.kill('SIGKILL');
    await exited;
    const left = await settle(() => pids.filter((p) => state(p) === 'alive'), dieWithParent ? 3000 : 300);
    return { pids, left };
  }

  t.test('dieWithParent: a SIGKILL of node ends its containers as root, as uid 65534 and in a user namespace', async (t) => {
    const { pids, left } = await killHolder(true);
    t.teardown(() => left.forEach((p) => process.kill(p, 'SIGKILL')));
    t.equal(pids.length, 3);
    t.same(left, [], 'no container survived');
    const control = await killHolder(false);
    t.teardown(() => control.left.forEach((p) => process.kill(p, 'SIGKILL')));
    t.same(control.left, control.pids, 'control: with dieWithParent: false all three survive');
  });

  t.test('dieWithParent: SIGKILL at random points of a spawn loop, 50 times, leaves no container', async (t) => {
    const mark = `bulkhead-loop-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const script = `const MARK = ${JSON.stringify(mark)}; const { spawn } = require(${JSON.stringify(LIB)}); const cs = ${configs};` +
      `console.log('go'); (async () => { for (let i = 0; i < 300; i++) { spawn('/bin/sleep', ['1000'], { ...${base}, ...cs[i % 3] }); await null; } })();`;
    let survivors: number[] = [];
    for (let i = 0; i < 50 && survivors.length === 0; i++) {
      const p = cpSpawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise((r) => p.stdout.once('data', r));
      await new Promise((r) => setTimeout(r, Math.random() * 80));
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
      survivors = await settle(() => marked(mark));
    }
    survivors.forEach((s) => process.kill(s, 'SIGKILL'));
    t.same(survivors, [], 'not one container outlived its node');
  });

  t.test('a Worker that spawns and ends while its container runs: no crash, the container lives on, is reaped', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-worker-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const inWorker = `const MARK = 'w'; const { spawn } = require(${JSON.stringify(LIB)}); const { parentPort, workerData } = require('node:worker_threads');` +
      `const p = spawn('/bin/sh', ['-c', 'sleep 1; echo done > /out/' + workerData], { ...${base}, mounts: [{ type: 'bind', source: ${JSON.stringify(dir)}, target: '/out' }] });` +
      `parentPort.postMessage(p.pid);`;
    const script = `const { Worker } = require('node:worker_threads'); const fs = require('node:fs'); const pids = [];` +
      `const one = (i) => new Promise((r) => { const w = new Worker(${JSON.stringify(inWorker)}, { eval: true, workerData: String(i) });` +
      `  w.on('message', (pid) => { pids.push(pid); w.terminate().then(r); }); w.on('error', (e) => { console.log('error', e.message); r(); }); });` +
      `(async () => { for (let i = 0; i < 5; i++) await one(i); await new Promise((r) => setTimeout(r, 2500));` +
      `  console.log(JSON.stringify({ pids, states: pids.map((p) => fs.existsSync('/proc/' + p) ? fs.readFileSync('/proc/' + p + '/stat', 'utf8').split(') ')[1][0] : 'gone') })); })();`;
    const r = await node(script);
    t.equal(r.signal, null, 'the process was not killed by a signal (SIGSEGV)');
    t.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { pids: number[]; states: string[] };
    t.equal(out.pids?.length, 5);
    t.same(out.states, ['gone', 'gone', 'gone', 'gone', 'gone'], 'each container exited and was reaped: no zombie');
    t.same(fs.readdirSync(dir).sort(), ['0', '1', '2', '3', '4'], 'each ran to its end after its Worker was gone (dieWithParent means the process)');
  });

  t.test('a write for the child that fails ends both sides and names the step', async (t) => {
    const cases: Array<[string, string, RegExp]> = [
      ['overlapping uid ranges', `{ namespaces: { user: true }, uidMappings: [{ containerId: 0, hostId: 100000, size: 1000 }, { containerId: 500, hostId: 200000, size: 10 }] }`, /"step":"uid_map".*"path":"\/proc\/\d+\/uid_map"/],
      ['overlapping gid ranges', `{ namespaces: { user: true }, gidMappings: [{ containerId: 0, hostId: 100000, size: 1000 }, { containerId: 500, hostId: 200000, size: 10 }] }`, /"step":"gid_map"/],
      // A plain directory is refused before anything is made (the cgroup option must be on cgroup2).
      ['legacyClone into a plain directory', `{ legacyClone: true, cgroup: ${JSON.stringify(os.tmpdir())} }`, /"name":"RangeError".*"option":"cgroup"/],
      ['legacyClone into a missing directory', `{ legacyClone: true, cgroup: '/sys/fs/cgroup/no-such-bulkhead-group' }`, /"step":"(cgroup\.procs|cgroup)".*"path":"\/sys\/fs\/cgroup\/no-such-bulkhead-group/],
    ];
    for (const [name, opts, want] of cases) {
      const script = `const MARK = 'x'; const { spawn } = require(${JSON.stringify(LIB)});` +
        `const show = (e) => console.log(JSON.stringify({ name: e.name, step: e.step, path: e.path, code: e.code, option: e.option }));` +
        `try { spawn('/bin/true', [], { ...${base}, ...${opts} }).then(() => console.log('ran'), show); } catch (e) { show(e); }`;
      const r = await node(script, 20_000).catch((e: Error) => ({ code: -1, signal: null, stdout: e.message, stderr: '' }));
      t.match(r.stdout, /"name":"(IsolationError|RangeError)"/, `${name}: a typed error, not a hang (${r.stdout.trim()})`);
      t.match(r.stdout, want, `${name}: names the step and the path`);
    }
  });
}
