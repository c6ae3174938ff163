// `node dist/benchmarks/images.js [--n N]`: images side by side with peers, as
// ratios. (1) pull + unpack of a 4-layer image (busybox and 3 x 3 MiB) from a
// local docker-registry: `bulkhead pull` into an empty store against `skopeo copy
// docker://... dir:` followed by `tar -x` of each layer into its own directory
// (the same work: fetch, verify, unpack per layer). (2) Starting /bin/true from an
// image (`Images.rootfsFor()`: overlay mount, spawn, release) against spawn() on
// a plain busybox directory. Medians of N runs; writes benchmarks/results/images.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Images } from '../lib/image/images';
import { spawn } from '../lib/spawn/index';
import { buildImage, busyboxEntries, writeOciLayout } from '../support/images';
import { skopeo, startRegistry } from '../support/registry';
import { makeBusyboxRootfs } from '../support/rootfs';

const CLI = path.resolve(__dirname, '..', 'lib', 'cli', 'main.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 5;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-bench-images-'));
  const reg = await startRegistry({ dir: path.join(tmp, 'reg') });
  const rows: string[] = [];
  try {
    const img = buildImage([busyboxEntries(), ...[1, 2, 3].map((i) => [{ name: `big${i}`, data: randomBytes(3 << 20) }])], { Cmd: ['true'] });
    writeOciLayout(path.join(tmp, 'oci'), [{ image: img, name: 'bench' }]);
    await skopeo(['copy', `oci:${path.join(tmp, 'oci')}:bench`, `docker://${reg.host}/bench:1`]);
    const name = `${reg.host}/bench:1`;
    const ours: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < n; i++) {
      const root = path.join(tmp, `root-${i}`);
      let t0 = performance.now();
      const r = spawnSync(process.execPath, [CLI, 'pull', '-q', name], { env: { ...process.env, BULKHEAD_ROOT: root } });
      if (r.status !== 0) throw new Error(`bulkhead pull: ${r.stderr}`);
      ours.push(performance.now() - t0);
      const dir = path.join(tmp, `skopeo-${i}`);
      t0 = performance.now();
      execFileSync('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${name}`, `dir:${dir}`], { stdio: 'ignore' });
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { layers: Array<{ digest: string }> };
      for (const l of manifest.layers) {
        const out = path.join(dir, 'unpacked', l.digest.slice(7));
        fs.mkdirSync(out, { recursive: true });
        execFileSync('tar', ['-xzf', path.join(dir, l.digest.slice(7)), '-C', out]);
      }
      peer.push(performance.now() - t0);
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
    rows.push(`| pull + unpack, 4 layers (10.5 MiB) | bulkhead pull ${median(ours).toFixed(0)} ms | skopeo copy + tar -x ${median(peer).toFixed(0)} ms | **${(median(ours) / median(peer)).toFixed(2)}x** |`);

    const images = new Images({ root: path.join(tmp, 'run-root') });
    await images.pull(name);
    const plain = makeBusyboxRootfs();
    const fromImage: number[] = [];
    const fromDir: number[] = [];
    const runs = n * 10;
    for (let i = 0; i < runs + 5; i++) {
      let t0 = performance.now();
      const root = await images.rootfsFor(name);
      try {
        await spawn('/bin/busybox', ['true'], { rootfs: root.rootfs });
      } finally {
        root.release();
      }
      if (i >= 5) fromImage.push(performance.now() - t0);
      t0 = performance.now();
      await spawn('/bin/busybox', ['true'], { rootfs: plain.dir });
      if (i >= 5) fromDir.push(performance.now() - t0);
    }
    plain.cleanup();
    rows.push(`| start /bin/true, ${runs} runs | from an image (overlay mount, spawn, unmount) ${median(fromImage).toFixed(2)} ms | spawn() on a plain directory ${median(fromDir).toFixed(2)} ms | **${(median(fromImage) / median(fromDir)).toFixed(2)}x** |`);
  } finally {
    await reg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const report = `# Images\n\n${new Date().toISOString()}, ${os.cpus().length} cores, Linux ${os.release()}; medians.\n\n| what | Bulkhead | peer | ratio |\n|---|---|---|---|\n${rows.join('\n')}\n`;
  fs.mkdirSync(path.resolve(__dirname, '..', '..', 'benchmarks', 'results'), { recursive: true });
  fs.writeFileSync(path.resolve(__dirname, '..', '..', 'benchmarks', 'results', 'images.md'), report);
  process.stdout.write(report);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
