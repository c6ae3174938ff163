// Escape regressions: each a real attempt from inside a default container,
// each failing in the expected way. Where a control with the protection turned
// off succeeds, the test shows that it can fail.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { spawn, type SpawnOptions } from '../../../lib/index';
import { installProbe } from '../../helpers/probe';
import { withBusyboxRoot } from '../../helpers/tier';

withBusyboxRoot(main);

function main(rootDir: string) {
  const rootfs = { dir: rootDir };
  installProbe(rootfs.dir);
  const base: SpawnOptions = { rootfs: rootfs.dir, env: { PATH: '/bin' }, reject: false };
  const probe = async (args: string[], opts: SpawnOptions = {}) => ((await spawn('/bin/probe', args, { ...base, ...opts })).stdout ?? '').trim();
  const sh = async (script: string, opts: SpawnOptions = {}) => spawn('/bin/sh', ['-c', script], { ...base, ...opts });

  t.test('mounting and unsharing inside are refused', async (t) => {
    t.equal(await probe(['mount']), 'EPERM');
    t.equal(await probe(['unshare-mount']), 'EPERM');
    t.equal(await probe(['unshare-user']), 'EPERM', 'user namespaces too (seccomp: unshare needs CAP_SYS_ADMIN)');
    t.equal(await probe(['mount'], { capAdd: ['SYS_ADMIN'], seccomp: false }), 'ok', 'control: with CAP_SYS_ADMIN and no filter it mounts');
  });

  t.test('ptrace of a process outside: not even visible', async (t) => {
    t.equal(await probe(['ptrace', String(process.pid)]), 'ESRCH');
    t.equal(await probe(['ptrace', String(process.pid)], { namespaces: { pid: false } }), 'EPERM', 'sharing the pid namespace, ptrace is still refused');
  });

  t.test('/proc/sysrq-trigger cannot be written, /proc/kcore not read', async (t) => {
    t.not(await probe(['write', '/proc/sysrq-trigger']), 'ok');
    t.notMatch(await probe(['read', '/proc/kcore']), /^read [1-9]/, 'kcore is masked (or absent from this kernel)');
    t.equal(await probe(['read', '/proc/keys']), 'read 0', '/proc/keys reads as /dev/null');
    const mi = (await sh('cat /proc/self/mountinfo')).stdout ?? '';
    t.match(mi, / \/proc ro,/, '/proc (and so /proc/sys) is read-only');
    t.match(mi, / \/proc\/keys /, '/proc/keys is covered');
  });

  t.test('a mount target that is a symlink out of the rootfs lands inside it', async (t) => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-outside-'));
    t.teardown(() => fs.rmSync(outside, { recursive: true, force: true }));
    fs.symlinkSync(outside, path.join(rootfs.dir, 'evil'));
    fs.mkdirSync(path.join(rootfs.dir, outside), { recursive: true });
    t.teardown(() => fs.rmSync(path.join(rootfs.dir, 'evil')));
    const r = await sh('echo planted > /evil/file; ls /evil', { mounts: [{ type: 'tmpfs', target: '/evil' }] });
    t.equal(r.stdout, 'file\n');
    t.notOk(fs.existsSync(path.join(outside, 'file')), 'nothing landed in the host directory');
    t.notMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(outside), 'no mount on the host path');
  });

  t.test('a leaked fd (CVE-2024-21626 family): no fd beyond stdio, no cwd through /proc/self/fd', async (t) => {
    const fds = ((await sh('ls /proc/self/fd')).stdout ?? '').trim().split('\n');
    t.same(fds, ['0', '1', '2', '3'], 'stdio and ls\'s own directory fd only');
    const v2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => fs.existsSync(path.join(d, 'cgroup.procs')));
    const dir = v2 ? fs.mkdtempSync(path.join(v2, 'bulkhead-escape-')) : undefined;
    t.teardown(() => dir && fs.rmdirSync(dir));
    // With a cgroup the child holds an fd of a host directory until execve: try every fd number as the cwd.
    for (let fd = 3; fd < 24; fd++) {
      const e = await sh('pwd', { cwd: `/proc/self/fd/${fd}`, ...(dir ? { cgroup: dir } : {}) }).catch((x: Error) => x);
      t.ok(e instanceof Error && ['chdir', 'cwd'].includes((e as { step?: string }).step ?? ''), `cwd /proc/self/fd/${fd} refused`);
    }
  });

  t.test('a setuid binary gains nothing (no_new_privs)', async (t) => {
    installProbe(rootfs.dir, 0o4755);
    t.teardown(() => installProbe(rootfs.dir));
    t.equal(await probe(['euid'], { uid: 1000, gid: 1000 }), '1000');
    t.equal(await probe(['euid'], { uid: 1000, gid: 1000, noNewPrivileges: false }), '0', 'control: without no_new_privs the setuid bit works');
  });

  t.test('keyctl, add_key and loading a kernel module are refused', async (t) => {
    t.equal(await probe(['keyctl']), 'EPERM');
    t.equal(await probe(['add_key']), 'EPERM');
    t.equal(await probe(['finit_module']), 'EPERM');
  });

  t.test('the host\'s hostname and time stay the host\'s', async (t) => {
    const before = os.hostname();
    t.equal(await probe(['sethostname']), 'EPERM', 'renaming takes CAP_SYS_ADMIN, as under Docker');
    t.equal(await probe(['sethostname'], { capAdd: ['SYS_ADMIN'] }), 'ok', 'with it, the container renames its own uts namespace');
    t.equal(os.hostname(), before, 'the host kept its name');
    t.equal(await probe(['settime']), 'EPERM');
  });

  t.test('/sys is read-only', async (t) => {
    const r = await sh('(echo 1 > /sys/kernel/profiling) 2>&1; (mkdir /sys/fs/x) 2>&1; grep " /sys " /proc/self/mountinfo');
    t.match(r.stdout, /Read-only file system|No such file/);
    t.match(r.stdout, / \/sys ro,/);
  });

  t.test('capabilities: Docker\'s 14 by default; capAdd, capDrop and ALL', async (t) => {
    const caps = async (opts: SpawnOptions) => ((await sh('grep -E "^Cap(Eff|Bnd|Prm|Inh|Amb)" /proc/self/status', opts)).stdout ?? '').replace(/\t/g, ' ');
    const d = await caps({});
    t.match(d, /CapEff: 00000000a80425fb/);
    t.match(d, /CapBnd: 00000000a80425fb/);
    t.match(d, /CapInh: 0{16}/);
    t.match(d, /CapAmb: 0{16}/);
    t.match(await caps({ capDrop: ['ALL'] }), /CapBnd: 0{16}/);
    t.match(await caps({ capDrop: ['ALL'], capAdd: ['CAP_CHOWN'] }), /CapBnd: 0{15}1/);
    t.match(await caps({ capAdd: ['SYS_ADMIN'] }), /CapEff: 00000000a82425fb/);
    t.match(await caps({ uid: 1000 }), /CapEff: 0{16}[\s\S]*CapBnd: 00000000a80425fb/, 'a non-root user keeps none effective');
    t.throws(() => spawn('/bin/true', [], { ...base, capAdd: ['SYS_ADMN'] }), { name: 'RangeError', message: /unknown capability "SYS_ADMN"; did you mean "SYS_ADMIN"/ });
  });

  t.test('rlimits by ulimit names', async (t) => {
    const r = await sh('ulimit -n; ulimit -c', { rlimits: { nofile: 256, core: 0 } });
    t.equal(r.stdout, '256\n0\n');
    t.throws(() => spawn('/bin/true', [], { ...base, rlimits: { nofiles: 1 } }), { name: 'RangeError', message: /unknown limit "nofiles"; did you mean "nofile"/ });
  });

  t.test('readonlyRootfs', async (t) => {
    const r = await sh('touch /etc/x 2>&1; touch /tmp/x 2>&1; echo done', { readonlyRootfs: true });
    t.match(r.stdout, /\/etc\/x: Read-only file system/);
  });

  t.test('init: reaps 100 orphans and forwards SIGTERM to the program', async (t) => {
    const r = await sh('for i in $(seq 100); do (sleep 0.2 &); done; sleep 1; grep -l "^State:.*Z" /proc/[0-9]*/status | wc -l; echo $$', { init: true });
    const [zombies, pid] = (r.stdout ?? '').trim().split('\n');
    t.equal(zombies, '0', 'no zombie left');
    t.equal(pid, '2', 'the program runs as pid 2 under the init');
    const p = spawn('/bin/sleep', ['100'], { ...base, init: true });
    // A namespace's init gets from outside only the signals it catches
    // (pid_namespaces(7)): wait until bulkhead-init runs and its SigCgt has
    // SIGTERM (bit 15).
    const catches = () => {
      try {
        if (fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() !== 'bulkhead-init') return false;
        const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'));
        return !!m && (BigInt(`0x${m[1]}`) & (1n << 14n)) !== 0n;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 500 && !catches(); i++) await new Promise((res) => setTimeout(res, 20));
    p.kill('SIGTERM');
    const e = await p;
    t.equal(e.exitCode, 143, 'SIGTERM reached sleep through the init, which exits 128+15');
  });
}
