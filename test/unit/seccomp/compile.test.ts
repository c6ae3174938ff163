import * as path from 'node:path';
import t from 'tap';
import { CAPABILITY_NAMES } from '../../../lib/caps/names';
import { assemble, BPF_MAXINSNS, decode, ja, jeq, ld, ret } from '../../../lib/seccomp/bpf';
import {
  actionValue, clearCompileCache, compile, compileCached, CompileOptions, describeReturn, disassemble, evaluate,
  SECCOMP_RET, verifyProgram,
} from '../../../lib/seccomp/compile';
import { DEFAULT_PROFILE } from '../../../lib/seccomp/default';
import { loadProfileFile, parseProfile, SeccompOp } from '../../../lib/seccomp/profile';
import { AUDIT_ARCH, SeccompArch, syscallNumber, X86_64_SYSCALLS } from '../../../lib/seccomp/syscalls';

const FIX = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'seccomp');
const EPERM = (SECCOMP_RET.ERRNO | 1) >>> 0;
const ENOSYS = (SECCOMP_RET.ERRNO | 38) >>> 0;
const ALLOW = SECCOMP_RET.ALLOW;
const DOCKER_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

/** Runs the compiled filter for a syscall by name. */
function runner(prog: Buffer, arch: SeccompArch) {
  return (name: string, args: (number | bigint)[] = []) => {
    const nr = syscallNumber(arch, name);
    if (nr === undefined) throw new Error(`no ${name} on ${arch}`);
    return evaluate(prog, { arch, nr, args });
  };
}

