import t from 'tap';
import { compileDeviceRules, evaluateDeviceProgram, DEFAULT_DEVICE_RULES, formatRule, ruleProblem, splitDev, type DeviceRule } from '../../../lib/cgroup/devices/index';
import { validateSpawn } from '../../../lib/spawn/options';

type Req = Parameters<typeof evaluateDeviceProgram>[1];
const allows = (rules: readonly DeviceRule[]) => {
  const prog = compileDeviceRules(rules);
  return (type: 'b' | 'c', major: number, minor: number, access: string) => evaluateDeviceProgram(prog, { type, major, minor, access } as Req) === 1;
};

t.test("Docker's default list: mknod of anything, read and write only of the container's own devices", async (t) => {
  const ok = allows(DEFAULT_DEVICE_RULES);
  for (const [major, minor] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, 0], [136, 4095], [10, 200]]) {
    for (const access of ['r', 'w', 'rw', 'm', 'rwm']) t.ok(ok('c', major, minor, access), `c ${major}:${minor} ${access}`);
    t.notOk(ok('b', major, minor, 'r'), `b ${major}:${minor} r is another device`);
  }
  t.ok(ok('b', 7, 0, 'm'), 'mknod of a block device');
  t.ok(ok('c', 1, 11, 'm'), 'mknod of /dev/kmsg');
  for (const access of ['r', 'w', 'rw']) {
    t.notOk(ok('b', 7, 0, access), `loop0 ${access}`);
    t.notOk(ok('b', 8, 0, access), `sda ${access}`);
    t.notOk(ok('c', 1, 11, access), `kmsg ${access}`);
    t.notOk(ok('c', 10, 232, access), `kvm ${access}`);
    t.notOk(ok('c', 10, 229, access), `fuse ${access}`);
    t.notOk(ok('c', 10, 237, access), `loop-control ${access}`);
    t.notOk(ok('c', 1, 1, access), `mem ${access}`);
    t.notOk(ok('c', 1, 4, access), `port ${access}`);
  }
  t.notOk(ok('c', 10, 201, 'r'), 'only 10:200 of misc');
  t.notOk(ok('c', 137, 0, 'r'), 'only 136 of the pts majors');
});

t.test('a user rule grants exactly its device and its access', async (t) => {
  const ok = allows([...DEFAULT_DEVICE_RULES, { type: 'b', major: 7, minor: 3, access: 'r' }]);
  t.ok(ok('b', 7, 3, 'r'));
  t.notOk(ok('b', 7, 3, 'w'), 'no write');
  t.notOk(ok('b', 7, 3, 'rw'), 'an O_RDWR open asks for both');
  t.notOk(ok('b', 7, 4, 'r'), 'the next minor');
  t.notOk(ok('c', 7, 3, 'r'), 'a char device of the same numbers');
  const any = allows([{ type: 'a', major: '*', minor: '*', access: 'rwm' }]);
  t.ok(any('b', 8, 0, 'rw') && any('c', 1, 11, 'w'), "'a *:* rwm' allows all");
  const none = allows([]);
  t.notOk(none('c', 1, 3, 'r'), 'no rule: default deny');
  t.notOk(none('c', 1, 3, 'm'));
  const wm = allows([{ type: 'c', major: 4, minor: '*', access: 'wm' }]);
  t.ok(wm('c', 4, 9, 'w') && wm('c', 4, 9, 'm'));
  t.notOk(wm('c', 4, 9, 'r'));
});

t.test('program shape: 8-byte instructions, a prologue, one block per rule, default deny', async (t) => {
  const one = compileDeviceRules([{ type: 'c', major: 1, minor: 3, access: 'rwm' }]);
  // 6 prologue + (type, major, minor, mov, exit) + (mov 0, exit)
  t.equal(one.length, (6 + 5 + 2) * 8);
  t.same([...one.subarray(one.length - 16)], [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0], 'ends with r0 = 0; exit');
  t.throws(() => compileDeviceRules([{ type: 'c', major: 1, minor: 3, access: 'x' }]), RangeError);
});

t.test('rules: validation, formatting, st_rdev split', async (t) => {
  t.equal(formatRule(DEFAULT_DEVICE_RULES[0]), 'c *:* m');
  t.equal(formatRule({ type: 'c', major: 136, minor: '*', access: 'mwr' }), 'c 136:* rwm');
  t.equal(ruleProblem({ type: 'c', major: 1, minor: 3, access: 'rw' }), null);
  t.match(ruleProblem({ type: 'x' as 'c', major: 1, minor: 3, access: 'rw' }), /type/);
  t.match(ruleProblem({ type: 'c', major: 4096, minor: 3, access: 'rw' }), /major/);
  t.match(ruleProblem({ type: 'c', major: 1, minor: -1, access: 'rw' }), /minor/);
  t.match(ruleProblem({ type: 'c', major: 1, minor: 1, access: 'rr' }), /access/);
  t.same(splitDev(0x0703), { major: 7, minor: 3 });
  t.same(splitDev(0x10300), { major: 259, minor: 0 }, 'major above 255 (blkext)');
  // makedev(259, 300): minor's high bits go to bits 20..31.
  t.same(splitDev((300 & 0xff) | (259 << 8) | ((300 & ~0xff) << 12)), { major: 259, minor: 300 });
});

t.test('spawn option devices: TypeError/RangeError naming the option and the value', async (t) => {
  t.doesNotThrow(() => validateSpawn('true', [], { devices: 'unrestricted' }));
  t.doesNotThrow(() => validateSpawn('true', [], { devices: [{ path: '/dev/loop7', containerPath: '/dev/xvda', permissions: 'rw' }] }));
  t.throws(() => validateSpawn('true', [], { devices: 'all' as 'unrestricted' }), { name: 'TypeError', message: /option devices must be an array .* or "unrestricted", got "all"/ });
  t.throws(() => validateSpawn('true', [], { devices: [{ path: 'dev/loop7' }] }), { name: 'RangeError', message: /devices\[0\]\.path must be an absolute path, got "dev\/loop7"/ });
  t.throws(() => validateSpawn('true', [], { devices: [{ path: '/dev/loop7', permissions: 'rx' }] }), { name: 'RangeError', message: /devices\[0\]\.permissions must be some of .*, got "rx"/ });
  t.throws(() => validateSpawn('true', [], { devices: [{ path: '/dev/loop7', containerPath: '/../x' }] }), { name: 'RangeError', message: /devices\[0\]\.containerPath/ });
  t.throws(() => validateSpawn('true', [], { devices: [{ path: '/dev/loop7', mode: 1 } as never] }), { name: 'TypeError', message: /unknown option "devices\[0\]\.mode"/ });
  t.throws(() => validateSpawn('true', [], { devices: [{ path: '/dev/loop7' }], namespaces: { mount: false } }), { name: 'RangeError', message: /devices needs namespaces\.mount/ });
});
