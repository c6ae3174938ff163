// A step's upper directory as a layer (lib/build/layer/diff.ts): whiteouts,
// opaque directories, hard links, long names and a binary security.capability
// xattr survive the tar, checked by unpacking it with lib/image/unpack (which
// also checks the diff id), and the upper directory becomes the layer directory.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { commitUpper } from '../../../lib/build/layer/diff';
import { Store } from '../../../lib/image/store/store';
import { unpackTar } from '../../../lib/image/unpack/unpack';
import { native } from '../../../lib/native/load';
import { capabilityXattr } from '../../../support/images';
import { imageTier, tempRoot } from '../../helpers/image-root';

if (imageTier()) void main();

async function main() {
  const tmp = tempRoot('bulkhead-build-diff-');
  const store = new Store(path.join(tmp, 'root'));

  t.test('the tar of an upper directory unpacks to the same tree', async (t) => {
    const upper = path.join(tmp, 'upper');
    const long = 'd'.repeat(90) + '/' + 'f'.repeat(60);
    fs.mkdirSync(path.join(upper, 'opq'), { recursive: true });
    fs.mkdirSync(path.join(upper, path.dirname(long)), { recursive: true });
    fs.writeFileSync(path.join(upper, long), 'long\n');
    fs.writeFileSync(path.join(upper, 'opq', 'new'), 'new\n');
    native().lsetxattr(path.join(upper, 'opq'), 'trusted.overlay.opaque', Buffer.from('y'));
    execFileSync('mknod', [path.join(upper, 'gone'), 'c', '0', '0']);
    fs.writeFileSync(path.join(upper, 'one'), 'linked\n');
    fs.linkSync(path.join(upper, 'one'), path.join(upper, 'two'));
    fs.writeFileSync(path.join(upper, 'capped'), 'cap\n', { mode: 0o755 });
    const cap = capabilityXattr([7, 13]);
    native().lsetxattr(path.join(upper, 'capped'), 'security.capability', cap);
    const layer = await commitUpper(store, upper);
    t.notOk(fs.existsSync(upper), 'the upper directory was moved');
    const dir = store.layout.layer(layer.diffId);
    t.ok(fs.statSync(dir).isDirectory(), 'into image/layers/<diff id>');
    const out = path.join(tmp, 'unpacked');
    fs.mkdirSync(out);
    const stats = await unpackTar(store.blobStream(layer.digest), out);
    t.equal(stats.diffId, layer.diffId, 'the diff id is the tar that was written');
    t.equal(fs.readFileSync(path.join(out, long), 'utf8'), 'long\n');
    const gone = fs.lstatSync(path.join(out, 'gone'));
    t.ok(gone.isCharacterDevice() && gone.rdev === 0, 'the whiteout comes back as a whiteout');
    t.equal(native().lgetxattr(path.join(out, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y', 'opaque');
    t.equal(fs.statSync(path.join(out, 'one')).ino, fs.statSync(path.join(out, 'two')).ino, 'hard link kept');
    t.same(native().lgetxattr(path.join(out, 'capped'), 'security.capability'), cap, 'capability bytes kept');
  });

  t.test('an empty upper directory is the empty tar', async (t) => {
    const upper = path.join(tmp, 'empty');
    fs.mkdirSync(upper);
    const layer = await commitUpper(store, upper);
    t.equal(layer.diffId, 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
  });
}
