// spawn() on a pure cgroup v2 kernel: CLONE_INTO_CGROUP into a new group, and
// the namespaces and new root on the 6.1 kernel.
import './guest-only';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { spawn } from '../../lib/index';
import { makeBusyboxRootfs } from '../../support/rootfs';

t.test('spawn into a new v2 group, in a busybox root', async (t) => {
  const rootfs = makeBusyboxRootfs();
  const dirs: string[] = [];
  t.teardown(async () => {
    // A killed pid namespace empties its group a moment after its init is reaped.
    for (const d of dirs) {
      for (let i = 0; i < 200 && /populated 1/.test(fs.readFileSync(path.join(d, 'cgroup.events'), 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
      fs.rmdirSync(d);
    }
    rootfs.cleanup();
  });
  for (const legacyClone of [false, true]) {
    const dir = fs.mkdtempSync('/sys/fs/cgroup/bulkhead-spawn-');
    dirs.push(dir);
    const p = spawn('/bin/sh', ['-c', 'cat /proc/self/cgroup; echo $$; hostname; cat /etc/marker; sleep 30'], {
      rootfs: rootfs.dir, env: { PATH: '/bin' }, hostname: 'vm-box', cgroup: dir, legacyClone, reject: false,
    });
    let out = '';
    await new Promise<void>((r) => p.stdout?.on('data', (d: Buffer) => { out += d; if (out.includes('busybox-rootfs')) r(); }));
    const own = p.cgroup?.path as string;
    t.equal(path.dirname(own), dir, `${legacyClone ? 'clone' : 'clone3'}: a group of its own under the given one`);
    t.ok(fs.readFileSync(path.join(own, 'cgroup.procs'), 'utf8').trim().split('\n').includes(String(p.pid)), `${legacyClone ? 'clone' : 'clone3'}: started in it`);
    t.equal(out, `0::/\n1\nvm-box\nbusybox-rootfs\n`, 'its cgroup namespace is rooted at its group; pid 1; hostname; new root');
    p.kill('SIGKILL');
    const r = await p;
    t.equal(r.signal, 'SIGKILL');
  }
});

t.test('no fd the child held (the group directory of CLONE_INTO_CGROUP, the error pipe) leads out at execve', async (t) => {
  const rootfs = makeBusyboxRootfs();
  const group = fs.mkdtempSync('/sys/fs/cgroup/bulkhead-fds-');
  t.teardown(() => {
    fs.rmdirSync(group);
    rootfs.cleanup();
  });
  const hostBusybox = fs.realpathSync('/bin/busybox');
  const attempt = async (fd: number, opts: Parameters<typeof spawn>[2] = {}): Promise<string> => {
    try {
      const r = await spawn(`/proc/self/fd/${fd}${'/..'.repeat(12)}${hostBusybox}`, ['echo', 'escaped'], { rootfs: rootfs.dir, env: { PATH: '/bin' }, reject: false, ...opts });
      return (r.stdout ?? '').trim() || `exit ${r.exitCode}`;
    } catch (e) {
      return `${(e as { step?: string }).step} ${(e as { code?: string }).code}`;
    }
  };
  for (const legacyClone of [false, true]) {
    const seen = new Set<string>();
    for (let fd = 3; fd < 24; fd++) seen.add(await attempt(fd, { cgroup: group, legacyClone }));
    t.notOk(seen.has('escaped'), `${legacyClone ? 'clone' : 'clone3'}: fds 3-23 refused (${[...seen].join(', ')})`);
  }
  const fd = fs.openSync(group, 'r');
  t.teardown(() => fs.closeSync(fd));
  t.equal(await attempt(0, { stdio: [fd, 'pipe', 'pipe'] }), 'escaped', 'control: the group directory passed as stdin reaches the host');
});
