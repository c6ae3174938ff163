import t from 'tap';
import * as F from '../../../lib/util/kernel-flags';
import { containedTarget, DEFAULT_NAMESPACES, validateSpawn } from '../../../lib/spawn/options';
import { cloneFlags, computePlan, execCandidates, fsOps, mapText } from '../../../lib/spawn/plan';
import { EMBEDDED_STAGE as SANDBOX_ROOT } from '../../../lib/security/embedded';

const input = (options = {}) => ({
  command: 'sh',
  args: ['-c', 'x'],
  options,
  ns: validateSpawn('sh', ['-c', 'x'], options),
  isFile: (p: string) => p.endsWith('.txt'),
  hostUid: 1000,
  hostGid: 1000,
});

t.test('clone flags follow Docker\'s default namespaces', async (t) => {
  t.equal(cloneFlags(DEFAULT_NAMESPACES), F.CLONE_NEWNS | F.CLONE_NEWPID | F.CLONE_NEWUTS | F.CLONE_NEWIPC | F.CLONE_NEWNET | F.CLONE_NEWCGROUP);
  t.equal(cloneFlags({ ...DEFAULT_NAMESPACES, user: true, time: true }) & (F.CLONE_NEWUSER | F.CLONE_NEWTIME), F.CLONE_NEWUSER | F.CLONE_NEWTIME);
});

t.test('execve candidates search PATH like execvp', async (t) => {
  t.same(execCandidates('/bin/sh', '/x'), ['/bin/sh']);
  t.same(execCandidates('sh', '/usr/bin:relative:/bin'), ['/usr/bin/sh', '/bin/sh'], 'relative entries are skipped');
  t.same(execCandidates('a/b', '/bin'), ['a/b']);
});

t.test('maps and contained targets', async (t) => {
  t.equal(mapText([{ containerId: 0, hostId: 100000, size: 65536 }, { containerId: 65536, hostId: 5, size: 1 }]), '0 100000 65536\n65536 5 1\n');
  t.equal(containedTarget('t', '/a/./b/../c'), '/a/c');
  t.throws(() => containedTarget('t', '/a/../../etc'), { name: 'RangeError', message: /t must stay inside the root filesystem, got "\/a\/..\/..\/etc"/ });
  t.throws(() => containedTarget('t', '/'), RangeError);
  t.throws(() => containedTarget('t', 'rel'), { name: 'RangeError', message: /must be an absolute path/ });
});

t.test('rootfs plan: private propagation first, bind of the rootfs, /proc, /dev, /sys, then user mounts', async (t) => {
  const p = computePlan(input({ rootfs: '/r/', hostname: 'box', mounts: [{ type: 'bind', source: '/src/a.txt', target: '/etc/a', readonly: true }, { type: 'tmpfs', target: '/scratch', size: '1M' }] }));
  t.same(p.ops[0], { op: 'mount', target: '/', flags: F.MS_REC | F.MS_PRIVATE });
  t.same(p.ops[1], { op: 'mount', source: '/r', target: '/r', flags: F.MS_BIND | F.MS_REC });
  t.equal(p.rootfs, '/r');
  const targets = p.ops.map((o) => `${o.op} ${o.root ?? ''}${o.target}`);
  t.ok(targets.indexOf('mount /r/proc') < targets.indexOf('mount /r/dev'));
  t.ok(targets.includes('symlink /r/dev/ptmx'));
  t.ok(targets.includes('mount /r/dev/mqueue'), 'mqueue with an ipc namespace');
  t.same(p.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'HOSTNAME=box']);
  t.same(p.argv, ['sh', '-c', 'x']);
  t.equal(p.hostname, 'box');
  t.equal(p.loUp, true);
  t.equal(p.uidMap, undefined);
});

