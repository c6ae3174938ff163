// One base class for what Bulkhead reports at run time; bad input stays a
// TypeError/RangeError with a code and the option; describe() never throws.
import t from 'tap';
import { BulkheadError, describe, IsolationError, optionRangeError, optionTypeError } from '../../lib/errors';
import { CgroupError } from '../../lib/cgroup/io';
import { ControllerUnavailableError } from '../../lib/cgroup/enable';
import { NativeLoadError } from '../../lib/native/load';
import { ExitError } from '../../lib/spawn/subprocess';

t.test('every run-time error is a BulkheadError with a code, and step/path/syscall/cause where they apply', async (t) => {
  const cause = Object.assign(new Error('x'), { code: 'ENOENT' });
  const iso = new IsolationError('ENOENT: execve failed', { code: 'ENOENT', syscall: 'execve', step: 'execve', path: '/bin/x', cause });
  t.ok(iso instanceof BulkheadError);
  t.match(iso, { name: 'IsolationError', code: 'ENOENT', step: 'execve', path: '/bin/x', syscall: 'execve' });
  t.equal(iso.cause, cause);
  const cg = new CgroupError('cgroup: write failed', { code: 'EBUSY', op: 'write', path: '/sys/fs/cgroup/x/cgroup.procs', data: '1' });
  t.ok(cg instanceof BulkheadError);
  t.match(cg, { code: 'EBUSY', op: 'write', path: '/sys/fs/cgroup/x/cgroup.procs' });
  t.ok(new ControllerUnavailableError('memory', '/x', 'why', 'limit') instanceof BulkheadError);
  const nl = new NativeLoadError(['/nowhere'], cause);
  t.ok(nl instanceof BulkheadError);
  t.equal(nl.code, 'ERR_BULKHEAD_NATIVE');
  t.equal(nl.cause, cause);
  const base = { command: 'sh -c x', pid: 1, signal: null, durationMs: 1, rusage: {} as never, stdio: [], timedOut: false, isCanceled: false, isMaxBuffer: false };
  const exit = new ExitError({ ...base, exitCode: 2, stderr: 'line 1\nline 2\n' }, {});
  t.ok(exit instanceof BulkheadError);
  t.equal(exit.code, 'ERR_BULKHEAD_EXIT');
  t.equal(exit.message, 'Command failed with exit code 2: sh -c x\n\nline 1\nline 2');
  t.equal(exit.shortMessage, 'Command failed with exit code 2: sh -c x');
  t.equal(new ExitError({ ...base, exitCode: null, signal: 'SIGTERM', timedOut: true }, { timeout: 5 }).code, 'ERR_BULKHEAD_TIMEOUT');
  const reason = new Error('stop');
  const canceled = new ExitError({ ...base, exitCode: null, signal: 'SIGTERM', isCanceled: true }, { reason });
  t.match(canceled, { code: 'ERR_BULKHEAD_CANCELED', cause: reason });
  t.equal(new ExitError({ ...base, exitCode: null, signal: 'SIGTERM', isMaxBuffer: true }, { maxBuffer: 10, maxBufferStream: 'stdout' }).code, 'ERR_BULKHEAD_MAX_BUFFER');
  const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
  const tailed = new ExitError({ ...base, exitCode: 1, stderr: Buffer.from(long) }, {});
  t.match(tailed.message, /line 99$/);
  t.notMatch(tailed.message, /line 79\n/, 'only the tail of stderr');
});

t.test('bad input: built-in TypeError/RangeError with code and option', async (t) => {
  const te = optionTypeError('spawn', 'uid', 'an integer', 'x');
  t.ok(te instanceof TypeError);
  t.notOk(te instanceof BulkheadError);
  t.match(te, { code: 'ERR_INVALID_ARG_TYPE', option: 'uid', message: 'spawn: option uid must be an integer, got "x"' });
  t.match(optionRangeError('spawn', 'uid', 'is too big', 2n ** 70n), { code: 'ERR_INVALID_ARG_VALUE', message: /got 1180591620717411303424n/ });
});

t.test('describe() renders anything without throwing', async (t) => {
  const circular: Record<string, unknown> = {};
  circular.me = circular;
  const bare = Object.create(null) as Record<string, unknown>;
  bare.me = bare;
  const hostile = new Proxy({}, { get() { throw new Error('no'); }, ownKeys() { throw new Error('no'); } });
  const getter = { get x() { throw new Error('no'); } };
  t.equal(describe(5n), '5n');
  t.equal(describe(Symbol('s')), 'Symbol(s)');
  t.equal(describe({ a: 1n, b: Symbol('q') }), '{"a":"1n","b":"Symbol(q)"}');
  t.equal(describe(-0), '-0');
  for (const v of [circular, bare, hostile, getter, () => 1, undefined, null, NaN, 'x'.repeat(1000)]) {
    t.type(describe(v), 'string');
    t.ok(describe(v).length <= 120);
  }
});
