import t from 'tap';
import { groupName, groupOwner, ownerTag, parseStartTime } from '../../../lib/cgroup/reclaim';

t.test('starttime is field 22 of /proc/<pid>/stat, whatever the command name holds', async (t) => {
  const rest = 'S 1 2 3 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 98765 1000 200';
  t.equal(parseStartTime(`123 (node) ${rest}`), '98765');
  t.equal(parseStartTime(`123 (a) b) c (d) ${rest}`), '98765', 'a comm with ") " in it');
  t.equal(parseStartTime(`123 (x y z) ${rest}`), '98765', 'a comm with spaces');
  t.equal(parseStartTime('garbage'), null);
  t.equal(parseStartTime('1 (x) S 1 2'), null, 'too short: no start time');
});

t.test("group names: bulkhead-<pid>-<starttime>-<n>; anything else is not ours", async (t) => {
  const a = groupName();
  const b = groupName();
  t.match(a, new RegExp(`^bulkhead-${ownerTag()}-\\d+$`));
  t.not(a, b, 'each spawn its own');
  t.same(groupOwner(a), { pid: process.pid, startTime: ownerTag().split('-')[1] });
  for (const other of ['bulkhead', 'bulkhead-12-3', 'bulkhead-test-abc', 'bulkhead-1-2-3-4', 'bulkhead-neighbour-x', 'user.slice', 'bulkhead-1-2-x']) t.equal(groupOwner(other), null, other);
});
