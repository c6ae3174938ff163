// `bulkhead run`'s stdio: the container gets pipes (or its own pty), never the
// caller's fds, and everything is copied whole, in order, before the exit.
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { needRoot } from '../../helpers/tier';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'bulkhead');
const LIB = path.join(ROOT, 'dist', 'lib', 'index.js');
const run = (args: string[], opts: Parameters<typeof spawnSync>[2] = {}) =>
  spawnSync(BIN, ['run', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, ...opts }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
const hasScript = spawnSync('script', ['--version']).status === 0;

if (needRoot()) main();

function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-io-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  t.test('stdout opened with >>: the container can neither read the file through /proc/self/fd/1 nor chmod it', async (t) => {
    // fd 3 is opened from fd 1 before any redirection: on a pipe the read waits for data, hence the timeout.
    const attack = 'exec 3</proc/self/fd/1; timeout 1 head -c 6 <&3 >&2; chmod 4755 /proc/self/fd/1 2>/dev/null; : > /proc/self/fd/1; echo appended';
    const file = path.join(tmp, 'out.log');
    fs.writeFileSync(file, 'SECRET\n', { mode: 0o644 });
    const fd = fs.openSync(file, 'a');
    const r = spawnSync(BIN, ['run', '-u', '0', '--', 'sh', '-c', attack], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    fs.closeSync(fd);
    t.equal(r.status, 0);
    t.notMatch(r.stderr, /SECRET/, 'nothing of the file read back');
    t.equal(fs.readFileSync(file, 'utf8'), 'SECRET\nappended\n', 'not truncated; the output appended');
    t.equal(fs.statSync(file).mode & 0o7777, 0o644, 'mode unchanged');

    // Control: spawn() given the fd itself (stdio: fd, for embedders who ask) hands the file over.
    fs.writeFileSync(file, 'SECRET\n', { mode: 0o644 });
    const ctl = path.join(tmp, 'control.js');
    fs.writeFileSync(ctl, `const fs = require('fs'); const { spawn } = require(${JSON.stringify(LIB)});
      const fd = fs.openSync(${JSON.stringify(file)}, 'a');
      spawn('sh', ['-c', ${JSON.stringify('exec 3</proc/self/fd/1; head -c 6 <&3 >&2; chmod 4755 /proc/self/fd/1')}], { stdio: ['ignore', fd, 'pipe'] }).then((r) => process.stdout.write(r.stderr));`);
    const c = spawnSync(process.execPath, [ctl], { encoding: 'utf8' });
    t.equal(c.stdout, 'SECRET', 'control: with the raw fd the file is read');
    t.equal(fs.statSync(file).mode & 0o7777, 0o4755, 'control: and made setuid');
    fs.chmodSync(file, 0o644);
  });

  t.test('a terminal: the container cannot change its modes (run under script(1), a real pty)', { skip: hasScript ? false : 'script(1) missing: apt-get install -y bsdutils' }, async (t) => {
    const inner = `${BIN} run -u 0 -- sh -c 'stty -echo; stty -echo </dev/tty; echo tried' ; stty -a`;
    const r = spawnSync('script', ['-qec', inner, '/dev/null'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    t.match(r.stdout, /tried/);
    t.match(r.stdout, /(^|\s)echo(\s|$)/m, 'echo still on in the outer terminal');
    const ctl = path.join(tmp, 'tty-control.js');
    fs.writeFileSync(ctl, `require(${JSON.stringify(LIB)}).spawn('stty', ['-echo'], { stdio: 'inherit' }).then(() => {}, () => {});`);
    const c = spawnSync('script', ['-qec', `${process.execPath} ${ctl}; stty -a`, '/dev/null'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    t.match(c.stdout, /-echo/, 'control: with stdio inherit the container turns echo off');
  });

  t.test('-t under script(1): a 0x0 terminal is of unknown size; -it with a non-terminal stdin is refused; TERM=xterm', { skip: hasScript ? false : 'script(1) missing' }, async (t) => {
    const r = spawnSync('script', ['-qec', `${BIN} run -t -- sh -c 'stty size; echo $TERM'`, '/dev/null'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    t.match(r.stdout, /^0 0\r*\nxterm\r*$/m, 'runs, with an unsized pty');
    const n = run(['-it', '--', 'true'], { input: '' });
    t.equal(n.status, 125);
    t.equal(n.stderr, 'bulkhead run: the input device is not a TTY (-t with -i needs a terminal as stdin; drop -t to pipe data in)\n');
  });

  t.test('large output whole and in order per stream; stdin forwarded with -i and half-closed at EOF; empty without', async (t) => {
    const big = run(['--', 'sh', '-c', 'head -c 30000000 /dev/zero | tr "\\0" a; echo end >&2']);
    t.equal(big.status, 0);
    t.equal(big.stdout.length, 30000000, 'every byte');
    t.equal(big.stderr, 'end\n');
    const seq = run(['--', 'sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo o$i; echo e$i >&2; i=$((i+1)); done']);
    const want = (p: string) => Array.from({ length: 20000 }, (_, i) => `${p}${i}\n`).join('');
    t.ok(seq.stdout === want('o'), 'stdout in order');
    t.ok(seq.stderr === want('e'), 'stderr in order');
    const input = 'x'.repeat(5_000_000);
    const i = run(['-i', '--', 'sh', '-c', 'wc -c; echo after-eof'], { input });
    t.equal(i.stdout.replace(/ +/g, ''), '5000000\nafter-eof\n', 'all of stdin, then EOF');
    t.equal(run(['--', 'sh', '-c', 'cat; echo done'], { input: 'not forwarded\n' }).stdout, 'done\n', 'without -i the stdin is empty');
  });

  t.test('a reader that goes away: the program gets SIGPIPE as in a shell pipeline, bulkhead does not crash', async (t) => {
    const r = spawnSync('sh', ['-c', `${BIN} run -- sh -c 'seq 1 3000000; echo after $? >&2' | head -1`], { encoding: 'utf8' });
    t.equal(r.stdout, '1\n');
    t.equal(r.stderr, 'after 141\n', 'seq killed by SIGPIPE (128+13), no stack trace of ours');
  });

  t.test('a slow reader: nothing lost, the exit waits for the copy', async (t) => {
    const child = cpSpawn(BIN, ['run', '--', 'sh', '-c', 'head -c 4000000 /dev/zero'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let n = 0;
    child.stdout.on('data', (c: Buffer) => {
      n += c.length;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 2);
    });
    const code = await new Promise((r) => child.on('close', r));
    t.equal(code, 0);
    t.equal(n, 4000000);
  });
}
