// Multi-stage builds: FROM a previous stage, --target, stages built only when
// the target needs them, only the target tagged; ONBUILD triggers fire in a
// child build; FROM scratch; ARG before FROM.
import * as path from 'node:path';
import t from 'tap';
import { build } from '../../../lib/build/build';
import { Images } from '../../../lib/image/images';
import { registryMissing, skopeo, startRegistry } from '../../../support/registry';
import { buildEnv } from '../../helpers/build';
import { imageTier } from '../../helpers/image-root';

if (imageTier()) void main();

async function main() {
  const env = await buildEnv('bulkhead-build-stages-');

  t.test('stages, --target, unneeded stages skipped', async (t) => {
    const ctx = env.context({
      Dockerfile: [
        'ARG BASE=busybox:test',
        'FROM ${BASE} AS one',
        'RUN echo one > /one',
        'FROM busybox:test AS unused',
        'RUN echo never > /never',
        'FROM one AS two',
        'RUN cat /one > /two && echo two >> /two',
        'CMD ["cat", "/two"]',
      ].join('\n'),
    });
    const r = await env.build(ctx, { tags: ['st:1'] });
    t.notMatch(r.output, /never/, 'a stage the target does not need is not built');
    t.match(r.output, /^Step 1\/5 : FROM \$\{BASE\} AS one\n/);
    t.equal(env.cli(['run', '--pull=never', 'st:1']).stdout, 'one\ntwo\n');
    const one = await env.build(ctx, { tags: ['st:one'], target: 'one' });
    t.match(one.output, /Step 2\/2 : RUN echo one > \/one\n ---> Using cache/);
    t.equal(env.cli(['run', '--pull=never', 'st:one', 'ls', '/two']).status, 1, 'the target stage is the image');
    const byArg = await env.build(ctx, { target: 'one', buildArgs: { BASE: 'busybox:test' } });
    t.equal(byArg.id, one.id, 'ARG before FROM, given the same value');
    const tags = env.images.list().flatMap((i) => i.repoTags);
    t.notOk(tags.some((x) => x.includes('unused')));
  });

  t.test('ONBUILD triggers run in the child build', async (t) => {
    await env.build(env.context({ Dockerfile: 'FROM busybox:test\nONBUILD RUN echo triggered > /t\n' }), { tags: ['parent:1'] });
    const child = await env.build(env.context({ Dockerfile: 'FROM parent:1\nRUN cat /t\n' }), { tags: ['child:1'] });
    t.match(child.output, /# Executing 1 build trigger\n/);
    t.match(child.output, /triggered\n/);
    const cfg = env.images.config(env.images.get('child:1')) as unknown as { config: { OnBuild?: string[] | null } };
    t.notOk(cfg.config.OnBuild?.length, 'triggers are not inherited by the child');
  });

  t.test('FROM scratch with metadata only', async (t) => {
    const r = await env.build(env.context({ Dockerfile: 'FROM scratch\nLABEL a=b\nENV X=1\n' }), { tags: ['meta:1'] });
    const img = env.images.get('meta:1');
    t.equal(img.layers.length, 0);
    const cfg = env.images.config(img) as unknown as { config: { Labels: Record<string, string>; Env: string[] } };
    t.same(cfg.config.Labels, { a: 'b' });
    t.same(cfg.config.Env, ['X=1']);
    void r;
  });

  t.test('FROM pulls a missing image from a registry; the built image pushes and skopeo reads it', { skip: registryMissing() ?? false }, async (t) => {
    const reg = await startRegistry({ dir: path.join(env.tmp, 'registry') });
    t.teardown(() => reg.stop());
    await env.images.tag('busybox:test', `${reg.host}/bb:1`);
    await env.images.push(`${reg.host}/bb:1`);
    const root = path.join(env.tmp, 'other-root');
    let output = '';
    const r = await build({ context: env.context({ Dockerfile: `FROM ${reg.host}/bb:1\nRUN echo pulled > /p\n` }), dataRoot: root, tags: [`${reg.host}/built:1`], onProgress: (text) => (output += text) });
    t.match(output, /: Pull complete\n/);
    t.match(output, /Digest: sha256:[0-9a-f]{64}\n/);
    const other = new Images({ root });
    await other.push(`${reg.host}/built:1`);
    const inspect = JSON.parse(await skopeo(['inspect', '--config', `docker://${reg.host}/built:1`])) as { rootfs: { diff_ids: string[] } };
    t.same(inspect.rootfs.diff_ids, other.get(r.id).layers.map((l) => l.diffId));
  });
}
