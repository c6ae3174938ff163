// `node dist/benchmarks/engine.js [--n N]`: what the engine adds on top of
// spawn(), side by side in one run, as ratios:
//  - create + start + wait + remove of /bin/true through the engine, against
//    spawn() alone with the same options (a rootfs and a group of its own);
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

async function main(): Promise<void> {
  const n = arg('--n', 100);
  const rootfs = makeBusyboxRootfs();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-engine-bench-'));
  const e = await Engine.open({ root });
  try {
    const spawnOnly = await time(n, 10, () => spawn('/bin/true', [], { rootfs: rootfs.dir, limits: {}, cgroup: e.cgroupParent, stdio: ['ignore', 'pipe', 'pipe'], buffer: false }));
    const viaEngine = await time(n, 10, async () => {
      const { Id } = e.containers.create({ Rootfs: rootfs.dir, Cmd: ['/bin/true'] });
      await e.containers.start(Id);
      await e.containers.wait(Id);
      await e.containers.remove(Id);
    });
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
      { id: 'exec', what: 'engine exec of /bin/true (running container)', median: median(viaExec), p95: p95(viaExec) },
      { id: 'list-5', what: 'list() with 5 containers (5 running)', median: median(list5), p95: p95(list5) },
      { id: 'list-500', what: 'list() with 500 containers (5 running)', median: median(list500), p95: p95(list500) },
      { id: 'list-all-5', what: 'list({ all }) of 5 containers', median: median(all5), p95: p95(all5) },
      { id: 'list-all-500', what: 'list({ all }) of 500 containers', median: median(all500), p95: p95(all500) },
    ];
    for (const r of rows) console.log(`${r.what.padEnd(44)} median ${r.median.toFixed(3).padStart(8)} ms   p95 ${r.p95.toFixed(3).padStart(8)} ms`);
    const added = median(viaEngine) - median(spawnOnly);
    const listRatio = median(list500) / median(list5);
    console.log(`engine adds ${added.toFixed(2)} ms a container (goal: under 1 ms); engine/spawn ${(median(viaEngine) / median(spawnOnly)).toFixed(2)}x`);
    console.log(`exec/spawn ${(median(viaExec) / median(spawnOnly)).toFixed(2)}x`);
    console.log(`list(): 500 containers / 5 containers = ${listRatio.toFixed(2)}x (goal: under 2x); list({ all }) of 500 / of 5 = ${(median(all500) / median(all5)).toFixed(1)}x (${((median(all500) / 500) * 1000).toFixed(2)} µs a container listed)`);
    const out = path.resolve(__dirname, '..', '..', 'benchmarks', 'results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'engine.json'), JSON.stringify({ n, host: os.hostname(), rows, addedMs: added, listRatio, execRatio: median(viaExec) / median(spawnOnly) }, null, 2) + '\n');
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
