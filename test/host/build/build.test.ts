// bulkhead build end to end on an image made of busybox-static: every metadata
// instruction checked in the written config, RUN's effect checked by running the
// image, a whiteout and an opaque directory in the layer a RUN wrote, a failing
// RUN, Dockerfile errors with line and column, and a saved image read by skopeo.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { BuildError } from '../../../lib/build/errors';
import { buildEnv, layerEntries } from '../../helpers/build';
import { imageTier } from '../../helpers/image-root';

if (imageTier()) void main();

async function main() {
  const env = await buildEnv('bulkhead-build-');

  t.test('metadata instructions land in the config; RUN in layers', async (t) => {
    const ctx = env.context({
      Dockerfile: [
        'FROM busybox:test',
        'ARG WHO=world',
        'ENV GREETING="hello ${WHO}" OTHER=${UNSET:-fallback}',
        'LABEL org.example.name="the app" plain=${WHO}',
        'WORKDIR /srv',
        'WORKDIR app',
        'RUN echo "$GREETING" > greeting && id -u > uid',
        'USER app',
        'RUN id -un > /tmp/who',
        'EXPOSE 80 53/udp',
        'VOLUME ["/cache"]',
        'STOPSIGNAL SIGUSR1',
        'HEALTHCHECK --interval=5s --retries=2 CMD true',
        'ONBUILD RUN echo child',
        'SHELL ["/bin/sh", "-c"]',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["cat greeting; cat /tmp/who; echo $OTHER"]',
      ].join('\n'),
    });
    const r = await env.build(ctx, { tags: ['app:1'] });
    t.match(r.output, /^Step 1\/17 : FROM busybox:test\n ---> [0-9a-f]{12}\nStep 2\/17 : ARG WHO=world\n/);
    t.match(r.output, /Step 7\/17 : RUN echo "\$GREETING" > greeting && id -u > uid\n ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/);
    t.match(r.output, new RegExp(`Successfully built ${r.id.slice(7, 19)}\nSuccessfully tagged app:1\n$`));
    t.same(r.tags, ['app:1']);
    const img = env.images.get('app:1');
    t.equal(img.id, r.id);
    const cfg = env.images.config(img) as unknown as { config: Record<string, unknown>; history: Array<{ created_by: string; empty_layer?: boolean }>; rootfs: { diff_ids: string[] }; created: string; architecture: string };
    const c = cfg.config;
    t.same(c.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello world', 'OTHER=fallback']);
    t.same(c.Labels, { 'org.example.name': 'the app', plain: 'world' });
    t.equal(c.WorkingDir, '/srv/app');
    t.equal(c.User, 'app');
    t.same(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    t.same(c.Volumes, { '/cache': {} });
    t.equal(c.StopSignal, 'SIGUSR1');
    t.same(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
    t.same(c.OnBuild, ['RUN echo child']);
    t.same(c.Shell, ['/bin/sh', '-c']);
    t.same(c.Entrypoint, ['/bin/sh', '-c']);
    t.same(c.Cmd, ['cat greeting; cat /tmp/who; echo $OTHER']);
    t.equal(cfg.rootfs.diff_ids.length, 5, 'the base layer, one per WORKDIR that made a directory, one per RUN');
    t.equal(img.layers.length, 5);
    t.equal(cfg.history.length, 16, 'one entry per instruction after FROM (the base image has none)');
    t.equal(cfg.history.filter((h) => !h.empty_layer).length, 4);
    t.match(cfg.history[1].created_by, /^\/bin\/sh -c #\(nop\) {2}ENV GREETING=hello world OTHER=fallback$/);
    t.equal(cfg.history[5].created_by, '|1 WHO=world /bin/sh -c echo "$GREETING" > greeting && id -u > uid');
    t.ok(Date.parse(cfg.created) > Date.now() - 600_000);
    t.equal(cfg.architecture, 'amd64');
    const run = env.cli(['run', '--pull=never', 'app:1']);
    t.equal(run.stdout, 'hello world\napp\nfallback\n', run.stderr);
    t.equal(env.cli(['run', '--pull=never', 'app:1', 'cat uid']).stdout, '0\n', 'RUN before USER ran as root');
    const again = await env.build(env.context({ Dockerfile: 'FROM busybox:test\nWORKDIR /data\n' }));
    t.equal(env.images.get(again.id).layers.length, 1, 'WORKDIR of an existing directory adds no layer');
    t.same(env.mounts(), [], 'no mount left');
  });

  t.test('RUN rm is a whiteout; a directory replaced is opaque', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nRUN rm /data/gone && rm -r /opq && mkdir /opq && echo new > /opq/new\n' });
    const r = await env.build(ctx, { tags: ['wh:1'] });
    const img = env.images.get('wh:1');
    const top = img.layers[img.layers.length - 1];
    const names = await layerEntries(env.images.store.readBlob(top.digest));
    t.ok(names.includes('data/.wh.gone'), `whiteout in ${names.join(' ')}`);
    t.ok(names.includes('opq/.wh..wh..opq'), 'opaque marker');
    t.ok(names.includes('opq/new'));
    t.equal(env.cli(['run', '--pull=never', 'wh:1', 'sh', '-c', 'ls /data /opq']).stdout, '/data:\nkeep\n\n/opq:\nnew\n');
    void r;
  });

  t.test('RUN with a heredoc runs it as a script', async (t) => {
    await env.build(env.context({ Dockerfile: 'FROM busybox:test\nRUN <<EOF\necho one > /h\necho two >> /h\nEOF\n' }), { tags: ['heredoc:1'] });
    t.equal(env.cli(['run', '--pull=never', 'heredoc:1', 'cat', '/h']).stdout, 'one\ntwo\n');
  });

  t.test('a RUN that changes nothing adds no layer, only history (empty_layer), as docker build', async (t) => {
    const r = await env.build(env.context({ Dockerfile: 'FROM busybox:test\nRUN true\n' }));
    const img = env.images.get(r.id);
    t.equal(img.layers.length, 1, 'the base layer only');
    const cfg = env.images.config(img) as unknown as { history: Array<{ created_by: string; empty_layer?: boolean }>; rootfs: { diff_ids: string[] } };
    t.same(cfg.history.map((h) => [h.created_by, h.empty_layer]), [['/bin/sh -c true', true]]);
    t.equal(cfg.rootfs.diff_ids.length, 1);
  });

  t.test('a failing RUN: its exit code and last lines, exit 1, earlier steps cached', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nRUN echo kept > /k\nRUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done; exit 3\n' });
    const err = (await env.build(ctx).then(() => null, (e: unknown) => e)) as BuildError;
    t.ok(err instanceof BuildError);
    t.equal(err.code, 'ERUN');
    t.equal(err.exitCode, 3);
    t.equal(err.line, 3);
    t.same(err.output, ['line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9', 'line 10', 'line 11', 'line 12']);
    t.match(err.message, /^The command '\/bin\/sh -c for i in .*' returned a non-zero code: 3\nlast lines of its output:\n  line 3\n/);
    const cli = env.cli(['build', '--data-root', env.root, ctx]);
    t.equal(cli.status, 1);
    t.match(cli.stdout, /Step 2\/3 : RUN echo kept > \/k\n ---> Using cache\n/, 'the step before the failure is cached');
    t.match(cli.stderr, /returned a non-zero code: 3/);
    t.same(env.mounts(), []);
    t.same(fs.readdirSync(path.join(env.root, 'containers')), [], 'no container or lease directory left');
  });

  t.test('Dockerfile errors: line and column, exit 1, nothing written', async (t) => {
    const before = env.images.list().length;
    const syntax = env.cli(['build', env.context({ Dockerfile: 'FROM busybox:test\nRUN true\n  FORM x\n' })]);
    t.equal(syntax.status, 1);
    t.equal(syntax.stderr, 'Dockerfile:3:3: unknown instruction: FORM (did you mean FROM?)\n');
    const quote = env.cli(['build', env.context({ Dockerfile: 'FROM busybox:test\nENV A="open\n' })]);
    t.equal(quote.status, 1);
    t.match(quote.stderr, /^Dockerfile:2:7: unexpected end of statement while looking for matching double-quote/);
    const stage = env.cli(['build', '--target', 'nope', env.context({ Dockerfile: 'FROM busybox:test AS one\n' })]);
    t.equal(stage.status, 1);
    t.match(stage.stderr, /failed to reach build target nope in Dockerfile \(stages: one\)/);
    const img = env.cli(['build', env.context({ Dockerfile: 'FROM not-here:1\n' })]);
    t.equal(img.status, 1);
    t.match(img.stderr, /^Dockerfile:1:6: FROM not-here:1: /);
    const flag = env.cli(['build', '--network', 'bridge', '.']);
    t.equal(flag.status, 125);
    t.match(flag.stderr, /--network must be default, host or none/);
    const unknownFlag = env.cli(['build', '--bogus', '.']);
    t.equal(unknownFlag.status, 125);
    t.match(unknownFlag.stderr, /^bulkhead build: unknown flag --bogus/);
    const tag = env.cli(['build', '-t', 'Bad:x', '.']);
    t.equal(tag.status, 125);
    t.match(tag.stderr, /^bulkhead build: --tag "Bad:x": /);
    t.equal(env.images.list().length, before);
  });

  t.test('RUN --network none / host', async (t) => {
    await env.build(env.context({ Dockerfile: 'FROM busybox:test\nRUN ls /sys/class/net > /none\nRUN --network=host ls /sys/class/net > /host\n' }), { network: 'none', tags: ['net:1'] });
    t.equal(env.cli(['run', '--pull=never', 'net:1', 'cat', '/none']).stdout, 'lo\n');
    // The host's interfaces (others' veths come and go: only those present before and after count).
    const seen = env.cli(['run', '--pull=never', 'net:1', 'cat', '/host']).stdout.trim().split('\n');
    const stable = fs.readdirSync('/sys/class/net').filter((n) => n !== 'lo' && seen.includes(n));
    t.ok(stable.length > 0, `the host's interfaces in the RUN step: ${seen.join(' ')}`);
  });

  t.test("RUN on the host's network sees its name files, and they stay out of the layer", async (t) => {
    const r = await env.build(env.context({ Dockerfile: 'FROM busybox:test\nRUN cat /etc/resolv.conf > /resolv && cat /etc/hosts > /hosts\n' }), { tags: ['names:1'] });
    const run = (cmd: string) => env.cli(['run', '--pull=never', 'names:1', 'sh', '-c', cmd]).stdout;
    t.equal(run('cat /resolv'), fs.readFileSync('/etc/resolv.conf', 'utf8'));
    t.equal(run('cat /hosts'), fs.readFileSync('/etc/hosts', 'utf8'));
    const img = env.images.get(r.id);
    const names = await layerEntries(env.images.store.readBlob(img.layers[img.layers.length - 1].digest));
    t.same(names.sort(), ['hosts', 'resolv'], 'only what the RUN wrote');
    t.equal(run('ls /etc'), 'group\npasswd\n');
    void r;
  });

  t.test('the saved image loads in skopeo', { skip: fs.existsSync('/usr/bin/skopeo') ? false : 'skopeo is not installed (apt-get install skopeo)' }, async (t) => {
    const file = path.join(env.tmp, 'app.tar');
    t.equal(env.cli(['save', '-o', file, 'app:1']).status, 0);
    const info = JSON.parse(execFileSync('skopeo', ['inspect', `docker-archive:${file}`], { encoding: 'utf8' })) as { Layers: string[]; Env: string[]; Labels: Record<string, string> };
    t.equal(info.Layers.length, 5);
    t.same(info.Labels, { 'org.example.name': 'the app', plain: 'world' });
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `docker-archive:${file}`], { encoding: 'utf8' })) as { rootfs: { diff_ids: string[] } };
    t.same(raw.rootfs.diff_ids, env.images.get('app:1').layers.map((l) => l.diffId));
  });
}
