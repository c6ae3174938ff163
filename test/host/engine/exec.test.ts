// exec: a new process in a running container, with its namespaces, cgroup,
// user and security settings; tty, stdin, exit codes and running state through
// execInspect; Docker's refusals for a paused and a stopped container; the
// exec dies with its container.
import * as fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import t from 'tap';
import { withBusyboxRoot } from '../../helpers/tier';
import { openEngine, until } from '../../helpers/engine';
import type { Engine } from '../../../lib/engine/index';

withBusyboxRoot(main);

const NS = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'];
const field = (status: string, k: string) => new RegExp(`^${k}:\\s*(\\S+)$`, 'm').exec(status)?.[1];

function read(s: Readable | null): { text: string } {
  const out = { text: '' };
  s?.on('data', (d: Buffer) => (out.text += d.toString()));
  return out;
}

/** Runs an exec to its end; its output (stdout, or the tty's) and exit code. */
async function run(e: Engine, id: string, cmd: string[], extra: object = {}): Promise<{ out: string; err: string; code: number }> {
  const s = e.containers.exec(id, { Cmd: cmd, ...extra });
  const out = read(s.stdout);
  const err = read(s.stderr);
  const { ExitCode } = await s.done;
  await new Promise((r) => setImmediate(r));
  return { out: out.text, err: err.text, code: ExitCode };
}

