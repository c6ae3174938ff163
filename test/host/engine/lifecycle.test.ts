// Containers through the engine on the real kernel: every lifecycle step in the
// orders Docker allows, the ones it refuses (with Docker's messages), inspect's
// fields, list filters, rename, wait conditions, autoRemove, pause, top, stats.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { EngineError } from '../../../lib/engine/index';
import { withBusyboxRoot } from '../../helpers/tier';
import { groupsUnder, openEngine, until } from '../../helpers/engine';

withBusyboxRoot(main);

const refuse = async (t: Tap, p: Promise<unknown> | (() => unknown), code: string, msg: RegExp | string) => {
  try {
    await (typeof p === 'function' ? p() : p);
    t.fail(`expected ${code}`);
  } catch (err) {
    t.ok(err instanceof EngineError, `EngineError: ${(err as Error).message}`);
    t.equal((err as EngineError).code, code);
    if (typeof msg === 'string') t.equal((err as Error).message, msg);
    else t.match((err as Error).message, msg);
  }
};
type Tap = Test;

function main(rootfs: string) {
  const sh = (script: string, extra: object = {}) => ({ Rootfs: rootfs, Cmd: ['sh', '-c', script], ...extra });

  t.test('create, start, wait, inspect with Docker\'s fields; logs', async (t) => {
    const e = await openEngine(t);
    const { Id, Warnings } = e.containers.create(sh('echo out; echo err >&2; exit 3', { Labels: { app: 'x' }, Env: ['FOO=bar'] }), { name: 'first' });
    t.match(Id, /^[0-9a-f]{64}$/);
    t.same(Warnings, []);
    let i = e.containers.inspect('first');
    t.equal(i.Id, Id);
    t.equal(i.Name, '/first');
    t.equal(i.State.Status, 'created');
    t.equal(i.State.StartedAt, '0001-01-01T00:00:00Z');
    t.match(i.Created, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    t.equal(i.Path, 'sh');
    t.same(i.Args, ['-c', 'echo out; echo err >&2; exit 3']);
    t.same(i.Config.Labels, { app: 'x' });
    t.same(i.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    t.equal(i.RestartCount, 0);
    await e.containers.start(Id.slice(0, 10));
    const w = await e.containers.wait(Id);
    t.same(w, { StatusCode: 3 });
    i = e.containers.inspect(Id);
    t.same(
      { ...i.State, StartedAt: 'x', FinishedAt: 'x' },
      { Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 3, Error: '', StartedAt: 'x', FinishedAt: 'x' },
    );
    t.ok(i.State.FinishedAt > i.State.StartedAt);
    const logs: string[] = [];
    for await (const l of e.containers.logs(Id)) logs.push(`${l.stream}:${l.log}`);
    t.same(logs.sort(), ['stderr:err\n', 'stdout:out\n']);
    const raw = fs.readFileSync(i.LogPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    t.same(Object.keys(raw[0]), ['log', 'stream', 'time'], "Docker's json-file fields");
    // A stopped container starts again: same id, new run.
    await e.containers.start('first');
    t.same(await e.containers.wait('first'), { StatusCode: 3 });
    t.equal(groupsUnder(e.cgroupParent).length, 0, 'no group left after the exits');
  });

  t.test('refusals with Docker\'s messages, and nothing half-created', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create(sh('sleep 100'), { name: 'busy' });
    await refuse(t, () => e.containers.create(sh('true'), { name: 'busy' }), 'CONFLICT', `Conflict. The container name "/busy" is already in use by container "${Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    await refuse(t, () => e.containers.inspect('nope'), 'NOT_FOUND', 'No such container: nope');
    await refuse(t, () => e.containers.create(sh('true'), { name: 'a b' }), 'INVALID_PARAMETER', /Invalid container name \(a b\)/);
    await refuse(t, () => e.containers.create({ Rootfs: rootfs, Cmd: 'sh' } as never), 'INVALID_PARAMETER', /Cmd/);
    await refuse(t, () => e.containers.create(sh('true', { Rootfs: '/nonexistent' })), 'INVALID_PARAMETER', /does not exist/);
    await refuse(t, () => e.containers.create(sh('true', { HostConfig: { Binds: ['newvol:/data', '/nonexistent:/x'] } })), 'INVALID_PARAMETER', /bind source path does not exist/);
    t.same(e.volumes.list(), [], 'a failed create leaves no volume');
    t.equal(fs.readdirSync(path.join(e.root, 'containers')).length, 1, 'failed creates leave no directory');
    t.equal(e.containers.list({ all: true }).length, 1);
    await e.containers.start('busy');
    await refuse(t, e.containers.start('busy'), 'CONFLICT', /already running/);
    await refuse(t, e.containers.remove('busy'), 'CONFLICT', `You cannot remove a running container ${Id}. Stop the container before attempting removal or force remove`);
    await refuse(t, e.containers.rename('busy', 'busy'), 'CONFLICT', /same name/);
    await refuse(t, e.containers.unpause('busy'), 'CONFLICT', `Container ${Id} is not paused`);
    await e.containers.kill('busy');
    t.equal(e.containers.inspect('busy').State.ExitCode, 137);
    await refuse(t, e.containers.kill('busy'), 'CONFLICT', `Container ${Id} is not running`);
    await refuse(t, () => e.containers.top('busy'), 'CONFLICT', /is not running/);
    // Ambiguous prefix: among 17 ids two share their first hex digit.
    const ids = [Id, ...Array.from({ length: 16 }, () => e.containers.create(sh('true')).Id)];
    const firsts = ids.map((x) => x[0]);
    const dup = firsts.find((c, i) => firsts.indexOf(c) !== i)!;
    await refuse(t, () => e.containers.inspect(dup), 'INVALID_PARAMETER', `multiple IDs found with provided prefix: ${dup}`);
    const unique = ids.find((x) => ids.filter((y) => y.startsWith(x.slice(0, 3))).length === 1)!;
    t.equal(e.containers.inspect(unique.slice(0, 3)).Id, unique, 'an unambiguous prefix finds it');
    await refuse(t, e.containers.start(ids[1]).then(() => e.containers.wait(ids[1])).then(() => e.containers.remove('nope')), 'NOT_FOUND', 'No such container: nope');
  });

  t.test('a program that cannot run: typed error, State.Error and 127, still created', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create({ Rootfs: rootfs, Cmd: ['/no/such/program'] });
    await refuse(t, e.containers.start(Id), 'INVALID_PARAMETER', /ENOENT/);
    const s = e.containers.inspect(Id).State;
    t.equal(s.Status, 'created');
    t.equal(s.ExitCode, 127);
    t.match(s.Error, /ENOENT/);
    t.equal(groupsUnder(e.cgroupParent).length, 0, 'no group left by the failed start');
  });

  t.test('stop: StopSignal first, SIGKILL after the timeout', async (t) => {
    const e = await openEngine(t);
    // The shell says "ready" once its trap is set: a signal before that would
    // end it by the default action (143), which says nothing about stop.
    const ready = (id: string) => until(() => fs.readFileSync(e.containers.inspect(id).LogPath, 'utf8').includes('ready'), 10_000, 'the trap set');
    const trap = e.containers.create(sh('trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'));
    await e.containers.start(trap.Id);
    await ready(trap.Id);
    await e.containers.stop(trap.Id, { timeout: 5 });
    t.equal(e.containers.inspect(trap.Id).State.ExitCode, 7, 'the trap ran');
    const usr = e.containers.create(sh('trap "exit 9" USR1; echo ready; while :; do sleep 0.1; done', { StopSignal: 'SIGUSR1' }));
    await e.containers.start(usr.Id);
    await ready(usr.Id);
    await e.containers.stop(usr.Id);
    t.equal(e.containers.inspect(usr.Id).State.ExitCode, 9, 'StopSignal used');
    const deaf = e.containers.create(sh('sleep 100'));
    await e.containers.start(deaf.Id);
    const t0 = Date.now();
    await e.containers.stop(deaf.Id, { timeout: 1 });
    t.equal(e.containers.inspect(deaf.Id).State.ExitCode, 137, 'pid 1 ignores SIGTERM: killed after the timeout');
    t.ok(Date.now() - t0 >= 900, 'waited for the timeout first');
    await e.containers.stop(deaf.Id);
    t.pass('stopping a stopped container is a no-op');
  });

  t.test('restart, rename, list filters, wait conditions, autoRemove, prune', async (t) => {
    const e = await openEngine(t);
    const a = e.containers.create(sh('sleep 100', { Labels: { tier: 'web' } }), { name: 'a1' });
    const b = e.containers.create(sh('exit 2', { Labels: { tier: 'db' } }), { name: 'b1' });
    const next = e.containers.wait('b1', 'next-exit');
    await e.containers.start('a1');
    await e.containers.start('b1');
    t.same(await next, { StatusCode: 2 }, 'next-exit waited for the first run');
    const pid1 = e.containers.inspect('a1').State.Pid;
    await e.containers.restart('a1', { timeout: 0 });
    const after = e.containers.inspect('a1');
    t.equal(after.State.Status, 'running');
    t.not(after.State.Pid, pid1, 'a new process');
    t.same(e.containers.list().map((c) => c.Names[0]), ['/a1'], 'running only by default');
    t.same(e.containers.list({ all: true }).map((c) => c.Names[0]).sort(), ['/a1', '/b1']);
    t.same(e.containers.list({ all: true, filters: { status: ['exited'] } }).map((c) => c.Id), [b.Id]);
    t.same(e.containers.list({ all: true, filters: { exited: ['2'] } }).map((c) => c.Id), [b.Id]);
    t.same(e.containers.list({ all: true, filters: { label: ['tier=web'] } }).map((c) => c.Id), [a.Id]);
    t.same(e.containers.list({ all: true, filters: { name: ['b1'] } }).map((c) => c.Id), [b.Id]);
    t.same(e.containers.list({ all: true, filters: { id: [a.Id.slice(0, 8)] } }).map((c) => c.Id), [a.Id]);
    t.match(e.containers.list()[0], { State: 'running', Status: /^Up /, Labels: { tier: 'web' } });
    await e.containers.rename('a1', 'a2');
    t.equal(e.containers.inspect(a.Id).Name, '/a2');
    await refuse(t, () => e.containers.inspect('a1'), 'NOT_FOUND', 'No such container: a1');
    await refuse(t, e.containers.rename('b1', 'a2'), 'CONFLICT', /already in use/);
    const removed = e.containers.wait('a2', 'removed');
    await e.containers.remove('a2', { force: true });
    t.same(await removed, { StatusCode: 137 });
    const auto = e.containers.create(sh('exit 0', { HostConfig: { AutoRemove: true } }));
    const gone = e.containers.wait(auto.Id, 'removed');
    await e.containers.start(auto.Id);
    await gone;
    t.throws(() => e.containers.inspect(auto.Id), /No such container/, 'autoRemove removed it');
    const c = e.containers.create(sh('true'));
    const running = e.containers.create(sh('sleep 100'));
    await e.containers.start(running.Id);
    const pr = await e.containers.prune();
    t.same(pr.ContainersDeleted.sort(), [b.Id, c.Id].sort(), 'prune removes stopped ones');
    t.same(e.containers.list({ all: true }).map((x) => x.Id), [running.Id]);
  });

  t.test('pause freezes the cgroup; stats and top read it', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create(sh('while :; do echo tick; sleep 0.05; done'));
    await e.containers.start(Id);
    const top = e.containers.top(Id);
    t.same(top.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    t.ok(top.Processes.some((p) => p[7].startsWith('sh -c')), 'the shell is listed');
    const cg = e.containers.inspect(Id) && (fs.readdirSync(e.cgroupParent).map((n) => path.join(e.cgroupParent, n))[0]);
    const s = e.containers.stats(Id);
    t.equal(s.id, Id);
    t.equal('cpu_stats' in s, fs.existsSync(path.join(cg, 'cpu.stat')), 'cpu stats exactly when cpu.stat exists');
    t.equal('memory_stats' in s, fs.existsSync(path.join(cg, 'memory.current')), 'memory stats absent (not zero) without memory.current');
    t.equal('pids_stats' in s, fs.existsSync(path.join(cg, 'pids.current')));
    const stream: unknown[] = [];
    for await (const x of e.containers.stats(Id, { stream: true, intervalMs: 50 })) if (stream.push(x) >= 3) break;
    t.equal(stream.length, 3, 'streamed samples');
    if (!fs.existsSync(path.join(cg, 'cgroup.freeze'))) {
      await refuse(t, e.containers.pause(Id), 'NOT_IMPLEMENTED', /cgroup.freeze/);
      return;
    }
    await e.containers.pause(Id);
    t.equal(e.containers.inspect(Id).State.Status, 'paused');
    t.equal(e.containers.inspect(Id).State.Paused, true);
    t.match(fs.readFileSync(path.join(cg, 'cgroup.events'), 'utf8'), /frozen 1/);
    const count = async () => {
      let n = 0;
      for await (const l of e.containers.logs(Id)) if (l.log === 'tick\n') n++;
      return n;
    };
    const n1 = await count();
    await new Promise((r) => setTimeout(r, 300));
    t.equal(await count(), n1, 'no output while frozen');
    await refuse(t, e.containers.remove(Id), 'CONFLICT', /You cannot remove a paused container/);
    await refuse(t, e.containers.start(Id), 'CONFLICT', /cannot start a paused container/);
    await e.containers.unpause(Id);
    await until(() => fs.readFileSync(e.containers.inspect(Id).LogPath, 'utf8').split('\n').length > n1 + 2, 5000, 'ticks after unpause');
    t.pass('output resumes after unpause');
    await e.containers.pause(Id);
    await e.containers.stop(Id, { timeout: 0 });
    t.equal(e.containers.inspect(Id).State.Status, 'exited', 'a paused container stops');
    t.equal(e.containers.inspect(Id).State.Paused, false);
  });

  t.test('HostConfig.Tmpfs and SecurityOpt: a tmpfs with its size and mode, seccomp unconfined; bad entries refused', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create({
      Rootfs: rootfs,
      Cmd: ['sh', '-c', 'grep " /scratch " /proc/mounts; stat -c %a /scratch; grep Seccomp: /proc/self/status'],
      HostConfig: { ReadonlyRootfs: true, Tmpfs: { '/scratch': 'size=1m,mode=700' }, SecurityOpt: ['seccomp=unconfined'] },
    });
    await e.containers.start(Id);
    t.equal((await e.containers.wait(Id)).StatusCode, 0);
    let text = '';
    for await (const l of e.containers.logs(Id)) text += l.log;
    t.match(text, /^tmpfs \/scratch tmpfs [^\n]*size=1024k/m, 'mounted with its size');
    t.match(text, /^700$/m, 'and its mode');
    t.match(text, /^Seccomp:\s+0$/m, 'no seccomp filter with seccomp=unconfined');
    // The control: by default the filter is there.
    const d = e.containers.create({ Rootfs: rootfs, Cmd: ['grep', 'Seccomp:', '/proc/self/status'] });
    await e.containers.start(d.Id);
    await e.containers.wait(d.Id);
    let dt = '';
    for await (const l of e.containers.logs(d.Id)) dt += l.log;
    t.match(dt, /^Seccomp:\s+2$/m);
    t.throws(() => e.containers.create({ Rootfs: rootfs, Cmd: ['true'], HostConfig: { Tmpfs: { '/x': 'suid' } } }), { code: 'INVALID_PARAMETER', message: /invalid tmpfs option "suid"/ });
    // dockerd's defaults: noexec unless the options say exec; ro mounts it read-only.
    const x = e.containers.create({
      Rootfs: rootfs,
      Cmd: ['sh', '-c', 'for d in /a /b /c; do cp /bin/busybox $d/true 2>/dev/null || echo "$d ro"; $d/true 2>/dev/null && echo "$d runs" || echo "$d noexec"; done'],
      HostConfig: { Tmpfs: { '/a': '', '/b': 'exec', '/c': 'ro' } },
    });
    await e.containers.start(x.Id);
    await e.containers.wait(x.Id);
    let xt = '';
    for await (const l of e.containers.logs(x.Id)) xt += l.log;
    t.equal(xt, '/a noexec\n/b runs\n/c ro\n/c noexec\n', 'exec runs only with exec; a ro tmpfs takes no file');
    t.throws(() => e.containers.create({ Rootfs: rootfs, Cmd: ['true'], HostConfig: { SecurityOpt: ['apparmor=x'] } }), { code: 'INVALID_PARAMETER', message: /invalid SecurityOpt "apparmor=x"/ });
  });

  t.test('wait and logs follow end when their caller aborts: no waiter or open log left', async (t) => {
    const e = await openEngine(t);
    // Awaited: the create's group commit holds an fd of its own while it flushes.
    const { Id } = await e.containers.create({ Rootfs: rootfs, Cmd: ['sleep', '1000'] });
    await e.containers.start(Id);
    const base = e.containers.waiterCount();
    const ac = new AbortController();
    const waits = Array.from({ length: 20 }, (_, i) => e.containers.wait(Id, i % 2 ? 'removed' : 'next-exit', { signal: ac.signal }).catch((err: Error) => err));
    t.equal(e.containers.waiterCount(), base + 20);
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const followers = Array.from({ length: 10 }, async () => {
      let n = 0;
      for await (const _ of e.containers.logs(Id, { follow: true, signal: ac.signal })) n++;
      return n;
    });
    await until(() => fds() >= before + 10, 10_000, 'each follower to open its log');
    t.ok(fds() >= before + 10, 'each follower holds its log open');
    ac.abort();
    t.ok((await Promise.all(waits)).every((r) => r instanceof Error), 'every wait rejected');
    t.same(await Promise.all(followers), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'every follower ended');
    t.equal(e.containers.waiterCount(), base, 'no waiter left');
    t.equal(fds(), before, 'no log left open');
    await e.containers.remove(Id, { force: true });
  });
}
