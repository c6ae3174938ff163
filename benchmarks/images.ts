// `node dist/benchmarks/images.js [--n N] [--only pull|start]`: images side by
// side with peers, as ratios. (1) pull + unpack of a multi-layer image of over
// 100 MiB (busybox and 6 layers of many files, random-ish content that gzip
// cannot squash much; built once per run in a temp dir) from a local
// docker-registry: `bulkhead pull` into an empty store (cold) and again into the
// same store (warm), against `skopeo copy docker://... oci:DIR:TAG` followed by
// `tar -xzf` of each layer into its own directory (the same work: fetch, verify,
// unpack per layer), cold into an empty layout and warm into the same one. (2)
// Starting /bin/true from an image (`Images.rootfsFor()`, spawn() mounting the
// overlay in the container's namespace, release) against spawn() on a plain
// busybox directory. Medians of N runs; writes benchmarks/results/images.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Images } from '../lib/image/images';
import { spawn } from '../lib/spawn/index';
import { buildImage, busyboxEntries, writeOciLayout, type Entry } from '../support/images';
import { skopeo, startRegistry } from '../support/registry';
import { makeBusyboxRootfs } from '../support/rootfs';

const CLI = path.resolve(__dirname, '..', 'lib', 'cli', 'main.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * CPU time (user + system, ms) of the children this process has waited for:
 * /proc/self/stat's cutime and cstime (proc(5), fields 16 and 17, in clock
 * ticks of 1/100 s). On a machine shared with busy neighbours wall time swings
 * by tens of percent; the CPU each side spent does not.
 */
function childCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

/**
 * One layer of about `mib` MiB: files from 1 KiB to 1 MiB (most small, as in a
 * distribution's /usr), each three quarters random bytes and a quarter hex text,
 * so gzip gets them down to about 90%, not to nothing.
 */
function layerEntries(i: number, mib: number): Entry[] {
  const out: Entry[] = [{ name: `layer${i}/`, type: 'dir' }];
  let left = mib << 20;
  let k = 0;
  while (left > 0) {
    const size = Math.min(left, k % 50 === 0 ? 1 << 20 : 1024 + ((k * 7919) % 24) * 1024);
    const data = Buffer.concat([randomBytes(size - (size >> 2)), Buffer.from(randomBytes(size >> 3).toString('hex'))]).subarray(0, size);
    if (k % 100 === 0) out.push({ name: `layer${i}/d${k}/`, type: 'dir' });
    out.push({ name: `layer${i}/d${k - (k % 100)}/f${k}`, data });
    left -= size;
    k++;
  }
  return out;
}

