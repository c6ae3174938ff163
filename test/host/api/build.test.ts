// `docker build` through bulkheadd (POST /build, the classic builder): the
// stock docker CLI with DOCKER_BUILDKIT=0 against a real daemon on a temp
// socket, the base image a busybox-static image `docker load`ed into it (no
// network); the raw API for what the CLI never sends (a tar climbing out,
// remote contexts, BuildKit); docker-compose 1.29 with a `build:` service.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import t, { type Test } from 'tap';
import { withBusyboxRoot, requirementMissing } from '../../helpers/tier';
import { composeIn, composeMissing, dockerMissing, startDaemon, type Daemon } from '../../helpers/daemon';
import { buildImage, busyboxEntries, writeDockerArchive } from '../../../support/images';
import { build } from '../../../lib/build/build';

// The classic builder: the only one bulkheadd speaks (without the buildx plugin
// docker 28 falls back to it by itself, with a deprecation notice).
process.env.DOCKER_BUILDKIT = '0';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function daemonWithBase(t: Test, rootfs: string): Promise<Daemon> {
  const d = await startDaemon(t, rootfs);
  const archive = path.join(d.dir, 'bb.tar');
  writeDockerArchive(archive, [{ image: buildImage([busyboxEntries()], { Cmd: ['sh'], Env: ['PATH=/bin'] }), tags: ['bb:test'] }]);
  const load = execFileSync('sh', ['-c', `docker load < ${archive}`], { env: { ...process.env, DOCKER_HOST: `unix://${d.sock}`, DOCKER_CONFIG: path.join(d.dir, 'docker-config') }, encoding: 'utf8' });
  t.match(load, /Loaded image: .*bb:test/);
  return d;
}

function context(d: Daemon, name: string, files: Record<string, string>): string {
  const dir = path.join(d.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

/** Nothing of a build left: no context directory in the store's tmp, no mount under the data root. */
function leftovers(d: Daemon): string[] {
  const tmp = path.join(d.root, 'images', 'image', 'tmp');
  const temps = fs.existsSync(tmp) ? fs.readdirSync(tmp).map((n) => `tmp/${n}`) : [];
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(d.dir));
  return [...temps, ...mounts];
}

function tarOf(entries: Array<{ name: string; data?: string; type?: 'file' | 'symlink'; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', ...(e.linkname ? { linkname: e.linkname } : {}) }, e.data ?? '');
  pack.finalize();
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pack.on('data', (c) => parts.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(parts)));
    pack.on('error', reject);
  });
}

/** The JSON messages of a streamed /build answer. */
const messages = (body: string) => body.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l) as { stream?: string; aux?: { ID: string }; error?: string; errorDetail?: { code?: number; message: string } });

