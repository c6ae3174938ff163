// Loading images built from busybox-static: OCI layouts (directory, tar, tar.gz)
// and docker-archives, gzip, zstd and plain layers. The unpacked layers are
// checked file by file for what overlayfs and the image need: whiteouts as 0:0
// character devices, trusted.overlay.opaque=y, a hard link, a symlink, a setuid
// mode, a binary security.capability xattr, ownership and mtimes; the overlay
// root shows the merged view.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { Images } from '../../../lib/image/images';
import { native } from '../../../lib/native/load';
import { spawn } from '../../../lib/spawn/index';
import { buildImage, busyboxEntries, capabilityXattr, featureEntries, tarDirectory, writeDockerArchive, writeOciLayout } from '../../../support/images';
import { imageTier, tempRoot } from '../../helpers/image-root';

if (imageTier()) main();

function main() {
  const tmp = tempRoot();
  const base = busyboxEntries();
  const features = featureEntries();

  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    t.test(`OCI layout directory, ${compression} layers`, async (t) => {
      const img = buildImage([base, features], { Cmd: ['sh'] }, compression);
      const dir = path.join(tmp, `oci-${compression}`);
      writeOciLayout(dir, [{ image: img, name: `example.com/bb:${compression}` }]);
      const images = new Images({ root: path.join(tmp, `root-${compression}`) });
      const loaded = await images.load(dir);
      t.equal(loaded.length, 1);
      t.equal(loaded[0].image.id, img.configDigest, 'image id is the config digest');
      t.same(loaded[0].tags, [`example.com/bb:${compression}`]);
      t.equal(images.get(`example.com/bb:${compression}`).manifest, img.manifestDigest);
      checkLayers(t, images, img.layers.map((l) => l.diffId));
      await checkOverlay(t, images, `example.com/bb:${compression}`);
    });
  }

  t.test('OCI layout as tar and tar.gz, docker-archive; shared layers unpacked once', async (t) => {
    const img = buildImage([base, features], { Cmd: ['sh'] });
    const dir = path.join(tmp, 'oci-tar');
    writeOciLayout(dir, [{ image: img, name: 'example.com/bb:tar' }]);
    const images = new Images({ root: path.join(tmp, 'root-tar') });
    tarDirectory(dir, path.join(tmp, 'oci.tar'));
    tarDirectory(dir, path.join(tmp, 'oci.tar.gz'), true);
    writeDockerArchive(path.join(tmp, 'docker.tar'), [{ image: img, tags: ['bb:archive', 'localhost:5000/x/bb:2'] }]);
    t.same((await images.load(path.join(tmp, 'oci.tar')))[0].tags, ['example.com/bb:tar']);
    const layers = fs.readdirSync(images.store.layout.layers).sort();
    t.same((await images.load(path.join(tmp, 'oci.tar.gz')))[0].image.id, img.configDigest);
    const d = await images.load(path.join(tmp, 'docker.tar'));
    t.same(d[0].tags, ['docker.io/library/bb:archive', 'localhost:5000/x/bb:2']);
    t.same(fs.readdirSync(images.store.layout.layers).sort(), layers, 'the same diff ids reuse the unpacked layers');
    checkLayers(t, images, img.layers.map((l) => l.diffId));
    t.same(fs.readdirSync(images.store.layout.tmp), [], 'no temp files left');
    await checkOverlay(t, images, 'bb:archive');
  });

  t.test('bad archives: one error naming the file, nothing left behind', async (t) => {
    const images = new Images({ root: path.join(tmp, 'root-bad') });
    fs.writeFileSync(path.join(tmp, 'junk.tar'), Buffer.alloc(3000, 7));
    await t.rejects(images.load(path.join(tmp, 'junk.tar')), { code: 'EARCHIVE', message: /junk\.tar/ });
    await t.rejects(images.load(path.join(tmp, 'missing.tar')), { code: 'EARCHIVE', message: /no such file/ });
    // A layer whose blob does not hash to its name.
    const img = buildImage([base]);
    const dir = path.join(tmp, 'oci-corrupt');
    writeOciLayout(dir, [{ image: img, name: 'example.com/bad:1' }]);
    const blob = path.join(dir, 'blobs', 'sha256', img.layers[0].digest.slice(7));
    const bytes = fs.readFileSync(blob);
    bytes[bytes.length - 30] ^= 0xff;
    fs.writeFileSync(blob, bytes);
    await t.rejects(images.load(dir), { code: 'EDIGEST', message: new RegExp(img.layers[0].digest) });
    // A truncated layer with a correct digest in a docker-archive: the layer's own error.
    const trunc = buildImage([base]);
    trunc.layers[0].tar = trunc.layers[0].tar.subarray(0, 100_000);
    writeDockerArchive(path.join(tmp, 'trunc.tar'), [{ image: trunc, tags: ['trunc:1'] }]);
    await t.rejects(images.load(path.join(tmp, 'trunc.tar')), { code: 'ELAYER', message: /layer sha256:[0-9a-f]{64}/ });
    t.same(images.list(), [], 'no image recorded');
    t.same(fs.readdirSync(images.store.layout.tmp), [], 'no temp files left');
    t.same(fs.readdirSync(images.store.layout.layers), [], 'no half-unpacked layer');
  });
}

