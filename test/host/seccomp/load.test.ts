// The compiled default profile loaded into a real kernel: a throwaway python3
// process calls prctl(PR_SET_NO_NEW_PRIVS) and seccomp(SECCOMP_SET_MODE_FILTER)
// with the program's bytes through ctypes (no Bulkhead addon), then makes raw
// system calls or execs a command under it. Each probe is harmless without the
// filter too (bad arguments, missing paths), so a broken filter cannot change the host.
import { needRoot, requirementMissing } from '../../helpers/tier';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { compile, hostArch } from '../../../lib/seccomp/compile';
import { DEFAULT_PROFILE } from '../../../lib/seccomp/default';
import { syscallNumber } from '../../../lib/seccomp/syscalls';

if (needRoot()) {
  const python = spawnSync('python3', ['-c', 'import ctypes'], { encoding: 'utf8' });
  if (python.status !== 0) requirementMissing('python3 with ctypes is needed to load a filter without the addon: apt-get install python3');
  else main();
}

function main(): void {
  const HELPER = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'host', 'seccomp', 'run-filtered.py');
  const arch = hostArch();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-seccomp-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const DOCKER_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

  const programFile = (caps: string[], name: string) => {
    const file = path.join(tmp, `${name}.bin`);
    fs.writeFileSync(file, compile(DEFAULT_PROFILE, { arch, caps }));
    return file;
  };
  const dockerProg = programFile(DOCKER_CAPS, 'docker');
  const adminProg = programFile([...DOCKER_CAPS, 'SYS_ADMIN'], 'admin');
  const helper = (prog: string, ...args: string[]) => spawnSync('python3', [HELPER, prog, ...args], { encoding: 'utf8', timeout: 30_000 });

  type Probe = { name: string; call: string; args?: (number | string | { buf: number } | null)[] };
  const probe = (prog: string, probes: Probe[]) => {
    const spec = probes.map((p) => {
      const nr = syscallNumber(arch, p.call);
      if (nr === undefined) throw new Error(`no ${p.call} on ${arch}`);
      return { name: p.name, nr, args: p.args ?? [] };
    });
    const file = path.join(tmp, 'spec.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const r = helper(prog, 'probe', file);
    if (r.status !== 0) throw new Error(`helper exited ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
    return Object.fromEntries((JSON.parse(r.stdout) as { name: string; ret: number; errno: number }[]).map((x) => [x.name, x]));
  };
  const EPERM = 1;
  const ENOSYS = 38;

  t.test('the kernel accepts the program and ordinary programs run under it', async (t) => {
    const r = helper(dockerProg, 'exec', 'sh', '-c', 'echo hello; ls / >/dev/null && (true | cat) && echo forked');
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, 'hello\nforked\n');
    const py = helper(dockerProg, 'exec', 'python3', '-c', 'import subprocess, threading; t = threading.Thread(target=print); t.start(); t.join(); print(subprocess.run(["true"]).returncode)');
    t.equal(py.status, 0, `threads and posix_spawn (clone3 -> ENOSYS -> clone): ${py.stderr}`);
    t.equal(py.stdout, '\n0\n');
  });

  const PRIVILEGED: Probe[] = [
    { name: 'getpid', call: 'getpid' },
    { name: 'mount', call: 'mount', args: ['none', '/nonexistent-bulkhead-seccomp', 'tmpfs', 0, null] },
    { name: 'umount2', call: 'umount2', args: ['/nonexistent-bulkhead-seccomp', 0] },
    { name: 'setns', call: 'setns', args: [-1, 0] },
    { name: 'keyctl', call: 'keyctl', args: [0, -3, 0] },
    { name: 'add_key', call: 'add_key', args: ['bulkhead-no-such-type', 'x', 'x', 1, -2] },
    { name: 'request_key', call: 'request_key', args: ['user', 'bulkhead-no-such-key', null, 0] },
    { name: 'kexec_load', call: 'kexec_load', args: [0, 0, null, 0xdead0000] },
    { name: 'init_module', call: 'init_module', args: [null, 0, ''] },
    { name: 'finit_module', call: 'finit_module', args: [-1, '', 0] },
    { name: 'settimeofday', call: 'settimeofday', args: [null, null] },
    { name: 'clock_settime', call: 'clock_settime', args: [1, { buf: 16 }] },
    { name: 'reboot', call: 'reboot', args: [0, 0, 0, null] },
    { name: 'sethostname', call: 'sethostname', args: [null, 1000] },
    { name: 'clone3', call: 'clone3', args: [null, 0] },
    { name: 'socket AF_VSOCK', call: 'socket', args: [40, 1, 0] },
    { name: 'socket AF_ALG', call: 'socket', args: [38, 5, 0] },
    { name: 'socket AF_INET', call: 'socket', args: [2, 1, 0] },
    { name: 'personality query', call: 'personality', args: [0xffffffff] },
    { name: 'personality 0x12345', call: 'personality', args: [0x12345] },
    { name: 'unshare', call: 'unshare', args: [0x10000000] },
  ];

  t.test('control: without the filter\'s refusals the same probes fail otherwise (or succeed)', async (t) => {
    const allowAll = path.join(tmp, 'allow.bin');
    fs.writeFileSync(allowAll, compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] }, { arch }));
    const res = probe(allowAll, PRIVILEGED);
    for (const [n, r] of Object.entries(res)) t.not(r.errno, n === 'clone3' ? ENOSYS : EPERM, `${n}: ret ${r.ret} errno ${r.errno}`);
  });

  t.test('privileged system calls fail with EPERM, clone3 with ENOSYS', async (t) => {
    const res = probe(dockerProg, PRIVILEGED);
    t.equal(res.getpid.errno, 0);
    t.ok(res.getpid.ret > 0);
    for (const n of ['mount', 'umount2', 'setns', 'keyctl', 'add_key', 'request_key', 'kexec_load', 'init_module', 'finit_module', 'settimeofday', 'clock_settime', 'reboot', 'sethostname', 'socket AF_VSOCK', 'socket AF_ALG', 'personality 0x12345', 'unshare']) {
      t.same([res[n].ret, res[n].errno], [-1, EPERM], `${n}: EPERM`);
    }
    t.same([res.clone3.ret, res.clone3.errno], [-1, ENOSYS], 'clone3: ENOSYS');
    t.ok(res['socket AF_INET'].ret >= 0, 'socket(AF_INET) works');
    t.ok(res['personality query'].ret >= 0, 'personality(0xffffffff) works');
  });

  t.test('a user namespace cannot be made (clone/unshare with CLONE_NEWUSER)', async (t) => {
    const r = helper(dockerProg, 'exec', 'unshare', '-U', 'true');
    t.not(r.status, 0);
    t.match(r.stderr, /Operation not permitted/);
    const admin = helper(adminProg, 'exec', 'unshare', '-U', 'true');
    t.equal(admin.status, 0, `with CAP_SYS_ADMIN the profile lets it through: ${admin.stderr}`);
  });

  t.test('other ABIs: i386 is killed, x32 refused', { skip: arch !== 'x86_64' && 'x86_64 only' }, async (t) => {
    const i386 = helper(dockerProg, 'int80');
    t.equal(i386.signal, 'SIGSYS', `int 0x80 kills the process (status ${i386.status}, ${i386.stderr})`);
    const x32 = helper(dockerProg, 'x32');
    t.equal(x32.status, 0, x32.stderr);
    t.equal(x32.stdout.trim(), String(-EPERM), 'x32 getpid returns -EPERM');
  });
}