for (const arch of ['x86_64', 'aarch64'] as const) {
  t.test(`default profile on ${arch}, Docker's capabilities`, async (t) => {
    const sys = runner(compile(DEFAULT_PROFILE, { arch, caps: DOCKER_CAPS, kernel: [6, 1] }), arch);
    for (const n of ['read', 'write', 'execve', 'exit_group', 'openat', 'mmap', 'futex', 'wait4', 'rt_sigaction', 'chroot', 'ptrace', 'process_vm_readv']) {
      t.equal(sys(n), ALLOW, `${n} allowed`);
    }
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'keyctl', 'add_key', 'request_key', 'kexec_load', 'init_module', 'finit_module', 'delete_module', 'settimeofday', 'clock_settime', 'reboot', 'sethostname', 'setdomainname', 'bpf', 'perf_event_open', 'open_by_handle_at', 'syslog', 'acct', 'userfaultfd', 'io_uring_setup', 'kcmp', 'pidfd_getfd', 'vhangup', 'mbind', 'quotactl', 'fsopen', 'open_tree', 'move_mount']) {
      t.equal(sys(n), EPERM, `${n} -> EPERM`);
    }
    t.equal(sys('clone', [0x11]), ALLOW, 'clone(SIGCHLD)');
    t.equal(sys('clone', [0x003d0f00]), ALLOW, 'clone with pthread_create\'s flags');
    t.equal(sys('clone', [0x10000000 | 0x11]), EPERM, 'clone(CLONE_NEWUSER)');
    for (const flag of [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000]) {
      t.equal(sys('clone', [flag]), EPERM, `clone(0x${flag.toString(16)})`);
    }
    t.equal(sys('clone', [0x80000000]), ALLOW, 'CLONE_IO is not a namespace flag');
    t.equal(sys('clone', [(1n << 40n) | 0x11n]), ALLOW, 'high bits outside the mask do not matter');
    t.equal(sys('clone3'), ENOSYS, 'clone3 -> ENOSYS');
    t.equal(sys('personality', [0]), ALLOW);
    t.equal(sys('personality', [8]), ALLOW);
    t.equal(sys('personality', [0x20008]), ALLOW);
    t.equal(sys('personality', [0xffffffff]), ALLOW, 'the query');
    t.equal(sys('personality', [0x12345]), EPERM);
    t.equal(sys('personality', [0x0040000]), EPERM, 'ADDR_NO_RANDOMIZE');
    t.equal(sys('personality', [0x1ffffffffn]), EPERM, 'same low word, high word differs');
    t.equal(sys('socket', [40, 1, 0]), EPERM, 'AF_VSOCK');
    t.equal(sys('socket', [38, 5, 0]), EPERM, 'AF_ALG');
    for (const af of [1, 2, 10, 16, 17, 37, 39, 41, 44]) t.equal(sys('socket', [af, 1, 0]), ALLOW, `socket(${af})`);
    t.equal(sys('socket', [(1n << 32n) | 40n]), ALLOW, '64-bit compare: 2^32+40 is not 40');
    t.equal(sys('mount_setattr'), EPERM);
    t.equal(evaluate(compile(DEFAULT_PROFILE, { arch, caps: [], kernel: [6, 1] }), { arch, nr: 0xfff }), EPERM, 'unknown numbers get the default');
  });

  t.test(`capabilities unlock their groups on ${arch}`, async (t) => {
    const admin = runner(compile(DEFAULT_PROFILE, { arch, caps: [...DOCKER_CAPS, 'SYS_ADMIN'], kernel: [6, 1] }), arch);
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'clone3', 'bpf', 'fsopen']) t.equal(admin(n), ALLOW, `${n} with SYS_ADMIN`);
    t.equal(admin('clone', [0x10000000]), ALLOW, 'clone(CLONE_NEWUSER) with SYS_ADMIN');
    t.equal(admin('reboot'), EPERM, 'reboot still needs SYS_BOOT');
    const more = runner(compile(DEFAULT_PROFILE, { arch, caps: ['CAP_SYS_TIME', 'sys_boot', 'SYS_MODULE', 'SYS_PTRACE', 'SYSLOG'], kernel: [6, 1] }), arch);
    for (const n of ['settimeofday', 'clock_settime', 'reboot', 'init_module', 'finit_module', 'delete_module', 'kcmp', 'pidfd_getfd', 'syslog']) t.equal(more(n), ALLOW, n);
    t.equal(more('chroot'), EPERM, 'chroot needs SYS_CHROOT');
    t.equal(more('kexec_load'), EPERM, 'kexec_load: never');
    t.equal(more('keyctl'), EPERM, 'keyctl: never');
  });

  t.test(`ptrace follows minKernel 4.8 on ${arch}`, async (t) => {
    t.equal(runner(compile(DEFAULT_PROFILE, { arch, caps: [], kernel: [4, 8] }), arch)('ptrace'), ALLOW);
    t.equal(runner(compile(DEFAULT_PROFILE, { arch, caps: [], kernel: [4, 7] }), arch)('ptrace'), EPERM);
    t.equal(runner(compile(DEFAULT_PROFILE, { arch, caps: ['SYS_PTRACE'], kernel: [4, 7] }), arch)('ptrace'), ALLOW);
  });

  t.test(`architecture check on ${arch}`, async (t) => {
    const prog = compile(DEFAULT_PROFILE, { arch, caps: [] });
    const other = arch === 'x86_64' ? 'aarch64' : 'x86_64';
    t.equal(evaluate(prog, { arch: other, nr: 0 }), SECCOMP_RET.KILL_PROCESS, `${other} calls are killed`);
    t.equal(evaluate(prog, { arch: 0x40000003, nr: 20 }), SECCOMP_RET.KILL_PROCESS, 'i386 (int 0x80) is killed');
    t.equal(evaluate(prog, { arch: 0x40000028, nr: 20 }), SECCOMP_RET.KILL_PROCESS, 'arm (aarch32) is killed');
  });

  t.test(`program size on ${arch}`, async (t) => {
    for (const caps of [[], [...CAPABILITY_NAMES], DOCKER_CAPS]) {
      const prog = compile(DEFAULT_PROFILE, { arch, caps });
      const n = prog.length / 8;
      t.ok(n > 10 && n < BPF_MAXINSNS, `${caps.length} caps: ${n} instructions`);
      t.ok(n < 400, 'compact: ranges and a search tree, not one compare per syscall');
      verifyProgram(prog);
    }
  });
}

t.test('x32 system calls are refused on x86_64', async (t) => {
  const prog = compile(DEFAULT_PROFILE, { arch: 'x86_64', caps: [] });
  t.equal(evaluate(prog, { arch: 'x86_64', nr: 0x40000000 | 0 }), EPERM, 'x32 read -> the default errno');
  t.equal(evaluate(prog, { arch: 'x86_64', nr: 0x40000000 | 59 }), EPERM, 'x32 execve');
  t.equal(evaluate(prog, { arch: 'x86_64', nr: 0x40000000 | 520 }), EPERM);
  const permissive = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] }, { arch: 'x86_64' });
  t.equal(evaluate(permissive, { arch: 'x86_64', nr: 165 }), EPERM);
  t.equal(evaluate(permissive, { arch: 'x86_64', nr: 0x40000000 | 165 }), SECCOMP_RET.KILL_PROCESS, 'a deny list cannot be bypassed through x32');
  t.equal(evaluate(permissive, { arch: 'x86_64', nr: 0 }), ALLOW);
});

