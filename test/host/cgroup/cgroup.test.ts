// Cgroup on this host's real kernel. On the project's hybrid hosts the v2
// hierarchy (/sys/fs/cgroup/unified) has no limit controllers: discovery, the
// errors for missing controllers, create, freeze, kill, destroy, events and
// PSI are what can be proven here; limits are proven in the vm tier.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { Cgroup } from '../../../lib/cgroup/cgroup';
import { discoverCgroup } from '../../../lib/cgroup/discover';
import { ControllerUnavailableError } from '../../../lib/cgroup/enable';
import { CgroupError } from '../../../lib/cgroup/io';
import { needRoot } from '../../helpers/tier';

const PREFIX = `bulkhead-test-cg-${process.pid}-`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (needRoot()) {
  const host = discoverCgroup();
  const mp = host.mountpoint as string;
  const groups: Cgroup[] = [];
  const children: ChildProcess[] = [];
  const made = (cg: Cgroup) => (groups.push(cg), cg);

  /** A shell script started in cg: it waits on stdin until it has been moved in, so its children are born there. */
  const spawnIn = (cg: Cgroup, script: string): ChildProcess => {
    const child = spawn('sh', ['-c', `read _; ${script}`], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    cg.addProcess(child.pid as number);
    child.stdin?.end('go\n');
    return child;
  };
  const exited = (child: ChildProcess) =>
    new Promise<NodeJS.Signals | number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode ?? child.exitCode);
      else child.once('exit', (code, signal) => resolve(signal ?? code));
    });

  const rootSubtree = mp ? fs.readFileSync(path.join(mp, 'cgroup.subtree_control'), 'utf8').trim() : '';
  t.teardown(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const cg of groups.reverse()) await cg.destroy().catch(() => undefined);
    // Whatever a failed assertion left behind, by this run's prefix, deepest first.
    const rm = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(dir, e.name));
      fs.rmdirSync(dir);
    };
    for (const e of fs.readdirSync(mp)) if (e.startsWith(PREFIX)) rm(path.join(mp, e));
    // hugetlb enabled at the root by the test below goes back to how it was.
    const now = fs.readFileSync(path.join(mp, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const c of now) if (!rootSubtree.split(/\s+/).includes(c)) fs.writeFileSync(path.join(mp, 'cgroup.subtree_control'), `-${c}`);
  });

  t.test('discovery: the v2 mount point and the current cgroup', async (t) => {
    t.ok(mp, 'a v2 hierarchy is mounted');
    const own = fs.readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m)?.[1] as string;
    t.equal(host.currentPath, own);
    t.equal(host.currentDir, own === '/' ? mp : path.join(mp, own));
    if (host.mode === 'hybrid') t.equal(mp, '/sys/fs/cgroup/unified');
    const cg = made(Cgroup.create(`${PREFIX}where`));
    t.equal(path.dirname(cg.path), host.currentDir, 'created under the current cgroup by default');
    t.ok(fs.statSync(cg.path).isDirectory());
    await cg.destroy();
  });

  t.test('limits whose controller v1 holds fail naming the controller, the v1 mount and where Bulkhead looked', { skip: host.mode !== 'hybrid' && 'host is not hybrid' }, async (t) => {
    const cases = [
      ['memory', { memory: { max: '64m' } }],
      ['cpu', { cpu: { max: 0.5 } }],
      ['pids', { pids: { max: 10 } }],
      ['io', { io: { weight: 100 } }],
    ] as const;
    for (const [c, limits] of cases) {
      if (host.controllers.includes(c)) continue;
      const name = `${PREFIX}${c}`;
      const err = t.throws(() => Cgroup.create(name, limits)) as ControllerUnavailableError;
      t.type(err, ControllerUnavailableError);
      t.type(err, CgroupError, 'a CgroupError, like every cgroupfs failure');
      t.equal(err.controller, c);
      t.equal(err.message, `cgroup: cannot set ${c} limits: ${c} is bound to the cgroup v1 hierarchy at ${host.v1Bound[c]} on this host, so the v2 hierarchy at ${mp} cannot offer it (Bulkhead looked in ${mp}/cgroup.controllers)`);
      t.notOk(fs.existsSync(path.join(mp, name)), `nothing created for ${c}`);
    }
    t.equal(host.v1Bound.memory, '/sys/fs/cgroup/memory');
    // Validation comes before discovery: a bad value is a RangeError even here.
    t.throws(() => Cgroup.create(`${PREFIX}bad`, { memory: { max: '64q' } }), new RangeError('memory.max: expected bytes like 64m, 1.5g or "max", got "64q"'));
    t.throws(() => Cgroup.create(`${PREFIX}bad`, { cpu: { max: 0 } }), { name: 'RangeError', message: /^cpu\.max: / });
    t.throws(() => Cgroup.create('a/b'), TypeError);
    t.notOk(fs.existsSync(path.join(mp, `${PREFIX}bad`)));
  });

  t.test('unified: raw interface files are written last; one the kernel lacks fails by path and leaves no group', async (t) => {
    const cg = made(Cgroup.create(`${PREFIX}unified`, { unified: { 'cgroup.max.descendants': '2', 'cgroup.max.depth': '1' } }));
    t.equal(fs.readFileSync(path.join(cg.path, 'cgroup.max.descendants'), 'utf8').trim(), '2');
    t.equal(fs.readFileSync(path.join(cg.path, 'cgroup.max.depth'), 'utf8').trim(), '1');
    // The limit holds: a third level is refused by the kernel (cgroup-v2.rst, cgroup.max.depth).
    fs.mkdirSync(path.join(cg.path, 'a'));
    t.throws(() => fs.mkdirSync(path.join(cg.path, 'a', 'b')), { code: 'EAGAIN' });
    fs.rmdirSync(path.join(cg.path, 'a'));
    cg.set({ unified: { 'cgroup.max.depth': 'max' } });
    t.equal(fs.readFileSync(path.join(cg.path, 'cgroup.max.depth'), 'utf8').trim(), 'max', 'set() writes them live');
    const err = t.throws(() => Cgroup.create(`${PREFIX}unified-bad`, { unified: { 'cgroup.max.depth': 'lots' } })) as CgroupError;
    t.type(err, CgroupError);
    t.match(err.message, /cgroup\.max\.depth/);
    t.notOk(fs.existsSync(path.join(mp, `${PREFIX}unified-bad`)), 'the failed group is gone');
  });

  t.test('a process in a group: procs, stats with PSI, populated and empty events', async (t) => {
    const cg = made(Cgroup.create(`${PREFIX}stats`));
    const w = cg.watch();
    const seen: string[] = [];
    for (const ev of ['populated', 'empty'] as const) w.on(ev, () => seen.push(ev));
    const emptied = new Promise<void>((r) => w.once('empty', () => r()));
    const child = spawnIn(cg, 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done');
    t.same(cg.procs(), [child.pid]);
    t.equal(cg.populated(), true);
    await exited(child);
    await emptied;
    t.same(seen, ['populated', 'empty']);
    w.close();
    const s = cg.stats();
    t.ok((s.cpu?.usageUsec ?? 0) > 0, `cpu.stat usage_usec ${s.cpu?.usageUsec}`);
    t.equal(s.memory, undefined, 'no memory controller in v2 here: left out, not failed');
    const psi = fs.existsSync(path.join(cg.path, 'cpu.pressure'));
    if (psi) {
      for (const r of ['cpu', 'memory', 'io'] as const) {
        const p = s.pressure?.[r];
        t.ok(p, `${r}.pressure read`);
        t.type(p?.some.avg10, 'number');
        t.type(p?.some.total, 'number');
      }
      const raw = fs.readFileSync(path.join(cg.path, 'cpu.pressure'), 'utf8');
      t.equal(s.pressure?.cpu?.some.total !== undefined && raw.startsWith('some avg10='), true);
    } else {
      t.equal(s.pressure, undefined, 'kernel without PSI');
    }
  });

  const psi = fs.existsSync(path.join(mp, 'cpu.pressure'));
  t.test('a PSI trigger fires when processes of the group stall on the CPU', { skip: psi ? false : 'this kernel has no PSI (CONFIG_PSI off or psi=0)' }, async (t) => {
    const cg = made(Cgroup.create(`${PREFIX}psi`));
    t.throws(() => cg.pressure({ resource: 'cpu', stallUs: 10, windowUs: 100 }), { name: 'RangeError', message: /pressure.windowUs: expected microseconds from 500000 to 10000000, got 100/ });
    // A 2 s window is taken from any caller; shorter ones only with CAP_SYS_RESOURCE in the initial user namespace.
    const watch = cg.pressure({ resource: 'cpu', kind: 'some', stallUs: 50_000, windowUs: 2_000_000 });
    const fired = new Promise<unknown>((r) => watch.once('pressure', r));
    // Twice as many busy loops as CPUs: each waits for a CPU about half the time.
    const loops = Math.max(2, (await import('node:os')).cpus().length * 2);
    const busy = Array.from({ length: loops }, () => spawnIn(cg, 'while :; do :; done'));
    const ev = await Promise.race([fired, sleep(20_000).then(() => 'no event within 20 s')]);
    t.same(ev, { resource: 'cpu', kind: 'some', stallUs: 50_000, windowUs: 2_000_000 }, 'the trigger fired');
    watch.close();
    for (const c of busy) c.kill('SIGKILL');
    await Promise.all(busy.map(exited));
    // The control: the same trigger on a group whose only process sleeps.
    const calm = made(Cgroup.create(`${PREFIX}psi-calm`));
    const sleeper = spawnIn(calm, 'sleep 5');
    const idle = calm.pressure({ resource: 'cpu', stallUs: 50_000, windowUs: 2_000_000 });
    let idleFired = false;
    idle.on('pressure', () => (idleFired = true));
    await sleep(2500);
    idle.close();
    sleeper.kill('SIGKILL');
    t.equal(idleFired, false, 'a group that does not stall does not fire');
  });

  t.test('freeze stops progress, thaw resumes it, and the watcher says so', async (t) => {
    const cg = made(Cgroup.create(`${PREFIX}freeze`));
    const w = cg.watch();
    const seen: string[] = [];
    w.on('frozen', () => seen.push('frozen'));
    w.on('thawed', () => seen.push('thawed'));
    spawnIn(cg, 'while :; do :; done');
    await sleep(100);
    await cg.freeze();
    t.match(fs.readFileSync(path.join(cg.path, 'cgroup.events'), 'utf8'), /^frozen 1$/m, 'resolved once the kernel says frozen 1');
    const a = cg.stats().cpu?.usageUsec ?? 0;
    await sleep(300);
    const b = cg.stats().cpu?.usageUsec ?? 0;
    t.ok(b - a < 5_000, `frozen: ${b - a} us of CPU in 300 ms`);
    await cg.thaw();
    await sleep(300);
    const c = cg.stats().cpu?.usageUsec ?? 0;
    t.ok(c - b > 100_000, `thawed: ${c - b} us of CPU in 300 ms`);
    await sleep(50);
    t.same(seen, ['frozen', 'thawed']);
    w.close();
    await cg.kill();
  });

  t.test('kill ends a tree of processes, with cgroup.kill and by signals', async (t) => {
    for (const method of ['cgroup.kill', 'signal'] as const) {
      const cg = made(Cgroup.create(`${PREFIX}kill-${method}`));
      const sub = made(Cgroup.create('sub', undefined, { parent: cg.path }));
      const top = spawnIn(cg, 'sleep 100 & sleep 100 & (sleep 100 & sleep 100 & wait) & wait');
      const deep = spawnIn(sub, 'sleep 100 & wait');
      await sleep(200);
      t.ok(cg.procs().length >= 5, `${method}: ${cg.procs().length} processes in the group`);
      await cg.kill({ method });
      t.same(cg.procs(), [], `${method}: none left`);
      t.same(sub.procs(), [], `${method}: none left in the child group`);
      t.equal(cg.populated(), false);
      t.equal(await exited(top), 'SIGKILL');
      t.equal(await exited(deep), 'SIGKILL');
      await cg.destroy();
      t.notOk(fs.existsSync(cg.path));
    }
  });

  t.test('destroy kills, removes child groups deepest first, and is idempotent', async (t) => {
    const cg = made(Cgroup.create(`${PREFIX}destroy`));
    const a = Cgroup.create('a', undefined, { parent: cg.path });
    const b = Cgroup.create('b', undefined, { parent: a.path });
    const child = spawnIn(b, 'sleep 100');
    const w = cg.watch();
    const closed = new Promise<void>((r) => w.once('close', () => r()));
    await cg.destroy();
    t.notOk(fs.existsSync(cg.path), 'no directory left');
    t.equal(await exited(child), 'SIGKILL');
    await closed;
    t.pass('the watcher closes when its group goes');
    await cg.destroy();
    await b.destroy();
    t.pass('destroy again resolves');
    t.throws(() => cg.procs(), { name: 'CgroupError', code: 'ENOENT', op: 'read', path: path.join(cg.path, 'cgroup.procs') });
  });

  t.test('errors carry op, path and data', async (t) => {
    const cg = made(Cgroup.create(`${PREFIX}errors`));
    t.throws(() => Cgroup.create(`${PREFIX}errors`), { name: 'CgroupError', code: 'EEXIST', op: 'mkdir', path: cg.path });
    t.throws(() => cg.addProcess(2 ** 22 + 1), { name: 'CgroupError', code: 'ESRCH', op: 'write', path: path.join(cg.path, 'cgroup.procs'), data: String(2 ** 22 + 1) });
    t.throws(() => cg.addProcess(-1), RangeError);
    t.throws(() => Cgroup.create('x', undefined, { parent: '/tmp' }), { name: 'TypeError', message: /not inside the cgroup v2 hierarchy/ });
    t.throws(() => Cgroup.create('x', undefined, { parent: path.join(mp, `${PREFIX}nope`) }), { name: 'CgroupError', code: 'ENOENT' });
  });

  // The only limit controller this host's v2 root offers; enabling it proves the
  // walk down cgroup.subtree_control and the no-internal-processes explanation.
  const huge = host.controllers.includes('hugetlb') && fs.existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB');
  t.test('hugetlb: enabled along the path, set() live, refused under a parent with processes', { skip: !huge && 'no v2 hugetlb with 2MB pages here' }, async (t) => {
    const parent = made(Cgroup.create(`${PREFIX}huge`));
    const cg = made(Cgroup.create('leaf', { hugetlb: { '2MB': '4m' } }, { parent: parent.path }));
    t.match(fs.readFileSync(path.join(mp, 'cgroup.subtree_control'), 'utf8'), /\bhugetlb\b/, 'enabled at the root');
    t.match(fs.readFileSync(path.join(parent.path, 'cgroup.subtree_control'), 'utf8'), /\bhugetlb\b/, 'and in the parent');
    t.equal(fs.readFileSync(path.join(cg.path, 'hugetlb.2MB.max'), 'utf8').trim(), String(4 * 1024 * 1024));
    cg.set({ hugetlb: { '2MB': '8m' } });
    t.equal(fs.readFileSync(path.join(cg.path, 'hugetlb.2MB.max'), 'utf8').trim(), String(8 * 1024 * 1024), 'set() on the live group');

    const busy = made(Cgroup.create(`${PREFIX}busy`));
    spawnIn(busy, 'sleep 100');
    const err = t.throws(() => Cgroup.create('leaf', { hugetlb: { '2MB': '4m' } }, { parent: busy.path })) as CgroupError;
    t.match(err.message, /cannot enable hugetlb for the children of .*busy: it has processes of its own \([\d, ]+\), and cgroup v2's no-internal-processes rule/);
    t.equal(err.code, 'EBUSY');
    t.equal(err.path, path.join(busy.path, 'cgroup.subtree_control'));
    t.notOk(fs.existsSync(path.join(busy.path, 'leaf')), 'nothing created');
    const plain = Cgroup.create('plain', undefined, { parent: busy.path });
    t.ok(fs.existsSync(plain.path), 'a group without limits is fine there');
    await busy.destroy();
  });

  t.test('a failure after mkdir removes the directory', { skip: !huge && 'no v2 hugetlb with 2MB pages here' }, async (t) => {
    const name = `${PREFIX}rollback`;
    // A page size the kernel lacks: the write fails after mkdir (the file does not exist).
    const err = t.throws(() => Cgroup.create(name, { hugetlb: { '2MB': '4m', '3MB': '6m' } })) as CgroupError;
    t.equal(err.code, 'ENOENT');
    t.equal(err.op, 'write');
    t.equal(err.path, path.join(mp, name, 'hugetlb.3MB.max'));
    t.equal(err.data, String(6 * 1024 * 1024));
    t.match(err.message, /does not provide that file/);
    t.notOk(fs.existsSync(path.join(mp, name)), 'no directory left');
  });

  t.test('100 groups created and destroyed leave nothing', async (t) => {
    const all: Cgroup[] = [];
    for (let i = 0; i < 100; i++) all.push(Cgroup.create(`${PREFIX}many-${i}`));
    await Promise.all(all.map((g) => g.destroy()));
    t.same(fs.readdirSync(mp).filter((e) => e.startsWith(`${PREFIX}many-`)), [], 'none left');
  });
}
