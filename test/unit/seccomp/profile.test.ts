import * as path from 'node:path';
import t from 'tap';
import { DEFAULT_PROFILE } from '../../../lib/seccomp/default';
import { loadProfileFile, parseProfile, profileToJSON } from '../../../lib/seccomp/profile';

const FIX = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'seccomp');
const base = (syscalls: unknown[], extra: object = {}) => ({ defaultAction: 'SCMP_ACT_ERRNO', syscalls, ...extra });

t.test('errors name the field path and the value', async (t) => {
  const ok = { names: ['read'], action: 'SCMP_ACT_ALLOW' };
  t.throws(() => parseProfile(base([ok, ok, ok, { names: ['x'], action: 'SCMP_ACT_FOO' }])), {
    name: 'RangeError',
    message: /^seccomp\.syscalls\[3\]\.action: unknown action "SCMP_ACT_FOO" \(valid: SCMP_ACT_ALLOW, /,
  });
  t.throws(() => parseProfile({ defaultAction: 'ALLOW', syscalls: [] }), { name: 'RangeError', message: /^seccomp\.defaultAction: unknown action "ALLOW"/ });
  t.throws(() => parseProfile({ syscalls: [] }), { name: 'TypeError', message: /^seccomp\.defaultAction: expected a string, got undefined/ });
  t.throws(() => parseProfile(base([{ names: 'read', action: 'SCMP_ACT_ALLOW' }])), { name: 'TypeError', message: /^seccomp\.syscalls\[0\]\.names: expected an array of strings, got "read"/ });
  t.throws(() => parseProfile(base([{ names: ['read', 7], action: 'SCMP_ACT_ALLOW' }])), { name: 'TypeError', message: /syscalls\[0\]\.names\[1\]: expected a non-empty string, got 7/ });
  t.throws(() => parseProfile(base([{ names: ['Read!'], action: 'SCMP_ACT_ALLOW' }])), { name: 'RangeError', message: /names\[0\]: not a system call name: "Read!"/ });
  t.throws(() => parseProfile(base([{ ...ok, args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }])), { name: 'RangeError', message: /^seccomp\.syscalls\[0\]\.args\[0\]\.index: system calls have arguments 0\.\.5, got 6/ });
  t.throws(() => parseProfile(base([{ ...ok, args: [{ index: 0, value: 0, op: 'SCMP_CMP_XX' }] }])), { name: 'RangeError', message: /args\[0\]\.op: unknown operator "SCMP_CMP_XX"/ });
  t.throws(() => parseProfile(base([{ ...ok, args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }])), { name: 'RangeError', message: /args\[0\]\.value: must be 0\.\.2\^64-1, got -1/ });
  t.throws(() => parseProfile(base([{ ...ok, args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }])), { name: 'RangeError', message: /args\[0\]\.value: .* lost precision/ });
  t.throws(() => parseProfile(base([{ ...ok, args: [{ index: 0, value: 'lots', op: 'SCMP_CMP_EQ' }] }])), { name: 'TypeError', message: /args\[0\]\.value: expected an unsigned 64-bit integer/ });
  t.throws(() => parseProfile(base([{ ...ok, errnoRet: 1 }])), { name: 'RangeError', message: /syscalls\[0\]\.errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take errnoRet, not SCMP_ACT_ALLOW/ });
  t.throws(() => parseProfile(base([{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 5000 }])), { name: 'RangeError', message: /errnoRet: errno must be 0\.\.4095, got 5000/ });
  t.throws(() => parseProfile(base([{ ...ok, includes: { minKernel: '4' } }])), { name: 'RangeError', message: /syscalls\[0\]\.includes\.minKernel: expected a kernel version "<major>\.<minor>" such as "4\.8", got "4"/ });
  t.throws(() => parseProfile(base([{ ...ok, includes: { arches: ['amd46'] } }])), { name: 'RangeError', message: /includes\.arches\[0\]: unknown architecture "amd46"/ });
  t.throws(() => parseProfile(base([{ ...ok, excludes: { cups: [] } }])), { name: 'RangeError', message: /syscalls\[0\]\.excludes: unknown field "cups"/ });
  t.throws(() => parseProfile(base([{ ...ok, nmaes: ['x'] }])), { name: 'RangeError', message: /syscalls\[0\]: unknown field "nmaes"/ });
  t.throws(() => parseProfile(base([{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }])), { name: 'RangeError', message: /both "name" and "names"/ });
  t.throws(() => parseProfile(base([], { architectures: ['SCMP_ARCH_Z80'] })), { name: 'RangeError', message: /^seccomp\.architectures\[0\]: unknown architecture "SCMP_ARCH_Z80"/ });
  t.throws(() => parseProfile(base([], { listenerPath: '/run/x.sock' })), { name: 'RangeError', message: /listenerPath: seccomp user notification is not supported/ });
  t.throws(() => parseProfile(base([], { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 })), { name: 'RangeError', message: /^seccomp\.defaultErrnoRet/ });
  t.throws(() => parseProfile('{"defaultAction":'), { name: 'TypeError', message: /^seccomp: not valid JSON/ });
  t.throws(() => parseProfile(null), { name: 'TypeError', message: /^seccomp: expected an object, got null/ });
});

t.test('values: numbers, bigints, strings; null means absent as in Go', async (t) => {
  const p = parseProfile(base([{
    names: ['read'], action: 'SCMP_ACT_ALLOW', includes: null, excludes: null,
    args: [
      { index: 0, value: 5, op: 'SCMP_CMP_EQ' },
      { index: 1, value: 0xffffffffffffffffn, op: 'SCMP_CMP_LE' },
      { index: 2, value: '0x7E020000', valueTwo: '12', op: 'SCMP_CMP_MASKED_EQ' },
    ],
  }], { architectures: null }));
  t.same(p.syscalls[0].args.map((a) => [a.value, a.valueTwo]), [[5n, 0n], [0xffffffffffffffffn, 0n], [0x7e020000n, 12n]]);
  t.equal(p.syscalls[0].includes, undefined);
  t.ok(Object.isFrozen(p) && Object.isFrozen(p.syscalls[0]) && Object.isFrozen(p.syscalls[0].args[0]));
  t.equal(parseProfile(p), p, 'a parsed profile passes through');
  t.same(parseProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' })).syscalls, [], 'no syscalls: only the default');
});

t.test('a Docker-format JSON file loads', async (t) => {
  const p = loadProfileFile(path.join(FIX, 'docker-small.json'));
  t.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  t.equal(p.defaultErrnoRet, 1);
  t.same(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  t.same(p.syscalls[1].names, ['getpid'], 'the deprecated "name" form');
  t.same(p.syscalls[7].includes, { caps: ['CHOWN'] }, 'CAP_ prefix dropped');
  t.same(p.syscalls[5].includes, { minKernel: [4, 14] });
  t.throws(() => loadProfileFile(path.join(FIX, 'missing.json')), { code: 'ENOENT', message: /missing\.json/ });
});

t.test('profileToJSON round-trips, the default profile included', async (t) => {
  const text = JSON.stringify(profileToJSON(DEFAULT_PROFILE));
  t.same(parseProfile(text), DEFAULT_PROFILE);
  const big = parseProfile(base([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1n << 63n, op: 'SCMP_CMP_GE' }] }]));
  t.same(parseProfile(JSON.stringify(profileToJSON(big))), big);
});