function checkLayers(t: Test, images: Images, diffIds: string[]) {
  const [lower, upper] = diffIds.map((d) => images.store.layout.layer(d));
  t.equal(fs.statSync(path.join(lower, 'bin', 'busybox')).mode & 0o7777, 0o755);
  t.equal(fs.readlinkSync(path.join(lower, 'bin', 'sh')), 'busybox');
  t.equal(fs.statSync(path.join(lower, 'tmp')).mode & 0o7777, 0o1777, 'sticky tmp');
  t.equal(fs.statSync(path.join(lower, 'home', 'app')).uid, 1000, 'ownership');
  t.equal(fs.statSync(path.join(lower, 'etc', 'passwd')).mtimeMs, 1700000000 * 1000, 'mtime');
  const wh = fs.lstatSync(path.join(upper, 'data', 'gone'));
  t.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout is a 0:0 character device');
  t.notOk(fs.existsSync(path.join(upper, 'data', '.wh.gone')), 'no .wh. file left');
  t.equal(native().lgetxattr(path.join(upper, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y', 'opaque directory');
  t.notOk(fs.existsSync(path.join(upper, 'opq', '.wh..wh..opq')));
  t.equal(fs.statSync(path.join(upper, 'usr/share/one')).ino, fs.statSync(path.join(upper, 'usr/share/two')).ino, 'hard link');
  t.equal(fs.readlinkSync(path.join(upper, 'etc-link')), '/etc', 'symlink kept as written');
  t.equal(fs.statSync(path.join(upper, 'usr/share/suid')).mode & 0o7777, 0o4755, 'setuid mode survives chown');
  t.same(native().lgetxattr(path.join(upper, 'usr/share/capped'), 'security.capability'), capabilityXattr([7, 13]), 'binary capability xattr');
}

async function checkOverlay(t: Test, images: Images, name: string) {
  const root = await images.rootfsFor(name);
  try {
    // spawn() mounts the overlay in the container's own mount namespace.
    const r = await spawn('/bin/sh', ['-c', 'ls /data; echo -; ls /opq; echo -; cat /usr/share/two; echo x > /written'], { rootfs: root.rootfs });
    t.equal(r.stdout, 'keep\n-\nnew\n-\nlinked\n', 'whiteout hides the lower file, the opaque directory its lower content, the hard link reads');
    t.ok(fs.existsSync(path.join(root.upper as string, 'written')), 'writes go to the upper directory');
    t.notMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), root.rootfs.target, 'nothing mounted on the host');
  } finally {
    root.release();
  }
  t.notOk(fs.existsSync(path.dirname(root.upper as string)), 'container directory removed');
  // Two containers at once on the one mount target: each overlay lives in its own namespace.
  const [a, b] = [await images.rootfsFor(name), await images.rootfsFor(name, { upper: 'tmpfs', upperSize: '8m' })];
  try {
    t.equal(a.rootfs.target, b.rootfs.target, 'one host directory serves as every mount point');
    const slow = spawn('/bin/sh', ['-c', 'echo a > /mine; sleep 0.3; cat /mine'], { rootfs: a.rootfs });
    const fast = await spawn('/bin/sh', ['-c', 'echo b > /mine; cat /mine; df -k / | tail -1'], { rootfs: b.rootfs });
    t.equal((await slow).stdout, 'a\n', 'a write in one is not seen by the other');
    t.match(fast.stdout, /^b\noverlay +8192 /, 'tmpfs upper: the root holds as much as its size');
    t.equal(b.upper, undefined, 'tmpfs upper: nothing on disk');
    t.same(fs.readdirSync(images.store.layout.containers).filter((n) => n.endsWith('.lock')), [`${b.id}.lock`], 'tmpfs upper: only a lock file in containers/');
  } finally {
    a.release();
    b.release();
  }
  t.same(fs.readdirSync(images.store.layout.containers), [], 'both removed');
  t.notMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), images.store.layout.root, 'nothing mounted on the host');
}
