// `node dist/benchmarks/engine-ab.js OTHER_DIST [--n N]`: this build's engine
// against another build's (OTHER_DIST: the dist/ directory of an earlier
// commit, built in a copy of the worktree) in one process, interleaved round by
// round with spawn() alone, so that a shared machine's load falls on all of
// them alike. Prints each one's median and what it adds to spawn() (the median
// of each round's difference). Set TMPDIR to choose the filesystem of the roots.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from '../lib/spawn/index';
import { Engine } from '../lib/engine/index';
import { makeBusyboxRootfs } from '../support/rootfs';
import { median } from './stats';

type AnyEngine = { containers: { create(c: object): { Id: string } | PromiseLike<{ Id: string }>; start(id: string): Promise<void>; wait(id: string): Promise<unknown>; remove(id: string): Promise<void> }; close(o: object): Promise<void> };

async function main(): Promise<void> {
  const other = process.argv[2];
  if (!other || !fs.existsSync(path.join(other, 'lib', 'engine', 'index.js'))) throw new Error('usage: engine-ab.js OTHER_DIST [--n N] (OTHER_DIST/lib/engine/index.js must exist)');
  const i = process.argv.indexOf('--n');
  const n = i < 0 ? 150 : Number(process.argv[i + 1]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Old = (require(path.resolve(other, 'lib', 'engine', 'index.js')) as { Engine: { open(o: object): Promise<AnyEngine> } }).Engine;
  const rootfs = makeBusyboxRootfs();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-engine-ab-'));
  const before = await Old.open({ root: path.join(base, 'before') });
  const after = await Engine.open({ root: path.join(base, 'after') });
  try {
    const cycle = (e: AnyEngine, durable: boolean) => async () => {
      const r = e.containers.create({ Rootfs: rootfs.dir, Cmd: ['/bin/true'] });
      // An earlier build's create returns a plain { Id }; this one's is also a promise of it, resolved once durable.
      const { Id } = durable ? await r : (r as { Id: string });
      await e.containers.start(Id);
      await e.containers.wait(Id);
      await e.containers.remove(Id);
    };
    const ops: Record<string, () => PromiseLike<unknown>> = {
      spawn: () => spawn('/bin/true', [], { rootfs: rootfs.dir, limits: {}, cgroup: after.cgroupParent, stdio: ['ignore', 'pipe', 'pipe'], buffer: false }),
      before: cycle(before, false),
      after: cycle(after as unknown as AnyEngine, false),
      'after, durable': cycle(after as unknown as AnyEngine, true),
    };
    const names = Object.keys(ops);
    const out: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    for (let r = 0; r < n + 10; r++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(r + k) % names.length];
        const t0 = process.hrtime.bigint();
        await ops[name]();
        if (r >= 10) out[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    console.log(`roots under ${os.tmpdir()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, ${n} rounds`);
    for (const k of names) {
      const added = k === 'spawn' ? '' : `   adds ${median(out[k].map((x, j) => x - out.spawn[j])).toFixed(2)} ms`;
      console.log(`${k.padEnd(15)} median ${median(out[k]).toFixed(2).padStart(7)} ms${added}`);
    }
  } finally {
    await before.close({ timeout: 0 });
    await after.close({ timeout: 0 });
    fs.rmSync(base, { recursive: true, force: true });
    rootfs.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
