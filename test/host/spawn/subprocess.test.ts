// The handle on the real kernel: output beyond maxBuffer, encodings, input,
// all, timeout and cancel, buffer: false, tty fds, EPIPE, extra fds, events,
// and nothing thrown outside the promise.
import * as fs from 'node:fs';
import t from 'tap';
import { BulkheadError, ExitError, spawn } from '../../../lib/index';
import { needRoot } from '../../helpers/tier';

const fds = () => fs.readdirSync('/proc/self/fd').length;
const settle = () => new Promise((r) => setTimeout(r, 50));

if (needRoot()) main();

function main() {
  // Whatever a handle does on its own must reach its promise, never the process.
  const stray: unknown[] = [];
  const onStray = (e: unknown) => stray.push(e);
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
  t.teardown(() => {
    process.off('uncaughtException', onStray);
    process.off('unhandledRejection', onStray);
  });

  t.test('600 MB on stdout: killed at the default maxBuffer of 100 MB, rejected with isMaxBuffer', async (t) => {
    const err = (await spawn('/bin/sh', ['-c', 'head -c 600000000 /dev/zero']).catch((e) => e)) as ExitError;
    t.ok(err instanceof ExitError && err instanceof BulkheadError);
    t.match(err, { code: 'ERR_BULKHEAD_MAX_BUFFER', isMaxBuffer: true, timedOut: false });
    t.equal(err.stdout?.length, 100_000_000, 'the output is cut at maxBuffer');
    t.match(err.shortMessage, /output \(stdout\) was larger than maxBuffer \(100000000\)/);
    const r = await spawn('/bin/sh', ['-c', 'head -c 2000 /dev/zero; head -c 10 /dev/zero >&2'], { maxBuffer: 1000, reject: false });
    t.match(r, { isMaxBuffer: true, stderr: '\0'.repeat(10) });
  });

  t.test('maxBuffer counts characters, or bytes with encoding buffer', async (t) => {
    const script = 'i=0; while [ $i -lt 100 ]; do printf "\\303\\251"; i=$((i+1)); done';
    const chars = await spawn('/bin/sh', ['-c', script], { maxBuffer: 100 });
    t.equal(chars.stdout, 'é'.repeat(100), '100 characters in 200 bytes fit a maxBuffer of 100');
    const bytes = await spawn('/bin/sh', ['-c', script], { maxBuffer: 100, encoding: 'buffer', reject: false });
    t.equal(bytes.isMaxBuffer, true, '200 bytes do not');
    t.equal(bytes.stdout?.length, 100);
  });

  t.test('encoding buffer keeps binary output; other encodings decode', async (t) => {
    const r = await spawn('/bin/sh', ['-c', 'printf "\\377\\376\\000\\200abc"'], { encoding: 'buffer' });
    t.ok(Buffer.isBuffer(r.stdout));
    t.same([...(r.stdout as Buffer)], [0xff, 0xfe, 0, 0x80, 0x61, 0x62, 0x63]);
    t.equal((await spawn('/bin/sh', ['-c', 'printf "\\377"'], { encoding: 'latin1' })).stdout, 'ÿ');
    t.equal((await spawn('/bin/sh', ['-c', 'printf hi'], { encoding: 'base64' })).stdout, 'aGk=');
    // Split multi-byte characters across reads decode whole.
    const many = await spawn('/bin/sh', ['-c', 'i=0; while [ $i -lt 30000 ]; do printf "\\342\\202\\254"; i=$((i+1)); done']);
    t.equal(many.stdout, '€'.repeat(30000));
  });

  t.test('input is written to stdin and closed; all interleaves stdout and stderr', async (t) => {
    t.equal((await spawn('/bin/cat', [], { input: 'from input' })).stdout, 'from input');
    t.equal((await spawn('/bin/sh', ['-c', 'wc -c'], { input: Buffer.alloc(300_000) })).stdout?.trim(), '300000', 'more than a pipe holds');
    const r = await spawn('/bin/sh', ['-c', 'echo 1; sleep 0.1; echo 2 >&2; sleep 0.1; echo 3'], { all: true });
    t.equal(r.all, '1\n2\n3\n');
    t.equal(r.stdout, '1\n3\n');
    t.equal(r.stderr, '2\n');
  });

  t.test('timeout: killSignal, then SIGKILL after forceKillAfterDelay; timedOut on the result', async (t) => {
    // pid 1 of its namespace gets only the signals it handles: SIGTERM leaves a plain sleep running.
    const started = Date.now();
    const err = (await spawn('/bin/sleep', ['30'], { timeout: 100, forceKillAfterDelay: 200 }).catch((e) => e)) as ExitError;
    t.match(err, { name: 'ExitError', code: 'ERR_BULKHEAD_TIMEOUT', timedOut: true, signal: 'SIGKILL', isCanceled: false });
    t.match(err.message, 'Command timed out after 100 milliseconds: /bin/sleep 30');
    t.ok(Date.now() - started < 10_000, 'it did not run its 30 s');
    const trapped = await spawn('/bin/sh', ['-c', 'trap "exit 7" USR1; sleep 30 & wait'], { timeout: 100, killSignal: 'SIGUSR1', forceKillAfterDelay: false, reject: false });
    t.match(trapped, { timedOut: true, exitCode: 7, signal: null }, 'killSignal is what it got');
    const quick = await spawn('/bin/true', [], { timeout: 5000 });
    t.equal(quick.timedOut, false);
  });

  t.test('signal: abort kills and rejects with isCanceled; an aborted signal starts nothing', async (t) => {
    const ac = new AbortController();
    const p = spawn('/bin/sleep', ['30'], { signal: ac.signal, killSignal: 'SIGKILL' });
    setTimeout(() => ac.abort(new Error('enough')), 100);
    const err = (await p.catch((e) => e)) as ExitError;
    t.match(err, { code: 'ERR_BULKHEAD_CANCELED', isCanceled: true, signal: 'SIGKILL' });
    t.match((err.cause as Error).message, 'enough');
    const before = fds();
    const never = spawn('/bin/true', [], { signal: AbortSignal.abort() });
    t.equal(never.pid, undefined, 'no process');
    await t.rejects(async () => never, { name: 'BulkheadError', code: 'ERR_BULKHEAD_CANCELED' });
    t.equal(fds(), before);
  });

  t.test('buffer: false settles at the exit when nobody reads, tty too, and leaves no fd', async (t) => {
    await spawn('/bin/true', [], { stdio: 'ignore' }); // warm: the one /dev/null fd
    const before = fds();
    const r = await spawn('/bin/sh', ['-c', 'echo out; echo err >&2'], { buffer: false });
    t.equal(r.stdout, undefined);
    t.equal(r.exitCode, 0);
    const tty = await spawn('/bin/sh', ['-c', 'echo on the terminal'], { tty: true, buffer: false });
    t.equal(tty.exitCode, 0);
    await settle();
    t.equal(fds(), before, 'the unread streams drained and closed');
  });

  t.test('tty: true leaks no fd (no stdio pipes are made for a pty)', async (t) => {
    await spawn('/bin/true', [], { tty: true });
    const before = fds();
    for (let i = 0; i < 30; i++) {
      const r = await spawn('/bin/sh', ['-c', 'tty'], { tty: true });
      t.match(r.stdout, /^\/dev\/pts\/\d+/);
    }
    await settle();
    t.equal(fds(), before, 'same fds after 30 tty spawns');
  });

  t.test('EPIPE when the program closes its stdin is reported on the result, not thrown', async (t) => {
    const r = await spawn('/bin/sh', ['-c', 'exec 0<&-; sleep 0.2; echo done'], { input: Buffer.alloc(1 << 20) });
    t.equal(r.stdout, 'done\n');
    t.match(r.stdinError, { code: 'EPIPE' });
    const p = spawn('/bin/sh', ['-c', 'exec 0<&-; sleep 0.2']);
    p.stdin?.write(Buffer.alloc(1 << 20));
    t.match((await p).stdinError, { code: /^(EPIPE|ECONNRESET)$/ });
  });

  t.test('more than three stdio entries: fds 3, 4, ... in the child', async (t) => {
    const r = await spawn('/bin/sh', ['-c', 'echo three >&3; echo five >&5; ls /proc/self/fd | wc -l'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'ignore', 'pipe'] });
    t.equal(r.stdio[3], 'three\n');
    t.equal(r.stdio[4], undefined, 'ignore');
    t.equal(r.stdio[5], 'five\n');
    t.equal(r.stdout?.trim(), '7', 'fds 0-5 and the one ls reads through');
    const w = fs.openSync('/dev/null', 'w');
    t.teardown(() => fs.closeSync(w));
    t.equal((await spawn('/bin/sh', ['-c', 'readlink /proc/self/fd/3'], { stdio: ['pipe', 'pipe', 'pipe', w] })).stdout, '/dev/null\n', 'an fd of ours');
  });

  t.test("child_process's events: spawn, exit, close; error only to listeners", async (t) => {
    const seen: string[] = [];
    const p = spawn('/bin/sh', ['-c', 'exit 3'], { reject: false });
    p.on('spawn', () => seen.push('spawn'));
    p.on('exit', (code) => seen.push(`exit ${code}`));
    p.on('close', (code) => seen.push(`close ${code}`));
    await p;
    await settle();
    t.same(seen, ['spawn', 'exit 3', 'close 3']);
    const failed = spawn('/nonexistent/program', []);
    const errors: unknown[] = [];
    failed.on('error', (e) => errors.push(e));
    await t.rejects(async () => failed, { name: 'IsolationError', code: 'ENOENT', step: 'execve' });
    t.equal(errors.length, 1);
    t.ok(errors[0] instanceof BulkheadError);
    await spawn('/nonexistent/program', []).catch(() => undefined); // no listener: no crash
  });

  t.test('an ExitError names the command, the status and the tail of stderr', async (t) => {
    const err = (await spawn('/bin/sh', ['-c', 'for i in $(seq 1 50); do echo "problem $i" >&2; done; exit 4'], {}).catch((e) => e)) as ExitError;
    t.match(err.message, /^Command failed with exit code 4: \/bin\/sh -c for i in/);
    t.match(err.message, /problem 50$/);
    t.notMatch(err.message, /problem 30\n/, 'only the tail');
    t.equal(err.exitCode, 4);
  });

  t.test('nothing any of the above did was thrown outside its promise', async (t) => {
    await settle();
    t.same(stray.map(String), []);
  });
}
