// spawn({ capabilities }) and spawn({ sharedNamespaces }): the plan carries the
// five capability sets as given, and joins namespace fds instead of making them.
import t from 'tap';
import * as F from '../../../lib/util/kernel-flags';
import { validateSpawn } from '../../../lib/spawn/options';
import { capSets, computePlan } from '../../../lib/spawn/plan';
import { CAPABILITY_NAMES } from '../../../lib/caps/names';

const plan = (options: Record<string, unknown>) => computePlan({ command: 'sh', args: [], options, ns: validateSpawn('sh', [], options), isFile: () => false, hostUid: 0, hostGid: 0 });
const num = (n: string) => (CAPABILITY_NAMES as readonly string[]).indexOf(n);

t.test('capabilities: each of the five sets as given, CAP_ prefix optional', async (t) => {
  const p = plan({ capabilities: { bounding: ['CAP_CHOWN', 'KILL', 'CAP_NET_RAW'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_NET_RAW'], ambient: ['CAP_NET_RAW'] } });
  t.same(p.caps?.bounding, [num('CHOWN'), num('KILL'), num('NET_RAW')].sort((a, b) => a - b));
  t.same(p.caps?.effective, [num('KILL')]);
  t.same(p.caps?.permitted, [num('CHOWN'), num('KILL')]);
  t.same(p.caps?.inheritable, [num('NET_RAW')]);
  t.same(p.caps?.ambient, [num('NET_RAW')]);
  t.same(plan({ capabilities: {} }).caps, { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [], last: 40 }, 'an absent set is empty');
});

t.test('capAdd/capDrop keep one set: bounding = permitted = effective for root, none effective for another uid', async (t) => {
  const root = capSets({ capDrop: ['ALL'], capAdd: ['KILL'] });
  t.same(root, { bounding: ['KILL'], effective: ['KILL'], permitted: ['KILL'], inheritable: [], ambient: [] });
  const user = capSets({ capDrop: ['ALL'], capAdd: ['KILL'], uid: 1000 });
  t.same(user, { bounding: ['KILL'], effective: [], permitted: [], inheritable: [], ambient: [] });
});

t.test('capabilities: bad input is a TypeError/RangeError naming the field', async (t) => {
  t.throws(() => plan({ capabilities: { bounding: ['CAP_NOPE'] } }), { name: 'RangeError', message: /capabilities\.bounding\[0\]/ });
  t.throws(() => plan({ capabilities: { bounding: ['ALL'] } }), { name: 'RangeError', message: /capabilities\.bounding\[0\]/ });
  t.throws(() => plan({ capabilities: { sideways: [] } }), { name: 'TypeError', message: /capabilities\.sideways/ });
  t.throws(() => plan({ capabilities: { bounding: 'CAP_KILL' } }), { name: 'TypeError', message: /capabilities\.bounding/ });
  t.throws(() => plan({ capabilities: {}, capAdd: ['KILL'] }), { name: 'RangeError', message: /capabilities cannot be combined with capAdd or capDrop/ });
});

t.test('sharedNamespaces: setns of the fds instead of CLONE_NEW*, the pid namespace by the cloning thread', async (t) => {
  const p = plan({ sharedNamespaces: { ipc: 5, uts: 6, pid: 7, cgroup: 8 } });
  t.equal(p.flags & (F.CLONE_NEWIPC | F.CLONE_NEWUTS | F.CLONE_NEWPID | F.CLONE_NEWCGROUP), 0, 'none of them made');
  t.equal(p.flags & F.CLONE_NEWNS, F.CLONE_NEWNS, 'the mount namespace still is');
  t.same(p.joins, [{ fd: 5, nstype: F.CLONE_NEWIPC }, { fd: 6, nstype: F.CLONE_NEWUTS }, { fd: 8, nstype: F.CLONE_NEWCGROUP }]);
  t.equal(p.joinPidFd, 7);
  t.ok(p.ops.some((o) => o.fstype === 'mqueue'), 'mqueue is mounted from the joined ipc namespace');
});

t.test('sharedNamespaces: bad input', async (t) => {
  t.throws(() => plan({ sharedNamespaces: { net: 3 } }), { name: 'TypeError', message: /sharedNamespaces\.net.*netns/ });
  t.throws(() => plan({ sharedNamespaces: { ipc: -1 } }), { name: 'RangeError', message: /sharedNamespaces\.ipc/ });
  t.throws(() => plan({ sharedNamespaces: { ipc: 3 }, namespaces: { ipc: false } }), { name: 'RangeError', message: /sharedNamespaces\.ipc needs namespaces\.ipc/ });
  t.throws(() => plan({ sharedNamespaces: { uts: 3 }, namespaces: { user: true } }), { name: 'RangeError', message: /cannot be joined from a new user namespace/ });
  t.throws(() => plan({ sharedNamespaces: 3 }), { name: 'TypeError', message: /sharedNamespaces/ });
});
