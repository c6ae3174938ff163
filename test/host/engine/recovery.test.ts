// Recovery from states a killed engine can leave, made by hand so each one is
// certain to be met: a create cut short, a temp file, a dead owner's lock, a
// removal cut short, a running record whose pid now names another process
// (never signalled: only the container's own cgroup is killed), an orphan
// cgroup with a live process, a volume directory without its record.
import { spawn as spawnChild } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { Engine } from '../../../lib/engine/index';
import type { ContainerRecord } from '../../../lib/engine/container/record';
import { processStartTime } from '../../../lib/util/proc';
import { withBusyboxRoot } from '../../helpers/tier';
import { groupsUnder, tempRoot } from '../../helpers/engine';

function main(rootfs: string) {
  t.test('every leftover is reclaimed, and a recycled pid is never signalled', async (t) => {
    const root = tempRoot(t);
    const e1 = await Engine.open({ root });
    const running = e1.containers.create({ Rootfs: rootfs, Cmd: ['sleep', '100'] }, { name: 'was-running' }).Id;
    const removing = e1.containers.create({ Rootfs: rootfs, Cmd: ['true'] }, { name: 'was-removing' }).Id;
    const exited = e1.containers.create({ Rootfs: rootfs, Cmd: ['sh', '-c', 'exit 4'] }, { name: 'was-exited' }).Id;
    await e1.containers.start(exited);
    await e1.containers.wait(exited);
    const parent = e1.cgroupParent;
    await e1.close({ timeout: 0 });

    // A bystander whose pid the record will name, with the wrong start time: a recycled pid.
    const bystander = spawnChild('sleep', ['100'], { stdio: 'ignore' });
    t.teardown(() => bystander.kill('SIGKILL'));
    const recFile = (id: string) => path.join(root, 'containers', id, 'container.json');
    const edit = (id: string, f: (r: ContainerRecord) => void) => {
      const r = JSON.parse(fs.readFileSync(recFile(id), 'utf8')) as ContainerRecord;
      f(r);
      fs.writeFileSync(recFile(id), JSON.stringify(r));
    };
    // An orphan group with a live process in it, as a start cut between spawn and its record leaves.
    fs.mkdirSync(parent, { recursive: true });
    const orphan = path.join(parent, 'bulkhead-999-1');
    fs.mkdirSync(orphan);
    const inOrphan = spawnChild('sleep', ['100'], { stdio: 'ignore' });
    fs.writeFileSync(path.join(orphan, 'cgroup.procs'), String(inOrphan.pid));
    const orphanGone = new Promise((r) => inOrphan.once('exit', (_c, s) => r(s)));
    edit(running, (r) => {
      r.State = { ...r.State, Status: 'running', Running: true, Pid: bystander.pid!, StartedAt: new Date().toISOString() };
      r.Runtime = { startTime: (processStartTime(bystander.pid!) ?? 0) + 12345, cgroup: path.join(parent, 'bulkhead-999-2') };
    });
    edit(removing, (r) => (r.State.Status = 'removing'));
    const half = path.join(root, 'containers', 'ab'.repeat(32));
    fs.mkdirSync(half);
    fs.writeFileSync(path.join(half, 'x-json.log'), '');
    fs.writeFileSync(`${recFile(exited)}.tmp-4242`, '{"half":');
    fs.mkdirSync(path.join(root, 'volumes', 'halfvol', '_data'), { recursive: true });
    const dead = spawnChild('true');
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(path.join(root, 'engine.lock'), JSON.stringify({ pid: dead.pid, start: 1 }));

    const e2 = await Engine.open({ root });
    t.teardown(() => e2.close({ timeout: 0 }));
    t.same(e2.recovery.exited, [running]);
    t.same(e2.recovery.removed, [removing]);
    t.same(e2.recovery.cgroups, ['bulkhead-999-1']);
    t.match(e2.containers.inspect(running).State, { Status: 'exited', ExitCode: 137, Running: false, Pid: 0 });
    t.equal(bystander.exitCode, null, 'the process now holding the recorded pid was not signalled');
    t.equal(await orphanGone, 'SIGKILL', 'the orphan group\'s process was killed');
    t.same(groupsUnder(parent), [], 'and its group removed');
    t.throws(() => e2.containers.inspect(removing), /No such container/);
    t.equal(e2.containers.inspect(exited).State.ExitCode, 4, 'an exited container keeps its status');
    t.notOk(fs.existsSync(half), 'a create cut short is removed');
    t.notOk(fs.existsSync(`${recFile(exited)}.tmp-4242`), 'temp files removed');
    t.notOk(fs.existsSync(path.join(root, 'volumes', 'halfvol')), 'a volume without its record is removed');
    t.equal(JSON.parse(fs.readFileSync(path.join(root, 'engine.lock'), 'utf8')).pid, process.pid, 'the dead owner\'s lock reclaimed');
    t.same(e2.recovery.creates, ['ab'.repeat(32)], 'reported as a create cut short');
  });

  t.test('a create is stored whole at once and durable when its promise resolves; a power loss before that leaves an empty record, removed', async (t) => {
    const root = tempRoot(t);
    const e1 = await Engine.open({ root });
    const r = e1.containers.create({ Rootfs: rootfs, Cmd: ['true'] }, { name: 'kept' });
    const file = path.join(root, 'containers', r.Id, 'container.json');
    t.equal(JSON.parse(fs.readFileSync(file, 'utf8')).Id, r.Id, 'the record is on disk (whole) when create returns');
    t.same(Object.keys(r), ['Id', 'Warnings'], 'the answer is { Id, Warnings } (its then is not enumerable)');
    t.same(await r, { Id: r.Id, Warnings: [] }, 'and resolves to itself once committed');
    // 20 concurrent creates share group commits: all resolve.
    const many = await Promise.all(Array.from({ length: 20 }, () => e1.containers.create({ Rootfs: rootfs, Cmd: ['true'] })));
    t.equal(new Set(many.map((m) => m.Id)).size, 20);
    await e1.close({ timeout: 0 });
    // What a power loss between the record's rename and its commit can leave: the name, not the data.
    const cut = 'cd'.repeat(32);
    fs.mkdirSync(path.join(root, 'containers', cut));
    fs.writeFileSync(path.join(root, 'containers', cut, 'container.json'), '');
    const e2 = await Engine.open({ root });
    t.same(e2.recovery.creates, [cut], 'an empty record is a create a power loss cut: removed');
    t.notOk(fs.existsSync(path.join(root, 'containers', cut)));
    t.equal(e2.containers.list({ all: true }).length, 21, 'the committed ones are all there');
    await e2.close({ timeout: 0 });
    // Empty beside a log: a started container's later record that a power loss cut (not a create): refused, not guessed.
    fs.writeFileSync(path.join(root, 'containers', r.Id, 'container.json'), '');
    fs.writeFileSync(path.join(root, 'containers', r.Id, `${r.Id}-json.log`), '');
    await t.rejects(Engine.open({ root }), /is empty after its container ran.*refusing to guess/);
    // A record that is neither empty nor JSON is nothing this engine writes: refused, not guessed.
    fs.writeFileSync(path.join(root, 'containers', r.Id, 'container.json'), '{"Id":');
    await t.rejects(Engine.open({ root }), /is not a record .*refusing to guess/);
  });
}

withBusyboxRoot(main);