async function main(): Promise<void> {
  const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 5;
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-bench-images-'));
  const reg = await startRegistry({ dir: path.join(tmp, 'reg') });
  const rows: string[] = [];
  try {
    const LAYERS = 6;
    const MIB = 17;
    const img = buildImage([busyboxEntries(), ...Array.from({ length: LAYERS }, (_, i) => layerEntries(i, MIB))], { Cmd: ['true'] });
    const blobMiB = img.layers.reduce((a, l) => a + l.blob.length, 0) / (1 << 20);
    const files = img.layers.length;
    writeOciLayout(path.join(tmp, 'oci'), [{ image: img, name: 'bench' }]);
    await skopeo(['copy', `oci:${path.join(tmp, 'oci')}:bench`, `docker://${reg.host}/bench:1`]);
    const name = `${reg.host}/bench:1`;
    if (only !== 'start') {
      const ours: number[] = [];
      const oursCpu: number[] = [];
      const peerCpu: number[] = [];
      const oursWarm: number[] = [];
      const peer: number[] = [];
      const peerWarm: number[] = [];
      const pull = (root: string) => {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, [CLI, 'pull', '-q', name], { env: { ...process.env, BULKHEAD_ROOT: root } });
        if (r.status !== 0) throw new Error(`bulkhead pull: ${r.stderr}`);
        return performance.now() - t0;
      };
      const copy = (dir: string, unpack: boolean) => {
        const t0 = performance.now();
        execFileSync('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${name}`, `oci:${dir}:bench`], { stdio: 'ignore' });
        if (unpack) {
          const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
          const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
          for (const l of manifest.layers) {
            const out = path.join(dir, 'unpacked', l.digest.slice(7));
            fs.mkdirSync(out, { recursive: true });
            execFileSync('tar', ['-xzf', path.join(dir, 'blobs', 'sha256', l.digest.slice(7)), '-C', out]);
          }
        }
        return performance.now() - t0;
      };
      const cpu = (fn: () => number, wall: number[], used: number[]) => {
        const c0 = childCpuMs();
        wall.push(fn());
        used.push(childCpuMs() - c0);
      };
      for (let i = 0; i < n; i++) {
        const root = path.join(tmp, `root-${i}`);
        const dir = path.join(tmp, `skopeo-${i}`);
        // Alternating who goes first, so neither always finds the registry's files colder.
        if (i % 2 === 0) {
          cpu(() => pull(root), ours, oursCpu);
          cpu(() => copy(dir, true), peer, peerCpu);
        } else {
          cpu(() => copy(dir, true), peer, peerCpu);
          cpu(() => pull(root), ours, oursCpu);
        }
        // Warm: the image is there; pulling it again asks the registry and finds every blob and layer.
        oursWarm.push(pull(root));
        peerWarm.push(copy(dir, false));
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const what = `${files} layers (${blobMiB.toFixed(0)} MiB compressed)`;
      rows.push(`| pull + unpack, cold, ${what} | bulkhead pull ${median(ours).toFixed(0)} ms | skopeo copy to an OCI layout + tar -xzf ${median(peer).toFixed(0)} ms | **${(median(ours) / median(peer)).toFixed(2)}x** |`);
      rows.push(`| the same, CPU time (user + system of the processes run) | bulkhead pull ${median(oursCpu).toFixed(0)} ms | skopeo, tar and gzip ${median(peerCpu).toFixed(0)} ms | ${(median(oursCpu) / median(peerCpu)).toFixed(2)}x |`);
      rows.push(`| pull again, warm (all present), ${what} | bulkhead pull ${median(oursWarm).toFixed(0)} ms | skopeo copy to the same layout ${median(peerWarm).toFixed(0)} ms | **${(median(oursWarm) / median(peerWarm)).toFixed(2)}x** |`);
    }
    if (only !== 'pull') await startRows(name, tmp, n, rows);
  } finally {
    await reg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (only) {
    process.stdout.write(rows.join('\n') + '\n');
    return;
  }
  const report = `# Images\n\n${new Date().toISOString()}, ${os.cpus().length} cores, Linux ${os.release()}; medians.\n\n| what | Bulkhead | peer | ratio |\n|---|---|---|---|\n${rows.join('\n')}\n`;
  fs.mkdirSync(path.resolve(__dirname, '..', '..', 'benchmarks', 'results'), { recursive: true });
  fs.writeFileSync(path.resolve(__dirname, '..', '..', 'benchmarks', 'results', 'images.md'), report);
  process.stdout.write(report);
}

async function startRows(name: string, tmp: string, n: number, rows: string[]): Promise<void> {
  {
    const images = new Images({ root: path.join(tmp, 'run-root') });
    await images.pull(name);
    const plain = makeBusyboxRootfs();
    const fromImage: number[] = [];
    const fromMemory: number[] = [];
    const fromDir: number[] = [];
    const runs = n * 10;
    const image = async (upper: 'disk' | 'tmpfs') => {
      const t0 = performance.now();
      const root = await images.rootfsFor(name, { upper });
      try {
        await spawn('/bin/busybox', ['true'], { rootfs: root.rootfs });
      } finally {
        root.release();
      }
      return performance.now() - t0;
    };
    for (let i = 0; i < runs + 5; i++) {
      const disk = await image('disk');
      const memory = await image('tmpfs');
      const t0 = performance.now();
      await spawn('/bin/busybox', ['true'], { rootfs: plain.dir });
      if (i < 5) continue;
      fromDir.push(performance.now() - t0);
      fromImage.push(disk);
      fromMemory.push(memory);
    }
    plain.cleanup();
    rows.push(`| start /bin/true, ${runs} runs | from an image, upper on disk (overlay mounted by spawn() in the container's namespace, release) ${median(fromImage).toFixed(2)} ms | spawn() on a plain directory ${median(fromDir).toFixed(2)} ms | **${(median(fromImage) / median(fromDir)).toFixed(2)}x** |`);
    rows.push(`| start /bin/true, ${runs} runs | from an image, upper in tmpfs (\`rootfsFor(image, { upper: 'tmpfs' })\`) ${median(fromMemory).toFixed(2)} ms | spawn() on a plain directory ${median(fromDir).toFixed(2)} ms | **${(median(fromMemory) / median(fromDir)).toFixed(2)}x** |`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