function main(rootfs: string) {
  t.test('docker build: steps, run, cache, --build-arg, -f, --target, -q, history, builder prune', async (t) => {
    const d = await daemonWithBase(t, rootfs);
    const ctx = context(d, 'app', {
      Dockerfile: 'FROM bb:test\nARG WHO=world\nCOPY greeting.txt /app/\nRUN echo "built for $WHO" > /app/who\nCMD ["sh", "-c", "cat /app/greeting.txt /app/who"]\n',
      'greeting.txt': 'hello\n',
      'Other.dockerfile': 'FROM bb:test AS base\nRUN echo base > /stage\nFROM base AS mid\nRUN echo mid > /stage\nFROM mid AS last\nRUN echo last > /stage\n',
    });
    const b1 = await d.docker(['build', '-t', 'app', ctx]);
    t.equal(b1.code, 0, b1.stderr);
    t.match(b1.stdout, /Sending build context to Docker daemon/);
    t.match(b1.stdout, /^Step 1\/5 : FROM bb:test$/m);
    t.match(b1.stdout, /^Step 4\/5 : RUN echo "built for \$WHO" > \/app\/who$/m);
    t.match(b1.stdout, /^ ---> Running in [0-9a-f]{12}$/m);
    const built = /^Successfully built ([0-9a-f]{12})$/m.exec(b1.stdout);
    t.ok(built, 'Successfully built <id>');
    t.match(b1.stdout, /^Successfully tagged app:latest$/m);
    t.notMatch(b1.stdout, /Using cache/, 'nothing cached yet');
    const run = await d.docker(['run', '--rm', 'app']);
    t.equal(run.code, 0, run.stderr);
    t.equal(run.stdout, 'hello\nbuilt for world\n', 'the image runs: COPY, RUN and CMD took effect');
    t.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'app'])).stdout.slice(7, 19), built?.[1], 'the image has the id the build printed');
    t.equal((await d.docker(['images', '-q', 'app'])).stdout, `${built?.[1]}\n`, 'docker images NAME: the reference filter');

    const b2 = await d.docker(['build', '-t', 'app', ctx]);
    t.equal(b2.code, 0, b2.stderr);
    t.equal(b2.stdout.match(/ ---> Using cache/g)?.length, 4, 'ARG, COPY, RUN and CMD: every step after FROM cached');
    t.match(b2.stdout, new RegExp(`Successfully built ${built?.[1]}`), 'the same image');

    const iid = path.join(d.dir, 'iid');
    const b3 = await d.docker(['build', '--compress', '--iidfile', iid, '--build-arg', 'WHO=you', '-t', 'app:you', ctx]);
    t.equal(b3.code, 0, b3.stderr);
    t.equal(fs.readFileSync(iid, 'utf8'), (await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'app:you'])).stdout.trim(), '--iidfile: the CLI took the id from {"aux": {"ID": ...}}');
    t.match(b3.stdout, /Successfully tagged app:you/);
    t.equal((await d.docker(['run', '--rm', 'app:you'])).stdout, 'hello\nbuilt for you\n', '--build-arg reached RUN (and a gzip context, --compress, unpacked)');

    const b4 = await d.docker(['build', '-f', path.join(ctx, 'Other.dockerfile'), '--target', 'mid', '-t', 'staged', ctx]);
    t.equal(b4.code, 0, b4.stderr);
    t.match(b4.stdout, /^Step 4\/4 : RUN echo mid > \/stage$/m, '-f names the file; --target stops at mid (4 steps, not 6)');
    t.notMatch(b4.stdout, /echo last/);
    t.equal((await d.docker(['run', '--rm', 'staged', 'cat', '/stage'])).stdout, 'mid\n');

    // -f outside the context: the CLI adds the file to the tar (as .dockerfile.<random>), and sends the tar cut short.
    const outside = path.join(d.dir, 'outside.Dockerfile');
    fs.writeFileSync(outside, 'FROM bb:test\nCOPY . /ctx/\nCMD ["ls", "-a", "/ctx"]\n');
    for (const extra of [[], ['--compress']]) {
      const bo = await d.docker(['build', ...extra, '-f', outside, '-t', 'outside', ctx]);
      t.equal(bo.code, 0, bo.stderr);
      t.equal((await d.docker(['run', '--rm', 'outside'])).stdout, '.\n..\nDockerfile\nOther.dockerfile\ngreeting.txt\n', `-f outside the context ${extra.join(' ')}: built, and the added file not copied`);
    }

    const q = await d.docker(['build', '-q', '--label', 'team=core', ctx]);
    t.equal(q.code, 0, q.stderr);
    t.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/, '-q prints the id only');
    t.equal((await d.docker(['image', 'inspect', '-f', '{{index .Config.Labels "team"}}', q.stdout.trim()])).stdout, 'core\n', '--label');
    t.equal((await d.docker(['images', '-q', '--no-trunc', '--filter', 'label=team=core'])).stdout, q.stdout, 'docker images --filter label=');
    t.equal((await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}', 'app:*'])).stdout.split('\n').sort().join(' ').trim(), 'app:latest app:you', 'a tag pattern');

    const h = await d.docker(['image', 'history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', 'app']);
    t.equal(h.code, 0, h.stderr);
    const rows = h.stdout.trim().split('\n');
    t.match(rows[0], /^sha256:[0-9a-f]{64}\|\/bin\/sh -c #\(nop\)  CMD \["sh","-c","cat \/app\/greeting.txt \/app\/who"\]\|0B$/, 'newest first, the image id on top');
    t.match(rows[1], /^<missing>\|\|1 WHO=world \/bin\/sh -c echo "built for \$WHO" > \/app\/who\|\d+(\.\d+)?k?B$/, 'the RUN with its build arg');
    t.match(rows[2], /^<missing>\|\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/app\/ \|\d+B$/, 'the COPY');
    t.match((await d.docker(['image', 'history', 'nope'])).stderr, /No such image: nope/);

    const prune = await d.docker(['builder', 'prune', '-f']);
    t.equal(prune.code, 0, prune.stderr);
    t.match(prune.stdout, /Total reclaimed space/);
    const b5 = await d.docker(['build', '-t', 'app', ctx]);
    t.notMatch(b5.stdout, /Using cache/, 'the cache is gone after docker builder prune');
    t.same(leftovers(d), [], 'no context directory or mount left');
  });

  t.test('docker build: a failing RUN, bad Dockerfiles, .dockerignore, a symlink out', async (t) => {
    const d = await daemonWithBase(t, rootfs);
    const fail = context(d, 'fail', { Dockerfile: 'FROM bb:test\nRUN echo first\nRUN echo boom; exit 3\nRUN echo never\n' });
    const f = await d.docker(['build', '-t', 'fails', fail]);
    t.equal(f.code, 3, 'exits with the RUN\'s status, as docker build with dockerd (errorDetail.code)');
    t.match(f.stdout, /^boom$/m, 'the command\'s output streamed');
    t.match(f.stderr, /The command '\/bin\/sh -c echo boom; exit 3' returned a non-zero code: 3/);
    t.notMatch(f.stdout, /never|Successfully/);
    t.match((await d.docker(['image', 'inspect', 'fails'])).stderr, /No such image/, 'nothing tagged');
    const again = await d.docker(['build', fail]);
    t.match(again.stdout, /Step 2\/4 : RUN echo first\n ---> Using cache/, 'the steps before the failure are cached');

    const syntax = context(d, 'syntax', { Dockerfile: 'FROM bb:test\nFORM x\n' });
    const s = await d.docker(['build', syntax]);
    t.equal(s.code, 1);
    t.match(s.stderr, /Error response from daemon: Dockerfile:2:1: unknown instruction: FORM/, 'an error before any output is an HTTP error');
    const nobase = await d.docker(['build', context(d, 'nobase', { Dockerfile: 'FROM 127.0.0.1:1/none\n' })]);
    t.equal(nobase.code, 1);
    t.match(nobase.stderr + nobase.stdout, /FROM 127\.0\.0\.1:1\/none/);
    const shadow = await d.api('POST', '/v1.43/build?dockerfile=../../../../etc/passwd', await tarOf([{ name: 'Dockerfile', data: 'FROM bb:test\n' }]), { 'Content-Type': 'application/x-tar' });
    t.equal(shadow.status, 400);
    t.match(shadow.body, /Cannot locate specified Dockerfile: ..\/..\/..\/..\/etc\/passwd/, 'the dockerfile parameter stays in the context');
    // A Dockerfile that is a symlink to a host file: refused by the daemon. The control:
    // build() itself, handed the same directory, reads the host file (its FROM names the canary).
    const secret = path.join(d.dir, 'host-secret');
    fs.writeFileSync(secret, 'FROM canary-from-the-host\n');
    const linked = await d.api('POST', '/v1.43/build', await tarOf([{ name: 'Dockerfile', type: 'symlink', linkname: secret }]), { 'Content-Type': 'application/x-tar' });
    t.equal(linked.status, 400);
    t.match(linked.body, /Cannot locate specified Dockerfile: Dockerfile/, 'a Dockerfile symlinked out of the context is refused');
    t.notMatch(linked.body, /canary/);
    const ctl = context(d, 'control', {});
    fs.symlinkSync(secret, path.join(ctl, 'Dockerfile'));
    await t.rejects(build({ context: ctl, dataRoot: path.join(d.dir, 'control-root') }), /canary-from-the-host/, 'control: without the daemon\'s check the host file is read');

    const ign = context(d, 'ign', { Dockerfile: 'FROM bb:test\nCOPY . /app/\nCMD ["ls", "-a", "/app"]\n', '.dockerignore': 'secret.txt\n*.log\n', 'secret.txt': 'nope', 'keep.txt': 'yes', 'debug.log': 'x' });
    t.equal((await d.docker(['build', '-t', 'ign', ign])).code, 0);
    const ls = (await d.docker(['run', '--rm', 'ign'])).stdout.split('\n').filter(Boolean);
    t.ok(ls.includes('keep.txt'), 'a kept file is in the image');
    t.notOk(ls.includes('secret.txt') || ls.includes('debug.log'), '.dockerignored files are not in the image');

    const out = context(d, 'out', { Dockerfile: 'FROM bb:test\nCOPY hostetc/passwd /stolen\n' });
    fs.symlinkSync('/etc', path.join(out, 'hostetc'));
    const o = await d.docker(['build', '-t', 'stolen', out]);
    t.equal(o.code, 1, 'a COPY through a symlink out of the context fails');
    t.match(o.stderr, /COPY failed: .*hostetc\/passwd/);
    t.match((await d.docker(['image', 'inspect', 'stolen'])).stderr, /No such image/);
    t.same(leftovers(d), []);
  });

  t.test('POST /build over the raw API: a tar climbing out, remote, BuildKit, bad parameters', async (t) => {
    const d = await daemonWithBase(t, rootfs);
    const x = { 'Content-Type': 'application/x-tar' };
    const climb = await d.api('POST', '/v1.43/build', await tarOf([{ name: 'Dockerfile', data: 'FROM bb:test\n' }, { name: '../../escaped', data: 'x' }]), x);
    t.equal(climb.status, 400);
    t.match(climb.body, /outside of the context directory/);
    t.notOk(fs.existsSync(path.join(d.root, 'images', 'escaped')) || fs.existsSync(path.join(d.root, 'escaped')), 'nothing written outside');
    // A symlink to / then a file through it: written inside the context, not on the host.
    const canary = path.join(d.dir, 'canary');
    const planted = await d.api('POST', '/v1.43/build?t=planted', await tarOf([{ name: 'Dockerfile', data: 'FROM bb:test\nCOPY evil /evil\n' }, { name: 'evil', type: 'symlink', linkname: '/' }, { name: `evil${canary}`, data: 'owned' }]), x);
    t.equal(planted.status, 200);
    t.notOk(fs.existsSync(canary), 'the file through the planted symlink did not land on the host');
    const gz = await d.api('POST', '/v1.43/build?t=gz', zlib.gzipSync(await tarOf([{ name: 'Dockerfile', data: 'FROM bb:test\nRUN echo gz\n' }])), x);
    const msgs = messages(gz.body);
    t.ok(msgs.some((m) => m.stream === 'Step 1/2 : FROM bb:test\n'), '{"stream": ...} lines');
    t.match(msgs.find((m) => m.aux)?.aux?.ID, /^sha256:[0-9a-f]{64}$/, '{"aux": {"ID": ...}}');
    const failing = messages((await d.api('POST', '/v1.43/build', await tarOf([{ name: 'Dockerfile', data: 'FROM bb:test\nRUN exit 7\n' }]), x)).body).pop();
    t.same(failing, { errorDetail: { code: 7, message: "The command '/bin/sh -c exit 7' returned a non-zero code: 7" }, error: "The command '/bin/sh -c exit 7' returned a non-zero code: 7" });

    const remote = await d.api('POST', '/v1.43/build?remote=https://example.com/ctx.tar', '', x);
    t.equal(remote.status, 501);
    t.match(remote.body, /does not build from a remote context/);
    const bk = await d.api('POST', '/v1.43/build?version=2&session=abc', '', x);
    t.equal(bk.status, 400);
    t.match(bk.body, /DOCKER_BUILDKIT=0/);
    for (const [q, re] of [['buildargs=nope', /invalid buildargs/], ['buildargs=%7B%22A%22%3A1%7D', /not a string/], ['networkmode=bridge', /network mode \\"bridge\\"/], ['memory=1000000', /--memory/], ['cachefrom=%5B%22x%22%5D', /--cache-from/], ['t=UPPER', /invalid tag \\"UPPER\\"/]] as const) {
      const r = await d.api('POST', `/v1.43/build?${q}`, await tarOf([{ name: 'Dockerfile', data: 'FROM bb:test\n' }]), x);
      t.equal(r.status, 400, q);
      t.match(r.body, re, q);
    }
    const empty = await d.api('POST', '/v1.43/build', await tarOf([{ name: 'other', data: '' }]), x);
    t.equal(empty.status, 400);
    t.match(empty.body, /Cannot locate specified Dockerfile: Dockerfile/);
    t.same(leftovers(d), []);
  });

  t.test('POST /build: the context cap (--max-build-context), counted after decompression', async (t) => {
    const d = await startDaemon(t, rootfs, ['--max-build-context', '1m']);
    const x = { 'Content-Type': 'application/x-tar' };
    // 8 MiB of zeros: a few KiB gzipped, far over the cap once unpacked.
    const bomb = zlib.gzipSync(await tarOf([{ name: 'Dockerfile', data: 'FROM scratch\n' }, { name: 'zeros', data: '\0'.repeat(8 * 1024 * 1024) }]));
    t.ok(bomb.length < 64 * 1024, `the body is small (${bomb.length} bytes)`);
    const big = await d.api('POST', '/v1.43/build?t=big', bomb, x);
    t.equal(big.status, 413);
    t.match(big.body, /build context: larger than the limit of 1048576 bytes/);
    // The control: the same context under the cap is built.
    const ok = await d.api('POST', '/v1.43/build?t=small', zlib.gzipSync(await tarOf([{ name: 'Dockerfile', data: 'FROM scratch\nCOPY zeros /\n' }, { name: 'zeros', data: '\0'.repeat(512 * 1024) }])), x);
    t.equal(ok.status, 200);
    t.match(messages(ok.body).pop(), { aux: { ID: /^sha256:/ } });
    t.same(leftovers(d), []);
  });

  t.test('docker build: a client that goes away, or the daemon stopping, cancels the build, nothing left', async (t) => {
    const d = await daemonWithBase(t, rootfs);
    const ctx = context(d, 'slow', { Dockerfile: 'FROM bb:test\nRUN echo started; exec sleep 61.25\n' });
    const c = spawn('docker', ['build', ctx], { env: { ...process.env, DOCKER_HOST: `unix://${d.sock}`, DOCKER_CONFIG: path.join(d.dir, 'docker-config') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    for (let i = 0; i < 200 && !/started/.test(out); i++) await sleep(50);
    t.match(out, /started/, 'the RUN is running');
    const sleepers = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x0061.25\x00'; } catch { return false; } })());
    t.equal(sleepers().length, 1);
    c.kill('SIGKILL');
    for (let i = 0; i < 200 && (sleepers().length || leftovers(d).length); i++) await sleep(50);
    t.same(sleepers(), [], 'the RUN\'s process was killed');
    t.same(leftovers(d), [], 'its overlay unmounted, the context removed');
    t.equal((await d.docker(['images', '--format', '{{.Repository}}'])).stdout, 'busybox\nbb\n', 'no image made');
    t.equal((await d.docker(['version', '--format', '{{.Server.APIVersion}}'])).stdout, '1.43\n', 'the daemon serves on');

    // SIGTERM of the daemon mid-RUN: the build is cancelled and unwound before it exits.
    const c2 = spawn('docker', ['build', ctx], { env: { ...process.env, DOCKER_HOST: `unix://${d.sock}`, DOCKER_CONFIG: path.join(d.dir, 'docker-config') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out2 = '';
    let err2 = '';
    c2.stdout.on('data', (b: Buffer) => (out2 += b.toString()));
    c2.stderr.on('data', (b: Buffer) => (err2 += b.toString()));
    const c2done = new Promise((r) => c2.once('exit', r));
    for (let i = 0; i < 200 && !/started/.test(out2); i++) await sleep(50);
    t.equal(sleepers().length, 1, 'a second build is running');
    t.equal(await d.stop(), 0, 'bulkheadd exits 0 on SIGTERM');
    t.same(sleepers(), [], 'the RUN was killed before the daemon exited');
    t.same(leftovers(d), [], 'no mount or context directory left behind by the daemon');
    t.equal(await c2done, 1, 'the client saw its build fail');
    t.match(err2, /build cancelled: the daemon is shutting down/);

    // kill -9 mid-RUN: the restarted daemon removes the context (the store's check), the next build reclaims the rest.
    await d.restart();
    const c3 = spawn('docker', ['build', ctx], { env: { ...process.env, DOCKER_HOST: `unix://${d.sock}`, DOCKER_CONFIG: path.join(d.dir, 'docker-config') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out3 = '';
    c3.stdout.on('data', (b: Buffer) => (out3 += b.toString()));
    const c3done = new Promise((r) => c3.once('exit', r));
    for (let i = 0; i < 200 && !/started/.test(out3); i++) await sleep(50);
    t.equal(sleepers().length, 1, 'a third build is running');
    await d.kill9();
    await c3done;
    for (let i = 0; i < 100 && sleepers().length; i++) await sleep(50);
    t.same(sleepers(), [], 'the RUN died with the daemon');
    await d.restart();
    t.same(leftovers(d).filter((l) => l.startsWith('tmp/')), [], 'the restarted daemon removed the context directory');
    const after = await d.docker(['build', '-t', 'after', context(d, 'after', { Dockerfile: 'FROM bb:test\nRUN echo after > /after\n' })]);
    t.equal(after.code, 0, after.stderr);
    t.same(leftovers(d), [], 'after the next build, no mount or directory of the killed one is left');
    await d.stop();
  });

  // compose.test.ts fails under CI when docker-compose is missing; skipped here.
  t.test('docker-compose 1.29: build and up -d of a build: service', { skip: composeMissing() ?? false }, async (t) => {
    const d = await daemonWithBase(t, rootfs);
    const dir = context(d, 'proj', {
      'docker-compose.yml': 'version: "3.8"\nservices:\n  app:\n    build:\n      context: ./app\n      args:\n        FLAVOUR: mint\n    network_mode: none\n',
      'app/Dockerfile': 'FROM bb:test\nARG FLAVOUR=plain\nRUN echo "flavour $FLAVOUR" > /flavour\nCMD ["sh", "-c", "cat /flavour; exec sleep 1000"]\n',
    });
    const compose = composeIn(d, dir);
    const b = await compose(['build']);
    t.equal(b.code, 0, b.out);
    t.match(b.out, /Building app/);
    t.match(b.out, /Successfully tagged proj_app:latest/);
    const up = await compose(['up', '-d']);
    t.equal(up.code, 0, up.out);
    let logs = '';
    for (let i = 0; i < 50 && !/flavour mint/.test(logs); i++) {
      await sleep(200);
      logs = (await compose(['logs'])).out;
    }
    t.match(logs, /app_1\s+\| flavour mint/, 'the service runs the image it built, with its build arg');
    const down = await compose(['down', '--rmi', 'local', '-t', '1']);
    t.equal(down.code, 0, down.out);
    t.equal((await d.docker(['ps', '-aq'])).stdout, '', 'no container left');
  });
}


const missing = dockerMissing();
if (missing) requirementMissing(missing);
else withBusyboxRoot(main);
