import t from 'tap';
import { formatHelp, parseFlags, UsageError, type FlagSpec } from '../../../lib/cli/args';
import { editDistance, nearest } from '../../../lib/util/nearest';

const SPECS: FlagSpec[] = [
  { name: 'json', type: 'boolean', help: 'json' },
  { name: 'memory', short: 'm', type: 'string', value: 'BYTES', help: 'memory' },
  { name: 'env', short: 'e', type: 'list', help: 'env' },
];

t.test('editDistance and nearest', async (t) => {
  t.equal(editDistance('kitten', 'sitting'), 3);
  t.equal(editDistance('', 'abc'), 3);
  t.equal(nearest('--jsn', ['--json', '--memory']), '--json');
  t.equal(nearest('--zzzzzzzz', ['--json', '--memory']), undefined, 'nothing close');
});

t.test('parses long, short, inline and repeated flags, and -- rest', async (t) => {
  const p = parseFlags(['--json', '-m', '64m', '--env=A=1', '-eB=2', 'pos', '--', '-x', '--y'], SPECS, 'run');
  t.same(p.flags, { json: true, memory: '64m', env: ['A=1', 'B=2'] });
  t.same(p.positionals, ['pos']);
  t.same(p.rest, ['-x', '--y']);
  t.equal(parseFlags([], SPECS, 'run').rest, null);
  t.same(parseFlags(['--json=false'], SPECS, 'run').flags, { json: false });
});

t.test('unknown flags name themselves, the nearest and the valid ones', async (t) => {
  t.throws(() => parseFlags(['--jsn'], SPECS, 'info'), {
    name: 'UsageError',
    message: 'bulkhead info: unknown flag --jsn; did you mean --json? (valid: --json, --memory, --env)',
  });
  t.throws(() => parseFlags(['-q'], SPECS, 'info'), { message: /unknown flag -q \(valid:/ });
  t.throws(() => parseFlags(['--memory'], SPECS, 'run'), { message: 'bulkhead run: --memory needs a value' });
  t.throws(() => parseFlags(['--json=yes'], SPECS, 'run'), { message: /--json takes no value \(got "yes"\)/ });
  const err = (() => {
    try {
      parseFlags(['--nope'], SPECS, 'x');
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof UsageError);
  t.equal((err as UsageError).exitCode, 2);
});

t.test('help lists every flag with its meaning, aligned', async (t) => {
  const h = formatHelp('bulkhead x', 'Does x.', SPECS);
  t.match(h, /^Usage: bulkhead x\n\nDoes x\.\n\nOptions:\n/);
  t.match(h, /      --json          json\n/);
  t.match(h, /  -m, --memory BYTES  memory\n/);
});
