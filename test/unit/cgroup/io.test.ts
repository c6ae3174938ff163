// The one cgroupfs helper: every failure a CgroupError with op, path and data,
// tried on an ordinary directory (the errno paths are the same).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { chainTo } from '../../../lib/cgroup/enable';
import { CgroupError, childGroups, mkdirCg, readCg, readCgOptional, rmdirCg, writeCg } from '../../../lib/cgroup/io';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-cgio-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('read, optional read, write', async (t) => {
  const f = path.join(dir, 'memory.max');
  writeCg(f, '4096');
  t.equal(readCg(f), '4096');
  t.equal(readCgOptional(path.join(dir, 'memory.peak')), undefined, 'a file the kernel lacks is undefined');
  const err = t.throws(() => readCg(path.join(dir, 'nope'))) as CgroupError;
  t.type(err, CgroupError);
  t.match(err, { name: 'CgroupError', code: 'ENOENT', op: 'read', path: path.join(dir, 'nope') });
  t.equal(err.data, undefined);
});

t.test('a failed write names the file and the data', async (t) => {
  const f = path.join(dir, 'missing', 'cpu.max');
  const err = t.throws(() => writeCg(f, '50000 100000')) as CgroupError;
  t.match(err, { code: 'ENOENT', op: 'write', path: f, data: '50000 100000' });
  t.match(err.message, /^cgroup: write "50000 100000" to .*cpu\.max failed: ENOENT \(this kernel does not provide that file/);
});

t.test('mkdir, child groups, rmdir', async (t) => {
  const g = path.join(dir, 'g');
  mkdirCg(g);
  mkdirCg(path.join(g, 'a'));
  fs.writeFileSync(path.join(g, 'cgroup.procs'), '');
  t.same(childGroups(g), [path.join(g, 'a')], 'directories only');
  t.same(childGroups(path.join(dir, 'gone')), []);
  t.match(t.throws(() => mkdirCg(g)), { code: 'EEXIST', op: 'mkdir', path: g, message: /a group of that name already exists/ });
  t.match(t.throws(() => rmdirCg(g)), { code: 'ENOTEMPTY', op: 'rmdir', path: g });
  t.equal(rmdirCg(path.join(g, 'a')), true);
  t.equal(rmdirCg(path.join(g, 'a')), false, 'already gone is not an error');
});

t.test('chainTo: the groups from the mount point down', async (t) => {
  t.same(chainTo('/sys/fs/cgroup', '/sys/fs/cgroup'), ['/sys/fs/cgroup']);
  t.same(chainTo('/sys/fs/cgroup/unified', '/sys/fs/cgroup/unified/a/b'), ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/unified/a', '/sys/fs/cgroup/unified/a/b']);
  t.throws(() => chainTo('/sys/fs/cgroup/unified', '/sys/fs/cgroup/memory'), TypeError);
});
