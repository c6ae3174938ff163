import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { computeLayout, missingControllerReason } from '../../../lib/cgroup/layout';
import { parseMountinfo, parseProcCgroup } from '../../../lib/cgroup/mountinfo';

const FIX = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');

t.test('parseMountinfo reads fields and unescapes octal', async (t) => {
  const [m] = parseMountinfo('36 35 98:0 /a\\040b /mnt\\011x rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n');
  t.equal(m.id, 36);
  t.equal(m.parent, 35);
  t.equal(m.root, '/a b');
  t.equal(m.mountpoint, '/mnt\tx');
  t.same(m.options, ['rw', 'noatime']);
  t.equal(m.fstype, 'ext3');
  t.same(m.superOptions, ['rw', 'errors=continue']);
  t.throws(() => parseMountinfo('1 2 3:4 / /x rw ext4\n'), SyntaxError);
});

t.test('parseProcCgroup keeps v1 controller lists and the v2 entry', async (t) => {
  const e = parseProcCgroup(fixture('cgroup-hybrid.txt'));
  const v2 = e.find((x) => x.id === 0);
  t.ok(v2, 'has a 0:: line');
  t.same(v2?.controllers, []);
  t.ok(e.some((x) => x.controllers.includes('name=systemd')));
  t.same(parseProcCgroup('0::/a/b:c\n'), [{ id: 0, controllers: [], path: '/a/b:c' }], 'a colon in the path survives');
  t.throws(() => parseProcCgroup('garbage\n'), SyntaxError);
});

t.test('hybrid host: v2 at /sys/fs/cgroup/unified, limits bound to v1', async (t) => {
  const l = computeLayout(parseMountinfo(fixture('mountinfo-hybrid.txt')), parseProcCgroup(fixture('cgroup-hybrid.txt')));
  t.equal(l.mode, 'hybrid');
  t.equal(l.mountpoint, '/sys/fs/cgroup/unified');
  t.equal(l.v1Bound.memory, '/sys/fs/cgroup/memory');
  t.equal(l.v1Bound.io, '/sys/fs/cgroup/blkio', 'blkio is io');
  t.equal(l.currentPath, '/');
  t.match(missingControllerReason(l, 'memory'), /memory is bound to the cgroup v1 hierarchy at \/sys\/fs\/cgroup\/memory/);
});

t.test('unified (the UML guest): v2 at /sys/fs/cgroup', async (t) => {
  const l = computeLayout(parseMountinfo(fixture('mountinfo-unified.txt')), parseProcCgroup(fixture('cgroup-unified.txt')));
  t.equal(l.mode, 'unified');
  t.equal(l.mountpoint, '/sys/fs/cgroup');
  t.same(l.v1Bound, {});
  t.match(missingControllerReason(l, 'hugetlb'), /not listed in \/sys\/fs\/cgroup\/cgroup.controllers/);
});

t.test('legacy: no v2 mount, name=systemd alone does not make a hierarchy real', async (t) => {
  const l = computeLayout(parseMountinfo(fixture('mountinfo-legacy.txt')), parseProcCgroup('1:memory:/\n'));
  t.equal(l.mode, 'legacy');
  t.equal(l.mountpoint, null);
  t.equal(l.currentPath, null);
  t.equal(l.v1Bound.cpu, '/sys/fs/cgroup/cpu,cpuacct');
  t.match(missingControllerReason(l, 'pids'), /no cgroup v2 hierarchy is mounted/);
  const none = computeLayout(parseMountinfo('1 0 0:1 / / rw - ext4 /dev/sda rw\n'), []);
  t.equal(none.mode, 'none');
});

t.test('a v2 mount of a subtree (cgroup namespace) strips its root from the path', async (t) => {
  const mounts = parseMountinfo('17 15 0:15 /box /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
  const l = computeLayout(mounts, parseProcCgroup('0::/box/inner\n'));
  t.equal(l.currentPath, '/inner');
});