// A reference for one 64-bit comparison, as the kernel-side semantics define it.
const M64 = (1n << 64n) - 1n;
function holds(op: SeccompOp, arg: bigint, value: bigint, valueTwo: bigint): boolean {
  switch (op) {
    case 'SCMP_CMP_EQ': return arg === value;
    case 'SCMP_CMP_NE': return arg !== value;
    case 'SCMP_CMP_LT': return arg < value;
    case 'SCMP_CMP_LE': return arg <= value;
    case 'SCMP_CMP_GT': return arg > value;
    case 'SCMP_CMP_GE': return arg >= value;
    case 'SCMP_CMP_MASKED_EQ': return (arg & value) === valueTwo;
  }
}

t.test('64-bit argument comparisons, high and low words, against a reference', async (t) => {
  const ops: SeccompOp[] = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'];
  const values = [0n, 1n, 40n, 0xffffffffn, 0x100000000n, 0x100000028n, 0x7fffffff80000000n, 0xffffffff00000000n, M64, 0x123456789abcdefn];
  const halves = (v: bigint) => [v >> 32n, v & 0xffffffffn];
  let checked = 0;
  for (const op of ops) {
    for (const value of values) {
      const valueTwo = op === 'SCMP_CMP_MASKED_EQ' ? value & 0xff0000000000ff00n : 0n;
      const prog = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 3, value, valueTwo, op }] }] }, { arch: 'x86_64' });
      // Arguments around the value: each half equal, one less, one more, and extremes.
      const [vh, vl] = halves(value);
      const near = (h: bigint) => [0n, h - 1n, h, h + 1n, 0xffffffffn].filter((x) => x >= 0n && x <= 0xffffffffn);
      for (const h of near(vh)) {
        for (const l of near(vl)) {
          const arg = (h << 32n) | l;
          const got = evaluate(prog, { arch: 'x86_64', nr: 0, args: [0, 0, 0, arg] });
          const want = holds(op, arg, value, valueTwo) ? ALLOW : EPERM;
          if (got !== want) t.fail(`${op} ${value.toString(16)}: arg ${arg.toString(16)} gave ${describeReturn(got)}`);
          checked++;
        }
      }
    }
  }
  t.ok(checked > 1000, `${checked} comparisons agree with the reference`);
});

t.test('args in one rule are ANDed, rules are ORed in order, first match wins', async (t) => {
  const prog = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 2, value: 100, op: 'SCMP_CMP_LE' }] },
      { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 28, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_LOG' },
      { names: ['write'], action: 'SCMP_ACT_KILL', comment: 'shadowed by the unconditional LOG' },
      // The same index twice: runc adds one rule per comparison (OR).
      { names: ['lseek'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 0, op: 'SCMP_CMP_EQ' }, { index: 2, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['close'], action: 'SCMP_ACT_ERRNO', comment: 'same as the default: skipped, as runc does' },
      { names: ['close'], action: 'SCMP_ACT_ALLOW' },
      { names: ['ptrace'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['getpid'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
      { names: ['no_such_call', 'getppid'], action: 'SCMP_ACT_ALLOW' },
    ],
  }, { arch: 'x86_64' });
  const sys = runner(prog, 'x86_64');
  t.equal(sys('write', [1, 0, 50]), ALLOW);
  t.equal(sys('write', [1, 0, 101]), (SECCOMP_RET.ERRNO | 28) >>> 0, 'second rule when the first fails on arg 2');
  t.equal(sys('write', [2, 0, 50]), SECCOMP_RET.TRAP);
  t.equal(sys('write', [3]), SECCOMP_RET.LOG);
  t.equal(sys('lseek', [0, 0, 0]), ALLOW);
  t.equal(sys('lseek', [0, 0, 2]), ALLOW);
  t.equal(sys('lseek', [0, 0, 1]), EPERM);
  t.equal(sys('close'), ALLOW);
  t.equal(sys('ptrace'), SECCOMP_RET.KILL_PROCESS);
  t.equal(sys('getpid'), (SECCOMP_RET.TRACE | 7) >>> 0);
  t.equal(sys('getppid'), ALLOW, 'unknown names are skipped, the rest of the rule stands');
});

