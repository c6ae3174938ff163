// docker ps filters over records, and the restart back-off.
import t from 'tap';
import { compileFilters } from '../../../lib/engine/container/filters';
import { freshState, parseTimeNs, rfc3339Nano, type ContainerRecord } from '../../../lib/engine/container/record';
import { nextDelay, shouldRestart } from '../../../lib/engine/restart/policy';
import { parseDetachKeys } from '../../../lib/engine/attach/keys';

const rec = (over: Partial<ContainerRecord> & { labels?: Record<string, string>; status?: string; exit?: number }): ContainerRecord =>
  ({
    Id: over.Id ?? 'ab'.repeat(32),
    Name: over.Name ?? '/web',
    Config: { Rootfs: '/r', Labels: over.labels ?? {} },
    HostConfig: over.HostConfig ?? { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } },
    State: { ...freshState(), Status: over.status ?? 'running', ExitCode: over.exit ?? 0 },
    RestartCount: over.RestartCount ?? 0,
    ManuallyStopped: over.ManuallyStopped ?? false,
  }) as unknown as ContainerRecord;

t.test('filters: OR within a key, AND across keys, labels all', async (t) => {
  const a = rec({ labels: { tier: 'web', x: '1' } });
  const b = rec({ Id: 'cd'.repeat(32), Name: '/db', labels: { tier: 'db' }, status: 'exited', exit: 2 });
  const m = (f: object) => [a, b].filter(compileFilters(f)).map((r) => r.Name);
  t.same(m({ status: ['running', 'exited'] }), ['/web', '/db']);
  t.same(m({ status: ['exited'] }), ['/db']);
  t.same(m({ label: ['tier'] }), ['/web', '/db']);
  t.same(m({ label: ['tier=web', 'x'] }), ['/web']);
  t.same(m({ label: ['tier=web', 'y'] }), []);
  t.same(m({ name: ['^/d'] }), ['/db']);
  t.same(m({ id: ['cdcd'] }), ['/db']);
  t.same(m({ exited: ['2'] }), ['/db']);
  t.same(m({ exited: ['0'] }), [], 'exited matches exited containers only');
  t.same(m({ ancestor: ['/r'], status: ['running'] }), ['/web']);
  t.throws(() => compileFilters({ nope: ['x'] } as never), /invalid filter 'nope'/);
  t.throws(() => compileFilters({ status: ['sleeping'] }), /invalid filter 'status=sleeping'/);
});

t.test('restart policies and back-off', async (t) => {
  const p = (Name: string, MaximumRetryCount = 0) => ({ RestartPolicy: { Name, MaximumRetryCount } }) as never;
  t.notOk(shouldRestart(rec({ HostConfig: p('no') }), 1));
  t.ok(shouldRestart(rec({ HostConfig: p('always') }), 0));
  t.notOk(shouldRestart(rec({ HostConfig: p('always'), ManuallyStopped: true }), 0), 'a manual stop suspends it');
  t.ok(shouldRestart(rec({ HostConfig: p('on-failure', 2), RestartCount: 1 }), 1));
  t.notOk(shouldRestart(rec({ HostConfig: p('on-failure', 2), RestartCount: 2 }), 1), 'retries exhausted');
  t.notOk(shouldRestart(rec({ HostConfig: p('on-failure') }), 0), 'success is not a failure');
  t.ok(shouldRestart(rec({ HostConfig: p('unless-stopped') }), 0));
  t.equal(nextDelay(0, 0), 100);
  t.equal(nextDelay(100, 50), 200);
  t.equal(nextDelay(400, 50), 800);
  t.equal(nextDelay(800, 10_000), 100, 'reset after 10 s of running');
  t.equal(nextDelay(40_000, 1), 60_000, 'capped');
});

t.test('times: RFC3339Nano round trip; detach keys', async (t) => {
  t.equal(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 5, 678), 901234), '2024-01-02T03:04:05.678901234Z');
  t.equal(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 5, 0), 0), '2024-01-02T03:04:05Z');
  t.equal(parseTimeNs('2024-01-02T03:04:05.678901234Z'), BigInt(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) * 1_000_000n + 901234n);
  t.equal(parseTimeNs('1700000000.5'), 1_700_000_000_500_000_000n);
  t.same(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  t.same(parseDetachKeys('a,ctrl-@'), [97, 0]);
  t.throws(() => parseDetachKeys('ctrl-pq'), /Invalid detach keys/);
});