t.test('the default profile keeps Docker\'s decisions', async (t) => {
  const rules = DEFAULT_PROFILE.syscalls;
  const always = new Set(rules.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.includes && !r.excludes && !r.args.length).flatMap((r) => r.names));
  for (const n of ['read', 'write', 'execve', 'exit_group', 'openat', 'sched_setaffinity', 'seccomp', 'prctl', 'pidfd_open']) t.ok(always.has(n), `${n} always allowed`);
  for (const n of ['mount', 'umount2', 'unshare', 'setns', 'keyctl', 'add_key', 'request_key', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'reboot', 'settimeofday', 'clock_settime', 'sethostname', 'setdomainname', 'ptrace', 'clone', 'clone3', 'bpf', 'io_uring_setup', 'userfaultfd', 'open_by_handle_at', 'chroot', 'acct', 'vhangup']) {
    t.notOk(always.has(n), `${n} not unconditionally allowed`);
  }
  const byCap = (cap: string) => rules.filter((r) => r.includes?.caps?.includes(cap)).flatMap((r) => r.names);
  t.ok(byCap('SYS_ADMIN').includes('sethostname'), 'sethostname needs CAP_SYS_ADMIN, as in Docker');
  t.same(byCap('SYS_TIME'), ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']);
  t.same(byCap('SYS_MODULE'), ['delete_module', 'init_module', 'finit_module']);
  t.same(byCap('SYS_BOOT'), ['reboot']);
  t.same(rules.find((r) => r.names.includes('ptrace'))?.includes, { minKernel: [4, 8] });
});
