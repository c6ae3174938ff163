// `node dist/benchmarks/engine.js [--n N]`: what the engine adds on top of
// spawn(), side by side in one run, as ratios:
//  - create + start + wait + remove of /bin/true through the engine, against
//    spawn() alone with the same options (a rootfs and a group of its own);
//    once as a program that does not wait for the create's group commit (its
//    durability against a power loss, off the event loop), once awaiting it;
//  - 32 creates awaited one after another against 32 in flight at once (what
//    the group commit shares);
//  - exec of /bin/true into a running container against spawn() of it
//    (what entering namespaces costs beside making them);
//  - list() with 500 containers against list() with 5 (an in-memory index:
//    the goal is under 2x).
// Prints a table and writes benchmarks/results/engine.json.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from '../lib/spawn/index';
import { Engine } from '../lib/engine/index';
import { makeBusyboxRootfs } from '../support/rootfs';
import { median, p95 } from './stats';

const arg = (flag: string, dflt: number): number => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};

async function time(n: number, warmup: number, op: () => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await op();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await op();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/** Runs ops in turn, n rounds (after warmup rounds), the order rotated each round; samples per op (an op that returns a number timed itself). */
async function interleaved(n: number, warmup: number, ops: Array<() => PromiseLike<unknown>>): Promise<number[][]> {
  const out = ops.map(() => [] as number[]);
  for (let round = 0; round < warmup + n; round++) {
    for (let k = 0; k < ops.length; k++) {
      const i = (round + k) % ops.length;
      const t0 = process.hrtime.bigint();
      const own = await ops[i]();
      if (round >= warmup) out[i].push(typeof own === 'number' ? own : Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return out;
}

const pairedAdded = (a: number[], b: number[]): number => median(a.map((x, i) => x - b[i]));

async function main(): Promise<void> {
  const n = arg('--n', 100);
  const rootfs = makeBusyboxRootfs();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-engine-bench-'));
  const e = await Engine.open({ root });
  try {
    // Interleaved, one sample of each per round, so that the load of this shared
    // machine falls on all of them alike; the engine's cost is also taken per
    // round (engine minus spawn of the same round), the median of those.
    const spawnOnce = () => spawn('/bin/true', [], { rootfs: rootfs.dir, limits: {}, cgroup: e.cgroupParent, stdio: ['ignore', 'pipe', 'pipe'], buffer: false });
    const cycle = async (durable: boolean) => {
      const r = e.containers.create({ Rootfs: rootfs.dir, Cmd: ['/bin/true'] });
      const { Id } = durable ? await r : r;
      await e.containers.start(Id);
      await e.containers.wait(Id);
      await e.containers.remove(Id);
    };
    const [spawnOnly, viaEngine, viaEngineDurable] = await interleaved(n, 10, [spawnOnce, () => cycle(false), () => cycle(true)]);
    await e.containers.flush();
    const BATCH = 32;
    const batchIds: string[] = [];
    const [serialCreates, concurrentCreates] = await interleaved(Math.max(5, Math.floor(n / 10)), 1, [
      // The creates are timed, their removes (and the removed directories) are not.
      async () => {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < BATCH; i++) batchIds.push((await e.containers.create({ Rootfs: rootfs.dir, Cmd: ['true'] })).Id);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        for (const id of batchIds.splice(0)) await e.containers.remove(id);
        await e.containers.flush();
        return ms;
      },
      async () => {
        const t0 = process.hrtime.bigint();
        const rs = Array.from({ length: BATCH }, () => e.containers.create({ Rootfs: rootfs.dir, Cmd: ['true'] }));
        for (const r of await Promise.all(rs)) batchIds.push(r.Id);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        for (const id of batchIds.splice(0)) await e.containers.remove(id);
        await e.containers.flush();
        return ms;
      },
    ]);
    // Five running containers in each case; the rest created and stopped.
    const running = Array.from({ length: 5 }, () => e.containers.create({ Rootfs: rootfs.dir, Cmd: ['sleep', '1000'] }).Id);
    for (const id of running) await e.containers.start(id);
    const viaExec = await time(n, 10, () => e.containers.exec(running[0], { Cmd: ['/bin/true'] }).done);
    const listOf = async (count: number, all: boolean) => {
      const ids = Array.from({ length: count - 5 }, (_, i) => e.containers.create({ Rootfs: rootfs.dir, Cmd: ['true'], Labels: { i: String(i) } }).Id);
      const samples = await time(n, 10, () => e.containers.list({ all }));
      for (const id of ids) await e.containers.remove(id);
      return samples;
    };
    const list5 = await listOf(5, false);
    const list500 = await listOf(500, false);
    const all5 = await listOf(5, true);
    const all500 = await listOf(500, true);
    const rows = [
      { id: 'spawn', what: 'spawn() of /bin/true (rootfs, own group)', median: median(spawnOnly), p95: p95(spawnOnly) },
      { id: 'engine', what: 'engine create+start+wait+remove', median: median(viaEngine), p95: p95(viaEngine) },
      { id: 'engine-durable', what: 'the same, awaiting the create\'s commit', median: median(viaEngineDurable), p95: p95(viaEngineDurable) },
      { id: 'creates-serial', what: `${BATCH} durable creates, one by one`, median: median(serialCreates), p95: p95(serialCreates) },
      { id: 'creates-concurrent', what: `${BATCH} durable creates, all at once`, median: median(concurrentCreates), p95: p95(concurrentCreates) },
      { id: 'exec', what: 'engine exec of /bin/true (running container)', median: median(viaExec), p95: p95(viaExec) },
      { id: 'list-5', what: 'list() with 5 containers (5 running)', median: median(list5), p95: p95(list5) },
      { id: 'list-500', what: 'list() with 500 containers (5 running)', median: median(list500), p95: p95(list500) },
      { id: 'list-all-5', what: 'list({ all }) of 5 containers', median: median(all5), p95: p95(all5) },
      { id: 'list-all-500', what: 'list({ all }) of 500 containers', median: median(all500), p95: p95(all500) },
    ];
    for (const r of rows) console.log(`${r.what.padEnd(44)} median ${r.median.toFixed(3).padStart(8)} ms   p95 ${r.p95.toFixed(3).padStart(8)} ms`);
    const added = pairedAdded(viaEngine, spawnOnly);
    const listRatio = median(list500) / median(list5);
    console.log(`engine adds ${added.toFixed(2)} ms a container (goal: under 1 ms); engine/spawn ${(median(viaEngine) / median(spawnOnly)).toFixed(2)}x`);
    const addedDurable = pairedAdded(viaEngineDurable, spawnOnly);
    console.log(`awaiting the commit: engine adds ${addedDurable.toFixed(2)} ms a container; engine/spawn ${(median(viaEngineDurable) / median(spawnOnly)).toFixed(2)}x`);
    console.log(`${BATCH} durable creates: ${(median(serialCreates) / BATCH).toFixed(3)} ms each one by one, ${(median(concurrentCreates) / BATCH).toFixed(3)} ms each in flight together (${(median(serialCreates) / median(concurrentCreates)).toFixed(1)}x)`);
    console.log(`exec/spawn ${(median(viaExec) / median(spawnOnly)).toFixed(2)}x`);
    console.log(`list(): 500 containers / 5 containers = ${listRatio.toFixed(2)}x (goal: under 2x); list({ all }) of 500 / of 5 = ${(median(all500) / median(all5)).toFixed(1)}x (${((median(all500) / 500) * 1000).toFixed(2)} µs a container listed)`);
    const out = path.resolve(__dirname, '..', '..', 'benchmarks', 'results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'engine.json'), JSON.stringify({ n, host: os.hostname(), date: new Date().toISOString(), loadavg: os.loadavg(), root: path.dirname(root), rows, addedMs: added, addedDurableMs: addedDurable, groupCommitRatio: median(serialCreates) / median(concurrentCreates), listRatio, execRatio: median(viaExec) / median(spawnOnly) }, null, 2) + '\n');
  } finally {
    await e.close({ timeout: 0 });
    fs.rmSync(root, { recursive: true, force: true });
    rootfs.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
