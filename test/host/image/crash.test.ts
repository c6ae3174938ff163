// Crash safety: `bulkhead pull` SIGKILLed at random moments (downloading,
// verifying, unpacking, writing the index), 24 times on one data root. After
// each kill the store, opened again (its check removes what the dead pull left),
// holds no partial blob and no half-unpacked layer, every blob hashes to its
// name, and the image is either absent or complete. Then the pull finishes and
// `images` lists it. Two pulls at once fetch each blob once (one lock per blob).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { Images } from '../../../lib/image/images';
import { buildImage, busyboxEntries, featureEntries, writeOciLayout } from '../../../support/images';
import { imageTier, tempRoot } from '../../helpers/image-root';
import { registryMissing, skopeo, startRegistry } from '../../../support/registry';
import { requirementMissing } from '../../helpers/tier';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');
const KILLS = 24;

if (imageTier()) {
  const missing = registryMissing();
  if (missing) requirementMissing(missing);
  else main();
}

function consistent(t: Test, root: string, layers: number): void {
  const images = new Images({ root }); // the check on open
  t.same(fs.readdirSync(images.store.layout.tmp), [], 'no partial blob or layer left');
  for (const hex of fs.readdirSync(images.store.layout.blobs)) {
    const sum = createHash('sha256').update(fs.readFileSync(path.join(images.store.layout.blobs, hex))).digest('hex');
    if (sum !== hex) t.fail(`blob ${hex} hashes to ${sum}`);
  }
  for (const img of images.list()) {
    const rec = images.get(img.id);
    t.equal(rec.layers.length, layers);
    for (const l of rec.layers) {
      if (!images.store.hasBlob(l.digest) || !fs.existsSync(images.store.layout.layer(l.diffId))) t.fail(`image ${img.id} lacks layer ${l.digest}`);
    }
  }
}

function main() {
  const tmp = tempRoot();
  // A few random layers (incompressible), so that a pull takes long enough to be cut in every phase.
  const layers = [busyboxEntries(), featureEntries(), ...[1, 2, 3].map((i) => [{ name: `big${i}`, data: randomBytes(3 << 20) }])];
  const img = buildImage(layers, { Cmd: ['true'] });
  writeOciLayout(path.join(tmp, 'oci'), [{ image: img, name: 'crash' }]);

  t.test(`SIGKILL at ${KILLS} random moments`, async (t) => {
    const reg = await startRegistry({ dir: path.join(tmp, 'reg') });
    t.teardown(() => reg.stop());
    await skopeo(['copy', `oci:${path.join(tmp, 'oci')}:crash`, `docker://${reg.host}/crash:1`]);
    const root = path.join(tmp, 'root');
    const name = `${reg.host}/crash:1`;
    // How long a whole pull takes here: the kills spread over it and a little past it.
    const t0 = Date.now();
    const probe = await new Promise<number | null>((res) => spawn(process.execPath, [CLI, 'pull', '-q', name], { env: { ...process.env, BULKHEAD_ROOT: path.join(tmp, 'probe') }, stdio: 'ignore' }).on('exit', res));
    t.equal(probe, 0);
    const full = Date.now() - t0;
    let completed = 0;
    for (let i = 0; i < KILLS; i++) {
      const c = spawn(process.execPath, [CLI, 'pull', '-q', name], { env: { ...process.env, BULKHEAD_ROOT: root }, stdio: 'ignore' });
      const exited = new Promise<number | null>((res) => c.on('exit', (code) => res(code)));
      const delay = Math.floor(Math.random() * full * 1.1);
      const timer = setTimeout(() => c.kill('SIGKILL'), delay);
      const code = await exited;
      clearTimeout(timer);
      if (code === 0) {
        completed++;
        // Start over so that later kills land in a pull again.
        const images = new Images({ root });
        await images.remove(name);
      }
      consistent(t, root, layers.length);
    }
    t.comment(`${KILLS - completed} pulls killed, ${completed} finished first`);
    const last = await new Promise<number | null>((res) => spawn(process.execPath, [CLI, 'pull', '-q', name], { env: { ...process.env, BULKHEAD_ROOT: root }, stdio: 'ignore' }).on('exit', res));
    t.equal(last, 0, 'the next pull completes');
    consistent(t, root, layers.length);
    const images = new Images({ root });
    t.same(images.list().map((i) => i.repoTags), [[name]], 'images lists it');
    t.same(fs.readdirSync(path.join(root, 'containers')), []);
  });

  t.test('two pulls at once download each blob once', async (t) => {
    const reg = await startRegistry({ dir: path.join(tmp, 'reg2') });
    t.teardown(() => reg.stop());
    await skopeo(['copy', `oci:${path.join(tmp, 'oci')}:crash`, `docker://${reg.host}/crash:1`]);
    // A counting pass-through in front of the real registry.
    const gets = new Map<string, number>();
    const proxy = http.createServer((req, res) => {
      const m = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '');
      if (m && req.method === 'GET') gets.set(m[1], (gets.get(m[1]) ?? 0) + 1);
      const up = http.request({ host: '127.0.0.1', port: Number(reg.host.split(':')[1]), path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    t.teardown(() => proxy.close());
    const name = `127.0.0.1:${(proxy.address() as AddressInfo).port}/crash:1`;
    const root = path.join(tmp, 'root2');
    const pull = () => new Promise<number | null>((res) => spawn(process.execPath, [CLI, 'pull', '-q', name], { env: { ...process.env, BULKHEAD_ROOT: root }, stdio: 'ignore' }).on('exit', res));
    t.same(await Promise.all([pull(), pull(), pull()]), [0, 0, 0]);
    t.same([...gets.values()].filter((n) => n > 1), [], 'no blob fetched twice');
    t.equal(gets.size, layers.length + 1, 'every layer and the config fetched');
    consistent(t, root, layers.length);
  });
}
