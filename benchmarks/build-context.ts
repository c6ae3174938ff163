// `node dist/benchmarks/build-context.js [--n N]`: the build context's COPY
// path side by side with the tools that do the same work, as ratios. A context
// of 2000 small files in 100 directories, 8 files of 2 MiB, and an ignored
// node_modules of 1000 files. (1) The cache check of a cached COPY . :
// openContext + resolveSources + hashSources, against `tar -c --exclude
// node_modules . | sha256sum` (what a context checksum costs with stock
// tools). (2) A cold COPY . : the same plus copyInto an empty root, against
// `tar -c --exclude | tar -x` into an empty directory (the docker CLI's
// context tar and the daemon's untar, with no hash). Medians of N runs, each
// on a cold destination; writes benchmarks/results/build-context.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyInto, hashSources, openContext, resolveSources } from '../lib/build/context';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function makeContext(dir: string): void {
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /app/\n');
  fs.writeFileSync(path.join(dir, '.dockerignore'), 'node_modules\n*.log\n');
  for (let d = 0; d < 100; d++) {
    const sub = path.join(dir, 'src', `d${d}`);
    fs.mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 20; f++) fs.writeFileSync(path.join(sub, `f${f}.js`), randomBytes(1 + ((d * 20 + f) % 4096)));
  }
  fs.mkdirSync(path.join(dir, 'assets'));
  for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(dir, 'assets', `blob${i}.bin`), randomBytes(2 << 20));
  for (let i = 0; i < 1000; i++) {
    const p = path.join(dir, 'node_modules', `m${i % 50}`, `i${i}.js`);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, 'module.exports = 1;\n');
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 7;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-bench-buildctx-'));
  try {
    const ctxDir = path.join(tmp, 'ctx');
    makeContext(ctxDir);
    const hashOurs: number[] = [];
    const hashPeer: number[] = [];
    const copyOurs: number[] = [];
    const copyPeer: number[] = [];
    for (let i = 0; i < n + 1; i++) {
      let t0 = performance.now();
      const ctx = openContext(ctxDir);
      const set = resolveSources(ctx, ['.']);
      await hashSources(set);
      const tHash = performance.now() - t0;
      const root = path.join(tmp, `root-${i}`);
      fs.mkdirSync(root);
      await copyInto(root, set, '/app/');
      const tCopy = performance.now() - t0;
      ctx.close();

      t0 = performance.now();
      execFileSync('sh', ['-c', 'tar -C "$1" -cf - --exclude=./node_modules --exclude="*.log" . | sha256sum >/dev/null', 'sh', ctxDir]);
      const tHashPeer = performance.now() - t0;
      const peerRoot = path.join(tmp, `peer-${i}`);
      fs.mkdirSync(peerRoot);
      t0 = performance.now();
      execFileSync('sh', ['-c', 'tar -C "$1" -cf - --exclude=./node_modules --exclude="*.log" . | tar -C "$2" -xf -', 'sh', ctxDir, peerRoot]);
      const tCopyPeer = performance.now() - t0;
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(peerRoot, { recursive: true, force: true });
      if (i === 0) continue; // warm-up
      hashOurs.push(tHash);
      hashPeer.push(tHashPeer);
      copyOurs.push(tCopy);
      copyPeer.push(tCopyPeer);
    }
    const row = (what: string, ours: number[], oursName: string, peer: number[], peerName: string) =>
      `| ${what} | ${oursName} ${median(ours).toFixed(1)} ms | ${peerName} ${median(peer).toFixed(1)} ms | **${(median(ours) / median(peer)).toFixed(2)}x** |`;
    const lines = [
      '# Build context',
      '',
      `\`node dist/benchmarks/build-context.js --n ${n}\` on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg()[0]?.toFixed(1)}, medians of ${n} runs after one warm-up. Context: 2000 small files in 100 directories and 8 x 2 MiB (about 20 MiB), plus 1000 ignored files.`,
      '',
      '| case | bulkhead | peer | ratio |',
      '|---|---|---|---|',
      row('cache check of COPY . (walk, .dockerignore, sha256 of everything)', hashOurs, 'open + resolve + hashSources', hashPeer, 'tar -c --exclude \\| sha256sum'),
      row('cold COPY . into an empty root (hash included on our side)', copyOurs, 'hash + copyInto', copyPeer, 'tar -c --exclude \\| tar -x'),
      '',
    ];
    const out = path.resolve(__dirname, '..', '..', 'benchmarks', 'results', 'build-context.md');
    fs.writeFileSync(out, lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
