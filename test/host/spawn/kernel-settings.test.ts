// The program's kernel settings that spawn() applies in the child: umask,
// oom_score_adj, namespaced sysctls, a bind mount's nosuid/nodev/noexec, and
// mount propagation between host and container. Each against the real kernel,
// with the host checked unchanged and an attack next to its control.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { IsolationError, spawn } from '../../../lib/index';
import { withBusyboxRoot } from '../../helpers/tier';

const mountinfo = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' }).toString();

withBusyboxRoot(main);

function main(rootDir: string) {
  const base = { rootfs: rootDir, env: { PATH: '/bin' }, reject: false } as const;
  const out = async (script: string, opts: Parameters<typeof spawn>[2] = {}) => {
    const r = await spawn('/bin/sh', ['-c', script], { ...base, ...opts });
    return { stdout: r.stdout as string, stderr: r.stderr as string, exitCode: r.exitCode };
  };

  t.test('umask: the program starts with the one given, files get modes by it', async (t) => {
    const r = await out('umask; mkdir /tmp/d; touch /tmp/f; stat -c %a /tmp/d /tmp/f', { umask: 0o027 });
    t.same(r.stdout.trim().split('\n'), ['0027', '750', '640']);
    const keep = await out('umask');
    const mine = process.umask();
    t.equal(keep.stdout.trim(), mine.toString(8).padStart(4, '0'), 'no umask given: the spawning process\'s');
  });

  t.test('argv0: the program sees it as argv[0]; the file is found from the command', async (t) => {
    // busybox picks the applet from argv[0]: "-sh" is a login shell's name for sh.
    // The shell is still running when tr reads its cmdline (tr is not the last command).
    const r = await spawn('/bin/sh', ['-c', 'echo "$0"; tr "\\0" " " < /proc/$$/cmdline; echo'], { ...base, argv0: '-sh' });
    t.equal(r.stdout, '-sh\n-sh -c echo "$0"; tr "\\0" " " < /proc/$$/cmdline; echo \n');
    t.throws(() => spawn('/bin/true', [], { ...base, argv0: 'x', init: true }), /argv0 cannot be combined with init/);
  });

  t.test('oomScoreAdj: the program and its children have it, this process keeps its own', async (t) => {
    const own = fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
    const r = await out('cat /proc/self/oom_score_adj; sh -c "cat /proc/self/oom_score_adj"', { oomScoreAdj: 777 });
    t.same(r.stdout.trim().split('\n'), ['777', '777']);
    // Below this process's own takes CAP_SYS_RESOURCE (proc(5)), which some
    // supervisors keep out of the bounding set: then the start fails, by name.
    const capEff = BigInt('0x' + (/^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'));
    const low = await spawn('/bin/cat', ['/proc/self/oom_score_adj'], { ...base, oomScoreAdj: -400 }).catch((e: unknown) => e);
    if ((capEff >> 24n) & 1n) t.equal((low as { stdout: string }).stdout.trim(), '-400', 'lowering works with CAP_SYS_RESOURCE');
    else t.match(low, { name: 'IsolationError', step: 'write', path: '/proc/self/oom_score_adj', code: 'EACCES' }, 'without CAP_SYS_RESOURCE lowering is refused by the kernel, by name');
    t.equal(fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim(), own);
  });

  t.test('sysctls: set in the container\'s own namespaces, the host\'s untouched', async (t) => {
    const hostFwd = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const hostShm = fs.readFileSync('/proc/sys/kernel/shmmni', 'utf8');
    const hostMq = fs.readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8');
    const r = await out('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni /proc/sys/fs/mqueue/msg_max /proc/sys/net/ipv4/conf/lo/forwarding', {
      sysctls: { 'net.ipv4.ip_forward': 1, 'kernel.shmmni': '1234', 'fs.mqueue.msg_max': '20', 'net/ipv4/conf/lo/forwarding': '1' },
    });
    t.same(r.stdout.trim().split('\n'), ['1', '1234', '20', '1'], 'dotted and slashed names both land');
    t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostFwd, 'host ip_forward unchanged');
    t.equal(fs.readFileSync('/proc/sys/kernel/shmmni', 'utf8'), hostShm, 'host shmmni unchanged');
    t.equal(fs.readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8'), hostMq, 'host mqueue msg_max unchanged');
  });

  t.test('domainname: the UTS namespace\'s own, the host\'s untouched', async (t) => {
    const host = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8');
    const r = await out('cat /proc/sys/kernel/domainname; hostname', { domainname: 'corp.example', hostname: 'box' });
    t.equal(r.stdout, 'corp.example\nbox\n');
    t.equal(fs.readFileSync('/proc/sys/kernel/domainname', 'utf8'), host);
    t.throws(() => spawn('/bin/true', [], { ...base, domainname: 'x', namespaces: { uts: false } }), /domainname needs namespaces\.uts/);
    t.throws(() => spawn('/bin/true', [], { ...base, domainname: 'a b' }), /domainname must be 1 to 64/);
  });

  t.test('sysctls: what would change the host is refused before anything runs', async (t) => {
    // The attack is a container setting a global parameter for everyone; the
    // control is the test above: the same write path is live and lands inside.
    const pidMax = fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8');
    const refused: Array<[Parameters<typeof spawn>[2], RegExp]> = [
      [{ sysctls: { 'kernel.pid_max': '4194303' } }, /sysctls\.kernel\.pid_max is not namespaced/],
      [{ sysctls: { 'vm.overcommit_memory': '1' } }, /sysctls\.vm\.overcommit_memory is not namespaced/],
      [{ sysctls: { 'net.ipv4.ip_forward': '1' }, namespaces: { net: false } }, /needs namespaces\.net/],
      [{ sysctls: { 'kernel.shmmax': '1' }, namespaces: { ipc: false } }, /needs namespaces\.ipc/],
      [{ sysctls: { 'kernel.hostname': 'x' }, namespaces: { uts: false } }, /needs namespaces\.uts/],
      [{ sysctls: { 'net/ipv4/../../kernel/pid_max': '1' } }, /is not a sysctl name/],
      [{ sysctls: { 'kernel.hostname': 'x' }, hostname: 'y' }, /conflicts with the hostname option/],
    ];
    for (const [opts, re] of refused) {
      t.throws(() => spawn('/bin/true', [], { ...base, ...opts }), re);
    }
    t.equal(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'), pidMax);
  });

  t.test('sysctls: one the kernel lacks fails the start as an IsolationError naming its file', async (t) => {
    const err = await spawn('/bin/true', [], { ...base, sysctls: { 'net.ipv4.no_such_knob': '1' } }).catch((e: unknown) => e);
    t.type(err, IsolationError);
    t.match(err, { step: 'write', path: '/proc/sys/net/ipv4/no_such_knob', code: 'ENOENT' });
  });

  t.test('bind mounts: noexec, nodev and nosuid hold; without them the same attacks work', async (t) => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-flags-'));
    t.teardown(() => fs.rmSync(src, { recursive: true, force: true }));
    fs.writeFileSync(path.join(src, 'prog'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    // A device node planted in the source: /dev/null's numbers (1:3), which the
    // default device policy allows, so only the mount flag can refuse it.
    sh('mknod', '-m', '666', path.join(src, 'null'), 'c', '1', '3');
    const attack = 'mnt=$(grep " /data " /proc/self/mountinfo | cut -d" " -f6); echo "opts=$mnt"; /data/prog 2>&1; echo x 2>&1 > /data/null && echo dev-open';
    const on = await out(attack, { mounts: [{ type: 'bind', source: src, target: '/data', noexec: true, nodev: true, nosuid: true }] });
    t.match(on.stdout, /opts=\S*nosuid,nodev,noexec/, 'mountinfo shows all three');
    t.notMatch(on.stdout, /^ran$/m, 'noexec: the script does not run');
    t.match(on.stdout, /Permission denied/);
    t.notMatch(on.stdout, /dev-open/, 'nodev: the planted node opens nothing');
    const off = await out(attack, { mounts: [{ type: 'bind', source: src, target: '/data' }] });
    t.match(off.stdout, /^ran$/m, 'control: without noexec it runs');
    t.match(off.stdout, /dev-open/, 'control: without nodev the node opens');
    t.notMatch(off.stdout, /opts=\S*nosuid/, 'control: no nosuid without the option');
  });

  t.test('propagation: private by default; rslave lets host mounts in; rshared both ways; the host keeps its mounts', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-prop-'));
    // A shared mount of the host's, as Kubernetes makes for a volume with mount propagation.
    sh('mount', '--bind', dir, dir);
    sh('mount', '--make-shared', dir);
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.mkdirSync(path.join(dir, 'in'));
    t.teardown(() => {
      for (const p of [path.join(dir, 'sub'), path.join(dir, 'in'), dir]) {
        while (mountinfo().includes(` ${p} `)) sh('umount', p);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const before = mountinfo();
    // "ready" says the container's mounts are in place: a host mount made before
    // that would be copied into its tree whatever the propagation.
    const script = 'touch /data/ready; for i in $(seq 100); do [ -e /data/sub/marker ] && { echo seen; break; }; sleep 0.05; done; mount -t tmpfs none /data/in && echo mounted';
    const cases = [
      { name: 'default (private)', opts: {}, seen: false, back: false },
      { name: 'rslave', opts: { rootPropagation: 'rslave' as const, propagation: 'rslave' as const }, seen: true, back: false },
      { name: 'rshared', opts: { rootPropagation: 'rshared' as const, propagation: 'rshared' as const }, seen: true, back: true },
    ];
    for (const c of cases) {
      const { propagation, ...root } = c.opts as { rootPropagation?: 'rslave' | 'rshared'; propagation?: 'rslave' | 'rshared' };
      const p = spawn('/bin/sh', ['-c', script], {
        ...base,
        ...root,
        capAdd: ['SYS_ADMIN'],
        mounts: [{ type: 'bind', source: dir, target: '/data', ...(propagation ? { propagation } : {}) }],
      });
      // Mounted on the host while the container waits for it.
      const ready = path.join(dir, 'ready');
      for (let i = 0; i < 500 && !fs.existsSync(ready); i++) await new Promise((r) => setTimeout(r, 20));
      fs.rmSync(ready, { force: true });
      sh('mount', '-t', 'tmpfs', 'marker', path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'marker'), '');
      const r = await p;
      t.equal(/seen/.test(r.stdout as string), c.seen, `${c.name}: a host mount under the source ${c.seen ? 'reaches' : 'does not reach'} the container`);
      t.match(r.stdout, /mounted/, `${c.name}: the container mounted inside`);
      const back = mountinfo().includes(` ${path.join(dir, 'in')} `);
      t.equal(back, c.back, `${c.name}: the container's mount ${c.back ? 'reaches' : 'does not reach'} the host`);
      sh('umount', path.join(dir, 'sub'));
      if (back) sh('umount', path.join(dir, 'in'));
      // The container's own /proc, /dev, /sys and its root never reach the host,
      // and detaching the old root unmounted nothing of the host's.
      t.same(mountinfo().split('\n').map((l) => l.split(' ')[4]), before.split('\n').map((l) => l.split(' ')[4]), `${c.name}: the host's mount table is as before`);
    }
  });

  t.test('rshared with a root that is itself a shared mount (containerd\'s rootfs): nothing leaks to the host', async (t) => {
    const root = rootDir;
    sh('mount', '--bind', root, root);
    sh('mount', '--make-shared', root);
    t.teardown(() => {
      while (mountinfo().includes(` ${root} `)) sh('umount', root);
    });
    const before = mountinfo();
    const r = await spawn('/bin/sh', ['-c', 'grep -c . /proc/self/mountinfo; cat /proc/self/oom_score_adj'], { ...base, rootfs: root, rootPropagation: 'rshared' });
    t.equal(r.exitCode, 0, String(r.stderr));
    t.equal(mountinfo(), before, 'the host\'s mount table is exactly as before');
  });

  t.test('bad values are refused by name before anything starts', async (t) => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ umask: 0o1000 }, /umask must be an integer from 0 to 0o777/],
      [{ umask: '022' }, /umask/],
      [{ oomScoreAdj: 1001 }, /oomScoreAdj must be an integer from -1000 to 1000/],
      [{ rootPropagation: 'sideways' }, /rootPropagation/],
      [{ rootPropagation: 'rshared', rootfs: undefined }, /shared needs rootfs/],
      [{ mounts: [{ type: 'bind', source: '/tmp', target: '/x', propagation: 'rslave' }] }, /needs rootPropagation "slave" or "shared"/],
      [{ mounts: [{ type: 'bind', source: '/tmp', target: '/x', noexec: 'yes' }] }, /mounts\[0\]\.noexec/],
      [{ sysctls: { 'net.ipv4.ip_forward': { on: 1 } } }, /sysctls\.net\.ipv4\.ip_forward/],
    ];
    for (const [o, re] of bad) t.throws(() => spawn('/bin/true', [], { ...base, ...o } as never), re);
  });
}
