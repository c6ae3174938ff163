import t from 'tap';
import { triggerLine } from '../../../lib/cgroup/pressure';

t.test('PSI trigger lines and their bounds (psi.rst)', async (t) => {
  t.equal(triggerLine({ resource: 'memory', stallUs: 150_000, windowUs: 1_000_000 }), 'some 150000 1000000');
  t.equal(triggerLine({ resource: 'io', kind: 'full', stallUs: 1, windowUs: 10_000_000 }), 'full 1 10000000');
  t.throws(() => triggerLine({ resource: 'disk' as never, stallUs: 1, windowUs: 1_000_000 }), { name: 'TypeError', message: /pressure.resource/ });
  t.throws(() => triggerLine({ resource: 'cpu', kind: 'most' as never, stallUs: 1, windowUs: 1_000_000 }), { name: 'TypeError', message: /pressure.kind/ });
  t.throws(() => triggerLine({ resource: 'cpu', stallUs: 1, windowUs: 499_999 }), { name: 'RangeError', message: /windowUs: expected microseconds from 500000 to 10000000, got 499999/ });
  t.throws(() => triggerLine({ resource: 'cpu', stallUs: 2_000_001, windowUs: 2_000_000 }), { name: 'RangeError', message: /stallUs: expected microseconds from 1 to windowUs \(2000000\), got 2000001/ });
  t.throws(() => triggerLine({ resource: 'cpu', stallUs: 0, windowUs: 2_000_000 }), RangeError);
});
