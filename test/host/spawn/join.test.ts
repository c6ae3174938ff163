// spawn's join: a program entering a running container's namespaces and cgroup
// (docker exec's kernel side), by pid, pidfd or namespace fds; failures named by
// step with nothing left behind; the cloning thread back in its own pid namespace.
import * as fs from 'node:fs';
import t from 'tap';
import { IsolationError, spawn } from '../../../lib/index';
import { native } from '../../../lib/native/load';
import { withBusyboxRoot } from '../../helpers/tier';

withBusyboxRoot(main);

const NS = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'] as const;
const nsOf = (pid: number | 'self', n: string): string => fs.readlinkSync(`/proc/${pid}/ns/${n}`);
const cgroupLine = (pid: number): string => fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::')) ?? '';
const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
/** Children of this process that are zombies (any thread's children). */
function zombies(): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    for (const p of fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      try {
        if (/\) Z /.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'))) out.push(Number(p));
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

function main(rootfs: string) {
  /** A running container: hostname ctr, a file written in its /tmp, sleeping. */
  async function container(t: { teardown: (fn: () => unknown) => void }) {
    const c = spawn('sh', ['-c', 'echo from-container > /tmp/mark; exec sleep 60'], { rootfs, hostname: 'ctr', buffer: false, reject: false });
    t.teardown(async () => {
      c.kill('SIGKILL');
      await c;
    });
    // Running once its file is there.
    for (let i = 0; i < 200 && !fs.existsSync(`/proc/${c.pid}/root/tmp/mark`); i++) await new Promise((r) => setTimeout(r, 10));
    // Wrapped: the handle is a thenable, which an async function would await.
    return { c };
  }

  t.test('joined by pid: hostname, pid 1, mounts, every namespace and the cgroup are the container\'s', async (t) => {
    const { c } = await container(t);
    const r = await spawn('sh', ['-c', `hostname; cat /tmp/mark; ps -o pid,args | awk '$1==1'; for n in ${NS.join(' ')}; do readlink /proc/self/ns/$n; done; grep '^0::' /proc/self/cgroup`], { join: { pid: c.pid! } });
    const lines = (r.stdout ?? '').split('\n');
    t.equal(lines[0], 'ctr');
    t.equal(lines[1], 'from-container', 'a file the container wrote is visible');
    t.match(lines[2], /^\s*1\s+sleep 60/, 'pid 1 is the container\'s program');
    t.same(lines.slice(3, 3 + NS.length), NS.map((n) => nsOf(c.pid!, n)), 'the same namespaces as the container');
    t.equal(lines[3 + NS.length], '0::/', 'in the container\'s cgroup namespace, at its root');
  });

  t.test('the host sees it in the container\'s cgroup; killing the container\'s init kills it', async (t) => {
    const { c } = await container(t);
    const e = spawn('sleep', ['100'], { join: { pid: c.pid! }, reject: false });
    // In every namespace and the group once it runs sleep (the joins come before execve).
    const comm = () => { try { return fs.readFileSync(`/proc/${e.pid}/comm`, 'utf8').trim(); } catch { return ''; } };
    for (let i = 0; i < 500 && comm() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 20));
    t.equal(cgroupLine(e.pid!), cgroupLine(c.pid!), 'same v2 group as the container');
    c.kill('SIGKILL');
    const res = await e;
    t.equal(res.signal, 'SIGKILL', 'the kernel kills the rest of a pid namespace when its init dies (pid_namespaces(7))');
  });

  t.test('joined by namespace fds (as an OCI runtime passes linux.namespaces[].path)', async (t) => {
    const { c } = await container(t);
    const fds = NS.map((n) => ({ fd: fs.openSync(`/proc/${c.pid}/ns/${n}`, 'r'), type: n }));
    t.teardown(() => fds.forEach((f) => fs.closeSync(f.fd)));
    const r = await spawn('sh', ['-c', `hostname; echo $$; for n in ${NS.join(' ')}; do readlink /proc/self/ns/$n; done`], { join: { fds } });
    const lines = (r.stdout ?? '').split('\n');
    t.equal(lines[0], 'ctr');
    t.not(lines[1], '1', 'a pid of the container\'s namespace, not its init');
    t.same(lines.slice(2, 2 + NS.length), NS.map((n) => nsOf(c.pid!, n)));
  });

  t.test('a tty from the container\'s devpts; stdin piped', async (t) => {
    const { c } = await container(t);
    const tty = await spawn('tty', [], { join: { pid: c.pid! }, tty: true });
    t.match(tty.stdout, /^\/dev\/pts\/\d+\r?\n?$/);
    const cat = await spawn('cat', [], { join: { pid: c.pid! }, input: 'piped in\n' });
    t.equal(cat.stdout?.trim(), 'piped in');
  });

  t.test('capabilities, seccomp and uid as asked: the defaults, all with capAdd ALL and no seccomp, another user', async (t) => {
    const { c } = await container(t);
    const status = (s: string, k: string) => new RegExp(`^${k}:\\s*(\\S+)$`, 'm').exec(s)?.[1];
    const host = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
    const plain = (await spawn('cat', ['/proc/self/status'], { join: { pid: c.pid! } })).stdout ?? '';
    t.equal(status(plain, 'CapEff'), status(host, 'CapEff'), 'CapEff as the container\'s');
    t.equal(status(plain, 'Seccomp'), '2', 'a seccomp filter in force');
    t.equal(status(plain, 'NoNewPrivs'), '1');
    const priv = (await spawn('cat', ['/proc/self/status'], { join: { pid: c.pid! }, capAdd: ['ALL'], seccomp: false })).stdout ?? '';
    t.equal(status(priv, 'Seccomp'), '0', 'no filter when asked');
    t.equal(BigInt(`0x${status(priv, 'CapEff')}`), BigInt(`0x${status(fs.readFileSync('/proc/self/status', 'utf8'), 'CapBnd')}`), 'every capability this process can give');
    const user = await spawn('id', [], { join: { pid: c.pid! }, uid: 1000, gid: 1000 });
    t.match(user.stdout, /^uid=1000 gid=1000/);
    // Docker's profile refuses unshare(CLONE_NEWUSER) without CAP_SYS_ADMIN (EPERM);
    // the control, without a filter, shows the same call works for this user.
    const refused = await spawn('unshare', ['-U', 'true'], { join: { pid: c.pid! }, reject: false, uid: 1000, gid: 1000 });
    t.not(refused.exitCode, 0, 'refused under the filter');
    t.match(refused.stderr, /Operation not permitted/);
    const control = await spawn('unshare', ['-U', 'true'], { join: { pid: c.pid! }, reject: false, uid: 1000, gid: 1000, seccomp: false });
    t.equal(control.exitCode, 0, `control: allowed without the filter (${control.stderr})`);
  });

  t.test('a failing join is an IsolationError naming the step, and leaves no fd or zombie', async (t) => {
    await container(t);
    const before = fdCount();
    // An fd number that is not open (a closed one could be reused by node meanwhile).
    let closed = 900;
    while (fs.existsSync(`/proc/self/fd/${closed}`)) closed++;
    const e1 = await spawn('true', [], { join: { fds: [{ fd: closed, type: 'net' }] } }).catch((e: unknown) => e);
    t.type(e1, IsolationError);
    t.match(e1, { step: 'join', code: 'EBADF', path: `net namespace (fd ${closed})` });
    const e2 = await spawn('true', [], { join: { fds: [{ fd: closed, type: 'pid' }] } }).catch((e: unknown) => e);
    t.match(e2, { step: 'join_pid', code: 'EBADF' });
    // A pidfd of a process that has exited and been reaped.
    const dead = spawn('true', [], { namespaces: { net: false }, reject: false });
    const pidfd = native().pidfdOpen(dead.pid!);
    await dead;
    const e3 = await spawn('true', [], { join: { pidfd } }).catch((e: unknown) => e);
    fs.closeSync(pidfd);
    t.type(e3, IsolationError);
    t.match(e3, { step: 'join', code: 'ESRCH' });
    const e4 = await spawn('true', [], { join: { pid: 0x3ffffff0 } }).catch((e: unknown) => e);
    t.match(e4, { step: 'join', code: 'ESRCH' });
    t.equal(fdCount(), before, 'no fd left open');
    t.same(zombies(), [], 'no zombie left');
  });

  t.test('the cloning thread goes back to its own pid namespace', async (t) => {
    const { c } = await container(t);
    const own = nsOf('self', 'pid');
    await spawn('true', [], { join: { pid: c.pid! } });
    await spawn('true', [], { join: { pid: c.pid! } });
    t.equal(nsOf('self', 'pid'), own, 'this process\'s pid namespace unchanged');
    for (const tid of fs.readdirSync('/proc/self/task')) {
      t.equal(fs.readlinkSync(`/proc/self/task/${tid}/ns/pid_for_children`), own, `thread ${tid}: children in this process's namespace`);
    }
    const plain = await spawn('sh', ['-c', 'echo $$; readlink /proc/self/ns/pid'], { namespaces: { net: false } });
    const [pid1, ns] = (plain.stdout ?? '').split('\n');
    t.equal(pid1, '1', 'a plain spawn after an exec is pid 1 of a new namespace');
    t.not(ns, nsOf(c.pid!, 'pid'));
    t.not(ns, own);
  });

  t.test('a container with a user namespace: the exec enters it first, then the others it owns', async (t) => {
    const map = [{ containerId: 0, hostId: 100000, size: 65536 }];
    const c = spawn('sleep', ['60'], { rootfs, namespaces: { user: true }, uidMappings: map, gidMappings: map, buffer: false, reject: false });
    t.teardown(async () => {
      c.kill('SIGKILL');
      await c;
    });
    for (let i = 0; i < 200 && !fs.existsSync(`/proc/${c.pid}/ns/user`); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    const r = await spawn('sh', ['-c', 'id -u; cat /proc/self/uid_map; for n in user mnt pid; do readlink /proc/self/ns/$n; done'], { join: { pid: c.pid! } });
    const lines = (r.stdout ?? '').split('\n');
    t.equal(lines[0], '0', 'root of the container');
    t.match(lines[1], /^\s*0\s+100000\s+65536$/, 'the container\'s id map');
    t.same(lines.slice(2, 5), ['user', 'mnt', 'pid'].map((n) => nsOf(c.pid!, n)));
  });

  t.test('a frozen group is refused, not waited on forever', async (t) => {
    const { c } = await container(t);
    const group = c.cgroup?.path;
    if (!group || !fs.existsSync(`${group}/cgroup.freeze`)) return t.pass('no cgroup v2 freezer here: nothing to freeze');
    fs.writeFileSync(`${group}/cgroup.freeze`, '1');
    t.teardown(() => fs.writeFileSync(`${group}/cgroup.freeze`, '0'));
    const err = await spawn('true', [], { join: { pid: c.pid! } }).catch((e: unknown) => e);
    t.type(err, IsolationError);
    t.match(err, { step: 'cgroup', code: 'EBUSY', path: group });
  });

  t.test('options that describe a new container are refused with join', async (t) => {
    const { c } = await container(t);
    t.throws(() => spawn('true', [], { join: { pid: c.pid! }, rootfs }), { name: 'RangeError', option: 'rootfs' });
    t.throws(() => spawn('true', [], { join: { pid: c.pid! }, hostname: 'x' }), { name: 'RangeError', option: 'hostname' });
    t.throws(() => spawn('true', [], { join: { pid: c.pid! }, namespaces: { net: false } }), { name: 'RangeError', option: 'namespaces' });
    t.throws(() => spawn('true', [], { join: {} }), { name: 'RangeError', option: 'join' });
    t.throws(() => spawn('true', [], { join: { pid: 1, pidfd: 3 } }), { name: 'RangeError', option: 'join' });
    t.throws(() => spawn('true', [], { join: { pid: c.pid!, namespaces: ['mount' as 'mnt'] } }), { name: 'RangeError', option: 'join.namespaces[0]' });
    t.throws(() => spawn('true', [], { join: { pid: c.pid!, namespaces: ['net'] }, tty: true }), { name: 'RangeError', option: 'tty' });
    t.throws(() => spawn('true', [], { join: { pid: c.pid!, bogus: 1 } as never }), { name: 'TypeError', option: 'join.bogus' });
  });
}