function main(rootfs: string) {
  async function running(t: Parameters<typeof openEngine>[0]): Promise<{ e: Engine; id: string; pid: number }> {
    const e = await openEngine(t);
    const { Id } = e.containers.create({ Rootfs: rootfs, Hostname: 'box', Cmd: ['sh', '-c', 'echo from-container > /tmp/mark; exec sleep 1000'] });
    await e.containers.start(Id);
    const pid = e.containers.inspect(Id).State.Pid;
    await until(() => fs.existsSync(`/proc/${pid}/root/tmp/mark`), 5000, 'the container wrote its file');
    return { e, id: Id, pid };
  }

  t.test('an exec sees the container: hostname, pid 1, mounts, namespaces, cgroup', async (t) => {
    const { e, id, pid } = await running(t);
    const r = await run(e, id, ['sh', '-c', `hostname; cat /tmp/mark; ps -o pid,args | awk '$1==1'; for n in ${NS.join(' ')}; do readlink /proc/self/ns/$n; done`]);
    const lines = r.out.split('\n');
    t.equal(r.code, 0);
    t.equal(lines[0], 'box');
    t.equal(lines[1], 'from-container');
    t.match(lines[2], /^\s*1\s+sleep 1000/, 'pid 1 is the container\'s program');
    t.same(lines.slice(3, 3 + NS.length), NS.map((n) => fs.readlinkSync(`/proc/${pid}/ns/${n}`)));
    const s = e.containers.exec(id, { Cmd: ['sleep', '5'], Detach: true });
    const execPid = e.containers.execInspect(s.Id).Pid;
    const v2 = (p: number) => fs.readFileSync(`/proc/${p}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
    t.equal(v2(execPid), v2(pid), 'the container\'s own cgroup');
  });

  t.test('user and security settings: the container\'s, privileged, another user', async (t) => {
    const { e, id, pid } = await running(t);
    const host = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const plain = (await run(e, id, ['cat', '/proc/self/status'])).out;
    t.equal(field(plain, 'CapEff'), field(host, 'CapEff'), 'CapEff as the container\'s');
    t.equal(field(plain, 'Seccomp'), '2', 'seccomp in force');
    t.equal(field(plain, 'NoNewPrivs'), '1');
    const priv = (await run(e, id, ['cat', '/proc/self/status'], { Privileged: true })).out;
    t.equal(field(priv, 'Seccomp'), '0', 'privileged: no seccomp');
    t.equal(BigInt(`0x${field(priv, 'CapEff')}`), BigInt(`0x${field(fs.readFileSync('/proc/self/status', 'utf8'), 'CapBnd')}`), 'privileged: every capability');
    t.match((await run(e, id, ['id'], { User: '1000:1000' })).out, /^uid=1000 gid=1000/);
    const env = await run(e, id, ['sh', '-c', 'echo $FOO $HOSTNAME; pwd'], { Env: ['FOO=bar'], WorkingDir: '/tmp' });
    t.equal(env.out, 'bar box\n/tmp\n');
  });

  t.test('a tty from the container\'s devpts, resized; stdin piped', async (t) => {
    const { e, id } = await running(t);
    const tty = await run(e, id, ['tty'], { Tty: true });
    t.match(tty.out, /^\/dev\/pts\/\d+\r?\n$/);
    const sized = await run(e, id, ['stty', 'size'], { Tty: true, ConsoleSize: [30, 100] });
    t.match(sized.out, /^30 100/);
    const s = e.containers.exec(id, { Cmd: ['sh', '-c', 'read l; stty size; echo "got $l"'], Tty: true, AttachStdin: true });
    const out = read(s.stdout);
    e.containers.execResize(s.Id, { h: 40, w: 120 });
    s.stdin!.write('hi\n');
    await s.done;
    t.match(out.text, /40 120/, 'resized');
    t.match(out.text, /got hi/);
    const input = new PassThrough();
    const c = e.containers.exec(id, { Cmd: ['cat'], AttachStdin: true });
    const catOut = read(c.stdout);
    input.pipe(c.stdin!);
    input.end('piped in\n');
    t.equal((await c.done).ExitCode, 0);
    t.equal(catOut.text, 'piped in\n');
  });

  t.test('execInspect: running, then its exit code', async (t) => {
    const { e, id } = await running(t);
    const s = e.containers.exec(id, { Cmd: ['sh', '-c', 'read x; exit 3'], AttachStdin: true, User: '1000' });
    const i = e.containers.execInspect(s.Id);
    t.match(i, { ID: s.Id, Running: true, ExitCode: null, ContainerID: id, OpenStdin: true, ProcessConfig: { entrypoint: 'sh', arguments: ['-c', 'read x; exit 3'], tty: false, privileged: false, user: '1000' } });
    t.ok(i.Pid > 0);
    s.stdin!.end('\n');
    t.equal((await s.done).ExitCode, 3);
    t.match(e.containers.execInspect(s.Id), { Running: false, ExitCode: 3, Pid: 0 });
    const missing = await e.containers.exec(id, { Cmd: ['no-such-program'] }).done;
    t.equal(missing.ExitCode, 127);
    t.match(missing.Error?.Message, /ENOENT/);
    t.throws(() => e.containers.execInspect('nope'), { code: 'NOT_FOUND' });
    t.throws(() => e.containers.exec(id, { Cmd: [] }), { code: 'INVALID_PARAMETER', message: 'No exec command specified' });
  });

  t.test('refused into a paused or a stopped container, with Docker\'s messages', async (t) => {
    const { e, id } = await running(t);
    await e.containers.pause(id);
    t.throws(() => e.containers.exec(id, { Cmd: ['true'] }), { code: 'CONFLICT', message: `Container ${id} is paused, unpause the container before exec` });
    await e.containers.unpause(id);
    await e.containers.stop(id, { timeout: 0 });
    t.throws(() => e.containers.exec(id, { Cmd: ['true'] }), { code: 'CONFLICT', message: `Container ${id} is not running` });
  });

  t.test('an exec dies with its container', async (t) => {
    const { e, id } = await running(t);
    const s = e.containers.exec(id, { Cmd: ['sleep', '1000'], Detach: true });
    t.equal(e.containers.execInspect(s.Id).Running, true);
    await e.containers.stop(id, { timeout: 0 });
    t.equal((await s.done).ExitCode, 137, 'SIGKILLed with the pid namespace');
    t.equal(e.containers.execInspect(s.Id).Running, false);
  });
}
