import t from 'tap';
import { validateSpawn } from '../../../lib/spawn/options';
import { parseBytes } from '../../../lib/cli/run/config';
import { parseSize, toBytes } from '../../../lib/util/size';
import { shown } from '../../../lib/util/shown';

t.test('toBytes: one grammar, powers of 1024', async (t) => {
  t.equal(toBytes('100'), 100);
  t.equal(toBytes('64m'), 64 * 1024 ** 2);
  t.equal(toBytes('64 M'), 64 * 1024 ** 2, 'docker allows a space');
  t.equal(toBytes('1.5g'), 1.5 * 1024 ** 3);
  t.equal(toBytes('.5k'), 512);
  t.equal(toBytes('64MiB'), 64 * 1024 ** 2);
  t.equal(toBytes('64b'), 64);
  t.equal(toBytes(4096), 4096);
  for (const bad of ['64q', '', 'm', '-1', '1e3', 'max']) t.equal(toBytes(bad), null, `${bad} is not a size`);
  t.equal(toBytes(-1), null);
  t.equal(toBytes(1.5), null);
});

t.test('spawn, cgroup limits and bulkhead run read sizes the same way', async (t) => {
  for (const text of ['1.5g', '64MiB', '512k']) {
    t.equal(parseSize('memory.max', text), toBytes(text), `cgroup ${text}`);
    t.equal(parseBytes('memory', text), toBytes(text), `run ${text}`);
    t.doesNotThrow(() => validateSpawn('sh', [], { mounts: [{ type: 'tmpfs', target: '/x', size: text }] }), `spawn tmpfs ${text}`);
  }
  t.throws(() => parseSize('memory.max', '64q'), { name: 'RangeError', message: 'memory.max: expected bytes like 64m, 1.5g or "max", got "64q"' });
  t.throws(() => parseSize('memory.min', 'max', false), RangeError);
});

t.test('shown: how a received value reads in an error', async (t) => {
  t.equal(shown('x'), '"x"');
  t.equal(shown(3), '3');
  t.equal(shown(3n), '3n');
  t.equal(shown(undefined), 'undefined');
  t.equal(shown({ a: 1 }), '{"a":1}');
});
