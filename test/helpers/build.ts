// Shared by the build tests: a data root with a busybox-static image loaded
// (busybox:test), a context directory, build() with its output collected, the
// CLI, and the entries of a layer blob.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { build, type BuildOptions } from '../../lib/build/build';
import { Images } from '../../lib/image/images';
import { buildImage, busyboxEntries, writeDockerArchive } from '../../support/images';
import { tempRoot } from './image-root';

export const CLI = path.resolve(__dirname, '..', '..', 'lib', 'cli', 'main.js');

export interface BuildEnv {
  tmp: string;
  root: string;
  images: Images;
  /** A fresh context directory with these files (Dockerfile among them). */
  context(files: Record<string, string>): string;
  build(context: string, opts?: Partial<BuildOptions>): Promise<{ id: string; tags: string[]; output: string }>;
  cli(args: string[]): { status: number | null; stdout: string; stderr: string };
  /** Mount points left under the data root. */
  mounts(): string[];
}

export async function buildEnv(prefix: string): Promise<BuildEnv> {
  const tmp = tempRoot(prefix);
  const root = path.join(tmp, 'root');
  const images = new Images({ root });
  writeDockerArchive(path.join(tmp, 'bb.tar'), [{ image: buildImage([busyboxEntries()], { Cmd: ['sh'] }), tags: ['busybox:test'] }]);
  await images.load(path.join(tmp, 'bb.tar'));
  let n = 0;
  return {
    tmp,
    root,
    images,
    context(files) {
      const dir = path.join(tmp, `ctx-${n++}`);
      for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), text);
      }
      return dir;
    },
    async build(context, opts = {}) {
      let output = '';
      const r = await build({ context, dataRoot: root, onProgress: (t) => (output += t), ...opts });
      return { ...r, output };
    },
    cli(args) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BULKHEAD_ROOT: root }, timeout: 60_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    mounts() {
      return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(root));
    },
  };
}

/** Entry names of a gzipped layer blob, in order. */
export async function layerEntries(blob: Buffer): Promise<string[]> {
  const names: string[] = [];
  const ex = tar.extract();
  ex.on('entry', (h, stream, next) => {
    names.push(h.name);
    stream.resume();
    stream.on('end', next);
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    ex.end(zlib.gunzipSync(blob));
  });
  return names;
}
