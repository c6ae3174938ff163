// ADD: local archives (tar, tar.gz, tar.zst) unpacked at the destination with
// lib/image/unpack, hostile entries confined to that directory (a host canary
// proven untouched, a control showing where the names point); whiteout names
// kept as plain files; a non-archive copied as COPY; bzip2 and URLs refused.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import t from 'tap';
import { addInto, archiveKind, isTarHeader, openContext, resolveSources, type BuildContext } from '../../../../lib/build/context';
import { tar } from '../../../../support/images';
import { needRoot } from '../../../helpers/tier';
import { hostCanary, listing, tempDir, writeTree } from './helpers';

if (needRoot()) main();

function main() {
  const { dir: canaryDir, file: canary, rel, snapshot, before } = hostCanary();

  const ctxDir = path.join(tempDir(), 'ctx');
  const simple = tar([{ name: 'app/', type: 'dir', mode: 0o750 }, { name: 'app/run', data: 'run\n', mode: 0o755, uid: 12, gid: 34 }, { name: 'app/.wh.gone', data: 'plain\n' }]);
  writeTree(ctxDir, { Dockerfile: 'FROM scratch\n', 'notes.txt': 'just a file\n', 'data.gz': '' });
  fs.writeFileSync(path.join(ctxDir, 'simple.tar'), simple);
  fs.writeFileSync(path.join(ctxDir, 'simple.tar.gz'), zlib.gzipSync(simple));
  fs.writeFileSync(path.join(ctxDir, 'data.gz'), zlib.gzipSync('not a tar, only gzip\n'));
  execFileSync('zstd', ['-q', '-f', path.join(ctxDir, 'simple.tar'), '-o', path.join(ctxDir, 'simple.tar.zst')]);
  // bzip2 is only recognised (by its magic, 'BZh' and a block size digit), never decoded.
  fs.writeFileSync(path.join(ctxDir, 'simple.tar.bz2'), Buffer.concat([Buffer.from('BZh91AY&SY'), Buffer.alloc(64)]));
  fs.writeFileSync(
    path.join(ctxDir, 'evil.tar'),
    tar([
      { name: `../../../../../../..${canary}`, data: 'pwned by ..\n' },
      { name: canary, data: 'pwned by an absolute name\n' },
      { name: 'escape', type: 'symlink', linkname: '/' },
      { name: `escape/${rel}.2`, data: 'pwned through a symlink\n' },
      { name: 'hl', type: 'link', linkname: `../../../../../../..${canary}` },
    ]),
  );
  const ctx: BuildContext = openContext(ctxDir);
  t.teardown(() => ctx.close());
  const add = (root: string, src: string[], dest: string) => addInto(root, resolveSources(ctx, src, { instruction: 'ADD' }), dest);
  const newRoot = () => {
    const root = path.join(tempDir('bulkhead-buildctx-root-'), 'root');
    fs.mkdirSync(root);
    return root;
  };

  t.test('archives are recognized by content, as Docker does', async (t) => {
    t.equal(await archiveKind(ctx, 'simple.tar'), 'tar');
    t.equal(await archiveKind(ctx, 'simple.tar.gz'), 'gzip');
    t.equal(await archiveKind(ctx, 'simple.tar.zst'), 'zstd');
    t.equal(await archiveKind(ctx, 'simple.tar.bz2'), 'bzip2');
    t.equal(await archiveKind(ctx, 'data.gz'), null, 'a gzip file that holds no tar is a plain file');
    t.equal(await archiveKind(ctx, 'notes.txt'), null);
    t.notOk(isTarHeader(Buffer.alloc(512)), 'a zero block is no header (an empty tar is no archive)');
  });

  t.test('tar, tar.gz and tar.zst are unpacked at dest; owners and modes from the archive', async (t) => {
    for (const f of ['simple.tar', 'simple.tar.gz', 'simple.tar.zst']) {
      const root = newRoot();
      const stats = await add(root, [f], '/opt');
      t.equal(stats.archives, 1, f);
      t.same(listing(root), ['opt/ 755 0:0', 'opt/app/ 750 0:0', 'opt/app/.wh.gone 644 0:0 plain\n', 'opt/app/run 755 12:34 run\n'], `${f}: unpacked, .wh.gone a plain file`);
    }
  });

  t.test('a non-archive is copied as COPY copies it', async (t) => {
    const root = newRoot();
    const stats = await add(root, ['data.gz', 'notes.txt'], '/d');
    t.equal(stats.archives, 0);
    t.equal(stats.files, 2);
    t.same(fs.readdirSync(path.join(root, 'd')).sort(), ['data.gz', 'notes.txt']);
  });

  t.test('hostile entries stay inside the destination (attack and control)', async (t) => {
    const root = newRoot();
    const result = await add(root, ['evil.tar'], '/x/').then(
      () => null,
      (err: Error) => err,
    );
    t.same(snapshot(), before, 'the host canary is untouched');
    const dest = path.join(root, 'x');
    t.equal(fs.readFileSync(path.join(dest, rel), 'utf8'), 'pwned by an absolute name\n', 'names are resolved inside the destination directory');
    t.equal(fs.readFileSync(path.join(dest, `${rel}.2`), 'utf8'), 'pwned through a symlink\n', 'a symlink planted by the archive resolves inside it');
    t.ok(result === null || /hard link|entry/.test(result.message), `the hard link is confined or refused: ${result?.message ?? 'confined'}`);
    // Control: the first entry's name, joined as a plain path, is the host canary.
    t.equal(path.join(dest, `../../../../../../..${canary}`), canary, 'control: without confinement the name is the host canary');
    t.equal(fs.realpathSync(path.join(dest, 'escape')), '/', 'control: the planted symlink leads to the host root when followed by path');
  });

  t.test('an archive added through a symlink planted in the root stays in the root', async (t) => {
    const root = newRoot();
    fs.symlinkSync(canaryDir, path.join(root, 'opt'));
    await add(root, ['simple.tar.gz'], '/opt/');
    t.same(snapshot(), before, 'the host canary directory is untouched');
    t.equal(fs.readFileSync(path.join(root, canaryDir, 'app/run'), 'utf8'), 'run\n', 'unpacked under the symlink target taken inside the root');
    t.equal(fs.realpathSync(path.join(root, 'opt')), canaryDir, 'control: by path, the root\'s /opt is the host directory');
  });

  t.test('bzip2 and URLs are refused with one clear line', async (t) => {
    await t.rejects(add(newRoot(), ['simple.tar.bz2'], '/'), { code: 'EARCHIVE', message: /bzip2-compressed archives are not supported/ });
    t.throws(() => resolveSources(ctx, ['http://example.com/a.tar'], { instruction: 'ADD' }), { code: 'ENETWORK', message: 'ADD from a URL needs network access, which this machine does not have: http://example.com/a.tar (download it into the build context and ADD or COPY the file)' });
  });
}