t.test('action values', async (t) => {
  t.equal(actionValue('SCMP_ACT_KILL'), 0);
  t.equal(actionValue('SCMP_ACT_KILL_THREAD'), 0);
  t.equal(actionValue('SCMP_ACT_KILL_PROCESS'), 0x80000000);
  t.equal(actionValue('SCMP_ACT_TRAP'), 0x00030000);
  t.equal(actionValue('SCMP_ACT_ERRNO'), 0x00050001, 'EPERM when no errnoRet');
  t.equal(actionValue('SCMP_ACT_ERRNO', 38), 0x00050026);
  t.equal(actionValue('SCMP_ACT_TRACE'), 0x7ff00001);
  t.equal(actionValue('SCMP_ACT_LOG'), 0x7ffc0000);
  t.equal(actionValue('SCMP_ACT_ALLOW'), 0x7fff0000);
});

t.test('a Docker-format file compiles per arch, caps and kernel', async (t) => {
  const p = loadProfileFile(path.join(FIX, 'docker-small.json'));
  const x = runner(compile(p, { arch: 'x86_64', caps: [], kernel: [5, 10] }), 'x86_64');
  t.equal(x('open'), ALLOW);
  t.equal(x('getpid'), ALLOW);
  t.equal(x('mkdir'), (SECCOMP_RET.ERRNO | 13) >>> 0);
  t.equal(x('ioctl', [1, 21505]), ALLOW);
  t.equal(x('ioctl', [1, 21506]), EPERM);
  t.equal(x('mprotect', [0, 0, 3]), ALLOW, 'PROT_READ|PROT_WRITE');
  t.equal(x('mprotect', [0, 0, 5]), EPERM, 'PROT_EXEC refused by MASKED_EQ');
  t.equal(x('uname'), SECCOMP_RET.LOG, 'minKernel 4.14 <= 5.10');
  t.equal(x('arch_prctl'), ALLOW);
  t.equal(x('chown'), EPERM, 'no CAP_CHOWN');
  t.equal(x('kill'), SECCOMP_RET.TRAP, 'excluded only with CAP_KILL');
  t.equal(x('ptrace'), SECCOMP_RET.KILL_PROCESS);
  const x2 = runner(compile(p, { arch: 'x86_64', caps: ['CHOWN', 'KILL'], kernel: [4, 9] }), 'x86_64');
  t.equal(x2('chown'), ALLOW);
  t.equal(x2('kill'), EPERM);
  t.equal(x2('uname'), EPERM, 'minKernel 4.14 > 4.9');
  const a = runner(compile(p, { arch: 'aarch64', caps: [], kernel: [6, 1] }), 'aarch64');
  t.equal(a('openat'), ALLOW);
  t.equal(a('mkdirat'), (SECCOMP_RET.ERRNO | 13) >>> 0);
  t.equal(a('exit_group'), ALLOW);
  t.equal(a('fchownat'), EPERM);
});

t.test('long programs: far blocks through ja, conditional jumps stay short', async (t) => {
  // Every other x86_64 syscall gets its own conditional rule: hundreds of blocks,
  // search subtrees longer than 255 instructions.
  const names = Object.keys(X86_64_SYSCALLS).slice(0, 340);
  const syscalls = names.map((n, i) => ({ names: [n], action: 'SCMP_ACT_ALLOW', args: [{ index: i % 6, value: i, op: 'SCMP_CMP_EQ' as const }] }));
  const prog = compile({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls }, { arch: 'x86_64' });
  verifyProgram(prog);
  t.ok(prog.length / 8 > 1024, `${prog.length / 8} instructions`);
  t.ok(decode(prog).some((i) => i.code === 0x05 && i.k > 255), 'some ja is longer than a conditional jump could be');
  let bad = 0;
  names.forEach((n, i) => {
    const nr = syscallNumber('x86_64', n)!;
    const args = [0, 0, 0, 0, 0, 0];
    if (evaluate(prog, { arch: 'x86_64', nr, args }) !== (i === 0 ? ALLOW : SECCOMP_RET.KILL_PROCESS)) bad++;
    args[i % 6] = i;
    if (evaluate(prog, { arch: 'x86_64', nr, args }) !== ALLOW) bad++;
  });
  t.equal(bad, 0);
  const tooBig = Array.from({ length: 700 }, (_, i) => ({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: i, op: 'SCMP_CMP_GE' as const }, { index: 1, value: i, op: 'SCMP_CMP_NE' as const }] }));
  t.throws(() => compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: tooBig }, { arch: 'x86_64' }), { name: 'RangeError', message: /more than the kernel's 4096/ });
});

