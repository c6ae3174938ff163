import t from 'tap';
import { DEFAULT_PROFILE } from '../../../lib/seccomp/default';
import { AARCH64_SYSCALLS, AUDIT_ARCH, syscallName, syscallNumber, X86_64_SYSCALLS } from '../../../lib/seccomp/syscalls';

t.test('x86_64 numbers from unistd_64.h', async (t) => {
  const known: Record<string, number> = {
    read: 0, write: 1, open: 2, mmap: 9, clone: 56, fork: 57, execve: 59, exit: 60, personality: 135,
    socket: 41, mount: 165, umount2: 166, reboot: 169, sethostname: 170, init_module: 175, ptrace: 101,
    settimeofday: 164, keyctl: 250, add_key: 248, request_key: 249, unshare: 272, setns: 308,
    kexec_load: 246, finit_module: 313, exit_group: 231, clone3: 435, clock_settime: 227, uretprobe: 335,
    fchmodat2: 452, mseal: 462, removexattrat: 466,
  };
  for (const [name, nr] of Object.entries(known)) t.equal(X86_64_SYSCALLS[name], nr, name);
  t.equal(syscallNumber('x86_64', 'toString'), undefined, 'no prototype names');
  t.equal(syscallName('x86_64', 59), 'execve');
});

t.test('aarch64 numbers from the generic table', async (t) => {
  const known: Record<string, number> = {
    io_setup: 0, getcwd: 17, fcntl: 25, umount2: 39, mount: 40, renameat: 38, openat: 56, read: 63, write: 64,
    newfstatat: 79, fstat: 80, exit: 93, exit_group: 94, unshare: 97, personality: 92, reboot: 142,
    sethostname: 161, getrlimit: 163, socket: 198, clone: 220, execve: 221, mmap: 222, clone3: 435,
    memfd_secret: 447, kexec_load: 104, init_module: 105, finit_module: 273, setns: 268, keyctl: 219,
  };
  for (const [name, nr] of Object.entries(known)) t.equal(AARCH64_SYSCALLS[name], nr, name);
  for (const legacy of ['open', 'fork', 'stat', 'arch_prctl', 'uretprobe', 'sync_file_range2']) {
    t.equal(syscallNumber('aarch64', legacy), undefined, `${legacy} is not on aarch64`);
  }
});

t.test('numbers are unique per architecture', async (t) => {
  for (const table of [X86_64_SYSCALLS, AARCH64_SYSCALLS]) {
    const nrs = Object.values(table);
    t.equal(new Set(nrs).size, nrs.length);
  }
});

t.test('every name of the default profile that these architectures have resolves', async (t) => {
  const names = new Set(DEFAULT_PROFILE.syscalls.flatMap((r) => r.names));
  const onX86 = [...names].filter((n) => syscallNumber('x86_64', n) !== undefined).length;
  const onArm = [...names].filter((n) => syscallNumber('aarch64', n) !== undefined).length;
  // The rest are 32-bit, time64 or other-architecture names (chown32, mmap2, s390_*, ...).
  t.ok(onX86 > 340, `${onX86} on x86_64`);
  t.ok(onArm > 290, `${onArm} on aarch64`);
  for (const n of ['read', 'execve', 'mount', 'clone', 'clone3', 'personality', 'socket', 'ptrace', 'reboot']) {
    t.ok(names.has(n) && syscallNumber('x86_64', n) !== undefined && syscallNumber('aarch64', n) !== undefined, n);
  }
  t.equal(AUDIT_ARCH.x86_64, 0xc000003e);
  t.equal(AUDIT_ARCH.aarch64, 0xc00000b7);
});
