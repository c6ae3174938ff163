// The limit benchmark's pure parts: reading bench-helper's reports and the
// arithmetic on them. No kernel, no root.
import t from 'tap';
import { crossing, LIMIT_CASES, msPerMiB, parseForks, parseHog, parseIo } from '../../../benchmarks/limits';

const MiB = 1024 * 1024;

t.test('parseHog: marks and the end, CLOCK_MONOTONIC nanoseconds as bigints', async (t) => {
  const h = parseHog('m 1000000000 0 4096\nm 1002000000 65536 73728\ngarbage\nm 1\ndone 1004000000 131072\n');
  t.same(h.marks, [
    { t: 1000000000n, touched: 0, current: 4096 },
    { t: 1002000000n, touched: 65536, current: 73728 },
  ]);
  t.same(h.done, { t: 1004000000n, touched: 131072 });
  t.same(parseHog(''), { marks: [], done: null });
});

t.test('msPerMiB: time per MiB below and above a line, from consecutive marks', async (t) => {
  // 1 MiB chunks: two below the 2 MiB line at 10 ms each, two above at 100 ms each.
  const lines = [0, 10, 20, 120].map((ms, i) => `m ${BigInt(ms) * 1000000n} ${i * MiB} -1`);
  const h = parseHog(`${lines.join('\n')}\ndone 220000000 ${4 * MiB}\n`);
  const r = msPerMiB(h, 2 * MiB);
  t.equal(r.below, 10);
  t.equal(r.above, 100);
  t.same(msPerMiB(parseHog('m 0 0 -1\n'), MiB), { below: null, above: null });
});

t.test('crossing: the first mark from which the next chunk goes over the limit', async (t) => {
  const chunk = 64 * 1024;
  const limit = 1 * MiB;
  const h = parseHog(['m 10 0 4096', `m 20 ${chunk} ${limit - 2 * chunk}`, `m 30 ${2 * chunk} ${limit - chunk + 4096}`, `m 40 ${3 * chunk} ${limit}`, `m 50 ${4 * chunk} ${limit}`].join('\n'));
  t.same(crossing(h, limit, chunk), { t: 30n, current: limit - chunk + 4096, marksAfter: 2 });
  t.equal(crossing(parseHog('m 1 0 4096\nm 2 0 -1\n'), limit, chunk), null, 'never near the limit (or unreadable)');
});

t.test('parseForks and parseIo', async (t) => {
  t.same(parseForks('forks 31 EAGAIN\n'), { forks: 31, error: 'EAGAIN' });
  t.equal(parseForks('error x\n'), null);
  const io = parseIo(`io ${8 * MiB} 1000000000 5000000000\n`);
  t.same(io, { bytes: 8 * MiB, seconds: 4, mibPerSec: 2 });
  t.equal(parseIo(''), null);
});

t.test('the limit cases: every one runs (none waits on a missing feature), ids unique', async (t) => {
  const ids = LIMIT_CASES.map((c) => c.id);
  t.equal(new Set(ids).size, ids.length);
  for (const c of LIMIT_CASES) {
    t.equal(c.needs, undefined, `${c.id} needs nothing unbuilt`);
    t.type(c.run, 'function', `${c.id} has a run`);
  }
  for (const p of [10, 25, 50, 100]) t.ok(ids.includes(`cpu-max-${p}`));
  for (const m of [16, 64, 256]) t.ok(ids.includes(`memory-max-${m}`));
  t.ok(ids.includes('memory-high-64'));
  t.ok(ids.some((i) => i.startsWith('pids-max-')));
  t.ok(ids.some((i) => i.startsWith('io-max-read-')) && ids.some((i) => i.startsWith('io-max-write-')));
  t.ok(ids.includes('overhead-cpu') && ids.includes('overhead-syscall'));
});
