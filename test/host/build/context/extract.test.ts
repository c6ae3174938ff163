// extractContextTar: the body of POST /build unpacked into an empty directory.
// Hostile tars ('..' names, absolute names, a symlink to / and a write through
// it, a hard link out, device nodes) are refused or confined, and a host
// canary is proven untouched; controls show what the same names reach by path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import t from 'tap';
import { extractContextTar, openContext, resolveSources } from '../../../../lib/build/context';
import { native } from '../../../../lib/native/load';
import { tar, type Entry } from '../../../../support/images';
import { needRoot } from '../../../helpers/tier';
import { hostCanary, listing, tempDir } from './helpers';

if (needRoot()) main();

function main() {
  const { dir: canaryDir, file: canary, rel, snapshot, before } = hostCanary();
  const base = tempDir();
  let n = 0;
  const extract = async (body: Buffer | Entry[], options = {}) => {
    const dir = path.join(base, `ctx-${n++}`);
    fs.mkdirSync(dir);
    const data = Array.isArray(body) ? tar(body) : body;
    try {
      const stats = await extractContextTar(Readable.from([data]), dir, options);
      return { dir, stats, error: null as (Error & { code?: string }) | null };
    } catch (err) {
      return { dir, stats: null, error: err as Error & { code?: string } };
    }
  };

  t.test('a context tar, plain and gzip', async (t) => {
    const entries: Entry[] = [
      { name: 'Dockerfile', data: 'FROM scratch\nCOPY . /\n' },
      { name: 'src/', type: 'dir', mode: 0o750, mtime: 1600000000 },
      { name: 'src/a.js', data: 'a\n', mode: 0o640, uid: 501, gid: 20 },
      { name: 'src/link', type: 'symlink', linkname: 'a.js' },
      { name: 'src/hard', type: 'link', linkname: 'src/a.js' },
    ];
    for (const body of [tar(entries), zlib.gzipSync(tar(entries))]) {
      const r = await extract(body);
      t.equal(r.error, null);
      t.same(listing(r.dir), ['Dockerfile 644 0:0 FROM scratch\nCOPY . /\n', 'src/ 750 0:0', 'src/a.js 640 0:0 a\n', 'src/hard 640 0:0 a\n', 'src/link l 0:0 -> a.js'], 'owners are root, modes kept');
      t.equal(fs.statSync(path.join(r.dir, 'src')).mtimeMs, 1600000000 * 1000, 'directory mtimes kept');
      t.equal(r.stats?.entries, 5);
      const ctx = openContext(r.dir);
      t.same(resolveSources(ctx, ['src']).sources[0]?.entries.map((e) => e.rel), ['', 'a.js', 'hard', 'link'], 'usable as a build context');
      ctx.close();
    }
  });

  t.test('long names (pax) and a context from GNU tar', async (t) => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const r = await extract([{ name: long, data: 'long\n' }]);
    t.equal(r.error, null);
    t.equal(fs.readFileSync(path.join(r.dir, long), 'utf8'), 'long\n');
  });

  t.test("'..' names are refused and the directory emptied", async (t) => {
    const r = await extract([{ name: 'ok', data: 'ok\n' }, { name: `../../../../../../..${canary}`, data: 'pwned\n' }]);
    t.equal(r.error?.code, 'EOUTSIDE');
    t.match(r.error?.message, /is outside of the context directory/);
    t.same(fs.readdirSync(r.dir), [], 'nothing left behind');
    t.same(snapshot(), before, 'the host canary is untouched');
    t.equal(path.join(r.dir, `../../../../../../..${canary}`), canary, 'control: joined as a path, the name is the host canary');
  });

  t.test('an absolute name is taken inside the directory', async (t) => {
    const r = await extract([{ name: canary, data: 'pwned\n' }]);
    t.equal(r.error, null);
    t.equal(fs.readFileSync(path.join(r.dir, rel), 'utf8'), 'pwned\n');
    t.same(snapshot(), before);
  });

  t.test('a symlink to / and a write through it stay inside (attack and control)', async (t) => {
    const r = await extract([{ name: 'evil', type: 'symlink', linkname: '/' }, { name: `evil/${rel}`, data: 'pwned\n' }, { name: `evil/${path.dirname(rel)}/new`, data: 'pwned\n' }]);
    t.equal(r.error, null);
    t.same(snapshot(), before, 'the host canary directory is untouched');
    t.equal(fs.readFileSync(path.join(r.dir, rel), 'utf8'), 'pwned\n', 'written inside the directory instead');
    const root = fs.openSync(r.dir, 'r');
    const fd = native().openat2(root, `evil/${path.dirname(rel)}`, 0o10000000, 0, 0);
    t.equal(fs.fstatSync(fd).ino, fs.statSync(canaryDir).ino, 'control: without RESOLVE_IN_ROOT the symlink leads to the host directory');
    fs.closeSync(fd);
    fs.closeSync(root);
  });

  t.test('hard links out are refused or confined, never linked to the host file', async (t) => {
    const up = await extract([{ name: 'hl', type: 'link', linkname: `../../../../../../..${canary}` }]);
    t.equal(up.error?.code, 'EOUTSIDE');
    const through = await extract([{ name: 'evil', type: 'symlink', linkname: '/' }, { name: 'hl', type: 'link', linkname: `evil/${rel}` }]);
    t.ok(through.error, `a hard link through a symlink finds nothing inside: ${through.error?.message}`);
    const abs = await extract([{ name: 'hl', type: 'link', linkname: canary }]);
    t.ok(abs.error, 'an absolute hard link target resolves inside: absent');
    t.same(snapshot(), before, 'the canary has its one link');
  });

  t.test('device nodes and FIFOs are skipped', async (t) => {
    const r = await extract([
      { name: 'null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'sda', type: 'block', devmajor: 8, devminor: 0 },
      { name: 'fifo', type: 'fifo' },
      { name: 'file', data: 'x' },
    ]);
    t.equal(r.error, null);
    t.equal(r.stats?.skipped, 3);
    t.same(fs.readdirSync(r.dir), ['file']);
  });

  t.test('limits and compressions', async (t) => {
    const big = await extract(zlib.gzipSync(tar([{ name: 'zeros', data: Buffer.alloc(4 << 20) }])), { maxBytes: 1 << 20 });
    t.equal(big.error?.code, 'ETOOBIG', 'a gzip bomb stops at maxBytes (decompressed bytes count)');
    t.same(fs.readdirSync(big.dir), []);
    const bz = await extract(Buffer.concat([Buffer.from('BZh91AY&SY'), Buffer.alloc(100)]));
    t.equal(bz.error?.code, 'EARCHIVE');
    t.match(bz.error?.message, /bzip2/);
    const garbage = await extract(Buffer.from('this is not a tar at all, not even close, but long enough'.repeat(20)));
    t.ok(garbage.error, `garbage is an error: ${garbage.error?.message}`);
    const notEmpty = path.join(base, 'not-empty');
    fs.mkdirSync(notEmpty);
    fs.writeFileSync(path.join(notEmpty, 'x'), '');
    await t.rejects(extractContextTar(Readable.from([tar([])]), notEmpty), { code: 'EDEST' });
    await t.rejects(extractContextTar(Readable.from([tar([])]), path.join(base, 'ctx-0'), { maxBytes: -1 }), RangeError);
  });
}
