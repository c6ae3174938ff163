// The daemon as a process: the socket's mode and group (a user outside the
// group cannot connect; one in it can), the pid file, one daemon per data root
// and per socket, SIGTERM's clean shutdown; and the faults: SIGKILL of the
// daemon with running, restarting and exited containers, 200 containers at
// once, a client gone mid-attach, bad and oversized bodies.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync, spawn } from 'node:child_process';
import t from 'tap';
import { withBusyboxRoot, requirementMissing } from '../../helpers/tier';
import { dockerMissing, startDaemon, DAEMON } from '../../helpers/daemon';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A live process (a zombie waiting for its new parent to reap it is not). */
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};
async function gone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await sleep(50);
  return !alive(pid);
}
const rssKiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const groupsUnder = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : []);

function main(rootfs: string) {
  t.test('socket 0660 root:GROUP: a user outside the group is refused, one in it connects; pid file; one daemon per root and socket', async (t) => {
    const d = await startDaemon(t, rootfs, ['--group', 'nogroup']);
    const st = fs.statSync(d.sock);
    t.equal(st.mode & 0o777, 0o660, 'mode 0660');
    t.equal(st.uid, 0);
    t.equal(st.gid, 65534, 'group nogroup');
    t.equal(fs.readFileSync(d.pidfile, 'utf8').trim(), String(d.proc.pid));
    // The parent directory must be passable for the users below (mkdtemp makes it 0700).
    fs.chmodSync(d.dir, 0o755);
    const curl = (gid: number) => spawnSync('setpriv', ['--reuid=1000', `--regid=${gid}`, '--clear-groups', 'curl', '-sS', '--unix-socket', d.sock, 'http://x/_ping'], { encoding: 'utf8' });
    const outsider = curl(1000);
    t.not(outsider.status, 0, 'uid 1000 outside the group cannot connect');
    t.match(outsider.stderr, /Permission denied|Couldn't connect/);
    const member = curl(65534);
    t.equal(member.stdout, 'OK', 'the control: the same user with the socket\'s group connects');
    // A second daemon over the same root: refused, the first one untouched.
    const again = spawnSync(process.execPath, [DAEMON, '-H', `unix://${d.dir}/other.sock`, '--data-root', d.root, '-p', path.join(d.dir, 'other.pid')], { encoding: 'utf8', timeout: 30_000 });
    t.equal(again.status, 1);
    t.match(again.stderr, /in use by process \d+/);
    t.notOk(fs.existsSync(`${d.dir}/other.sock`), 'no socket left by the refused daemon');
    // A second daemon on the same socket (another root): refused.
    const sameSock = spawnSync(process.execPath, [DAEMON, '-H', `unix://${d.sock}`, '--data-root', path.join(d.dir, 'root2'), '-p', path.join(d.dir, 'other.pid')], { encoding: 'utf8', timeout: 30_000 });
    t.equal(sameSock.status, 1);
    t.match(sameSock.stderr, /another daemon is listening/);
    t.equal((await d.api('GET', '/_ping')).body, 'OK', 'the first daemon still answers');
    const bad = spawnSync(process.execPath, [DAEMON, '--host', 'tcp://0.0.0.0:2375'], { encoding: 'utf8' });
    t.equal(bad.status, 125);
    t.match(bad.stderr, /--host: only unix:\/\/PATH is supported/);
  });

  t.test('SIGTERM: containers stopped, socket, pid file and cgroups gone, exit 0', async (t) => {
    const d = await startDaemon(t, rootfs);
    const r = await d.docker(['run', '-d', '--name', 'svc', 'busybox', 'sh', '-c', 'trap "echo got-term; exit 0" TERM; while true; do sleep 0.1; done']);
    t.equal(r.code, 0, r.stderr);
    const pid = Number((await d.docker(['inspect', '-f', '{{.State.Pid}}', 'svc'])).stdout);
    t.ok(alive(pid));
    t.equal(await d.stop(), 0);
    t.notOk(alive(pid), 'the container ended');
    t.notOk(fs.existsSync(d.sock), 'socket removed');
    t.notOk(fs.existsSync(d.pidfile), 'pid file removed');
    t.notOk(fs.existsSync(d.cgroupParent), 'no cgroup left');
    t.match(d.log(), /SIGTERM: shutting down/);
    const rec = JSON.parse(fs.readFileSync(path.join(d.root, 'containers', fs.readdirSync(path.join(d.root, 'containers'))[0]!, 'container.json'), 'utf8')) as { State: { Status: string; ExitCode: number } };
    t.match(rec.State, { Status: 'exited', ExitCode: 0 }, 'stopped by its StopSignal, stored');
  });

  t.test('kill -9 of the daemon with running, restarting and exited containers; restart; states right; nothing leaked', async (t) => {
    const d = await startDaemon(t, rootfs);
    await d.docker(['run', '-d', '--name', 'runner', 'busybox', 'sleep', '1000']);
    await d.docker(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sleep', '1000']);
    await d.docker(['run', '-d', '--name', 'flappy', '--restart', 'on-failure', 'busybox', 'sh', '-c', 'sleep 0.3; exit 1']);
    await d.docker(['run', '--name', 'done', 'busybox', 'sh', '-c', 'exit 5']);
    await sleep(1000);
    const pids = await Promise.all(['runner', 'always'].map(async (n) => Number((await d.docker(['inspect', '-f', '{{.State.Pid}}', n])).stdout)));
    for (const p of pids) t.ok(alive(p));
    await d.kill9();
    for (const p of pids) t.ok(await gone(p), `container process ${p} died with the daemon`);
    t.ok(fs.existsSync(d.sock), 'a killed daemon leaves its socket file');
    await d.restart();
    const st = async (n: string) => (await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', n])).stdout.trim();
    t.equal(await st('runner'), 'exited 137', 'a running container is recorded killed');
    t.equal(await st('done'), 'exited 5', 'an exited one keeps its status');
    t.match(await st('always'), /^running/, 'restart=always runs again');
    t.match(await st('flappy'), /^(running|restarting|exited 1)/, 'on-failure applies its policy');
    t.match(d.log(), /recovered the data root/);
    // No group but those of running containers; no process of the old daemon's.
    await d.docker(['rm', '-f', 'always', 'flappy']);
    await sleep(300);
    t.same(groupsUnder(d.cgroupParent), [], 'no cgroup left once the survivors are removed');
    t.equal((await d.docker(['ps', '-aq'])).stdout.trim().split('\n').length, 2);
  });

  t.test('200 containers through the API at once', async (t) => {
    const d = await startDaemon(t, rootfs);
    const N = 200;
    const one = async (i: number) => {
      const c = await d.api('POST', `/v1.43/containers/create?name=many${i}`, { Image: 'busybox', Cmd: ['sh', '-c', `exit ${i % 7}`], Labels: { batch: 'yes' } });
      if (c.status !== 201) throw new Error(`create ${i}: ${c.status} ${c.body}`);
      const id = (c.json() as { Id: string }).Id;
      const w = d.api('POST', `/v1.43/containers/${id}/wait?condition=next-exit`);
      await sleep(20);
      const s = await d.api('POST', `/v1.43/containers/${id}/start`);
      if (s.status !== 204) throw new Error(`start ${i}: ${s.status} ${s.body}`);
      return ((await w).json() as { StatusCode: number }).StatusCode;
    };
    const codes = await Promise.all(Array.from({ length: N }, (_, i) => one(i)));
    t.same(codes, Array.from({ length: N }, (_, i) => i % 7), 'every container ran and reported its own status');
    const list = (await d.api('GET', `/v1.43/containers/json?all=1&filters=${encodeURIComponent('{"label":["batch=yes"]}')}`)).json() as unknown[];
    t.equal(list.length, N);
    const pr = (await d.api('POST', '/v1.43/containers/prune')).json() as { ContainersDeleted: string[] };
    t.equal(pr.ContainersDeleted.length, N);
    t.same(groupsUnder(d.cgroupParent), [], 'no cgroup left');
  });

  t.test('a client gone mid-attach: the container runs on, the daemon serves the next one', async (t) => {
    const d = await startDaemon(t, rootfs);
    await d.docker(['run', '-d', '-i', '--name', 'talker', 'busybox', 'sh', '-c', 'while true; do echo line; sleep 0.05; done']);
    for (let i = 0; i < 20; i++) {
      const s = net.connect(d.sock);
      await new Promise((r) => s.once('connect', r));
      s.write('POST /v1.43/containers/talker/attach?stream=1&stdout=1&stderr=1&stdin=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n');
      const head = await new Promise<string>((r) => s.once('data', (b: Buffer) => r(b.toString('latin1'))));
      if (i === 0) {
        t.match(head, /^HTTP\/1.1 101 UPGRADED\r\n/);
        t.match(head, /Content-Type: application\/vnd.docker.multiplexed-stream/);
      }
      s.destroy();
    }
    await sleep(300);
    t.equal((await d.docker(['inspect', '-f', '{{.State.Running}}', 'talker'])).stdout.trim(), 'true');
    const logs = await d.docker(['logs', '--tail', '2', 'talker']);
    t.equal(logs.stdout, 'line\nline\n');
    // A real client afterwards still gets the output.
    const p = spawn('docker', ['attach', '--no-stdin', 'talker'], { env: { ...process.env, DOCKER_HOST: `unix://${d.sock}` } });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await sleep(800);
    p.kill('SIGKILL');
    t.match(out, /line\nline\n/);
    // Followers of logs, waiters and attachers of a container not started yet, all gone at once: nothing stays open.
    const fds = () => fs.readdirSync(`/proc/${d.proc.pid}/fd`).length;
    await d.docker(['create', '--name', 'idle', 'busybox', 'true']);
    await sleep(200);
    const before = fds();
    const socks: net.Socket[] = [];
    for (const req of ['GET /v1.43/containers/talker/logs?follow=1&stdout=1&tail=0', 'POST /v1.43/containers/talker/wait?condition=removed', 'POST /v1.43/containers/idle/attach?stream=1&stdout=1']) {
      for (let i = 0; i < 10; i++) {
        const s = net.connect(d.sock);
        s.on('error', () => undefined);
        s.write(`${req} HTTP/1.1\r\nHost: x\r\n${req.includes('attach') ? 'Connection: Upgrade\r\nUpgrade: tcp\r\n' : ''}Content-Length: 0\r\n\r\n`);
        socks.push(s);
      }
    }
    await sleep(500);
    t.ok(fds() >= before + 30, `30 clients held (${fds() - before} fds more)`);
    for (const s of socks) s.destroy();
    // A client's EOF cannot be told from a half-close (the docker CLI half-closes
    // at once when it sends no input), so an attacher that went away is let go of
    // at its container's next output or end, as dockerd's: start it (it exits).
    await d.docker(['start', 'idle']);
    let after = fds();
    for (let i = 0; i < 40 && after > before; i++) {
      await sleep(50);
      after = fds();
    }
    t.equal(after, before, 'every follower, waiter and attacher let go of what it held');
    await d.docker(['rm', '-f', 'talker', 'idle']);
  });

  t.test('malformed JSON, wrong types, oversized bodies: 400, and the daemon\'s memory stays put', async (t) => {
    const d = await startDaemon(t, rootfs);
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
    await d.api('GET', '/_ping');
    const before = rssKiB(d.proc.pid!);
    for (let i = 0; i < 30; i++) {
      const r = await d.api('POST', '/v1.43/containers/create', big);
      t.equal(r.status, 400);
      if (i === 0) t.match(r.json(), { message: /request body too large/ });
    }
    for (const body of ['{', '[]', '"x"', '{"Image": 5}', '{"Image":"busybox","Env":"A=1"}', '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Binds":"x"}}', '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Memory":"lots"}}']) {
      const r = await d.api('POST', '/v1.43/containers/create', body);
      t.equal(r.status, 400, `${body} -> 400 ${r.body.trim()}`);
    }
    const after = rssKiB(d.proc.pid!);
    t.ok(after - before < 64 * 1024, `RSS grew ${((after - before) / 1024).toFixed(1)} MiB after 240 MiB of refused bodies`);
    t.equal((await d.api('GET', '/v1.43/containers/json?all=1')).body.trim(), '[]', 'nothing was created');
  });
}

const missing = dockerMissing();
if (missing) requirementMissing(missing);
else withBusyboxRoot(main);
