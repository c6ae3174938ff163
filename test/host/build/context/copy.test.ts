// copyInto: Docker's COPY rules (destinations, WORKDIR, owners, --chown by name
// from the destination root, --chmod, modes and mtimes kept), and the write
// confinement: a root whose /etc is a symlink to a host directory (planted by
// an earlier layer) gets the files inside itself; the host canary directory is
// proven untouched, and a control shows where a plain write would have gone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { copyInto, openContext, resolveSources, type BuildContext } from '../../../../lib/build/context';
import { needRoot } from '../../../helpers/tier';
import { listing, tempDir, writeTree } from './helpers';

if (needRoot()) main();

function main() {
  const ctxDir = path.join(tempDir(), 'ctx');
  writeTree(ctxDir, {
    Dockerfile: 'FROM scratch\n',
    'passwd': 'evil:x:0:0::/:/bin/sh\n',
    'app.sh': { data: 'echo hi\n', mode: 0o755, mtime: 1600000000 },
    'conf.txt': { data: 'conf\n', mode: 0o600, mtime: 1600000001 },
    'dir/one': { data: '1\n', mtime: 1600000002 },
    'dir/sub/two': { data: '2\n', mode: 0o640 },
    'dir/link': { link: '/etc/shadow' },
  });
  fs.utimesSync(path.join(ctxDir, 'dir/sub'), 1600000003, 1600000003);
  fs.chmodSync(path.join(ctxDir, 'dir/sub'), 0o750);
  fs.linkSync(path.join(ctxDir, 'dir/one'), path.join(ctxDir, 'dir/hard'));
  const ctx: BuildContext = openContext(ctxDir);
  t.teardown(() => ctx.close());
  const set = (...s: string[]) => resolveSources(ctx, s);
  const newRoot = (tree: Parameters<typeof writeTree>[1] = {}) => {
    const root = path.join(tempDir('bulkhead-buildctx-root-'), 'root');
    fs.mkdirSync(root);
    writeTree(root, tree);
    return root;
  };

  t.test("destinations with Docker's rules", async (t) => {
    const root = newRoot({ 'existing/keep': 'k\n' });
    await copyInto(root, set('app.sh'), '/bin/run');
    await copyInto(root, set('app.sh'), '/opt/');
    await copyInto(root, set('conf.txt'), '/existing');
    await copyInto(root, set('app.sh', 'conf.txt'), '/many');
    await copyInto(root, set('conf.txt'), 'rel/', { workdir: '/work' });
    await copyInto(root, set('conf.txt'), '.', { workdir: '/w2' });
    const dirStats = await copyInto(root, set('dir'), '/d');
    t.equal(dirStats.hardlinksCopiedAsFiles, 2, 'both names of the hard-linked file are counted');
    t.same({ files: dirStats.files, dirs: dirStats.dirs, symlinks: dirStats.symlinks }, { files: 3, dirs: 1, symlinks: 1 });
    t.same(listing(root), [
      'bin/ 755 0:0',
      'bin/run 755 0:0 echo hi\n',
      'd/ 755 0:0',
      'd/hard 644 0:0 1\n',
      'd/link l 0:0 -> /etc/shadow',
      'd/one 644 0:0 1\n',
      'd/sub/ 750 0:0',
      'd/sub/two 640 0:0 2\n',
      'existing/ 755 0:0',
      'existing/conf.txt 600 0:0 conf\n',
      'existing/keep 644 0:0 k\n',
      'many/ 755 0:0',
      'many/app.sh 755 0:0 echo hi\n',
      'many/conf.txt 600 0:0 conf\n',
      'opt/ 755 0:0',
      'opt/app.sh 755 0:0 echo hi\n',
      'w2/ 755 0:0',
      'w2/conf.txt 600 0:0 conf\n',
      'work/ 755 0:0',
      'work/rel/ 755 0:0',
      'work/rel/conf.txt 600 0:0 conf\n',
    ]);
    t.equal(fs.statSync(path.join(root, 'bin/run')).mtimeMs, 1600000000 * 1000, 'a file keeps its mtime');
    t.equal(fs.statSync(path.join(root, 'd/sub')).mtimeMs, 1600000003 * 1000, 'a directory keeps its mtime');
    t.not(fs.statSync(path.join(root, 'd/one')).ino, fs.statSync(path.join(root, 'd/hard')).ino, 'hard links are copied as separate files');
  });

  t.test('a large file (copy_file_range through the thread pool) keeps its bytes, mode and mtime', async (t) => {
    const dir = tempDir();
    const big = Buffer.alloc(3 << 20);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    writeTree(dir, { Dockerfile: 'FROM scratch\n', big: { data: '', mode: 0o751, mtime: 1500000000 } });
    fs.writeFileSync(path.join(dir, 'big'), big);
    fs.utimesSync(path.join(dir, 'big'), 1500000000, 1500000000);
    const c = openContext(dir);
    t.teardown(() => c.close());
    const root = newRoot();
    const stats = await copyInto(root, resolveSources(c, ['big']), '/data/big');
    t.equal(stats.bytes, big.length);
    t.ok(fs.readFileSync(path.join(root, 'data/big')).equals(big), 'same bytes');
    const st = fs.statSync(path.join(root, 'data/big'));
    t.equal(st.mode & 0o7777, 0o751);
    t.equal(st.mtimeMs, 1500000000 * 1000);
  });

  t.test('a file replaces what stands at its name, a symlink included (never followed)', async (t) => {
    const root = newRoot({ 'etc/passwd': { link: '/etc/passwd' } });
    const before = fs.readFileSync('/etc/passwd');
    await copyInto(root, set('passwd'), '/etc/passwd');
    t.notOk(fs.lstatSync(path.join(root, 'etc/passwd')).isSymbolicLink());
    t.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), 'evil:x:0:0::/:/bin/sh\n');
    t.same(fs.readFileSync('/etc/passwd'), before, "the host's /etc/passwd is untouched");
  });

  t.test('a root with /etc -> a host directory: writes stay in the root (attack and control)', async (t) => {
    const canaryDir = tempDir('bulkhead-host-canary-');
    fs.writeFileSync(path.join(canaryDir, 'canary'), 'untouched\n');
    const snapshot = () => ({ list: fs.readdirSync(canaryDir).sort(), content: fs.readFileSync(path.join(canaryDir, 'canary'), 'utf8'), mtime: fs.statSync(canaryDir).mtimeMs });
    const before = snapshot();
    const root = newRoot({ etc: { link: canaryDir }, 'x/up': { link: '../../../../../../..' + canaryDir } });
    await copyInto(root, set('passwd'), '/etc/passwd');
    await copyInto(root, set('conf.txt', 'app.sh'), '/etc/');
    await copyInto(root, set('dir'), '/etc/dir');
    await copyInto(root, set('passwd'), '/x/up/passwd2');
    await copyInto(root, set('passwd'), '/etc/canary');
    t.same(snapshot(), before, 'the host canary directory is untouched');
    const inRoot = path.join(root, canaryDir);
    t.same(fs.readdirSync(inRoot).sort(), ['app.sh', 'canary', 'conf.txt', 'dir', 'passwd', 'passwd2'], 'everything landed in the root, under the symlink target taken inside it');
    t.equal(fs.readFileSync(path.join(inRoot, 'canary'), 'utf8'), 'evil:x:0:0::/:/bin/sh\n');
    // Control: the same destination as a plain path leads to the host directory.
    const controlDir = tempDir('bulkhead-host-control-');
    const controlRoot = newRoot({ etc: { link: controlDir } });
    fs.copyFileSync(path.join(ctxDir, 'passwd'), path.join(controlRoot, 'etc/passwd'));
    t.ok(fs.existsSync(path.join(controlDir, 'passwd')), 'control: a plain write to <root>/etc/passwd lands in the host directory');
  });

  t.test('--chown by name from the root, by number, and errors', async (t) => {
    const root = newRoot({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', 'etc/group': 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n', existing: { dir: true } });
    await copyInto(root, set('conf.txt'), '/a/b/', { chown: 'app' });
    await copyInto(root, set('conf.txt'), '/existing/', { chown: 'app:staff' });
    await copyInto(root, set('dir'), '/n', { chown: '123:456' });
    await copyInto(root, set('conf.txt'), '/only', { chown: '77' });
    const owner = (p: string) => {
      const st = fs.lstatSync(path.join(root, p));
      return `${st.uid}:${st.gid}`;
    };
    t.equal(owner('a'), '1000:1000', 'a missing parent is made with the owner of the copy');
    t.equal(owner('a/b/conf.txt'), '1000:1000', 'app: uid from passwd, the group named app from group');
    t.equal(owner('existing'), '0:0', 'an existing directory keeps its owner');
    t.equal(owner('existing/conf.txt'), '1000:50');
    t.equal(owner('n'), '123:456');
    t.equal(owner('n/sub/two'), '123:456');
    t.equal(owner('n/link'), '123:456', 'symlinks too (lchown)');
    t.equal(owner('only'), '77:77', 'a number alone is the group too');
    t.equal(fs.statSync(path.join(root, 'a/b/conf.txt')).mode & 0o7777, 0o600, 'the mode is kept');
    await t.rejects(copyInto(root, set('conf.txt'), '/z', { chown: 'ghost' }), { code: 'EUSER', message: "can't find uid for user ghost: no such user: ghost" });
    await t.rejects(copyInto(root, set('conf.txt'), '/z', { chown: 'app:ghosts' }), { code: 'EUSER', message: "can't find gid for group ghosts: no such group: ghosts" });
    await t.rejects(copyInto(root, set('conf.txt'), '/z', { chown: 'a:b:c' }), { code: 'EUSER', message: 'invalid chown string format: a:b:c' });
    t.notOk(fs.existsSync(path.join(root, 'z')), 'nothing written on a bad --chown');
  });

  t.test('--chown names come from the root, even when its /etc/passwd is a symlink to the host', async (t) => {
    const root = newRoot({ 'etc/passwd': { link: '/etc/passwd' }, 'etc/group': { link: '/etc/group' } });
    // The host has a root user; the root's /etc/passwd resolves (inside the root) to nothing.
    await t.rejects(copyInto(root, set('conf.txt'), '/z', { chown: 'root' }), { code: 'EUSER' });
  });

  t.test('--chmod applies to every copied file and directory', async (t) => {
    const root = newRoot();
    await copyInto(root, set('dir', ), '/c', { chmod: '640' });
    await copyInto(root, set('app.sh'), '/f', { chmod: 0o4711 });
    t.equal(fs.statSync(path.join(root, 'c/one')).mode & 0o7777, 0o640);
    t.equal(fs.statSync(path.join(root, 'c/sub')).mode & 0o7777, 0o640);
    t.equal(fs.statSync(path.join(root, 'c')).mode & 0o7777, 0o755, 'the destination directory itself is made 0755');
    t.equal(fs.statSync(path.join(root, 'f')).mode & 0o7777, 0o4711, 'setuid set after chown (which would clear it)');
    await t.rejects(copyInto(root, set('app.sh'), '/g', { chmod: '8' }), RangeError);
    await t.rejects(copyInto(root, set('app.sh'), '/g', { chmod: 'u+x' }), RangeError);
  });
}
