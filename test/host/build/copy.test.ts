// COPY and ADD in builds: FROM scratch + COPY of busybox (the README's
// example), --chown by name from the image's /etc/passwd, --chmod, --from a
// stage, ADD of a local tar unpacked, the cache keyed on content (a touch keeps
// it, an edit misses), .dockerignore, and a symlink out of the context refused.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { BuildError } from '../../../lib/build/errors';
import { BUSYBOX } from '../../../support/rootfs';
import { buildEnv } from '../../helpers/build';
import { imageTier } from '../../helpers/image-root';

if (imageTier()) void main();

async function main() {
  const env = await buildEnv('bulkhead-build-copy-');
  const fail = async (p: Promise<unknown>) => (await p.then(() => null, (e: unknown) => e)) as BuildError;

  t.test('FROM scratch, COPY busybox, RUN, CMD', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["sh", "-c", "echo hello from scratch"]\n' });
    fs.copyFileSync(BUSYBOX, path.join(ctx, 'busybox'));
    fs.chmodSync(path.join(ctx, 'busybox'), 0o755);
    await env.build(ctx, { tags: ['hello'] });
    t.equal(env.cli(['run', '--pull=never', 'hello']).stdout, 'hello from scratch\n');
  });

  t.test('--chown by name, --chmod, WORKDIR-relative destination, directory content', async (t) => {
    const ctx = env.context({
      Dockerfile: 'FROM busybox:test\nWORKDIR /srv\nCOPY --chown=app:extra --chmod=640 conf/ conf/\nCOPY one.txt two.txt ./files/\n',
      'conf/a.conf': 'a\n',
      'conf/sub/b.conf': 'b\n',
      'one.txt': '1\n',
      'two.txt': '2\n',
    });
    await env.build(ctx, { tags: ['own:1'] });
    const out = env.cli(['run', '--pull=never', 'own:1', 'sh', '-c', 'stat -c "%n %u:%g %a" conf/a.conf conf/sub/b.conf files/one.txt; cat files/two.txt']).stdout;
    t.equal(out, 'conf/a.conf 1000:2000 640\nconf/sub/b.conf 1000:2000 640\nfiles/one.txt 0:0 644\n2\n');
  });

  t.test('the cache follows content, not mtimes', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nCOPY data.txt /data.txt\nRUN cat /data.txt\n', 'data.txt': 'v1\n' });
    const first = await env.build(ctx);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(ctx, 'data.txt'), later, later);
    const touched = await env.build(ctx);
    t.equal(touched.id, first.id, 'a touch keeps the cache');
    t.equal(touched.output.match(/Using cache/g)?.length, 2);
    fs.writeFileSync(path.join(ctx, 'data.txt'), 'v2\n');
    const edited = await env.build(ctx);
    t.notMatch(edited.output, /Using cache/);
    t.match(edited.output, /\nv2\n/);
  });

  t.test('COPY --from a stage, ADD of a tar', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test AS build\nRUN echo built > /artifact\nFROM busybox:test\nCOPY --from=build /artifact /out/artifact\nADD pkg.tar /opt/\n', 'pkg/x/y.txt': 'from tar\n' });
    execFileSync('tar', ['-C', path.join(ctx, 'pkg'), '-cf', path.join(ctx, 'pkg.tar'), 'x']);
    await env.build(ctx, { tags: ['multi:1'] });
    t.equal(env.cli(['run', '--pull=never', 'multi:1', 'cat', '/out/artifact', '/opt/x/y.txt']).stdout, 'built\nfrom tar\n');
    t.same(env.mounts(), [], 'the --from root is unmounted');
    const unknown = await fail(env.build(env.context({ Dockerfile: 'FROM busybox:test\nCOPY --from=nope:1 /a /b\n' })));
    t.equal(unknown.code, 'ESTAGE');
    t.match(unknown.message, /^Dockerfile:2:1: COPY --from=nope:1: no stage or image of that name/);
  });

  t.test('.dockerignore, missing sources, a symlink out of the context, ../', async (t) => {
    const ctx = env.context({ Dockerfile: 'FROM busybox:test\nCOPY secret.txt /\n', '.dockerignore': 'secret.txt\n', 'secret.txt': 'no\n' });
    const ignored = await fail(env.build(ctx));
    t.equal(ignored.code, 'ECONTEXT');
    t.match(ignored.message, /^Dockerfile:2:1: COPY failed: file not found in build context or excluded by \.dockerignore: stat secret\.txt: file does not exist/);
    const out = env.context({ Dockerfile: 'FROM busybox:test\nCOPY link /\n' });
    fs.symlinkSync('/etc/passwd', path.join(out, 'link'));
    const link = await fail(env.build(out));
    t.equal(link.code, 'ECONTEXT');
    t.match(link.message, /outside the build context/);
    const up = await fail(env.build(env.context({ Dockerfile: 'FROM busybox:test\nCOPY ../x /\n' })));
    t.equal(up.code, 'ECONTEXT');
    const cli = env.cli(['build', ctx]);
    t.equal(cli.status, 1);
    t.match(cli.stderr, /excluded by \.dockerignore/);
    const url = await fail(env.build(env.context({ Dockerfile: 'FROM busybox:test\nADD https://example.com/x /x\n' })));
    t.equal(url.code, 'ECONTEXT');
  });
}
