// The build context: the walk with .dockerignore applied, source resolution
// with Docker's errors, the refusal of paths and symlinks leading out of the
// context (a real attack on the host's /etc, with controls showing what the
// same lookups reach without the kernel's RESOLVE_BENEATH), --from roots, and
// the content hash.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { ContextError, hashSources, openContext, openRoot, resolveSources, type SourceSet } from '../../../../lib/build/context';
import { native } from '../../../../lib/native/load';
import { needRoot } from '../../../helpers/tier';
import { tempDir, writeTree } from './helpers';

const names = (set: SourceSet) => set.sources.map((s) => `${s.name}:${s.type}:${s.entries.map((e) => e.rel || '.').join(',')}`);

if (needRoot()) main();

function main() {
  const ctxDir = path.join(tempDir(), 'ctx');
  writeTree(ctxDir, {
    Dockerfile: 'FROM scratch\nCOPY . /\n',
    '.dockerignore': '# build output\n*.log\n!keep.log\nsecret*\ndocs\n!docs/public/**\nnode_modules\nDockerfile\n',
    'a.txt': 'a\n',
    'b.txt': 'b\n',
    'x.log': 'log\n',
    'keep.log': 'keep\n',
    'secret.key': 'k\n',
    'src/main.js': 'main\n',
    'src/lib/util.js': 'util\n',
    'src/lib/.hidden': 'h\n',
    'src/secret.txt': 'not excluded: secret* is anchored at the root\n',
    'docs/internal.md': 'internal\n',
    'docs/public/index.md': 'public\n',
    'node_modules/x/index.js': 'x\n',
    'rel-link': { link: 'src/main.js' },
    'etc-link': { link: '/etc' },
    'passwd-link': { link: '/etc/passwd' },
    'up-link': { link: '../../../../../../../../etc' },
    'in/nested-up': { link: '../../..' },
    'tree/ok.txt': 'ok\n',
    'tree/out': { link: '/etc/passwd' },
  });
  const ctx = openContext(ctxDir);
  t.teardown(() => ctx.close());

  t.test('the Dockerfile is read even when .dockerignore names it; COPY does not see it', async (t) => {
    t.equal(ctx.dockerfile.content.toString(), 'FROM scratch\nCOPY . /\n');
    t.throws(() => resolveSources(ctx, ['Dockerfile']), { code: 'ENOTFOUND' });
    t.notOk(names(resolveSources(ctx, ['.']))[0]?.includes('Dockerfile,'), 'not in COPY .');
  });

  t.test('the whole context, .dockerignore applied', async (t) => {
    const set = resolveSources(ctx, ['.']);
    t.equal(set.sources.length, 1);
    t.same(set.sources[0]?.entries.map((e) => e.rel), [
      '',
      '.dockerignore',
      'a.txt',
      'b.txt',
      'docs',
      'docs/public',
      'docs/public/index.md',
      'etc-link',
      'in',
      'in/nested-up',
      'keep.log',
      'passwd-link',
      'rel-link',
      'src',
      'src/lib',
      'src/lib/.hidden',
      'src/lib/util.js',
      'src/main.js',
      'src/secret.txt',
      'tree',
      'tree/ok.txt',
      'tree/out',
      'up-link',
    ]);
    const docs = set.sources[0]?.entries.find((e) => e.rel === 'docs');
    t.ok(docs?.implicit, 'docs is excluded but walked for its exception: only the parent of what is included');
    t.equal(set.sources[0]?.entries.find((e) => e.rel === 'tree/out')?.linkTarget, '/etc/passwd', 'a symlink inside a directory source is taken as a symlink, never followed');
  });

  t.test("sources resolve as Docker's builder resolves them", async (t) => {
    t.same(names(resolveSources(ctx, ['a.txt', '/b.txt', './keep.log'])), ['a.txt:file:.', 'b.txt:file:.', 'keep.log:file:.']);
    t.same(names(resolveSources(ctx, ['src'])), ['src:dir:.,lib,lib/.hidden,lib/util.js,main.js,secret.txt'], 'a directory stands for its content');
    t.same(names(resolveSources(ctx, ['*.txt'])), ['a.txt:file:.', 'b.txt:file:.'], 'a glob: each match');
    t.same(names(resolveSources(ctx, ['*.log'])), ['keep.log:file:.'], 'an excluded file never matches');
    t.same(names(resolveSources(ctx, ['s?c'])), ['src:dir:.,lib,lib/.hidden,lib/util.js,main.js,secret.txt'], 'a glob matching a directory takes it whole');
    t.same(names(resolveSources(ctx, ['src/*/*.js'])), ['util.js:file:.']);
    t.same(names(resolveSources(ctx, ['rel-link'])), ['rel-link:file:.'], 'a named symlink inside the context is followed; the file keeps the name written');
    t.equal(resolveSources(ctx, ['rel-link']).sources[0]?.rel, 'src/main.js');
    t.same(names(resolveSources(ctx, ['src/lib/../main.js'])), ['main.js:file:.'], "'..' that stays inside is fine");
    t.same(names(resolveSources(ctx, ['docs'])), ['docs:dir:.,public,public/index.md'], 'an excluded directory with an exception below holds only what the exception brings back');
    t.same(names(resolveSources(ctx, ['do*'])), ['docs:dir:.,public,public/index.md'], 'and a glob matches it, as in the context Docker sends');
    t.throws(() => resolveSources(ctx, ['docs/internal.md']), { code: 'ENOTFOUND' });
  });

  t.test("errors in Docker's words", async (t) => {
    t.throws(() => resolveSources(ctx, ['missing.txt']), { code: 'ENOTFOUND', message: 'COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist' });
    t.throws(() => resolveSources(ctx, ['secret.key']), { code: 'ENOTFOUND', message: 'COPY failed: file not found in build context or excluded by .dockerignore: stat secret.key: file does not exist' }, 'an excluded file is missing');
    t.throws(() => resolveSources(ctx, ['node_modules/x/index.js']), { code: 'ENOTFOUND' }, 'so is a file under an excluded directory');
    t.throws(() => resolveSources(ctx, ['../x']), { code: 'EOUTSIDE', message: 'COPY failed: forbidden path outside the build context: ../x ()' });
    t.throws(() => resolveSources(ctx, ['src/../../x']), { code: 'EOUTSIDE' });
    t.throws(() => resolveSources(ctx, ['*.nothing']), { code: 'ENOSOURCE', message: 'COPY failed: no source files were specified' });
    t.throws(() => resolveSources(ctx, ['a[']), { code: 'EPATTERN' });
    t.throws(() => resolveSources(ctx, ['missing'], { instruction: 'ADD' }), { message: /^ADD failed: / });
    t.throws(() => resolveSources(ctx, ['https://example.com/x.tar'], { instruction: 'ADD' }), { code: 'ENETWORK', message: /^ADD from a URL needs network access/ });
    t.throws(() => resolveSources(ctx, ['https://example.com/x.tar']), { message: "COPY failed: source can't be a URL for COPY" });
    t.throws(() => resolveSources(ctx, []), TypeError);
  });

  t.test('a symlink in the context to the host /etc: refused by the kernel (attack and control)', async (t) => {
    const hostPasswd = fs.readFileSync('/etc/passwd');
    for (const src of ['etc-link/passwd', 'passwd-link', 'etc-link', 'up-link/passwd', 'in/nested-up/etc/passwd']) {
      const err = t.throws(() => resolveSources(ctx, [src])) as ContextError;
      t.equal(err.code, 'EOUTSIDE', `${src}: refused`);
      t.equal(err.message, `COPY failed: forbidden path outside the build context: ${src} ()`);
    }
    // A glob reaching through the symlink matches nothing: the walk never follows symlinks.
    t.throws(() => resolveSources(ctx, ['etc-link/pass*']), { code: 'ENOSOURCE' });
    // Control 1: the path as a string check sees nothing wrong ('etc-link/passwd'
    // has no '..'), and an ordinary read follows the symlink to the host's file.
    t.same(fs.readFileSync(path.join(ctxDir, 'etc-link/passwd')), hostPasswd, 'control: a plain read of the context path reads the host /etc/passwd');
    // Control 2: the same openat2 from the context without RESOLVE_BENEATH reaches it.
    const fd = native().openat2(ctx.fd, 'etc-link/passwd', fs.constants.O_RDONLY, 0, 0);
    t.same(fs.readFileSync(fd), hostPasswd, 'control: openat2 without RESOLVE_BENEATH reads the host /etc/passwd');
    fs.closeSync(fd);
  });

  t.test('a symlink swapped in after resolution is refused at copy time, not followed', async (t) => {
    const dir = tempDir();
    writeTree(dir, { Dockerfile: 'FROM scratch\n', 'd/passwd': 'mine\n' });
    const c = openContext(dir);
    t.teardown(() => c.close());
    const set = resolveSources(c, ['d']);
    fs.renameSync(path.join(dir, 'd'), path.join(dir, 'd.old'));
    fs.symlinkSync('/etc', path.join(dir, 'd'));
    await t.rejects(hashSources(set), { code: 'ECHANGED', message: /ELOOP/ }, 'the canonical path is walked again with RESOLVE_NO_SYMLINKS');
  });

  t.test('a file name that is not UTF-8 is refused with a clear error, not misread', async (t) => {
    const dir = tempDir();
    writeTree(dir, { Dockerfile: 'FROM scratch\n', 'd/ok': 'ok' });
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(dir, 'd') + '/caf'), Buffer.from([0xe9])]), 'latin1 name');
    const c = openContext(dir);
    t.teardown(() => c.close());
    t.throws(() => resolveSources(c, ['d']), { code: 'EIO', message: 'd/caf\\xe9: a file name that is not valid UTF-8 is not supported in a build context' });
    t.same(names(resolveSources(c, ['d/ok'])), ['ok:file:.'], 'other sources still resolve');
  });

  t.test('the content hash', async (t) => {
    const dir = tempDir();
    writeTree(dir, { Dockerfile: 'FROM scratch\n', '.dockerignore': 'app/*.tmp\n', 'app/a': 'a\n', 'app/sub/b': 'b\n', 'app/x.tmp': 'tmp\n', 'app/l': { link: 'a' } });
    const hash = async () => {
      const c = openContext(dir);
      try {
        return await hashSources(resolveSources(c, ['app']));
      } finally {
        c.close();
      }
    };
    const h0 = await hash();
    t.match(h0, /^sha256:[0-9a-f]{64}$/);
    t.equal(await hash(), h0, 'stable across runs');
    fs.utimesSync(path.join(dir, 'app/a'), 12345, 12345);
    t.equal(await hash(), h0, 'an mtime alone does not change it');
    fs.writeFileSync(path.join(dir, 'app/x.tmp'), 'changed\n');
    t.equal(await hash(), h0, 'an ignored file does not change it');
    fs.lchownSync(path.join(dir, 'app/a'), 1234, 1234);
    t.equal(await hash(), h0, 'owners do not (a copy is owned 0:0 or by --chown)');
    fs.chmodSync(path.join(dir, 'app/a'), 0o755);
    const h1 = await hash();
    t.not(h1, h0, 'a mode does');
    fs.writeFileSync(path.join(dir, 'app/sub/b'), 'B\n');
    const h2 = await hash();
    t.not(h2, h1, 'content does');
    fs.unlinkSync(path.join(dir, 'app/l'));
    fs.symlinkSync('sub/b', path.join(dir, 'app/l'));
    const h3 = await hash();
    t.not(h3, h2, 'a symlink target does');
    fs.renameSync(path.join(dir, 'app/sub/b'), path.join(dir, 'app/sub/c'));
    t.not(await hash(), h3, 'a name does');
  });

  t.test('--from roots: absolute symlinks resolve inside the root', async (t) => {
    const rootDir = tempDir();
    writeTree(rootDir, { 'etc/passwd': 'root-of-the-image\n', 'usr/bin/tool': 'tool\n', 'bin/link': { link: '/etc/passwd' }, 'bin/up': { link: '../../../../../etc/passwd' } });
    const root = openRoot(rootDir);
    t.teardown(() => root.close());
    for (const src of ['/bin/link', 'bin/up']) {
      const set = resolveSources(root, [src]);
      t.equal(set.sources[0]?.rel, 'etc/passwd', `${src} resolves to the root's own /etc/passwd`);
    }
    t.same(names(resolveSources(root, ['/usr'])), ['usr:dir:.,bin,bin/tool']);
    t.throws(() => resolveSources(root, ['/nope']), { code: 'ENOTFOUND', message: 'COPY failed: stat /nope: file does not exist' });
  });

  t.test('<Dockerfile>.dockerignore beside the Dockerfile takes precedence (BuildKit)', async (t) => {
    const dir = tempDir();
    writeTree(dir, { 'build/app.Dockerfile': 'FROM scratch\n', 'build/app.Dockerfile.dockerignore': 'a\n', '.dockerignore': 'b\n', a: 'a', b: 'b' });
    const c = openContext(dir, { dockerfile: 'build/app.Dockerfile' });
    t.ok(c.excludes('a'));
    t.notOk(c.excludes('b'));
    c.close();
    const d = openContext(dir, { dockerfile: 'build/app.Dockerfile', ignoreFile: '.dockerignore' });
    t.ok(d.excludes('b'), 'ignoreFile names one explicitly');
    d.close();
    const e = openContext(dir, { dockerfile: path.join(dir, 'build/app.Dockerfile') });
    t.ok(e.excludes('a'), 'an absolute Dockerfile path too');
    e.close();
  });

  t.test('a context that is not a directory, or a missing Dockerfile', async (t) => {
    t.throws(() => openContext(path.join(ctxDir, 'a.txt')), { code: 'ENOTFOUND' });
    t.throws(() => openContext(path.join(ctxDir, 'nope')), { code: 'ENOTFOUND' });
    t.throws(() => openContext(ctxDir, { dockerfile: 'Nope' }), { code: 'ENOTFOUND' });
    t.throws(() => openContext(ctxDir, { dockerfile: 'etc-link/passwd' }), { code: 'EOUTSIDE' }, 'a Dockerfile through a symlink out of the context');
  });
}
