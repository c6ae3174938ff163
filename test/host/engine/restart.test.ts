// Restart policies on real containers: on-failure:N with a program that fails
// N times, always with Docker's doubling back-off, a manual stop suspending the
// policy, and the policies applied again when an engine reopens the root.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { Engine, type RestartPolicy } from '../../../lib/engine/index';
import { withBusyboxRoot } from '../../helpers/tier';
import { openEngine, tempRoot, until } from '../../helpers/engine';

withBusyboxRoot(main);

const runCount = (d: string): string => {
  try {
    return fs.readFileSync(path.join(d, 'n'), 'utf8').trim();
  } catch {
    return '0';
  }
};

function main(rootfs: string) {
  const counterDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-count-'));
    t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
    return d;
  };
  // Fails until its own run number reaches `succeedAt` (0: never), counting runs in /d/n.
  const failing = (dir: string, succeedAt: number, policy: RestartPolicy, extra: object = {}) => ({
    Rootfs: rootfs,
    Cmd: ['sh', '-c', `n=$(cat /d/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /d/n; echo run $n; [ ${succeedAt} -gt 0 ] && [ $n -ge ${succeedAt} ] && exit 0; exit 3`],
    HostConfig: { Binds: [`${dir}:/d`], RestartPolicy: policy, ...extra },
  });

  t.test('on-failure:5 with a program that fails twice: three runs, RestartCount 2, exit 0', async (t) => {
    const e = await openEngine(t);
    const d = counterDir();
    const { Id } = e.containers.create(failing(d, 3, { Name: 'on-failure', MaximumRetryCount: 5 }));
    await e.containers.start(Id);
    await until(() => e.containers.inspect(Id).State.Status === 'exited', 10_000, 'the last exit');
    const i = e.containers.inspect(Id);
    t.equal(runCount(d), '3');
    t.equal(i.RestartCount, 2);
    t.equal(i.State.ExitCode, 0);
    const runs: string[] = [];
    for await (const l of e.containers.logs(Id)) runs.push(l.log.trim());
    t.same(runs, ['run 1', 'run 2', 'run 3'], 'one log across the restarts');
  });

  t.test('on-failure:2 with a program that always fails: stops after 2 retries', async (t) => {
    const e = await openEngine(t);
    const d = counterDir();
    const { Id } = e.containers.create(failing(d, 0, { Name: 'on-failure', MaximumRetryCount: 2 }));
    await e.containers.start(Id);
    await until(() => runCount(d) === '3' && e.containers.inspect(Id).State.Status === 'exited', 10_000, 'the third exit');
    await new Promise((r) => setTimeout(r, 1000));
    const i = e.containers.inspect(Id);
    t.equal(i.RestartCount, 2);
    t.equal(i.State.ExitCode, 3);
    t.equal(runCount(d), '3', 'no fourth run');
  });

  t.test('always: back-off doubles from 100 ms; restarting state; a stop ends it', async (t) => {
    const e = await openEngine(t);
    const d = counterDir();
    const starts: number[] = [];
    const { Id } = e.containers.create(failing(d, 0, { Name: 'always' }));
    e.on('event', (ev: { Action: string; Actor: { ID: string } }) => {
      if (ev.Actor.ID === Id && ev.Action === 'start') starts.push(Date.now());
    });
    let sawRestarting = false;
    const poll = setInterval(() => {
      const s = e.containers.inspect(Id).State;
      if (s.Status === 'restarting' && s.Restarting && s.Running) sawRestarting = true;
    }, 5);
    await e.containers.start(Id);
    await until(() => starts.length >= 5, 10_000, 'five starts');
    clearInterval(poll);
    t.ok(sawRestarting, 'State.Restarting (and Running) between runs, Status "restarting"');
    const gaps = starts.slice(1).map((s, i) => s - starts[i]);
    // Each wait is at least the policy's delay: 100, 200, 400, 800 ms.
    gaps.forEach((g, i) => t.ok(g >= 100 * 2 ** i - 5, `gap ${i + 1} (${g} ms) >= ${100 * 2 ** i} ms`));
    await e.containers.stop(Id, { timeout: 0 });
    const n = runCount(d);
    await new Promise((r) => setTimeout(r, 1000));
    t.equal(runCount(d), n, 'no restart after a manual stop');
    t.equal(e.containers.inspect(Id).State.Status, 'exited');
    t.ok(e.containers.inspect(Id).RestartCount >= 4);
  });

  t.test('policies across an engine restart: always and unless-stopped come back, a stopped unless-stopped does not', async (t) => {
    const root = tempRoot(t);
    const e1 = await Engine.open({ root });
    const sleeper = (Name: string) => ({ Rootfs: rootfs, Cmd: ['sleep', '100'], HostConfig: { RestartPolicy: { Name } } }) as const;
    const always = e1.containers.create(sleeper('always') as never).Id;
    const unless = e1.containers.create(sleeper('unless-stopped') as never).Id;
    const unlessStopped = e1.containers.create(sleeper('unless-stopped') as never).Id;
    const alwaysStopped = e1.containers.create(sleeper('always') as never).Id;
    const no = e1.containers.create(sleeper('no') as never).Id;
    for (const id of [always, unless, unlessStopped, alwaysStopped, no]) await e1.containers.start(id);
    await e1.containers.stop(unlessStopped, { timeout: 0 });
    await e1.containers.stop(alwaysStopped, { timeout: 0 });
    await e1.close({ timeout: 0 });
    const e2 = await Engine.open({ root });
    t.teardown(() => e2.close({ timeout: 0 }));
    await t.rejects(Engine.open({ root }), { code: 'CONFLICT', message: /engine root .* is already locked by this process/ }, 'one engine per root');
    const st = (id: string) => e2.containers.inspect(id).State.Status;
    t.equal(st(always), 'running');
    t.equal(st(unless), 'running');
    t.equal(st(alwaysStopped), 'running', 'always restarts even a stopped container when the engine starts');
    t.equal(st(unlessStopped), 'exited');
    t.equal(st(no), 'exited');
    t.same(e2.recovery.restarted.sort(), [always, unless, alwaysStopped].sort());
  });
}
