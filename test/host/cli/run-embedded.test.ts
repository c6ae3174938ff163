// The embedded default's policy, attacked for real: secrets, homes, unix sockets
// and FIFOs of the host, each refused, each with a control showing the attack
// works where that protection is off. Then what Docker users expect of it:
// mount points and the working directory made, -v from /tmp, --init from a
// package under /tmp.
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { needRoot } from '../../helpers/tier';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'bulkhead');
const run = (args: string[], opts: Parameters<typeof spawnSync>[2] = {}) =>
  spawnSync(BIN, ['run', ...args], { encoding: 'utf8', ...opts }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
/** The same, without blocking this process's loop (the tests' own servers must answer). */
const runAsync = (args: string[]): Promise<{ stdout: string; stderr: string; status: number | null }> =>
  new Promise((resolve) => {
    const c = cpSpawn(BIN, ['run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ stdout, stderr, status }));
  });
const sh = (script: string, ...flags: string[]) => run([...flags, '--', 'sh', '-c', script]);

if (needRoot()) main();

function main() {
  // Outside /tmp, /run, /var/tmp and the homes: bound (read-only) into the container like the rest of the host.
  const outside = fs.mkdtempSync('/var/lib/bulkhead-test-');
  t.teardown(() => fs.rmSync(outside, { recursive: true, force: true }));
  fs.chmodSync(outside, 0o755);

  t.test('runs as nobody with no capabilities; -u 0 is root', async (t) => {
    t.match(sh('id -u; id -g; grep CapEff /proc/self/status').stdout, /^65534\n65534\nCapEff:\s+0000000000000000\n$/);
    t.match(sh('id -u', '-u', '0').stdout, /^0\n$/);
  });

  t.test('secrets: /etc/shadow empty, /root and /home empty, /etc/ssh empty, even as root', async (t) => {
    const home = fs.mkdtempSync('/home/bulkhead-test-');
    t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
    fs.writeFileSync(path.join(home, '.npmrc'), '//registry.npmjs.org/:_authToken=SECRET\n', { mode: 0o644 });
    const probe = `cat /etc/shadow /etc/gshadow ${home}/.npmrc /root/.bash_history 2>&1; echo ---; ls -A /root /home /etc/ssh | grep -v :`;
    for (const who of ['65534', '0']) {
      const [read, listed] = sh(probe, '-u', who).stdout.split('---\n');
      t.notMatch(read, /root:[^ ]*:|SECRET/, `as ${who}: nothing read`);
      t.match(read, new RegExp(`${home}/.npmrc: No such file or directory`), `as ${who}: the home is not there`);
      t.equal(listed.trim(), '', `as ${who}: /root, /home and /etc/ssh empty`);
    }
    // Controls: the same files bound explicitly are readable by root in a container, and
    // nobody is still refused by their modes (the second layer).
    t.match(sh('head -c 5 /s; cat /n', '-u', '0', '-v', '/etc/shadow:/s:ro', '-v', `${home}/.npmrc:/n:ro`).stdout, /^root:.*SECRET/s, 'control: bound, root reads them');
    t.match(sh('cat /s 2>&1', '-v', '/etc/shadow:/s:ro').stdout, /Permission denied/, 'nobody cannot read shadow even bound');
  });

  t.test('host unix sockets: socket(AF_UNIX) refused, so no connect(); control: without the filter nobody connects to a 0777 socket', async (t) => {
    const sock = path.join(outside, 'app.sock');
    const server = net.createServer((c) => c.end('HELLO\n'));
    await new Promise<void>((r) => server.listen(sock, r));
    t.teardown(() => server.close());
    fs.chmodSync(sock, 0o777);
    const py = `import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(${JSON.stringify(sock)})\nprint(s.recv(10).decode().strip())`;
    for (const who of ['65534', '0']) {
      const r = await runAsync(['-u', who, '--', 'python3', '-c', py]);
      t.match(r.stderr, /PermissionError: \[Errno 1\] Operation not permitted/, `as ${who}: refused`);
      t.notMatch(r.stdout, /HELLO/);
    }
    const c = await runAsync(['--security-opt', 'seccomp=unconfined', '--', 'python3', '-c', py]);
    t.equal(c.stdout, 'HELLO\n', 'control: a read-only view does not stop connect(2)');
  });

  t.test('host FIFOs: a root FIFO refuses nobody; /var/tmp is fresh; control: root writes through the read-only view', async (t) => {
    const fifo = path.join(outside, 'ctl.fifo');
    spawnSync('mkfifo', ['-m', '0644', fifo]);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    t.teardown(() => fs.closeSync(reader));
    const write = `echo INJECT > ${fifo} && echo wrote`;
    t.match(sh(`(${write}) 2>&1`).stdout, /Permission denied/, 'nobody: refused');
    const vt = fs.mkdtempSync('/var/tmp/bulkhead-test-');
    t.teardown(() => fs.rmSync(vt, { recursive: true, force: true }));
    spawnSync('mkfifo', ['-m', '0666', path.join(vt, 'open.fifo')]);
    t.match(sh(`ls ${vt} 2>&1`).stdout, /No such file or directory/, 'a world-writable FIFO of /var/tmp is not there');
    t.equal(sh(write, '-u', '0').stdout, 'wrote\n', 'control: root in the container writes the host FIFO');
    const buf = Buffer.alloc(64);
    t.equal(buf.subarray(0, fs.readSync(reader, buf)).toString(), 'INJECT\n');
  });

  t.test('abstract unix sockets: the container\'s own network namespace has none of the host\'s', async (t) => {
    // Abstract names are per network namespace (unix(7)); Landlock ABI 6 scoping is not needed for them here.
    // A Python server: node binds abstract names padded to the whole sun_path.
    const serve = 'import socket\ns = socket.socket(socket.AF_UNIX)\ns.bind("\\0bulkhead-test-abstract")\ns.listen()\nprint("up", flush=True)\nwhile True:\n  c, _ = s.accept()\n  c.send(b"HELLO\\n")\n  c.close()';
    const server = cpSpawn('python3', ['-c', serve], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => server.kill());
    await new Promise((r) => server.stdout.once('data', r));
    const py = 'import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect("\\0bulkhead-test-abstract")\nprint(s.recv(10).decode().strip())';
    t.match((await runAsync(['--security-opt', 'seccomp=unconfined', '--', 'python3', '-c', py])).stderr, /ConnectionRefusedError/, 'not found in the container\'s namespace');
    t.equal((await runAsync(['--network', 'host', '--security-opt', 'seccomp=unconfined', '--', 'python3', '-c', py])).stdout, 'HELLO\n', 'control: with the host network it is reached');
    t.match((await runAsync(['--network', 'host', '--', 'python3', '-c', py])).stderr, /Operation not permitted/, 'and the default filter still refuses it there');
  });

  t.test('device nodes outside /dev open nothing (nodev)', async (t) => {
    const dev = path.join(outside, 'null-copy');
    spawnSync('mknod', ['-m', '0666', dev, 'c', '1', '3']);
    t.match(sh(`(echo x > ${dev}) 2>&1; echo rc=$?`, '-u', '0').stdout, /Permission denied\nrc=[12]/);
    t.equal(sh(`echo x > /o/${path.basename(dev)}; echo rc=$?`, '-u', '0', '-v', `${outside}:/o`).stdout, 'rc=0\n', 'control: bound with -v (no nodev) the node is the host\'s /dev/null');
  });

  t.test('-v, --tmpfs and -w on paths the host lacks; -v from /tmp; a file target', async (t) => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-src-'));
    t.teardown(() => fs.rmSync(src, { recursive: true, force: true }));
    fs.chmodSync(src, 0o755);
    fs.writeFileSync(path.join(src, 'f'), 'from tmp\n');
    const r = sh('cat /new/path/f /usr/local/deep/er/f /etc/one.conf; df -k /scratch/t | tail -1; pwd; ls /usr/local | grep -c .; touch /new/x 2>&1',
      '-v', `${src}:/new/path`, '-v', `${src}:/usr/local/deep/er:ro`, '-v', `${src}/f:/etc/one.conf`, '--tmpfs', '/scratch/t:size=1m', '-w', '/work/new/dir');
    t.equal(r.status, 1, 'the root stays read-only');
    const lines = r.stdout.split('\n');
    t.same(lines.slice(0, 3), ['from tmp', 'from tmp', 'from tmp']);
    t.match(lines[3], /^tmpfs\s+1024\s/);
    t.equal(lines[4], '/work/new/dir');
    t.equal(Number(lines[5]), fs.readdirSync('/usr/local').length + 1, '/usr/local keeps its entries, plus the new one');
    t.match(lines[6], /Read-only file system/);
    t.notOk(fs.existsSync('/new') || fs.existsSync('/usr/local/deep') || fs.existsSync('/work/new'), 'nothing made on the host');
  });

  t.test('a package under /tmp: its --init is found and bound', async (t) => {
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-pkg-'));
    t.teardown(() => fs.rmSync(pkg, { recursive: true, force: true }));
    for (const d of ['bin', 'dist/lib', 'build/Release', 'package.json']) fs.cpSync(path.join(ROOT, d), path.join(pkg, d), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
    const r = spawnSync(path.join(pkg, 'bin', 'bulkhead'), ['run', '--init', '--', 'sh', '-c', 'echo $$; cat /proc/1/cmdline | tr "\\0" " "'], { encoding: 'utf8' });
    t.equal(r.stderr, '');
    t.match(r.stdout, /^2\n\/dev\/init -- sh/);
  });
}
