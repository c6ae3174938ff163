import t from 'tap';
import { expectObject, parseInteger } from '../../../lib/cgroup/units';
import { parseSize } from '../../../lib/util/size';

t.test('parseSize: numbers are bytes, strings take k/m/g/t/p in powers of 1024', async (t) => {
  t.equal(parseSize('memory.max', 0), 0);
  t.equal(parseSize('memory.max', 4096), 4096);
  t.equal(parseSize('memory.max', '100'), 100);
  t.equal(parseSize('memory.max', '512k'), 512 * 1024);
  t.equal(parseSize('memory.max', '64m'), 64 * 1024 * 1024);
  t.equal(parseSize('memory.max', '64M'), 64 * 1024 * 1024, 'case does not matter');
  t.equal(parseSize('memory.max', '64MiB'), 64 * 1024 * 1024);
  t.equal(parseSize('memory.max', '64mb'), 64 * 1024 * 1024);
  t.equal(parseSize('memory.max', '1.5g'), 1.5 * 1024 ** 3);
  t.equal(parseSize('memory.max', '.5k'), 512);
  t.equal(parseSize('memory.max', '2t'), 2 * 1024 ** 4);
  t.equal(parseSize('memory.max', '1.0001k'), 1024, 'fractions of a byte round down');
  t.equal(parseSize('memory.max', 'max'), 'max');
  t.equal(parseSize('memory.max', ' MAX '), 'max');
});

t.test('parseSize: bad values are RangeErrors naming the field and the value', async (t) => {
  t.throws(() => parseSize('memory.max', '64q'), new RangeError('memory.max: expected bytes like 64m, 1.5g or "max", got "64q"'));
  t.throws(() => parseSize('memory.high', -1), new RangeError('memory.high: expected bytes like 64m, 1.5g or "max", got -1'));
  t.throws(() => parseSize('memory.low', NaN), { name: 'RangeError', message: /^memory\.low: .* got NaN$/ });
  t.throws(() => parseSize('memory.min', ''), { name: 'RangeError', message: /^memory\.min: .* got ""$/ });
  t.throws(() => parseSize('memory.max', 1.5), { name: 'RangeError', message: /got 1\.5$/ }, 'a fraction of a byte as a number');
  t.throws(() => parseSize('memory.max', Infinity), RangeError);
  t.throws(() => parseSize('memory.max', '-5m'), RangeError);
  t.throws(() => parseSize('memory.max', '5 m b x'), RangeError);
  t.throws(() => parseSize('memory.max', '1e3'), RangeError);
  t.throws(() => parseSize('memory.max', '99999999p'), RangeError, 'beyond 2^53');
  t.throws(() => parseSize('memory.max', null), { message: 'memory.max: expected bytes like 64m, 1.5g or "max", got null' });
  t.throws(() => parseSize('memory.max', { a: 1 }), { message: /got \{"a":1\}$/ });
  t.throws(() => parseSize('hugetlb.2MB', 'max', false), { message: 'hugetlb.2MB: expected bytes like 64m, 1.5g, got "max"' });
});

t.test('parseInteger: bounds, "max" and numeric strings', async (t) => {
  t.equal(parseInteger('cpu.weight', 1, { min: 1, max: 10000 }), 1);
  t.equal(parseInteger('cpu.weight', '10000', { min: 1, max: 10000 }), 10000);
  t.throws(() => parseInteger('cpu.weight', 0, { min: 1, max: 10000 }), new RangeError('cpu.weight: expected an integer from 1 to 10000, got 0'));
  t.throws(() => parseInteger('cpu.weight', 10001, { min: 1, max: 10000 }), RangeError);
  t.throws(() => parseInteger('cpu.weight', 1.5, { min: 1, max: 10000 }), RangeError);
  t.equal(parseInteger('pids.max', 'max', { min: 0, allowMax: true }), 'max');
  t.throws(() => parseInteger('pids.max', -1, { min: 0, allowMax: true }), new RangeError('pids.max: expected an integer >= 0 or "max", got -1'));
  t.throws(() => parseInteger('pids.max', 'max', { min: 0 }), RangeError, '"max" only where allowed');
});

t.test('expectObject: TypeError for non-objects and unknown keys, listing the valid ones', async (t) => {
  t.same(expectObject('memory', { max: 1 }, ['max', 'high']), { max: 1 });
  t.throws(() => expectObject('memory', 5, ['max', 'high']), new TypeError('memory: expected an object with max, high, got 5'));
  t.throws(() => expectObject('memory', [], ['max']), TypeError);
  t.throws(() => expectObject('memory', { maxx: 1 }, ['max', 'high']), new TypeError('memory.maxx: unknown limit (valid: max, high)'));
});
