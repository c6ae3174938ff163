// spawn({ netns }): the plan joins the prepared namespace instead of making one
// (network: lib/network prepares it; native/spawn/child.cc setns first).
import t from 'tap';
import * as F from '../../../lib/util/kernel-flags';
import { validateSpawn } from '../../../lib/spawn/options';
import { computePlan } from '../../../lib/spawn/plan';

const plan = (options: Record<string, unknown>) =>
  computePlan({ command: 'sh', args: [], options, ns: validateSpawn('sh', [], options), isFile: () => false, hostUid: 0, hostGid: 0 });

t.test('netns: setns instead of CLONE_NEWNET, no lo_up, sysfs of that namespace', async (t) => {
  const p = plan({ netns: 7 });
  t.equal(p.netnsFd, 7);
  t.equal(p.flags & F.CLONE_NEWNET, 0, 'no new network namespace');
  t.not(p.flags & F.CLONE_NEWPID, 0, 'the other namespaces stay');
  t.equal(p.loUp, false, 'lo was brought up when the namespace was prepared');
  t.ok(p.ops.some((o) => o.op === 'mount' && o.fstype === 'sysfs'), 'a sysfs of its own namespace');
  const q = plan({});
  t.equal(q.netnsFd, undefined);
  t.not(q.flags & F.CLONE_NEWNET, 0);
});

t.test('bad netns is a RangeError naming the option', async (t) => {
  t.throws(() => plan({ netns: -1 }), { name: 'RangeError', message: /netns/ });
  t.throws(() => plan({ netns: 1.5 }), { name: 'RangeError', message: /netns/ });
  t.throws(() => plan({ netns: 3, namespaces: { net: false } }), { name: 'RangeError', message: /netns needs namespaces\.net/ });
  t.throws(() => plan({ netns: 3, namespaces: { user: true } }), { name: 'RangeError', message: /netns cannot be joined from a new user namespace/ });
});