t.test('compile validates its input', async (t) => {
  t.throws(() => compile(DEFAULT_PROFILE, { arch: 'x64' } as unknown as CompileOptions), { name: 'RangeError', message: /seccomp arch: expected "x86_64" or "aarch64", got "x64"/ });
  t.throws(() => compile(DEFAULT_PROFILE, { arch: 'x86_64', kernel: [6] } as unknown as CompileOptions), { name: 'TypeError', message: /seccomp kernel/ });
  t.throws(() => compile({ defaultAction: 'SCMP_ACT_NOPE', syscalls: [] }, { arch: 'x86_64' }), { name: 'RangeError', message: /^seccomp\.defaultAction/ });
});

t.test('compileCached returns the same Buffer', async (t) => {
  clearCompileCache();
  const opts = { arch: 'x86_64' as const, caps: ['SETUID', 'CHOWN'], kernel: [6, 1] as [number, number] };
  const a = compileCached(DEFAULT_PROFILE, opts);
  t.equal(compileCached(DEFAULT_PROFILE, { ...opts, caps: ['CAP_CHOWN', 'SETUID', 'CHOWN'] }), a, 'same instance: caps sorted, deduplicated, prefix-insensitive');
  t.not(compileCached(DEFAULT_PROFILE, { ...opts, caps: ['SYS_ADMIN'] }), a, 'other caps, other program');
  t.not(compileCached(DEFAULT_PROFILE, { ...opts, arch: 'aarch64' }), a);
  t.not(compileCached(DEFAULT_PROFILE, { ...opts, kernel: [4, 4] }), a);
  t.ok(compileCached(DEFAULT_PROFILE, opts).equals(compile(DEFAULT_PROFILE, opts)), 'same bytes as compile()');
  const json = JSON.parse(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
  const b = compileCached(json, opts);
  t.equal(compileCached(json, opts), b, 'same object');
  t.equal(compileCached(JSON.parse(JSON.stringify(json)), opts), b, 'an equal profile built anew hits through the hash');
  t.equal(compileCached(parseProfile(json), opts), b);
  // Cheap on a hit.
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 10000; i++) compileCached(DEFAULT_PROFILE, opts);
  t.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 500, 'ten thousand hits well under a second');
});

t.test('bpf helpers: assembler, checker, disassembler, interpreter', async (t) => {
  const prog = assemble([ld(0), jeq(7, 'yes', 0), ret(SECCOMP_RET.ALLOW), { label: 'yes' }, ja('end'), ret(0), { label: 'end' }, ret(EPERM)]);
  t.same(decode(prog)[1], { code: 0x15, jt: 1, jf: 0, k: 7 });
  t.equal(evaluate(prog, { arch: 'x86_64', nr: 7 }), EPERM);
  t.equal(evaluate(prog, { arch: 'x86_64', nr: 8 }), ALLOW);
  t.same(disassemble(prog), ['0000: ld [0]', '0001: jeq #0x7 jt 3 jf 2', '0002: ret ALLOW', '0003: ja 5', '0004: ret KILL_THREAD', '0005: ret ERRNO(1)']);
  t.throws(() => verifyProgram(assemble([ld(0)])), /does not end with a return/);
  t.throws(() => verifyProgram(assemble([ld(64), ret(0)])), /outside struct seccomp_data/);
  t.throws(() => verifyProgram(assemble([ld(2), ret(0)])), /outside struct seccomp_data/);
  t.throws(() => verifyProgram(Buffer.from([0x15, 0, 5, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0])), /jump past the end/);
  t.throws(() => assemble([jeq(1, 'far'), ...Array.from({ length: 256 }, () => ret(0)), { label: 'far' }, ret(0)]), /256 instructions away \(max 255\)/);
  t.equal(evaluate(assemble([ld(4), ret(0)]), { arch: 'aarch64', nr: 1 }), 0);
  t.equal(evaluate(assemble([ld(4), { code: 0x16, k: 0 }]), { arch: 'aarch64', nr: 1 }), AUDIT_ARCH.aarch64, 'ret a');
  t.equal(evaluate(assemble([ld(20), { code: 0x16, k: 0 }]), { arch: 'x86_64', nr: 1, args: [0x1234567800000009n] }), 0x12345678, 'args[0] high word at offset 20');
});
