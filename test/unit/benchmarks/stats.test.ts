// benchmarks/stats.ts: the summary statistics every benchmark row reports.
import t from 'tap';
import { mean, median, p95, percentile, perSecond, ratio, stddev, summarize } from '../../../benchmarks/stats';

t.test('median: middle value, or the mean of the two middle ones; order does not matter', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.equal(median([7]), 7);
  const input = [5, 1, 4];
  median(input);
  t.same(input, [5, 1, 4], 'the input is not sorted in place');
});

t.test('percentile: linear between closest ranks (numpy and R default)', async (t) => {
  const one20 = Array.from({ length: 20 }, (_, i) => i + 1);
  t.equal(p95(one20), 19.05);
  t.equal(percentile(one20, 0), 1);
  t.equal(percentile(one20, 100), 20);
  t.equal(percentile([10, 20], 25), 12.5);
  t.equal(p95([2, 2, 2]), 2);
  t.throws(() => percentile([1], 101), RangeError);
  t.throws(() => percentile([1], -1), RangeError);
  t.throws(() => percentile([1], Number.NaN), RangeError);
});

t.test('mean and sample standard deviation', async (t) => {
  t.equal(mean([1, 2, 3, 4]), 2.5);
  t.ok(Math.abs(stddev([2, 4, 4, 4, 5, 5, 7, 9]) - 2.138089935299395) < 1e-12, 'n - 1 in the denominator');
  t.equal(stddev([5]), 0, 'one sample: 0');
  t.equal(stddev([3, 3, 3]), 0);
});

t.test('no samples, or a sample that is not a finite number, is an error', async (t) => {
  for (const f of [median, p95, mean, stddev, summarize]) {
    t.throws(() => f([]), RangeError, `${f.name}([])`);
    t.throws(() => f([1, Number.NaN]), RangeError, `${f.name} with NaN`);
    t.throws(() => f([1, Infinity]), RangeError, `${f.name} with Infinity`);
  }
});

t.test('ratio: a / b, null when it has no meaning', async (t) => {
  t.equal(ratio(3, 1.5), 2);
  t.equal(ratio(0, 2), 0);
  t.equal(ratio(1, 0), null);
  t.equal(ratio(1, -1), null);
  t.equal(ratio(null, 1), null);
  t.equal(ratio(1, undefined), null);
  t.equal(ratio(Number.NaN, 1), null);
  t.equal(ratio(1, Infinity), null);
});

t.test('summarize and perSecond', async (t) => {
  const s = summarize([4, 1, 3, 2]);
  t.same({ ...s, p95: undefined }, { n: 4, min: 1, max: 4, mean: 2.5, median: 2.5, p95: undefined, stddev: Math.sqrt(5 / 3) });
  t.ok(Math.abs(s.p95 - 3.85) < 1e-12, 'p95 of 1..4');
  t.equal(perSecond(50, 100), 500);
  t.equal(perSecond(1, 0), null);
});
