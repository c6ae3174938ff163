// bulkheadd driven by the stock docker CLI: version negotiation, info, the
// container lifecycle (run, -d, -i with a pipe, exit status, ps, logs, stop,
// kill, rm, inspect, wait, attach, top, stats, pause, rename, prune), volumes,
// events, system df, and Docker's errors (404 for unknown names, 409 conflicts).
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { discoverCgroupCached } from '../../../lib/cgroup/discover';
import t from 'tap';
import { withBusyboxRoot, requirementMissing } from '../../helpers/tier';
import { dockerMissing, startDaemon } from '../../helpers/daemon';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function main(rootfs: string) {
  t.test('version, info and /_ping: API 1.43, negotiated down by the 28.x client; older and newer prefixes refused', async (t) => {
    const d = await startDaemon(t, rootfs);
    const v = await d.docker(['version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}']);
    t.equal(v.code, 0, v.stderr);
    // docker 28 (API 1.50) negotiates down to 1.43; Debian's docker.io 20.10 speaks 1.41.
    t.match(v.stdout.trim(), /^1\.4[13] 1\.43 1\.41$/, 'the client speaks a version the server takes');
    const ping = await d.api('HEAD', '/_ping');
    t.equal(ping.status, 200);
    t.equal(ping.headers['api-version'], '1.43');
    t.equal(ping.headers['content-length'], '0', 'HEAD: an empty body, said so (as dockerd)');
    const get = await d.api('GET', '/_ping');
    t.equal(get.body, 'OK');
    t.equal((await d.api('GET', '/v1.43/_ping')).body, 'OK');
    const old = await d.api('GET', '/v1.30/version');
    t.equal(old.status, 400);
    t.match(old.json(), { message: 'client version 1.30 is too old. Minimum supported API version is 1.41, please upgrade your client to a newer version' });
    const young = await d.api('GET', '/v1.99/version');
    t.equal(young.status, 400);
    t.match(young.json(), { message: 'client version 1.99 is too new. Maximum supported API version is 1.43' });
    t.match((await d.api('GET', '/version')).json(), { ApiVersion: '1.43', MinAPIVersion: '1.41', Os: 'linux' }, 'no prefix: the current version');
    t.equal((await d.api('GET', '/v1.43/nope')).status, 404);
    const info = await d.docker(['info', '--format', '{{json .}}']);
    t.equal(info.code, 0, info.stderr);
    const i = JSON.parse(info.stdout) as Record<string, unknown>;
    t.match(i, { Driver: 'overlay2', CgroupDriver: 'cgroupfs', OSType: 'linux', Images: 1, Containers: 0, SecurityOptions: ['name=seccomp,profile=builtin', 'name=cgroupns'] });
    t.equal(i.NCPU, (await import('node:os')).availableParallelism());
    // Limits are claimed only where the engine's v2 group has the controller.
    const ctl = discoverCgroupCached().controllers.join(' ');
    t.equal(i.MemoryLimit, /\bmemory\b/.test(ctl), 'MemoryLimit as the host can enforce it');
    t.equal(i.PidsLimit, /\bpids\b/.test(ctl), 'PidsLimit as the host can enforce it');
    t.equal(i.CpuCfsQuota, /\bcpu\b/.test(ctl));
  });

  t.test('run: output, exit status, -d, ps, logs, inspect, stop, rm; --rm -i with a pipe', async (t) => {
    const d = await startDaemon(t, rootfs);
    const r = await d.docker(['run', '--name', 'hello', '-e', 'WHO=world', '-w', '/tmp', 'busybox', 'sh', '-c', 'echo "hello $WHO from $(pwd)"; echo oops >&2']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'hello world from /tmp\n');
    t.equal(r.stderr, 'oops\n', 'stderr kept apart (multiplexed stream)');
    t.equal((await d.docker(['run', 'busybox', 'sh', '-c', 'exit 3'])).code, 3, 'docker run ends with the container\'s status');
    const piped = await d.docker(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'hi\nthere\n' });
    t.equal(piped.code, 0, piped.stderr);
    t.equal(piped.stdout, 'hi\nthere\ndone\n', 'stdin reached the container and its end closed it');
    // -it under a terminal (script(1) gives one): the size the CLI sends at create is the pty's from the start.
    const tty = spawnSync('script', ['-qc', 'stty cols 91 rows 33; docker run --rm -it busybox sh -c "stty size; tty"', '/dev/null'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${d.sock}` }, timeout: 30_000 });
    const clientApi = (await d.docker(['version', '--format', '{{.Client.APIVersion}}'])).stdout.trim();
    // Before API 1.42 the CLI sends no ConsoleSize, only a resize after the start: the size is not there from the first instruction.
    if (clientApi === '1.41') t.match(tty.stdout, /\/dev\/pts\/0/, 'a tty');
    else t.match(tty.stdout, /33 91\r?\n\/dev\/pts\/0/, 'a tty of the client\'s size');
    const det = await d.docker(['run', '-d', '--name', 'bg', '--label', 'role=bg', 'busybox', 'sh', '-c', 'echo started; exec sleep 1000']);
    t.equal(det.code, 0, det.stderr);
    t.match(det.stdout.trim(), /^[0-9a-f]{64}$/, '-d prints the id');
    const ps = await d.docker(['ps', '--format', '{{.Names}} {{.Image}} {{.Status}}']);
    t.match(ps.stdout, /^bg busybox Up /m);
    t.notMatch(ps.stdout, /hello/, 'ps without -a lists running containers only');
    const psa = await d.docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
    t.match(psa.stdout, /^[0-9a-f]{64} hello Exited \(0\)/m);
    t.equal((await d.docker(['ps', '-q', '--filter', 'label=role=bg'])).stdout.trim(), det.stdout.trim().slice(0, 12));
    t.equal((await d.docker(['ps', '-aq', '--filter', 'exited=3'])).stdout.trim().split('\n').length, 1);
    await sleep(200);
    t.equal((await d.docker(['logs', 'bg'])).stdout, 'started\n');
    t.match((await d.docker(['logs', '-t', 'hello'])).stdout, /^\d{4}-\d\d-\d\dT\S+Z hello world/);
    const insp = JSON.parse((await d.docker(['inspect', 'bg'])).stdout) as Array<Record<string, any>>;
    t.match(insp[0], { Name: '/bg', State: { Status: 'running', Running: true }, Config: { Image: 'busybox', Labels: { role: 'bg' } } });
    t.match(insp[0].Image, /^sha256:[0-9a-f]{64}$/);
    const stop = await d.docker(['stop', '-t', '1', 'bg']);
    t.equal(stop.stdout.trim(), 'bg');
    t.equal((await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'bg'])).stdout.trim(), 'exited 137', 'sleep ignores SIGTERM as pid 1: killed after the timeout');
    t.equal((await d.docker(['wait', 'bg'])).stdout.trim(), '137');
    t.equal((await d.docker(['rm', 'bg', 'hello'])).code, 0);
    t.equal((await d.docker(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean).length, 1, 'the --rm container went by itself');
  });

  t.test('run flags reach the container: -u, --read-only, --tmpfs, --cap-drop, --init, --entrypoint, --stop-signal; logs -f and --since; rm -v', async (t) => {
    const d = await startDaemon(t, rootfs);
    fs.writeFileSync(`${d.dir}/envfile`, 'FROM_FILE=yes\n');
    const r = await d.docker(['run', '--name', 'flags', '-u', '1000:1000', '--read-only', '--tmpfs', '/scratch', '--cap-drop', 'ALL', '--init', '--env-file', `${d.dir}/envfile`, '--security-opt', 'no-new-privileges', '--label', 'a=b', 'busybox', 'sh', '-c',
      'id -u; echo $FROM_FILE; touch /x 2>/dev/null || echo ro; touch /scratch/y && echo tmpfs-ok; grep CapEff /proc/self/status; cat /proc/1/cmdline | tr "\\0" " "; echo'], { timeoutMs: 60_000 });
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^1000\nyes\nro\ntmpfs-ok\nCapEff:\s+0+\n/, 'user, env file, read-only root, tmpfs, no capabilities');
    t.match(r.stdout, /^\/dev\/init -- sh -c/m, '--init runs an init as pid 1 (mounted at /dev/init, as Docker does)');
    t.equal((await d.docker(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint'])).stdout, 'from entrypoint\n');
    // --sysctl and --oom-score-adj: set inside, kept in HostConfig, refused when they would change the host.
    const hostFwd = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const sc = await d.docker(['run', '--name', 'sysctl', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmni=999', '--oom-score-adj', '300', '--domainname', 'example.org', 'busybox', 'cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmni', '/proc/self/oom_score_adj', '/proc/sys/kernel/domainname'], { timeoutMs: 60_000 });
    t.equal(sc.stdout, '1\n999\n300\nexample.org\n', sc.stderr);
    t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostFwd, 'the host\'s ip_forward is untouched');
    t.equal((await d.docker(['inspect', '-f', '{{json .HostConfig.Sysctls}} {{.HostConfig.OomScoreAdj}}', 'sysctl'])).stdout.trim(), '{"kernel.shmmni":"999","net.ipv4.ip_forward":"1"} 300');
    const hostSysctl = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Sysctls: { 'kernel.pid_max': '100' } } });
    t.equal(hostSysctl.status, 400);
    t.match(hostSysctl.json(), { message: /sysctl 'kernel\.pid_max' is not namespaced/ });
    const hostNet = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } } });
    t.equal(hostNet.status, 400);
    t.match(hostNet.json(), { message: /sysctl 'net\.ipv4\.ip_forward' needs a network of its own/ });
    // --ulimit, --group-add, --shm-size, --device: as docker run gives them.
    const res = await d.docker(['run', '--rm', '--ulimit', 'nofile=100:200', '--group-add', '10', '--group-add', '20', '--shm-size', '16m', '--device', '/dev/zero:/dev/myzero:r', 'busybox', 'sh', '-c',
      'ulimit -n; ulimit -Hn; id -G; df -k /dev/shm | tail -1 | awk "{print \\$2}"; head -c 3 /dev/myzero | wc -c; stat -c "%t:%T" /dev/myzero'], { timeoutMs: 60_000 });
    // (The device cgroup rules go by numbers: /dev/zero's 1:5 is in Docker's default allow list whatever the mode given.)
    t.equal(res.stdout, '100\n200\n0 10 20\n16384\n3\n1:5\n', res.stderr);
    const badUlimit = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 200, Hard: 100 }] } });
    t.equal(badUlimit.status, 400);
    t.match(badUlimit.json(), { message: /ulimit soft limit must be less than or equal to hard limit: 200 > 100/ });
    const named = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { GroupAdd: ['wheel'] } });
    t.equal(named.status, 400);
    t.match(named.json(), { message: /invalid group "wheel"/ });
    // A cgroup limit this host's v2 hierarchy cannot enforce is refused (fail closed), else applied.
    const shares = await d.docker(['run', '--rm', '--cpu-shares', '512', 'busybox', 'cat', '/sys/fs/cgroup/cpu.weight'], { timeoutMs: 60_000 });
    if (/\bcpu\b/.test(discoverCgroupCached().controllers.join(' '))) t.equal(shares.stdout, '20\n', shares.stderr);
    else t.match(shares.stderr, /--cpu-shares \(HostConfig\.CpuShares\) cannot be enforced on this host/);
    const oom = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { OomScoreAdj: 5000 } });
    t.equal(oom.status, 400);
    t.match(oom.json(), { message: /range for oom score adj is \[-1000, 1000\]/ });
    await d.docker(['run', '-d', '--name', 'sig', '--stop-signal', 'SIGUSR1', '--stop-timeout', '5', 'busybox', 'sh', '-c', 'trap "echo usr1; exit 7" USR1; while true; do sleep 0.1; done']);
    await sleep(300);
    await d.docker(['stop', 'sig']);
    t.equal((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'sig'])).stdout.trim(), '7', 'stopped by its stop signal');
    await d.docker(['run', '-d', '--name', 'counter', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo n$i; sleep 0.2; done']);
    const f = await d.docker(['logs', '-f', 'counter']);
    t.equal(f.stdout, 'n1\nn2\nn3\nn4\nn5\n', 'logs -f follows to the end');
    t.equal((await d.docker(['logs', '--since', String(Math.floor(Date.now() / 1000) + 60), 'counter'])).stdout, '', '--since in the future: nothing');
    t.equal((await d.docker(['logs', '--tail', '2', 'counter'])).stdout, 'n4\nn5\n');
    await d.docker(['create', '--name', 'anon', '-v', '/data', 'busybox', 'true']);
    const vol = (await d.docker(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'anon'])).stdout.trim();
    t.match(vol, /^[0-9a-f]{64}$/, 'an anonymous volume');
    t.equal((await d.docker(['rm', '-v', 'anon'])).code, 0);
    t.equal((await d.docker(['volume', 'inspect', vol])).code, 1, 'rm -v removed it');
  });

  t.test('errors as dockerd: 404 for names that are none, 409 for conflicts, 400 for bad input', async (t) => {
    const d = await startDaemon(t, rootfs);
    for (const args of [['inspect', '--type', 'container', 'nosuch'], ['rm', 'nosuch'], ['logs', 'nosuch'], ['stop', 'nosuch'], ['volume', 'inspect', 'nosuch'], ['image', 'inspect', 'nosuch'], ['start', 'nosuch']]) {
      const r = await d.docker(args);
      t.equal(r.code, 1, `docker ${args.join(' ')} fails`);
      t.match(r.stderr, /No such (container|volume|image|object): nosuch/, `docker ${args.join(' ')}: ${r.stderr.trim()}`);
    }
    for (const p of ['/containers/nosuch/json', '/volumes/nosuch', '/images/nosuch/json', '/containers/nosuch/logs?stdout=1']) {
      const r = await d.api('GET', `/v1.43${p}`);
      t.equal(r.status, 404, p);
    }
    t.equal((await d.docker(['run', '-d', '--name', 'xx', 'busybox', 'sleep', '1000'])).code, 0);
    const dup = await d.docker(['create', '--name', 'xx', 'busybox', 'true']);
    t.equal(dup.code, 1);
    t.match(dup.stderr, /Conflict. The container name "\/xx" is already in use by container "[0-9a-f]{64}"/);
    const rm = await d.api('DELETE', '/v1.43/containers/xx');
    t.equal(rm.status, 409);
    t.match(rm.json(), { message: /You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove/ });
    const bad = await d.api('POST', '/v1.43/containers/create', '{"Image": "busybox", ');
    t.equal(bad.status, 400);
    t.match(bad.json(), { message: /^invalid JSON/ });
    const typed = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: 'echo' });
    t.equal(typed.status, 400);
    t.match(typed.json(), { message: /Cmd/ });
    const unsupported = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Privileged: true } });
    t.equal(unsupported.status, 400, 'a setting bulkheadd lacks is refused, never dropped');
    t.match(unsupported.json(), { message: /HostConfig.Privileged/ });
    const nets = await d.docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    t.equal(nets.stdout, 'bridge bridge\nhost host\nnone null\n', 'the default bridge and the two modes (test/host/api/networks.test.ts has the rest)');
    t.match((await d.docker(['network', 'inspect', 'nosuch'])).stderr, /network nosuch not found/);
    t.match((await d.docker(['network', 'rm', 'host'])).stderr, /host is a pre-defined network and cannot be removed/);
    // A program that cannot run: docker run's statuses 127 and 126, attach and wait released, --rm honoured.
    const nf = await d.docker(['run', '--rm', 'busybox', 'nosuchcmd'], { timeoutMs: 30_000 });
    t.equal(nf.code, 127, nf.stderr);
    t.match(nf.stderr, /executable file not found/);
    t.equal((await d.docker(['run', '--name', 'noexec', 'busybox', '/etc/passwd'], { timeoutMs: 30_000 })).code, 126);
    t.equal((await d.docker(['ps', '-aq', '--filter', 'name=noexec'])).stdout.trim().length, 12, 'kept without --rm');
    t.equal((await d.docker(['ps', '-aq', '--filter', 'status=created'])).stdout.trim().split('\n').length, 1, 'the --rm one was removed');
    t.equal((await d.docker(['exec', 'xx', 'true'])).code, 0, 'exec into a running container');
    const rmf = await d.docker(['rm', '-f', 'xx']);
    t.equal(rmf.code, 0);
  });

  t.test('attach, top, stats, pause, unpause, rename, restart, kill, start -a, prune', async (t) => {
    // Debug: every request and its answer in the log, shown if stats fails.
    const d = await startDaemon(t, rootfs, ['--log-level', 'debug']);
    t.equal((await d.docker(['run', '-d', '--name', 'tick', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done'])).code, 0);
    const attached = d.docker(['attach', '--no-stdin', 'tick']);
    await sleep(800);
    const top = await d.docker(['top', 'tick']);
    t.match(top.stdout, /^UID\s+PID\s+PPID/);
    t.match(top.stdout, /sh -c trap/);
    let stats = await d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'tick']);
    if (stats.code !== 0) {
      // Seen once in about eight CI runs, never reproduced alone (hundreds of
      // runs, in parallel and under load): the CLI's first JSON decode of the
      // answer met EOF, as if the body were empty. Kept visible with the
      // daemon's request log (each answer's status and size), and asked again.
      t.comment(`docker stats failed once: ${stats.stderr.trim()}\n${d.log().split('\n').slice(-40).join('\n')}`);
      stats = await d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'tick']);
    }
    t.equal(stats.code, 0, stats.code ? `${stats.stderr}\n${d.log().split('\n').slice(-40).join('\n')}` : 'docker stats --no-stream');
    t.match(stats.stdout, /^tick /);
    t.equal((await d.docker(['pause', 'tick'])).code, 0);
    t.equal((await d.docker(['inspect', '-f', '{{.State.Status}}', 'tick'])).stdout.trim(), 'paused');
    t.equal((await d.docker(['unpause', 'tick'])).code, 0);
    t.equal((await d.docker(['rename', 'tick', 'tock'])).code, 0);
    t.equal((await d.docker(['inspect', '-f', '{{.Name}}', 'tock'])).stdout.trim(), '/tock');
    t.equal((await d.docker(['stop', 'tock'])).code, 0);
    const a = await attached;
    t.match(a.stdout, /tick\d+\n/, 'attach streamed the output');
    t.equal(a.code, 0, 'attach ends with the container, with its status');
    t.equal((await d.docker(['restart', '-t', '1', 'tock'])).code, 0);
    t.equal((await d.docker(['inspect', '-f', '{{.State.Running}}', 'tock'])).stdout.trim(), 'true');
    t.equal((await d.docker(['kill', 'tock'])).code, 0);
    t.equal((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'tock'])).stdout.trim(), '137');
    t.equal((await d.docker(['create', '--name', 'later', 'busybox', 'echo', 'from start -a'])).code, 0);
    const sa = await d.docker(['start', '-a', 'later']);
    t.equal(sa.stdout, 'from start -a\n');
    t.equal((await d.docker(['create', '-i', '--name', 'reader', 'busybox', 'sh', '-c', 'read x; echo "got $x"'])).code, 0);
    const ai = await d.docker(['start', '-a', '-i', 'reader'], { input: 'typed\n' });
    t.equal(ai.stdout, 'got typed\n', 'start -a -i: input in, output out');
    const prune = await d.docker(['container', 'prune', '-f']);
    t.match(prune.stdout, /Deleted Containers:/);
    t.equal((await d.docker(['ps', '-aq'])).stdout.trim(), '', 'every stopped container pruned');
  });

  t.test('volumes: create, ls, inspect, use, in-use refusal, rm, prune; system df; events with filters', async (t) => {
    const d = await startDaemon(t, rootfs);
    const since = Math.floor(Date.now() / 1000) - 1;
    t.equal((await d.docker(['volume', 'create', '--label', 'k=v', 'data'])).stdout.trim(), 'data');
    t.match((await d.docker(['volume', 'ls', '--format', '{{.Name}} {{.Driver}}'])).stdout, /^data local$/m);
    const vi = JSON.parse((await d.docker(['volume', 'inspect', 'data'])).stdout) as Array<Record<string, unknown>>;
    t.match(vi[0], { Name: 'data', Driver: 'local', Labels: { k: 'v' } });
    t.equal((await d.docker(['run', '--name', 'ww', '-v', 'data:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f'])).code, 0);
    t.equal((await d.docker(['run', '--rm', '--mount', 'type=volume,src=data,dst=/d,readonly', 'busybox', 'cat', '/d/f'])).stdout, 'kept\n');
    const inuse = await d.docker(['volume', 'rm', 'data']);
    t.equal(inuse.code, 1);
    t.match(inuse.stderr, /in use/);
    const df = await d.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    t.match(df.stdout, /^Containers 1$/m);
    t.match(df.stdout, /^Local Volumes 1$/m);
    t.equal((await d.docker(['rm', 'ww'])).code, 0);
    t.equal((await d.docker(['volume', 'rm', 'data'])).stdout.trim(), 'data');
    await d.docker(['volume', 'create', 'dangling']);
    // API 1.42 made prune spare named volumes unless -a (all=true); a 1.41 client prunes them all.
    const clientApi = (await d.docker(['version', '--format', '{{.Client.APIVersion}}'])).stdout.trim();
    t.match((await d.docker(['volume', 'prune', '-f', ...(clientApi === '1.41' ? [] : ['-a'])])).stdout, /dangling/);
    const ev = await d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=ww', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    t.equal(ev.code, 0, ev.stderr);
    t.same(ev.stdout.trim().split('\n'), ['container create ww', 'container start ww', 'container die ww', 'container destroy ww'], 'the events of one container, in order');
    const vev = await d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']);
    t.match(vev.stdout, /^create data$/m);
    t.match(vev.stdout, /^destroy data$/m);
    // Streamed: a live follower sees what happens after it connected.
    const follower = d.docker(['events', '--filter', 'event=start', '--format', '{{.Actor.Attributes.name}}'], { timeoutMs: 3000 });
    await sleep(500);
    await d.docker(['run', '--rm', '--name', 'live', 'busybox', 'true']);
    const f = await follower;
    t.equal(f.stdout.trim(), 'live', 'the live stream carried the start');
  });
}

const missing = dockerMissing();
if (missing) requirementMissing(missing);
else withBusyboxRoot(main);
