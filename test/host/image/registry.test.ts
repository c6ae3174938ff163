// Pull and push against a real registry (Debian's docker-registry on 127.0.0.1):
// anonymous, htpasswd basic auth (credentials from config.json auths and from a
// docker-credential helper), and bearer tokens from a token server; images put in
// by skopeo from OCI layouts built from busybox-static (a multi-platform index);
// what `bulkhead push` writes read back by skopeo. Servers that misbehave (500,
// garbage, a blob that does not match its digest, a stall for Ctrl-C) are small
// real HTTP servers.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import t from 'tap';
import { Images } from '../../../lib/image/images';
import { buildImage, busyboxEntries, featureEntries, writeOciIndexLayout, writeOciLayout } from '../../../support/images';
import { imageTier, tempRoot } from '../../helpers/image-root';
import { registryMissing, skopeo, startRegistry, startTokenServer, type Registry } from '../../../support/registry';
import { requirementMissing } from '../../helpers/tier';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

if (imageTier()) {
  const missing = registryMissing();
  if (missing) requirementMissing(missing);
  else main();
}

function main() {
  const tmp = tempRoot();
  let n = 0;
  const root = () => path.join(tmp, `root-${n++}`);
  const cliAsync = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, DOCKER_CONFIG: path.join(tmp, 'no-docker-config'), ...env } });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
  const amd = buildImage([busyboxEntries(), featureEntries()], { Cmd: ['echo', 'amd64 image'] });
  const arm = buildImage([busyboxEntries()], { Cmd: ['echo', 'arm64 image'] }, 'gzip', 'arm64');
  const zst = buildImage([busyboxEntries()], { Cmd: ['echo', 'zstd image'] }, 'zstd');
  writeOciIndexLayout(path.join(tmp, 'multi'), 'multi', [
    { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]);
  writeOciLayout(path.join(tmp, 'armonly'), [{ image: arm, name: 'armonly' }]);
  writeOciLayout(path.join(tmp, 'zstd'), [{ image: zst, name: 'zstd' }]);
  const registries: Registry[] = [];
  t.teardown(async () => {
    for (const r of registries) await r.stop();
  });

  t.test('anonymous: pull a multi-platform index, run it, pull by digest, other platforms', async (t) => {
    const reg = await startRegistry({ dir: path.join(tmp, 'reg-anon') });
    registries.push(reg);
    await skopeo(['copy', '--all', `oci:${path.join(tmp, 'multi')}:multi`, `docker://${reg.host}/bb:multi`]);
    await skopeo(['copy', `oci:${path.join(tmp, 'armonly')}:armonly`, `docker://${reg.host}/bb:armonly`]);
    await skopeo(['copy', `oci:${path.join(tmp, 'zstd')}:zstd`, `docker://${reg.host}/bb:zstd`]);
    const r1 = root();
    const p = await cliAsync(['pull', `${reg.host}/bb:multi`], { BULKHEAD_ROOT: r1 });
    t.equal(p.status, 0, p.stderr);
    t.match(p.stdout, /Pulling 127\.0\.0\.1:\d+\/bb:multi\n/);
    t.match(p.stdout, /: Pull complete\n/);
    t.match(p.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/bb:multi\n$/);
    t.notMatch(p.stdout, /\x1b\[/, 'no cursor movement when not on a terminal');
    const run = await cliAsync(['run', `${reg.host}/bb:multi`], { BULKHEAD_ROOT: r1 });
    t.equal(run.stdout, 'amd64 image\n', 'this machine\'s platform was chosen');
    const images = new Images({ root: r1 });
    const rec = images.get(`${reg.host}/bb:multi`);
    t.equal(rec.id, amd.configDigest);
    const indexDigest = rec.repoDigests[0].split('@')[1];
    t.equal((await cliAsync(['run', '--pull', 'never', `${reg.host}/bb@${indexDigest}`], { BULKHEAD_ROOT: r1 })).stdout, 'amd64 image\n', '@sha256 pin resolves locally');
    const q = await cliAsync(['pull', '-q', `${reg.host}/bb@${amd.manifestDigest}`], { BULKHEAD_ROOT: r1 });
    t.equal(q.status, 0, q.stderr);
    t.equal(q.stdout, `${reg.host}/bb@${amd.manifestDigest}\n`, '--quiet prints the reference only');
    // --platform picks the other manifest of the index.
    const r2 = root();
    const armPull = await cliAsync(['pull', '--platform', 'linux/arm64', `${reg.host}/bb:multi`], { BULKHEAD_ROOT: r2 });
    t.equal(armPull.status, 0, armPull.stderr);
    t.equal(new Images({ root: r2 }).get(`${reg.host}/bb:multi`).id, arm.configDigest);
    const s390 = await cliAsync(['pull', '--platform', 'linux/s390x', `${reg.host}/bb:multi`], { BULKHEAD_ROOT: r2 });
    t.equal(s390.status, 125);
    t.match(s390.stderr, /^bulkhead pull: 127\.0\.0\.1:\d+\/bb:multi: no manifest for linux\/s390x \(the image has linux\/amd64, linux\/arm64\/v8\)\n$/);
    const armOnly = await cliAsync(['pull', `${reg.host}/bb:armonly`], { BULKHEAD_ROOT: r2 });
    t.equal(armOnly.status, 125);
    t.match(armOnly.stderr, /^bulkhead pull: 127\.0\.0\.1:\d+\/bb:armonly: the image is for linux\/arm64, not linux\/amd64\n$/);
    const none = await cliAsync(['pull', `${reg.host}/nope:1`], { BULKHEAD_ROOT: r2 });
    t.equal(none.status, 125);
    t.match(none.stderr, /^bulkhead pull: 127\.0\.0\.1:\d+\/nope:1: not found in 127\.0\.0\.1:\d+ \(MANIFEST_UNKNOWN/);
    t.equal((await cliAsync(['pull', 'Not/Valid'], { BULKHEAD_ROOT: r2 })).status, 125);
    // Docker schema 2: a manifest list and Docker manifests (skopeo converts the OCI index).
    await skopeo(['copy', '--all', '--format', 'v2s2', `oci:${path.join(tmp, 'multi')}:multi`, `docker://${reg.host}/bb:v2s2`]);
    const raw = JSON.parse(await skopeo(['inspect', '--raw', `docker://${reg.host}/bb:v2s2`]));
    t.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    const v2 = await cliAsync(['run', `${reg.host}/bb:v2s2`], { BULKHEAD_ROOT: r2 });
    t.equal(v2.stdout, 'amd64 image\n', v2.stderr);
    t.equal(new Images({ root: r2 }).get(`${reg.host}/bb:v2s2`).manifestMediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    // zstd layers.
    const z = await cliAsync(['run', `${reg.host}/bb:zstd`], { BULKHEAD_ROOT: r2 });
    t.equal(z.stdout, 'zstd image\n', z.stderr);
  });

  t.test('push: monolithic, chunked, cross-repo mount; skopeo reads it back', async (t) => {
    const reg = await startRegistry({ dir: path.join(tmp, 'reg-push') });
    registries.push(reg);
    const r = root();
    const images = new Images({ root: r });
    writeOciLayout(path.join(tmp, 'topush'), [{ image: amd, name: `${reg.host}/pushed:1` }]);
    await images.load(path.join(tmp, 'topush'));
    const out = await cliAsync(['push', `${reg.host}/pushed:1`], { BULKHEAD_ROOT: r });
    t.equal(out.status, 0, out.stderr);
    t.match(out.stdout, new RegExp(`: Pushed\\n[^]*digest: ${amd.manifestDigest}\\n$`));
    const inspect = JSON.parse(await skopeo(['inspect', '--raw', `docker://${reg.host}/pushed:1`]));
    t.same(inspect.layers.map((l: { digest: string }) => l.digest), amd.layers.map((l) => l.digest));
    await skopeo(['copy', `docker://${reg.host}/pushed:1`, `oci:${path.join(tmp, 'back')}:back`]);
    t.pass('skopeo copied the pushed image back out (it verifies every digest)');
    // Chunked, through the library.
    await images.tag(`${reg.host}/pushed:1`, `${reg.host}/chunked:1`);
    const lines: string[] = [];
    await images.push(`${reg.host}/chunked:1`, { chunkSize: 256 << 10, onProgress: (l) => lines.push(l) });
    t.ok(lines.some((l) => /Pushing \d+\/\d+/.test(l)), 'uploaded in chunks');
    await skopeo(['copy', `docker://${reg.host}/chunked:1`, `oci:${path.join(tmp, 'back2')}:back`]);
    // Cross-repo mount: an image pulled from one repository pushed to another of the same registry.
    const r2 = root();
    const p = await cliAsync(['pull', `${reg.host}/pushed:1`], { BULKHEAD_ROOT: r2 });
    t.equal(p.status, 0, p.stderr);
    await cliAsync(['tag', `${reg.host}/pushed:1`, `${reg.host}/mounted:1`], { BULKHEAD_ROOT: r2 });
    const m = await cliAsync(['push', `${reg.host}/mounted:1`], { BULKHEAD_ROOT: r2 });
    t.equal(m.status, 0, m.stderr);
    t.match(m.stdout, /Mounted from pushed/);
    t.equal(JSON.parse(await skopeo(['inspect', '--raw', `docker://${reg.host}/mounted:1`])).config.digest, amd.configDigest);
  });

  t.test('basic auth: refused without credentials, config.json auths, a credential helper', async (t) => {
    const reg = await startRegistry({ dir: path.join(tmp, 'reg-basic'), htpasswd: { user: 'bob', password: 'hunter2' } });
    registries.push(reg);
    await skopeo(['copy', `oci:${path.join(tmp, 'zstd')}:zstd`, `docker://${reg.host}/private:1`], 'bob:hunter2');
    const anon = await cliAsync(['pull', `${reg.host}/private:1`], { BULKHEAD_ROOT: root() });
    t.equal(anon.status, 125);
    t.match(anon.stderr, /^bulkhead pull: 127\.0\.0\.1:\d+\/private:1: 127\.0\.0\.1:\d+ requires authentication/);
    const cfg = path.join(tmp, 'dc-auths');
    fs.mkdirSync(cfg);
    fs.writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('bob:hunter2').toString('base64') } } }));
    const ok = await cliAsync(['pull', `${reg.host}/private:1`], { BULKHEAD_ROOT: root(), DOCKER_CONFIG: cfg });
    t.equal(ok.status, 0, ok.stderr);
    const wrong = path.join(tmp, 'dc-wrong');
    fs.mkdirSync(wrong);
    fs.writeFileSync(path.join(wrong, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('bob:nope').toString('base64') } } }));
    const bad = await cliAsync(['pull', `${reg.host}/private:1`], { BULKHEAD_ROOT: root(), DOCKER_CONFIG: wrong });
    t.equal(bad.status, 125);
    t.match(bad.stderr, /refused the credentials of bob/);
    // docker-credential-<name> get: the server on stdin, {"Username","Secret"} out.
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'docker-credential-testhelper'), `#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "${reg.host}" ] && echo '{"Username":"bob","Secret":"hunter2"}'\n`, { mode: 0o755 });
    const helper = path.join(tmp, 'dc-helper');
    fs.mkdirSync(helper);
    fs.writeFileSync(path.join(helper, 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'testhelper' } }));
    const h = await cliAsync(['pull', `${reg.host}/private:1`], { BULKHEAD_ROOT: root(), DOCKER_CONFIG: helper, PATH: `${bin}:${process.env.PATH}` });
    t.equal(h.status, 0, h.stderr);
  });

  t.test('bearer tokens from a token server', async (t) => {
    const dir = path.join(tmp, 'reg-token');
    fs.mkdirSync(dir);
    const ts = await startTokenServer(dir, { alice: 'secret' });
    t.teardown(() => ts.close());
    const reg = await startRegistry({ dir, token: { realm: ts.url, cert: ts.cert } });
    registries.push(reg);
    await skopeo(['copy', `oci:${path.join(tmp, 'zstd')}:zstd`, `docker://${reg.host}/tok:1`], 'alice:secret');
    const anon = await cliAsync(['pull', `${reg.host}/tok:1`], { BULKHEAD_ROOT: root() });
    t.equal(anon.status, 125);
    t.match(anon.stderr, /token server http:\/\/127\.0\.0\.1:\d+ refused anonymous access \(401\)/);
    const cfg = path.join(tmp, 'dc-token');
    fs.mkdirSync(cfg);
    fs.writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('alice:secret').toString('base64') } } }));
    ts.requests.length = 0;
    const r = root();
    const ok = await cliAsync(['pull', `${reg.host}/tok:1`], { BULKHEAD_ROOT: r, DOCKER_CONFIG: cfg });
    t.equal(ok.status, 0, ok.stderr);
    t.same(ts.requests, [{ scope: 'repository:tok:pull', user: 'alice' }], 'one token, asked for with the credentials, for the pull scope');
    const push = await cliAsync(['push', `${reg.host}/tok:1`], { BULKHEAD_ROOT: r, DOCKER_CONFIG: cfg });
    t.equal(push.status, 0, push.stderr);
    t.ok(ts.requests.some((q) => q.scope === 'repository:tok:pull,push'), 'push asks for pull,push');
  });

  t.test('misbehaving registries: 500, garbage, digest mismatch, a stall cut by Ctrl-C', async (t) => {
    const layer = amd.layers[1];
    let mode: 'error' | 'garbage' | 'mismatch' | 'stall' | 'ok' = 'error';
    let hits = 0;
    const server = http.createServer((req, res) => {
      hits++;
      const url = req.url ?? '';
      if (url === '/v2/') return res.writeHead(200).end('{}');
      if (mode === 'error') return res.writeHead(500).end('boom');
      if (url.includes('/manifests/')) {
        if (mode === 'garbage') return res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json');
        return res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(amd.manifest);
      }
      if (url.includes(amd.configDigest)) return res.writeHead(200).end(amd.config);
      if (url.includes('/blobs/')) {
        const blob = amd.layers.find((l) => url.includes(l.digest))?.blob ?? Buffer.alloc(0);
        if (mode === 'mismatch' && url.includes(layer.digest)) {
          const bad = Buffer.from(blob);
          bad[100] ^= 1;
          return res.writeHead(200, { 'content-length': bad.length }).end(bad);
        }
        if (mode === 'stall' && url.includes(amd.layers[0].digest)) {
          res.writeHead(200, { 'content-length': blob.length });
          res.write(blob.subarray(0, 1000));
          return; // never ends
        }
        return res.writeHead(200, { 'content-length': blob.length }).end(blob);
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(() => {
      server.closeAllConnections();
      server.close();
    });
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = root();
    const tmpEmpty = () => t.same(fs.readdirSync(path.join(r, 'image', 'tmp')), [], 'no temp files');

    let out = await cliAsync(['pull', `${host}/x:1`], { BULKHEAD_ROOT: r });
    t.equal(out.status, 125);
    t.match(out.stderr, /^bulkhead pull: 127\.0\.0\.1:\d+\/x:1: 127\.0\.0\.1:\d+ answered 500 Internal Server Error\n$/);
    t.equal(hits, 4, 'retried three times with backoff');
    mode = 'garbage';
    out = await cliAsync(['pull', `${host}/x:1`], { BULKHEAD_ROOT: r });
    t.match(out.stderr, /^bulkhead pull: 127\.0\.0\.1:\d+\/x:1: manifest is not JSON\n$/);
    mode = 'mismatch';
    out = await cliAsync(['pull', `${host}/x:1`], { BULKHEAD_ROOT: r });
    t.equal(out.status, 125);
    t.match(out.stderr, new RegExp(`: blob ${layer.digest} failed verification: its content hashes to sha256:`), out.stderr);
    tmpEmpty();
    t.notOk(fs.existsSync(path.join(r, 'image', 'blobs', 'sha256', layer.digest.slice(7))), 'the bad blob is not stored');
    // A stall in the big layer, cut by Ctrl-C; the small one is complete and kept.
    mode = 'stall';
    const r2 = root();
    const c = spawn(process.execPath, [CLI, 'pull', `${host}/x:1`], { env: { ...process.env, BULKHEAD_ROOT: r2 } });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((res) => c.on('exit', res));
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        if (fs.existsSync(path.join(r2, 'image', 'blobs', 'sha256', amd.layers[1].digest.slice(7)))) {
          clearInterval(tick);
          resolve();
        }
      }, 50);
    });
    await new Promise((res) => setTimeout(res, 300));
    c.kill('SIGINT');
    t.equal(await exited, 125);
    t.match(stderr, /^bulkhead pull: 127\.0\.0\.1:\d+\/x:1: pull cancelled\n$/);
    t.same(fs.readdirSync(path.join(r2, 'image', 'tmp')), [], 'no temp files after Ctrl-C');
    t.equal(new Images({ root: r2 }).list().length, 0, 'no image recorded');
    // The rerun resumes: only the missing layer is fetched.
    mode = 'ok';
    const asked: string[] = [];
    server.on('request', (req) => asked.push(req.url ?? ''));
    const again = await cliAsync(['pull', `${host}/x:1`], { BULKHEAD_ROOT: r2 });
    t.equal(again.status, 0, again.stderr);
    t.same(asked.filter((u) => u.includes('/blobs/')).map((u) => u.split('/blobs/')[1]), [amd.layers[0].digest], 'only the layer that was cut is fetched again');
    t.match(again.stdout, new RegExp(`${amd.layers[1].digest.slice(7, 19)}: Already exists`));
  });

  t.test('redirects to blob storage: followed, without the registry credentials', async (t) => {
    const storageHeaders: http.IncomingHttpHeaders[] = [];
    const storage = http.createServer((req, res) => {
      storageHeaders.push(req.headers);
      const blob = amd.layers.find((l) => (req.url ?? '').endsWith(l.digest.slice(7)))?.blob;
      if (!blob) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': blob.length }).end(blob);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    const registry = http.createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('bob:pw').toString('base64')}`) {
        return res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
      }
      const url = req.url ?? '';
      if (url.includes('/manifests/')) return res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(amd.manifest);
      if (url.includes(amd.configDigest)) return res.writeHead(200).end(amd.config);
      const m = /\/blobs\/sha256:([0-9a-f]{64})$/.exec(url);
      if (m) return res.writeHead(307, { location: `http://127.0.0.1:${(storage.address() as AddressInfo).port}/store/${m[1]}` }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
    t.teardown(() => {
      storage.close();
      registry.close();
    });
    const host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
    const cfg = path.join(tmp, 'dc-redirect');
    fs.mkdirSync(cfg);
    fs.writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('bob:pw').toString('base64') } } }));
    const out = await cliAsync(['pull', `${host}/r:1`], { BULKHEAD_ROOT: root(), DOCKER_CONFIG: cfg });
    t.equal(out.status, 0, out.stderr);
    t.equal(storageHeaders.length, amd.layers.length, 'every layer came from the storage server');
    t.ok(storageHeaders.every((h) => h.authorization === undefined), 'the registry credentials stayed with the registry');
  });

  t.test('library errors are typed', async (t) => {
    const images = new Images({ root: root() });
    await t.rejects(images.pull('127.0.0.1:1/x:1'), { name: 'ImageError', code: 'EREGISTRY', image: '127.0.0.1:1/x:1' });
    await t.rejects(images.pull('UPPER'), { code: 'EREFERENCE' });
    await t.rejects(images.pull('x', { platform: 'linux/amd64' as never }), { name: 'TypeError', message: /platform must be/ });
    await t.rejects(images.pull('x', { concurrency: 0 }), { name: 'RangeError', message: /concurrency/ });
    t.throws(() => images.get('nothere'), { code: 'ENOTFOUND', message: 'nothere: no such image' });
    const ac = new AbortController();
    ac.abort();
    await t.rejects(images.pull('127.0.0.1:1/x:1', { signal: ac.signal }), { code: 'EABORTED' });
    void spawnSync;
  });
}