t.test('user mounts: file binds get a file to land on, dirs a directory, ro through mount_setattr', async (t) => {
  const p = computePlan(input({ rootfs: '/r', mounts: [{ type: 'bind', source: '/src/a.txt', target: '/etc/a', readonly: true }, { type: 'bind', source: '/srcdir', target: '/d' }, { type: 'tmpfs', target: '/scratch', size: '1M' }] }));
  const mine = p.ops.filter((o) => ['/etc/a', '/d', '/scratch'].includes(o.target));
  t.same(mine, [
    { op: 'touch', target: '/etc/a', mode: 0o644, root: '/r', parent: '/etc', name: 'a' },
    { op: 'mount', source: '/src/a.txt', target: '/etc/a', flags: F.MS_BIND | F.MS_REC, root: '/r' },
    { op: 'setattr', target: '/etc/a', attrSet: F.MOUNT_ATTR_RDONLY, recursive: true, root: '/r' },
    { op: 'mkdir', target: '/d', mode: 0o755, root: '/r', parent: '/', name: 'd' },
    { op: 'mount', source: '/srcdir', target: '/d', flags: F.MS_BIND | F.MS_REC, root: '/r' },
    { op: 'mkdir', target: '/scratch', mode: 0o755, root: '/r', parent: '/', name: 'scratch' },
    { op: 'mount', source: 'tmpfs', target: '/scratch', fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=1777,size=1048576', root: '/r' },
  ], 'every step inside the rootfs is resolved inside it');
});

t.test('host view: a tmpfs root with the host\'s top-level entries bound read-only, nodev; fresh /proc /sys /dev /run /tmp (details: test/unit/security/embedded.test.ts)', async (t) => {
  const p = computePlan(input({}));
  t.equal(p.rootfs, SANDBOX_ROOT);
  const ops = p.ops.map((o) => `${o.op} ${o.target}`);
  t.same(ops.slice(0, 2), ['mount /', `mount ${SANDBOX_ROOT}`]);
  t.same(p.ops.find((o) => o.op === 'setattr' && o.target === '/usr'), { op: 'setattr', target: '/usr', root: SANDBOX_ROOT, attrSet: F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID | F.MOUNT_ATTR_NODEV, recursive: true });
  t.notOk(p.ops.some((o) => o.op === 'mount' && (o.source === '/proc' || o.source === '/tmp' || o.source === '/root' || o.source === '/home')), 'the host\'s /proc, /tmp and homes are not bound');
  t.ok(p.ops.some((o) => o.op === 'mount' && o.root === SANDBOX_ROOT && o.target === '/tmp') && p.ops.some((o) => o.root === SANDBOX_ROOT && o.target === '/run'));
});

t.test('no mount namespace: no filesystem steps; user namespace: default maps to the caller', async (t) => {
  const p = computePlan(input({ namespaces: { mount: false, user: true } }));
  t.same(p.ops, []);
  t.equal(p.rootfs, undefined);
  t.equal(p.uidMap, '0 1000 1\n');
  t.equal(p.gidMap, '0 1000 1\n');
  const q = computePlan(input({ namespaces: { net: false } }));
  t.equal(q.loUp, false);
  t.ok(q.ops.some((o) => o.op === 'setattr' && o.root === SANDBOX_ROOT && o.target === '/sys'), 'host /sys bound read-only without a net namespace');
});

t.test('validation names the option and the value', async (t) => {
  t.throws(() => validateSpawn('sh', 'x', {}), { name: 'TypeError', message: 'spawn: option args must be an array of strings, got "x"' });
  t.throws(() => validateSpawn('sh', [], { uid: -1 }), { name: 'RangeError', message: /option uid must be an integer from 0 to 4294967294, got -1/ });
  t.throws(() => validateSpawn('sh', [], { env: { A: 1 } }), { name: 'TypeError', message: /option env.A must be a string, got 1/ });
  t.throws(() => validateSpawn('sh', [], { rootfs: '/' }), { name: 'RangeError', message: /must not be the host root/ });
  t.throws(() => validateSpawn('sh', [], { mounts: [{ type: 'nfs', target: '/x' }] }), { name: 'TypeError', message: /mounts\[0\]\.type must be "bind" or "tmpfs", got "nfs"/ });
  t.throws(() => validateSpawn('sh', [], { mounts: [{ type: 'tmpfs', target: '/x', size: '64q' }] }), { name: 'RangeError', message: /mounts\[0\]\.size must be bytes or a size like "64m", got "64q"/ });
  t.throws(() => validateSpawn('sh', [], { rootfs: '/r', namespaces: { mount: false } }), { name: 'RangeError', message: /rootfs needs namespaces.mount/ });
  t.throws(() => validateSpawn('sh', [], { stdio: ['pipe', 'bogus'] }), { name: 'TypeError', message: /stdio\[1\] must be "pipe", "inherit", "ignore" or an fd number/ });
  t.throws(() => validateSpawn('sh', [], { hostname: '-bad-' }), { name: 'RangeError' });
  t.throws(() => validateSpawn('sh', [], { namespaces: { user: true }, uidMappings: [{ containerId: 0, hostId: 0, size: 0 }] }), { name: 'RangeError', message: /uidMappings\[0\]\.size must be at least 1/ });
  t.same(validateSpawn('sh', [], { namespaces: { net: false } }), { ...DEFAULT_NAMESPACES, net: false });
});

t.test('masks and device nodes are the container\'s own: no chmod inside reaches a host inode', async (t) => {
  const kind = (p: string) => (p === '/proc/keys' ? 'file' : 'missing') as 'file' | 'missing';
  const p = computePlan({ ...input({ rootfs: '/r' }), pathKind: kind });
  const mask = p.ops.find((o) => o.target === '/proc/keys');
  t.same(mask && { source: mask.source, sourceInRoot: mask.sourceInRoot, root: mask.root }, { source: '/dev/null', sourceInRoot: true, root: '/r' }, 'a masked file is covered with the container\'s /dev/null, resolved in its root');
  t.ok(p.ops.findIndex((o) => o.target === '/dev/null' && o.op === 'mknod') < p.ops.indexOf(mask as never), 'made before it is used');
  const u = computePlan(input({ rootfs: '/r', namespaces: { user: true } }));
  const null_ = u.ops.filter((o) => o.target === '/dev/null').map((o) => o.op);
  t.same(null_, ['touch', 'mount', 'setattr'], 'in a user namespace the host\'s node is bound, then made read-only');
  t.equal(u.ops.find((o) => o.target === '/dev/null' && o.op === 'setattr')?.attrSet! & F.MOUNT_ATTR_RDONLY, F.MOUNT_ATTR_RDONLY);
});

t.test('/proc: read-only by default; PROC_GLOBALS covers the global entries from a read-only instance', async (t) => {
  const proc = { names: ['buddyinfo', 'driver', 'sys', 'bus'], stage: 'driver' };
  const d = computePlan({ ...input({ rootfs: '/r' }), procGlobals: proc });
  const procMount = d.ops.find((o) => o.op === 'mount' && o.target === '/proc');
  t.equal((procMount?.flags ?? 0) & F.MS_RDONLY, F.MS_RDONLY, 'the proc mount itself is read-only');
  t.notOk(d.ops.some((o) => o.op === 'bindEntries' || o.target === '/proc/sys'), 'nothing else is needed for Docker\'s read-only paths');
  const g = computePlan({ ...input({ rootfs: '/r', readonlyPaths: ['/proc/sys', '/proc/*', '/proc/sysrq-trigger'] }), procGlobals: proc });
  t.equal((g.ops.find((o) => o.op === 'mount' && o.target === '/proc')?.flags ?? 0) & F.MS_RDONLY, 0, 'writable /proc');
  const stage = g.ops.find((o) => o.target === '/proc/driver' && o.op === 'mount');
  t.equal((stage?.flags ?? 0) & F.MS_RDONLY, F.MS_RDONLY, 'a read-only instance staged on one entry');
  t.same(g.ops.find((o) => o.op === 'bindEntries')?.names, ['buddyinfo', 'sys', 'bus', 'driver'], 'every entry, the stage last (over the instance itself)');
  t.notOk(g.ops.some((o) => o.target === '/proc/sys' && o.selfBind), '/proc/sys is among them');
  t.ok(g.ops.some((o) => o.target === '/proc/sysrq-trigger' && o.selfBind), 'a path that is no global entry here keeps its own read-only bind');
  const docker = computePlan({ ...input({ rootfs: '/r', readonlyPaths: ['/proc/sys'] }), procGlobals: proc });
  t.notOk(docker.ops.some((o) => o.op === 'bindEntries'), 'an explicit list without it: no cover');
});

t.test('devices: a node made in the container /dev by mknod (a bind in a user namespace)', async (t) => {
  const loop = { source: '/dev/loop7', target: '/dev/xvda', type: 'b' as const, rdev: 0x0707, mode: 0o660 };
  const { ops } = fsOps({ rootfs: '/r' }, { ...DEFAULT_NAMESPACES }, () => false, () => 'missing', undefined, undefined, [loop]);
  const mk = ops.find((o) => o.target === '/dev/xvda');
  t.match(mk, { op: 'mknod', root: '/r', parent: '/dev', name: 'xvda', mode: 0o060000 | 0o660, dev: 0x0707 });
  t.ok(ops.indexOf(mk as (typeof ops)[number]) < ops.findIndex((o) => o.target === '/dev/pts'), 'with the standard nodes, before devpts');
  const user = fsOps({ rootfs: '/r' }, { ...DEFAULT_NAMESPACES, user: true }, () => false, () => 'missing', undefined, undefined, [loop]).ops.filter((o) => o.target === '/dev/xvda');
  t.match(user, [{ op: 'touch', mode: 0o660 }, { op: 'mount', source: '/dev/loop7', flags: F.MS_BIND }]);
});

t.test('an overlay rootfs is mounted by the child: chdir to its base, then the overlay on the target, no self bind', async (t) => {
  const rootfs = { type: 'overlay' as const, target: '/d/containers/x/merged', base: '/d', lower: ['image/l/b', 'image/l/a'], upper: 'containers/x/upper', work: 'containers/x/work' };
  const p = computePlan(input({ rootfs, cwd: '/app/sub', createCwd: { uid: 1000, gid: 1001 } }));
  t.same(p.ops[1], { op: 'chdir', target: '/d' });
  t.same(p.ops[2], { op: 'mount', source: 'overlay', target: '/d/containers/x/merged', fstype: 'overlay', flags: F.MS_NODEV, data: 'lowerdir=image/l/b:image/l/a,upperdir=containers/x/upper,workdir=containers/x/work' });
  t.equal(p.rootfs, '/d/containers/x/merged');
  t.notOk(p.ops.some((o) => o.op === 'mount' && o.flags === (F.MS_BIND | F.MS_REC) && o.target === rootfs.target), 'no bind of the target onto itself');
  const mk = p.ops.filter((o) => o.op === 'mkdir' && o.uid === 1000);
  t.same(mk.map((o) => [o.parent, o.name, o.gid, o.root]), [['/', 'app', 1001, rootfs.target], ['/app', 'sub', 1001, rootfs.target]], 'createCwd: a mkdir per component, in the root, with the owner');
  const ro = computePlan(input({ rootfs: { type: 'overlay', target: '/m', base: '/d', lower: ['b', 'a'] } }));
  t.equal(ro.ops[2].data, 'lowerdir=b:a', 'no upper: a read-only overlay');
});

t.test('overlay rootfs options are checked before anything is made', async (t) => {
  const ok = { type: 'overlay', target: '/m', base: '/d', lower: ['a'], upper: 'u', work: 'w' };
  t.doesNotThrow(() => validateSpawn('sh', [], { rootfs: ok as never }));
  t.throws(() => validateSpawn('sh', [], { rootfs: { ...ok, type: 'zfs' } as never }), { name: 'RangeError', message: /rootfs\.type/ });
  t.throws(() => validateSpawn('sh', [], { rootfs: { ...ok, target: 'rel' } as never }), { name: 'RangeError', message: /rootfs\.target must be an absolute path/ });
  t.throws(() => validateSpawn('sh', [], { rootfs: { ...ok, lower: ['a,upperdir=/etc'] } as never }), { name: 'RangeError', message: /rootfs\.lower\[0\]/ }, 'a comma cannot add mount options');
  t.throws(() => validateSpawn('sh', [], { rootfs: { ...ok, lower: ['a:b'] } as never }), RangeError);
  t.throws(() => validateSpawn('sh', [], { rootfs: { ...ok, lower: [] } as never }), TypeError);
  t.throws(() => validateSpawn('sh', [], { rootfs: { ...ok, work: undefined } as never }), { name: 'RangeError', message: /go together/ });
  t.throws(() => validateSpawn('sh', [], { rootfs: { type: 'overlay', target: '/m', base: '/d', lower: ['a'] } as never }), { message: /two entries/ });
  t.throws(() => validateSpawn('sh', [], { rootfs: { ...ok, lower: Array.from({ length: 300 }, (_, i) => `image/l/${String(i).padStart(20, '0')}`) } as never }), { name: 'RangeError', message: /one page/ });
  t.throws(() => validateSpawn('sh', [], { createCwd: { uid: 0, gid: 0 } }), { name: 'RangeError', message: /needs rootfs and cwd/ });
});

t.test('an overlay with its upper in tmpfs: the tmpfs on the target, upper and work in it, then the overlay on top', async (t) => {
  const p = computePlan(input({ rootfs: { type: 'overlay', target: '/d/image/rootfs', base: '/d', lower: ['image/l/a'], tmpfsUpper: '64m', volatile: true } }));
  t.same(p.ops.slice(1, 6), [
    { op: 'chdir', target: '/d' },
    { op: 'mount', source: 'tmpfs', target: '/d/image/rootfs', fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=755,size=64m' },
    { op: 'mkdir', target: '/d/image/rootfs/upper', mode: 0o755 },
    { op: 'mkdir', target: '/d/image/rootfs/work', mode: 0o700 },
    { op: 'mount', source: 'overlay', target: '/d/image/rootfs', fstype: 'overlay', flags: F.MS_NODEV, data: 'lowerdir=image/l/a,upperdir=/d/image/rootfs/upper,workdir=/d/image/rootfs/work,volatile' },
  ]);
  t.throws(() => validateSpawn('sh', [], { rootfs: { type: 'overlay', target: '/m', base: '/d', lower: ['a'], tmpfsUpper: 'lots' } }), { name: 'RangeError', message: /tmpfsUpper must be a size/ });
  t.throws(() => validateSpawn('sh', [], { rootfs: { type: 'overlay', target: '/m', base: '/d', lower: ['a'], tmpfsUpper: '1m', upper: 'u', work: 'w' } }), { message: /exclude each other/ });
});
