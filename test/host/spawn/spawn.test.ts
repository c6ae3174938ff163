// spawn() on the real kernel: each namespace checked from inside, the new root,
// stdio, exit codes, signals, and nothing leaked after many spawns.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { ExitError, IsolationError, spawn } from '../../../lib/index';
import { withBusyboxRoot } from '../../helpers/tier';

const run = async (script: string, opts: Parameters<typeof spawn>[2] = {}) =>
  (await spawn('/bin/sh', ['-c', script], opts)).stdout ?? '';

withBusyboxRoot(main);

function main(rootDir: string) {
  const rootfs = { dir: rootDir };
  const base = { rootfs: rootfs.dir, env: { PATH: '/bin' } };

  t.test('every namespace differs from the parent, as seen from inside', async (t) => {
    const kinds = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'];
    const out = await run(kinds.map((k) => `readlink /proc/self/ns/${k}`).join(';'), base);
    const inside = out.trim().split('\n');
    kinds.forEach((k, i) => t.not(inside[i], fs.readlinkSync(`/proc/self/ns/${k}`), `${k} namespace is new`));
    const shared = await run('readlink /proc/self/ns/net', { ...base, namespaces: { net: false } });
    t.equal(shared.trim(), fs.readlinkSync('/proc/self/ns/net'), 'net: false shares the host\'s');
  });

  t.test('pid 1, hostname, only lo and it is up', async (t) => {
    const out = await run('echo $$; hostname; ls /sys/class/net; cat /sys/class/net/lo/flags', { ...base, hostname: 'box' });
    const [pid, host, nets, flags] = out.trim().split('\n');
    t.equal(pid, '1');
    t.equal(host, 'box');
    t.equal(nets, 'lo', 'only lo in the new net namespace');
    t.equal(Number(flags) & 1, 1, 'IFF_UP is set on lo');
  });

  t.test('after pivot_root, / is the rootfs and the old root is unreachable', async (t) => {
    const out = await run('cat /etc/marker; ls /; test -e /etc/debian_version && echo host-visible; grep -c . /proc/self/mountinfo', base);
    t.match(out, /^busybox-rootfs\n/);
    t.notMatch(out, /host-visible/);
    t.same(out.split('\n').slice(1).filter((l) => /^[a-z]+$/.test(l)).sort(), ['bin', 'dev', 'etc', 'home', 'mnt', 'proc', 'root', 'sys', 'tmp']);
    const mi = await run('cat /proc/self/mountinfo', base);
    const points = mi.trim().split('\n').map((l) => l.split(' ')[4]);
    t.notOk(points.some((p) => p.startsWith(rootfs.dir)), 'no mount point lies under the host path of the rootfs');
    t.equal(points[0], '/', 'the first mount is the new root');
  });

  t.test('a mount made inside is invisible outside', async (t) => {
    const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    // Mounting inside takes CAP_SYS_ADMIN and no seccomp filter, which a default container lacks.
    const proc = spawn('/bin/sh', ['-c', 'mount -t tmpfs inner-marker /mnt && echo ready && sleep 30'], { ...base, capAdd: ['SYS_ADMIN'], seccomp: false });
    await new Promise<void>((r) => proc.stdout?.once('data', () => r()));
    const during = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    t.notMatch(during, /inner-marker/);
    t.equal(during, before, 'host mount table unchanged while the container runs');
    t.equal(proc.kill('SIGKILL'), true);
    await t.rejects(async () => proc, { name: 'ExitError', signal: 'SIGKILL' });
  });

  t.test('the host view: host files read-only, private /proc /dev /tmp', async (t) => {
    const out = await run('cat /etc/debian_version >/dev/null && echo host-files; touch /etc/x 2>&1; echo $$; ls /dev | tr "\\n" " "; echo; ls /tmp | wc -l', {});
    t.match(out, /host-files/);
    t.match(out, /Read-only file system/);
    t.match(out, /\n1\n/, 'pid 1 in its own /proc');
    t.match(out, /fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero/);
    t.match(out, /\n0\n$/, 'an empty /tmp of its own');
  });

  t.test('a user namespace maps ids as asked', async (t) => {
    const out = await run('cat /proc/self/uid_map /proc/self/gid_map; id -u', {
      ...base,
      namespaces: { user: true },
      uidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
      gidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
    });
    const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    t.same(lines, ['0 100000 65536', '0 100000 65536', '0']);
  });

  t.test('stdio pipes carry data both ways; env and cwd apply', async (t) => {
    const proc = spawn('/bin/sh', ['-c', 'read line; echo "got $line in $(pwd) as $GREETING"; echo oops >&2'], { ...base, env: { PATH: '/bin', GREETING: 'hi' }, cwd: '/etc' });
    proc.stdin?.end('hello\n');
    const r = await proc;
    t.equal(r.stdout, 'got hello in /etc as hi\n');
    t.equal(r.stderr, 'oops\n');
    t.equal(r.exitCode, 0);
    t.ok(r.durationMs > 0 && r.rusage.userUsec >= 0);
  });

  t.test('exit codes and signals come back; kill() goes through the pidfd', async (t) => {
    const e = await spawn('/bin/sh', ['-c', 'exit 7'], base).catch((x) => x as ExitError);
    t.ok(e instanceof ExitError);
    t.equal(e.exitCode, 7);
    t.equal(e.signal, null);
    const r = await spawn('/bin/sh', ['-c', 'exit 7'], { ...base, reject: false });
    t.equal(r.exitCode, 7, 'reject: false resolves');
    // Inside its own pid namespace pid 1 is immune even to its own SIGKILL (pid_namespaces(7)).
    const k = await spawn('/bin/sh', ['-c', 'kill -9 $$'], { ...base, namespaces: { pid: false }, reject: false });
    t.equal(k.signal, 'SIGKILL');
    t.equal(k.exitCode, null);
    // pid 1 of a pid namespace gets only signals it handles from outside (pid_namespaces(7)).
    const p = spawn('/bin/sh', ['-c', 'trap "exit 42" TERM; echo up; while :; do sleep 1; done'], { ...base, reject: false });
    await new Promise<void>((r) => p.stdout?.once('data', () => r()));
    t.equal(p.kill('SIGTERM'), true);
    const r2 = await p;
    t.equal(r2.exitCode, 42, 'SIGTERM reached the handler');
    t.equal(p.kill('SIGTERM'), false, 'no signal after exit');
  });

  t.test('failures before execve are IsolationErrors with step, code and path', async (t) => {
    await t.rejects(async () => spawn('/bin/nope', [], base), { name: 'IsolationError', code: 'ENOENT', step: 'execve', syscall: 'execve', path: '/bin/nope' });
    await t.rejects(async () => spawn('nope', [], base), { code: 'ENOENT', step: 'execve' });
    await t.rejects(async () => spawn('/bin/sh', [], { rootfs: '/nonexistent/rootfs' }), { name: 'IsolationError', code: 'ENOENT', step: 'rootfs', path: '/nonexistent/rootfs' });
    await t.rejects(async () => spawn('/bin/sh', [], { ...base, cwd: '/missing' }), { code: 'ENOENT', step: 'chdir', path: '/missing' });
    const e = (await spawn('/etc/marker', [], base).catch((x) => x)) as IsolationError;
    t.ok(e instanceof IsolationError);
    t.equal(e.code, 'EACCES', 'not executable');
  });

  t.test('bad options throw TypeError/RangeError naming the option, before anything runs', async (t) => {
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    t.throws(() => spawn('/bin/sh', [], { rotfs: '/x' } as never), { name: 'TypeError', message: /unknown option "rotfs"; did you mean "rootfs"\?/ });
    t.throws(() => spawn('/bin/sh', [], { hostname: 5 } as never), { name: 'TypeError', message: /option hostname must be a string, got 5/ });
    t.throws(() => spawn('/bin/sh', [], { rootfs: 'relative/dir' }), { name: 'RangeError', message: /option rootfs must be an absolute path, got "relative\/dir"/ });
    t.throws(() => spawn('/bin/sh', [], { ...base, mounts: [{ type: 'tmpfs', target: '/../../etc' }] }), { name: 'RangeError', message: /mounts\[0\]\.target must stay inside the root filesystem/ });
    t.throws(() => spawn('/bin/sh', [], { uidMappings: [{ containerId: 0, hostId: 1, size: 1 }] }), { name: 'RangeError', message: /uidMappings needs namespaces.user/ });
    t.throws(() => spawn('/bin/sh', [], { namespaces: { pdi: true } as never }), { name: 'TypeError', message: /"namespaces.pdi"; did you mean "pid"/ });
    t.throws(() => spawn('/bin/sh', [], { hostname: 'box', namespaces: { uts: false } }), { name: 'RangeError', message: /hostname needs namespaces.uts/ });
    t.throws(() => spawn(42 as never), { name: 'TypeError', message: /option command must be a non-empty string, got 42/ });
    t.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore, 'no fd was opened');
  });

  t.test('mounts: bind (read-only) and tmpfs land inside the rootfs', async (t) => {
    const src = fs.mkdtempSync(path.join(rootfs.dir, '..', 'bulkhead-bind-'));
    t.teardown(() => fs.rmSync(src, { recursive: true, force: true }));
    fs.writeFileSync(path.join(src, 'f'), 'bound\n');
    const out = await run('cat /data/f; touch /data/g 2>&1; grep " /scratch " /proc/self/mountinfo | grep -c tmpfs', {
      ...base,
      mounts: [{ type: 'bind', source: src, target: '/data', readonly: true }, { type: 'tmpfs', target: '/scratch', size: '1m' }],
    });
    t.match(out, /^bound\n/);
    t.match(out, /Read-only file system/);
    t.match(out, /\n1\n$/);
    t.notOk(fs.existsSync(path.join(src, 'g')));
  });

  t.test('mounts: missing parents of a mount point are made, as Docker makes them; a symlink in the image stays inside it', async (t) => {
    const src = fs.mkdtempSync(path.join(rootfs.dir, '..', 'bulkhead-deep-'));
    t.teardown(() => fs.rmSync(src, { recursive: true, force: true }));
    fs.writeFileSync(path.join(src, 'f'), 'deep\n');
    // An image's absolute symlink: resolved inside the root, never at the host's /tmp.
    fs.symlinkSync('/tmp', path.join(rootfs.dir, 'link'));
    const hostTmp = path.join('/tmp', `bulkhead-escape-${process.pid}`);
    t.teardown(() => {
      fs.rmSync(path.join(rootfs.dir, 'link'), { force: true });
      for (const d of ['a', 'x', 's']) fs.rmSync(path.join(rootfs.dir, d), { recursive: true, force: true });
      fs.rmSync(path.join(rootfs.dir, 'tmp', `bulkhead-escape-${process.pid}`), { recursive: true, force: true });
    });
    const out = await run('cat /a/b/c/f /x/y/file; ls -d /s/t; stat -c %a /a /a/b', {
      ...base,
      mounts: [
        { type: 'bind', source: src, target: '/a/b/c' },
        { type: 'bind', source: path.join(src, 'f'), target: '/x/y/file' },
        { type: 'tmpfs', target: '/s/t' },
        { type: 'tmpfs', target: `/link/bulkhead-escape-${process.pid}/in` },
      ],
    });
    t.equal(out, 'deep\ndeep\n/s/t\n755\n755\n');
    t.notOk(fs.existsSync(hostTmp), 'nothing made at the host\'s /tmp');
    t.ok(fs.existsSync(path.join(rootfs.dir, 'tmp', `bulkhead-escape-${process.pid}`)), 'made in the root\'s /tmp');
  });

  const v2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => fs.existsSync(path.join(d, 'cgroup.procs')) && !fs.existsSync(path.join(d, 'tasks')));
  t.test('cgroup: its own group under `cgroup`, by CLONE_INTO_CGROUP or the clone + cgroup.procs fallback', { skip: v2 ? false : 'no cgroup v2 hierarchy is mounted' }, async (t) => {
    const mount = v2 as string;
    const dir = fs.mkdtempSync(path.join(mount, 'bulkhead-test-'));
    t.teardown(async () => {
      // A killed pid namespace empties its group a moment after its init is reaped.
      for (let i = 0; i < 200 && /populated 1/.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
      fs.rmdirSync(dir);
    });
    for (const legacyClone of [false, true]) {
      const p = spawn('/bin/sh', ['-c', 'echo up; sleep 30'], { ...base, cgroup: dir, legacyClone, reject: false });
      await new Promise<void>((r) => p.stdout?.once('data', () => r()));
      const own = /^0::(.*)$/m.exec(fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8'))?.[1] ?? '';
      t.equal(path.dirname(path.join(mount, own)), dir, `${legacyClone ? 'clone' : 'clone3'}: the process is in a group of its own under the given one`);
      t.ok(fs.readFileSync(path.join(mount, own, 'cgroup.procs'), 'utf8').trim().split('\n').includes(String(p.pid)));
      p.kill('SIGKILL');
      await p;
      t.notOk(fs.existsSync(path.join(mount, own)), 'its group is removed after the exit');
    }
    await t.rejects(async () => spawn('/bin/true', [], { ...base, cgroup: path.join(mount, 'bulkhead-missing') }), { name: 'IsolationError', code: 'ENOENT' });
  });

  t.test('cgroup: a directory that is not on cgroup2 is a RangeError naming the option, not a bare EBADF from clone3', async (t) => {
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    for (const legacyClone of [false, true]) {
      t.throws(() => spawn('/bin/true', [], { ...base, cgroup: rootfs.dir, legacyClone }), { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE', option: 'cgroup', message: /option cgroup must be a directory on a cgroup2 filesystem/ });
    }
    if (v2) t.throws(() => spawn('/bin/true', [], { ...base, cgroup: path.join(v2, 'cgroup.procs') }), { name: 'RangeError', option: 'cgroup', message: /not a directory/ });
    t.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore, 'no fd was opened');
  });

  t.test('a nofile too low to place the stdio is refused, or explained when the kernel refuses it', async (t) => {
    t.throws(() => spawn('/bin/true', [], { ...base, rlimits: { nofile: 0 } }), { name: 'RangeError', option: 'rlimits.nofile', message: /must be at least 3/ });
    // The child copies its fds above the parent's highest one before placing them at 0, 1, 2.
    const held = Array.from({ length: 20 }, () => fs.openSync('/dev/null', 'r'));
    t.teardown(() => held.forEach((fd) => fs.closeSync(fd)));
    // Either the child places its fds before setting the limit, or the failure says why.
    const e = (await spawn('/bin/sh', ['-c', 'ulimit -n'], { ...base, rlimits: { nofile: 4 } }).catch((x) => x)) as IsolationError | { stdout: string };
    if (e instanceof IsolationError) t.match(e, { step: 'dup', message: /rlimits\.nofile 4 is too low for the child to place its stdio/ });
    else t.equal(e.stdout, '4\n', 'the program runs under nofile 4');
    t.equal((await spawn('/bin/sh', ['-c', 'ulimit -n'], { ...base, rlimits: { nofile: 256 } })).stdout, '256\n');
  });

  t.test('ref() keeps node alive until the exit; unref() lets it go, as child_process', async (t) => {
    const lib = path.resolve(__dirname, '..', '..', '..', 'lib', 'index.js');
    const script = (unref: boolean) =>
      `const { spawn } = require(${JSON.stringify(lib)});` +
      `const p = spawn('/bin/sh', ['-c', 'sleep 2; echo done > /tmp/out'], { rootfs: ${JSON.stringify(rootfs.dir)}, env: { PATH: '/bin' }, dieWithParent: false, reject: false, stdio: 'ignore' });` +
      `console.log(p.pid); p.on('exit', () => console.log('exited'));${unref ? ' p.unref();' : ''}`;
    const { execFileSync } = await import('node:child_process');
    const held = execFileSync(process.execPath, ['-e', script(false)], { encoding: 'utf8' });
    t.match(held, /^\d+\nexited\n$/, 'node waited for the exit');
    const loose = execFileSync(process.execPath, ['-e', script(true)], { encoding: 'utf8' });
    const pid = Number(loose.trim());
    t.match(loose, /^\d+\n$/, 'node exited first');
    t.ok(fs.existsSync(`/proc/${pid}`), 'the container outlives node when unref()ed with dieWithParent: false');
    process.kill(pid, 'SIGKILL');
  });

  t.test('500 spawns, in sequence and 50 at a time, leak no fd, zombie or mount', async (t) => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const mounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const children = () => fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim();
    await run('true', base); // warm: the addon and the child stack exist from here on
    const [f0, m0] = [fds(), mounts()];
    for (let i = 0; i < 250; i++) await spawn('/bin/true', [], base);
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 50 }, () => spawn('/bin/true', [], base)));
    t.equal(fds(), f0, 'same open fds');
    t.equal(mounts(), m0, 'same mounts');
    t.equal(children(), '', 'no child left, zombie or not');
    // Failures before execve (in the child, and in the parent before clone) leak nothing either.
    for (let i = 0; i < 50; i++) {
      await spawn('/bin/nope', [], base).catch(() => undefined);
      await spawn('/bin/true', [], { ...base, cwd: '/missing' }).catch(() => undefined);
      await spawn('/bin/true', [], { ...base, stdio: ['pipe', 'pipe', 'pipe'], mounts: [{ type: 'bind', source: '/nonexistent-source', target: '/x' }] }).catch(() => undefined);
    }
    t.equal(fds(), f0, 'same open fds after 150 failures');
    t.equal(mounts(), m0, 'same mounts after failures');
    t.equal(children(), '', 'no zombie after failures');
  });
}
