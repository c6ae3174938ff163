// Hostile layers: each entry tries to create, change or delete something outside
// the layer directory. Each is refused or confined to the layer, and a host
// canary file (content, inode, mtime, link count) and its directory are proven
// untouched. Controls show what the same entries reach without the protection.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import t, { type Test } from 'tap';
import { Images } from '../../../lib/image/images';
import { unpackTar } from '../../../lib/image/unpack/unpack';
import { native } from '../../../lib/native/load';
import { spawn } from '../../../lib/spawn/index';
import { buildImage, busyboxEntries, tar, writeOciLayout, type Entry } from '../../../support/images';
import { imageTier, tempRoot } from '../../helpers/image-root';

if (imageTier()) main();

function main() {
  const tmp = tempRoot();
  const canaryDir = path.join(tmp, 'host');
  fs.mkdirSync(canaryDir);
  const canary = path.join(canaryDir, 'canary');
  fs.writeFileSync(canary, 'untouched\n');
  fs.utimesSync(canary, 1000, 1000);
  const rel = canary.slice(1); // tmp/.../host/canary
  const snapshot = () => {
    const st = fs.lstatSync(canary);
    return { content: fs.readFileSync(canary, 'utf8'), ino: st.ino, mtime: st.mtimeMs, nlink: st.nlink, mode: st.mode, dir: fs.readdirSync(canaryDir) };
  };
  const before = snapshot();
  let n = 0;
  const unpack = async (entries: Entry[]) => {
    const dir = path.join(tmp, `layer-${n++}`);
    fs.mkdirSync(dir);
    try {
      await unpackTar(Readable.from([tar(entries)]), dir);
      return { dir, error: null as Error | null };
    } catch (err) {
      return { dir, error: err as Error };
    }
  };
  const untouched = (t: Test, what: string) => t.same(snapshot(), before, `${what}: the host canary is untouched`);

  t.test("'..' traversal is confined to the layer", async (t) => {
    const r = await unpack([{ name: `../../../../../../..${canary}`, data: 'pwned\n' }]);
    t.equal(r.error, null);
    t.equal(fs.readFileSync(path.join(r.dir, rel), 'utf8'), 'pwned\n', 'written inside the layer instead');
    untouched(t, '..');
  });

  t.test('an absolute path is confined to the layer', async (t) => {
    const r = await unpack([{ name: canary, data: 'pwned\n' }]);
    t.equal(r.error, null);
    t.equal(fs.readFileSync(path.join(r.dir, rel), 'utf8'), 'pwned\n');
    untouched(t, 'absolute');
  });

  t.test('a symlink to / and then a file under it lands in the layer', async (t) => {
    const r = await unpack([{ name: 'evil', type: 'symlink', linkname: '/' }, { name: `evil/${rel}`, data: 'pwned\n' }]);
    t.equal(r.error, null);
    t.equal(fs.readFileSync(path.join(r.dir, rel), 'utf8'), 'pwned\n');
    untouched(t, 'symlink to /');
    // Control: the same path resolved without RESOLVE_IN_ROOT reaches the host.
    const root = fs.openSync(r.dir, 'r');
    const fd = native().openat2(root, `evil/${path.dirname(rel)}`, 0o10000000, 0, 0);
    t.equal(fs.fstatSync(fd).ino, fs.statSync(canaryDir).ino, 'control: without the protection the symlink leads to the host directory');
    fs.closeSync(fd);
    fs.closeSync(root);
  });

  t.test('a symlink to the canary directory, then a file through it', async (t) => {
    const r = await unpack([{ name: 'd', type: 'symlink', linkname: canaryDir }, { name: 'd/canary', data: 'pwned\n' }]);
    t.ok(r.error === null || /entry/.test(r.error.message), `refused or confined: ${r.error?.message ?? 'confined'}`);
    untouched(t, 'symlinked directory');
  });

  t.test('a symlink with the name of a later file is replaced, never followed', async (t) => {
    const r = await unpack([{ name: 'f', type: 'symlink', linkname: canary }, { name: 'f', data: 'pwned\n' }]);
    t.equal(r.error, null);
    t.notOk(fs.lstatSync(path.join(r.dir, 'f')).isSymbolicLink());
    untouched(t, 'symlink replaced');
  });

  t.test("a chain of '..' symlinks is clamped at the layer root", async (t) => {
    const r = await unpack([{ name: 'up', type: 'symlink', linkname: '../../../../../..' }, { name: `up/up/up/${rel}`, data: 'pwned\n' }]);
    t.equal(r.error, null);
    t.equal(fs.readFileSync(path.join(r.dir, rel), 'utf8'), 'pwned\n');
    untouched(t, '.. symlinks');
  });

  t.test('a hard link to a host file is refused', async (t) => {
    for (const linkname of [canary, `../../../../../../..${canary}`]) {
      const r = await unpack([{ name: 'hl', type: 'link', linkname }]);
      t.match(r.error?.message, /hard link/, linkname);
    }
    const r = await unpack([{ name: 'evil', type: 'symlink', linkname: canary }, { name: 'hl', type: 'link', linkname: 'evil' }]);
    t.equal(r.error, null, 'a hard link to a symlink links the symlink itself');
    t.ok(fs.lstatSync(path.join(r.dir, 'hl')).isSymbolicLink());
    untouched(t, 'hard link');
  });

  t.test("whiteouts named '..', '.', '' and an opaque marker at the root are refused", async (t) => {
    for (const name of ['.wh...', 'sub/.wh...', '.wh..', '.wh.', '.wh..wh..opq', './.wh..wh..opq']) {
      const r = await unpack([{ name: 'sub/', type: 'dir' }, { name }]);
      t.match(r.error?.message, /whiteout|opaque/, name);
    }
    const r = await unpack([{ name: `../../../../../..${path.dirname(canary)}/.wh.canary` }]);
    t.equal(r.error, null, 'a whiteout through .. is confined');
    t.ok(fs.lstatSync(path.join(r.dir, rel)).isCharacterDevice());
    untouched(t, 'whiteouts');
  });

  t.test('a device node is created in the layer but opens nothing through the overlay (nodev)', async (t) => {
    const images = new Images({ root: path.join(tmp, 'root') });
    const img = buildImage([[...busyboxEntries(), { name: 'devnull', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 }]]);
    writeOciLayout(path.join(tmp, 'oci-dev'), [{ image: img, name: 'example.com/dev:1' }]);
    await images.load(path.join(tmp, 'oci-dev'));
    const layer = images.store.layout.layer(img.layers[0].diffId);
    const fd = fs.openSync(path.join(layer, 'devnull'), 'r');
    fs.closeSync(fd);
    t.pass('control: the node itself is a working device outside the overlay');
    const root = await images.rootfsFor('example.com/dev:1');
    try {
      const r = await spawn('/bin/sh', ['-c', 'cat /devnull'], { rootfs: root.rootfs, reject: false });
      t.not(r.exitCode, 0, 'through the container root it opens nothing');
      t.match(r.stderr, /Permission denied/);
    } finally {
      root.release();
    }
  });

  t.test('trusted.* xattrs from a layer are dropped', async (t) => {
    const r = await unpack([{ name: 'x/', type: 'dir', xattrs: { 'trusted.overlay.opaque': Buffer.from('y'), 'user.ok': Buffer.from('1') } }]);
    t.equal(r.error, null);
    t.equal(native().lgetxattr(path.join(r.dir, 'x'), 'trusted.overlay.opaque'), null);
    t.equal(native().lgetxattr(path.join(r.dir, 'x'), 'user.ok')?.toString(), '1');
  });
}
