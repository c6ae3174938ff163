import t from 'tap';
import { capName, DOCKER_DEFAULT_CAPS, resolveCaps } from '../../../lib/security/caps';
import { resolveRlimits } from '../../../lib/security/rlimits';

t.test('capabilities: Docker\'s default, add, drop, ALL', async (t) => {
  t.equal(DOCKER_DEFAULT_CAPS.length, 14);
  t.same(resolveCaps(), ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP']);
  t.ok(resolveCaps(['cap_sys_admin']).includes('SYS_ADMIN'), 'case and CAP_ prefix do not matter');
  t.notOk(resolveCaps([], ['NET_RAW']).includes('NET_RAW'));
  t.same(resolveCaps([], ['ALL']), []);
  t.same(resolveCaps(['CHOWN'], ['ALL']), ['CHOWN'], 'an add survives a drop of ALL');
  t.equal(resolveCaps(['ALL']).length, 41);
  t.notOk(resolveCaps(['ALL'], ['SYS_ADMIN']).includes('SYS_ADMIN'), 'a named drop survives ALL added');
  t.throws(() => capName('capAdd[0]', 'NET_ADMN'), { name: 'RangeError', message: 'spawn: option capAdd[0] has an unknown capability "NET_ADMN"; did you mean "NET_ADMIN"?' });
  t.throws(() => capName('capAdd[0]', 5), TypeError);
});

t.test('capabilities the caller lacks: ALL takes what there is, a named one is refused', async (t) => {
  const available = new Set(resolveCaps(['ALL'], ['SYS_RESOURCE']));
  t.notOk(resolveCaps(['ALL'], [], available).includes('SYS_RESOURCE'));
  t.equal(resolveCaps(['ALL'], [], available).length, 40);
  t.same(resolveCaps([], [], available), resolveCaps(), 'the defaults are all there');
  t.throws(() => resolveCaps(['SYS_RESOURCE'], [], available), { name: 'RangeError', message: /capAdd\[0\] asks for SYS_RESOURCE, which this process's own bounding set lacks/ });
});

t.test('rlimits: ulimit names, unlimited, soft <= hard', async (t) => {
  t.same(resolveRlimits({ nofile: 1024, core: { soft: 0, hard: 'unlimited' } }), [
    { resource: 7, soft: 1024, hard: 1024 },
    { resource: 4, soft: 0, hard: Infinity },
  ]);
  t.same(resolveRlimits(undefined), []);
  t.throws(() => resolveRlimits({ nofiles: 1 }), { name: 'RangeError', message: /unknown limit "nofiles"; did you mean "nofile"\? \(valid: cpu, fsize,/ });
  t.throws(() => resolveRlimits({ nofile: -1 }), { name: 'RangeError', message: /rlimits.nofile.soft must be an integer from 0 to 2\^53-1 or "unlimited", got -1/ });
  t.throws(() => resolveRlimits({ nofile: { soft: 10, hard: 5 } }), { name: 'RangeError', message: /soft 10 above hard 5/ });
});
