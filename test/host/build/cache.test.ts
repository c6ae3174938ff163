// The build cache: a rebuild reuses every step (the same image id), a changed
// build arg misses from the first step it reaches, --no-cache rebuilds, the cache
// survives between processes (the CLI), and entries go when the images owning
// their layers are removed. Abort: a cancelled build leaves no mount, no lease
// and no image.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { BuildCache } from '../../../lib/build/cache';
import { BuildError } from '../../../lib/build/errors';
import { buildEnv, CLI } from '../../helpers/build';
import { imageTier } from '../../helpers/image-root';

if (imageTier()) void main();

async function main() {
  const env = await buildEnv('bulkhead-build-cache-');
  const dockerfile = 'FROM busybox:test\nARG V=1\nRUN echo base > /base\nRUN echo "v=$V" > /v\nCMD ["cat", "/v"]\n';

  t.test('hit, miss on a changed arg, --no-cache', async (t) => {
    const ctx = env.context({ Dockerfile: dockerfile });
    const first = await env.build(ctx, { tags: ['c:1'] });
    t.notMatch(first.output, /Using cache/);
    const again = await env.build(ctx, { tags: ['c:1'] });
    t.equal(again.id, first.id, 'a fully cached rebuild is the same image');
    t.equal(again.output.match(/ ---> Using cache/g)?.length, 4);
    t.notMatch(again.output, /Running in/);
    const changed = await env.build(ctx, { tags: ['c:2'], buildArgs: { V: '2' } });
    t.not(changed.id, first.id);
    // The value in scope is part of every later step's key, the ARG step's own included.
    t.notMatch(changed.output, /Using cache/);
    t.equal(env.cli(['run', '--pull=never', 'c:2']).stdout, 'v=2\n');
    const cli = env.cli(['build', '--build-arg', 'V=2', '-t', 'c:2', path.dirname(path.join(ctx, 'Dockerfile'))]);
    t.equal(cli.status, 0, cli.stderr);
    t.equal(cli.stdout.match(/ ---> Using cache/g)?.length, 4, 'another process finds the cache');
    const none = await env.build(ctx, { noCache: true });
    t.notMatch(none.output, /Using cache/);
    t.not(none.id, first.id);
    const quiet = env.cli(['build', '-q', ctx]);
    t.match(quiet.stdout, /^sha256:[0-9a-f]{64}\n$/);
  });

  t.test('cache entries go with the images that own their layers', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nRUN echo only-here > /x\n' });
    await env.build(ctx, { tags: ['gone:1'] });
    const cache = new BuildCache(env.images.store);
    const before = fs.readdirSync(cache.dir).filter((n) => n.endsWith('.json')).length;
    await env.images.remove('gone:1');
    t.equal(await cache.prune(), 1, 'the RUN step whose layer was collected');
    t.equal(fs.readdirSync(cache.dir).filter((n) => n.endsWith('.json')).length, before - 1);
    const rebuilt = await env.build(ctx, { tags: ['gone:1'] });
    t.match(rebuilt.output, /Running in/, 'rebuilt, not taken from a stale entry');
  });

  t.test('an aborted build leaves nothing behind', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nRUN echo started; sleep 30\n' });
    const ac = new AbortController();
    const before = env.images.list().length;
    const p = env.build(ctx, { tags: ['abort:1'], signal: ac.signal, onProgress: (text) => /^started$/m.test(text) && ac.abort() });
    const err = (await p.then(() => null, (e: unknown) => e)) as BuildError;
    t.ok(err instanceof BuildError);
    t.equal(err.code, 'EABORTED');
    t.same(env.mounts(), [], 'no mount');
    t.same(fs.readdirSync(path.join(env.root, 'containers')), [], 'no container dir or lease');
    t.same(fs.readdirSync(path.join(env.root, 'image', 'tmp')), [], 'no partial blob');
    t.equal(env.images.list().length, before);
    t.equal(env.images.resolve('abort:1'), undefined);
  });

  t.test('an onProgress that throws stops the build with its error, cleanly', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nRUN echo boom-$RANDOM\nRUN echo never\n' });
    const boom = new Error('consumer failed');
    const err = await env.build(ctx, { noCache: true, onProgress: (text) => { if (text.includes('boom-')) throw boom; } }).then(() => null, (e: unknown) => e);
    t.equal(err, boom);
    t.same(env.mounts(), []);
    t.same(fs.readdirSync(path.join(env.root, 'containers')), []);
  });

  t.test('Ctrl-C on the CLI: exit 1, build cancelled, nothing left', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nRUN echo started; sleep 30\n' });
    const child = spawn(process.execPath, [CLI, 'build', '--data-root', env.root, '-t', 'sigint:1', ctx], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!sent && stdout.includes('\nstarted\n')) sent = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    t.equal(code, 1, stdout);
    t.equal(stderr, 'build cancelled\n');
    t.same(env.mounts(), []);
    t.same(fs.readdirSync(path.join(env.root, 'containers')), []);
    t.equal(env.images.resolve('sigint:1'), undefined);
  });

  t.test('SIGKILL mid-RUN: the next build reclaims the mount and the lease', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nRUN echo started; sleep 30\n' });
    const child = spawn(process.execPath, [CLI, 'build', '--data-root', env.root, ctx], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!sent && stdout.includes('\nstarted\n')) sent = child.kill('SIGKILL');
    });
    await new Promise((resolve) => child.on('exit', resolve));
    t.ok(sent);
    const left = fs.readdirSync(path.join(env.root, 'containers'));
    t.ok(left.some((n) => n.startsWith('build-')), `the killed build left its lease: ${left.join(' ')}`);
    t.equal(env.mounts().length, 1, 'and its RUN step\'s overlay, mounted');
    const next = await env.build(env.context({ Dockerfile: 'FROM busybox:test\nRUN echo after-kill > /k\n' }));
    t.ok(next.id);
    t.same(env.mounts(), [], 'swept');
    t.same(fs.readdirSync(path.join(env.root, 'containers')), [], 'the dead lease and container directories are gone');
  });
}
