// `bulkhead run` end to end: each option runs a real container and is checked
// from inside; the terminal is driven through tmux like a person would.
import { execFileSync, spawn as cpSpawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { discoverCgroup } from '../../../lib/cgroup/discover';
import { parseFlags } from '../../../lib/cli/args';
import { runConfig } from '../../../lib/cli/run/config';
import { RUN_FLAGS } from '../../../lib/cli/run/flags';
import { rng, runArgv } from '../../helpers/run-argv';
import { withBusyboxRoot } from '../../helpers/tier';

const BIN = path.resolve(__dirname, '..', '..', '..', '..', 'bin', 'bulkhead');
/**
 * Runs a command without tap's NODE_OPTIONS (an env file does not override a variable
 * already set, and tap's hooks write into the repository): tap puts it back into
 * any child's environment, so env(1) takes it out.
 */
const bare = (cmd: string, args: string[], opts: Parameters<typeof spawnSync>[2] = {}) =>
  spawnSync('env', ['-u', 'NODE_OPTIONS', cmd, ...args], { encoding: 'utf8', ...opts }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', input });

withBusyboxRoot(main);

function main(rootDir: string) {
  const rootfs = { dir: rootDir };
  const R = ['--rootfs', rootfs.dir];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-cli-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  t.test('exit statuses as docker run gives them', async (t) => {
    t.equal(run([...R, '--', 'sh', '-c', 'exit 3']).status, 3);
    const nf = run([...R, '--', '/bin/nope']);
    t.equal(nf.status, 127);
    t.match(nf.stderr, /^bulkhead run: \/bin\/nope: executable file not found/);
    t.equal(run([...R, '--', '/etc/passwd']).status, 126);
    t.equal(run([...R, '--pids-limit', 'x', '--', 'true']).status, 125);
    t.equal(run([...R, '--init', '--', 'sh', '-c', 'kill -USR1 $$']).status, 128 + os.constants.signals.SIGUSR1);
    t.equal(run(['--', 'sh', '-c', 'exit 0']).status, 0, 'the embedded default needs no rootfs');
  });

  t.test('-e, --env-file, -w, -u, -h', async (t) => {
    const envFile = path.join(tmp, 'env');
    fs.writeFileSync(envFile, '# comment\nFROM_FILE=yes\n\nOVER=file\n');
    const r = run([...R, '-e', 'A=1', '--env-file', envFile, '-e', 'OVER=flag', '-w', '/etc', '-u', '1000:1001', '-h', 'named', '--', 'sh', '-c', 'echo $A $FROM_FILE $OVER; pwd; id -u; id -g; hostname']);
    t.equal(r.stdout, '1 yes flag\n/etc\n1000\n1001\nnamed\n');
    t.match(run([...R, '--', 'hostname']).stdout, /^[0-9a-f]{12}\n$/, 'default hostname is a random id');
  });

  t.test('-v (ro and rw), --tmpfs with size, --read-only', async (t) => {
    fs.writeFileSync(path.join(tmp, 'in'), 'from host\n');
    const r = run([...R, '-v', `${tmp}:/data`, '-v', `${tmp}:/ro:ro`, '--tmpfs', '/scratch:size=1m', '--read-only', '--', 'sh', '-c',
      'cat /data/in; echo w > /data/out; (echo w > /ro/x) 2>&1; (touch /etc/y) 2>&1; df -k /scratch | tail -1']);
    t.match(r.stdout, /^from host\n/);
    t.equal(fs.readFileSync(path.join(tmp, 'out'), 'utf8'), 'w\n', 'rw volume writes through');
    t.match(r.stdout, /\/ro\/x: Read-only file system|can't create \/ro\/x: Read-only/);
    t.match(r.stdout, /\/etc\/y: Read-only file system/);
    t.match(r.stdout, /tmpfs\s+1024\s/, 'tmpfs of 1m');
    t.match(run([...R, '-v', 'relative:/x', '--', 'true']).stderr, /^bulkhead run: --volume must be \/SRC:\/DST\[:ro\|rw\], got "relative:\/x"\n$/);
  });

  t.test('--network none|host', async (t) => {
    t.equal(run([...R, '--', 'ls', '/sys/class/net']).stdout, 'lo\n');
    const host = fs.readdirSync('/sys/class/net').sort();
    t.same(run([...R, '--network', 'host', '--', 'ls', '/sys/class/net']).stdout.trim().split(/\s+/).sort(), host);
    t.equal(run([...R, '--network', 'no-such-net', '--', 'true']).status, 125, 'an unknown network (lib/network: bridge and named networks are attached)');
  });

  t.test('--cap-add, --cap-drop, --security-opt, --ulimit', async (t) => {
    const status = (...a: string[]) => run([...R, ...a, '--', 'cat', '/proc/self/status']).stdout;
    t.match(status(), /CapEff:\s+00000000a80425fb/);
    t.match(status('--cap-add', 'SYS_ADMIN'), /CapEff:\s+00000000a82425fb/);
    t.match(status('--cap-drop', 'ALL'), /CapEff:\s+0000000000000000/);
    t.match(status(), /NoNewPrivs:\s+1/);
    t.match(status('--security-opt', 'no-new-privileges=false'), /NoNewPrivs:\s+0/);
    t.match(status('--security-opt', 'seccomp=unconfined'), /Seccomp:\s+0/);
    t.equal(run([...R, '--ulimit', 'nofile=100:200', '--', 'sh', '-c', 'ulimit -n; ulimit -Hn']).stdout, '100\n200\n');
    t.match(run([...R, '--cap-add', 'BOGUS', '--', 'true']).stderr, /unknown capability "BOGUS"/);
  });

  t.test('--sysctl and --oom-score-adj reach the container; one that would change the host exits 125 by name', async (t) => {
    const hostFwd = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const r = run([...R, '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmni=999', '--oom-score-adj', '250', '--domainname', 'example.org', '--', 'sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni /proc/self/oom_score_adj /proc/sys/kernel/domainname']);
    t.equal(r.stdout, '1\n999\n250\nexample.org\n', r.stderr);
    t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostFwd, 'the host\'s ip_forward is untouched');
    const bad = run([...R, '--sysctl', 'kernel.pid_max=100', '--', 'true']);
    t.equal(bad.status, 125);
    t.match(bad.stderr, /--sysctl.*kernel\.pid_max.*not namespaced/);
    t.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
    const host = run([...R, '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', '--', 'true']);
    t.equal(host.status, 125);
    t.match(host.stderr, /--sysctl.*needs namespaces\.net/);
    t.equal(run([...R, '--oom-score-adj', '1001', '--', 'true']).status, 125);
  });

  t.test('--tmpfs: noexec unless exec, as docker run\'s; ro mounts it read-only', async (t) => {
    const r = run([...R, '--tmpfs', '/a', '--tmpfs', '/b:exec,size=4m', '--tmpfs', '/c:ro', '--', 'sh', '-c', 'for d in /a /b /c; do cp /bin/busybox $d/true 2>/dev/null || echo "$d ro"; $d/true 2>/dev/null && echo "$d runs" || echo "$d noexec"; done']);
    t.equal(r.stdout, '/a noexec\n/b runs\n/c ro\n/c noexec\n', r.stderr);
    t.equal(run([...R, '--tmpfs', '/a:suid', '--', 'true']).status, 125);
    t.equal(run([...R, '--oom-score-adj', 'high', '--', 'true']).status, 125);
    const g = run([...R, '--group-add', '10', '--group-add', '20', '--shm-size', '8m', '--', 'sh', '-c', 'id -G; df -k /dev/shm | tail -1 | awk "{print \\$2}"']);
    t.equal(g.stdout, '0 10 20\n8192\n', g.stderr);
    t.match(run([...R, '--group-add', 'wheel', '--', 'true']).stderr, /--group-add.*numeric/);
  });

  t.test('--init, -i, --timeout and --report', async (t) => {
    t.equal(run([...R, '--init', '--', 'sh', '-c', 'echo $$']).stdout, '2\n');
    t.equal(run([...R, '-i', '--', 'cat'], 'piped in\n').stdout, 'piped in\n');
    t.equal(run([...R, '--', 'cat'], 'not forwarded\n').stdout, '', 'without -i stdin is not forwarded');
    const report = path.join(tmp, 'report.json');
    const r = run([...R, '--timeout', '0.3', '--report', report, '--', 'sleep', '10']);
    t.equal(r.status, 137);
    const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
    t.same(Object.keys(rep).sort(), ['cpuUsec', 'durationMs', 'exitCode', 'memoryPeakBytes', 'oomKilled', 'pidsPeak', 'signal', 'timedOut']);
    t.equal(rep.timedOut, true);
    t.equal(rep.signal, 'SIGKILL');
    t.equal(rep.oomKilled, false);
  });

  t.test('SIGTERM reaches the program; a second one kills it', async (t) => {
    const once = cpSpawn(process.execPath, [CLI, 'run', ...R, '--', 'sh', '-c', 'trap "exit 5" TERM; echo up; while :; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => once.stdout.once('data', r));
    once.kill('SIGTERM');
    t.equal(await new Promise((r) => once.on('exit', r)), 5);
    // sleep as pid 1 ignores SIGTERM (no handler), so only the second, SIGKILL, ends it.
    const twice = cpSpawn(process.execPath, [CLI, 'run', ...R, '--', 'sh', '-c', 'echo up; exec sleep 100'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => twice.stdout.once('data', r));
    twice.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    twice.kill('SIGTERM');
    t.equal(await new Promise((r) => twice.on('exit', r)), 137);
  });

  t.test('--help lists every option; unknown options name the nearest', async (t) => {
    const h = spawnSync(process.execPath, [CLI, 'run', '--help'], { encoding: 'utf8' });
    t.equal(h.status, 0);
    for (const f of ['--memory', '--cpus', '--pids-limit', '--volume', '--tmpfs', '--security-opt', '--ulimit', '--timeout', '--report', '--tty']) t.match(h.stdout, new RegExp(`${f}\\b`));
    const u = run(['--memroy', '1m', '--', 'true']);
    t.equal(u.status, 125);
    t.match(u.stderr, /^bulkhead run: unknown flag --memroy; did you mean --memory\?/);
    t.equal(u.stderr.split('\n').length, 2, 'one line');
  });

  const tmux = spawnSync('tmux', ['-V']).status === 0;
  t.test('-t: a terminal through tmux: typing, window size, and the outer mode restored', { skip: tmux ? false : 'tmux not installed: apt-get install -y tmux' }, async (t) => {
    const sock = path.join(tmp, 'tmux.sock');
    const tm = (...a: string[]) => execFileSync('tmux', ['-S', sock, ...a], { encoding: 'utf8' });
    const screen = () => tm('capture-pane', '-p');
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100; i++) {
        if (re.test(screen())) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    };
    tm('new-session', '-d', '-x', '80', '-y', '24', 'bash --norc --noprofile');
    t.teardown(() => spawnSync('tmux', ['-S', sock, 'kill-server']));
    tm('send-keys', `PS1='outer$ ' ${process.execPath} ${CLI} run -it ${R.join(' ')} -- sh`, 'Enter');
    tm('send-keys', 'PS1="inner# "', 'Enter');
    t.ok(await waitFor(/^inner#/m), 'the container shell prompts');
    tm('send-keys', 'stty size; tty', 'Enter');
    t.ok(await waitFor(/^24 80$/m), 'stty size inside is the window\'s');
    t.ok(await waitFor(/^\/dev\/pts\/0$/m), 'a pty of the container\'s own devpts');
    tm('resize-window', '-x', '100', '-y', '30');
    tm('send-keys', 'clear; stty size', 'Enter');
    t.ok(await waitFor(/^30 100$/m), 'a resize reaches the container');
    tm('send-keys', 'exit', 'Enter');
    let back = false;
    for (let i = 0; i < 100 && !back; i++) {
      back = tm('display-message', '-p', '#{pane_current_command}').trim() === 'bash';
      if (!back) await new Promise((r) => setTimeout(r, 50));
    }
    t.ok(back, 'bulkhead run ended with the container shell');
    tm('send-keys', 'clear; stty -a | grep -o -- "-\\?icanon" ; echo mode-checked', 'Enter');
    t.ok(await waitFor(/^mode-checked$/m), 'back in the outer shell');
    t.match(screen(), /^icanon$/m, 'the outer terminal is back in canonical mode');
  });

  t.test('--env-file is the container\'s: node never loads it into bulkhead itself (nodejs/node#54232)', async (t) => {
    const marker = path.join(tmp, 'marker');
    const hook = path.join(tmp, 'hook.js');
    fs.writeFileSync(hook, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran on the host')`);
    const envFile = path.join(tmp, 'container.env');
    fs.writeFileSync(envFile, `NODE_OPTIONS=--require=${hook}\nFOO=bar\n`);
    const r = bare(BIN, ['run', '--env-file', envFile, '--', 'sh', '-c', 'echo $FOO']);
    t.equal(r.stdout, 'bar\n', 'the container has it');
    t.notOk(fs.existsSync(marker), 'no code ran in bulkhead');
    const m = bare(BIN, ['run', `--env-file=${path.join(tmp, 'missing.env')}`, '--', 'true']);
    t.equal(m.status, 125, 'a missing file is bulkhead\'s error, not node\'s exit 9');
    t.match(m.stderr, /^bulkhead run: --env-file cannot be read \(ENOENT\)/);
    // Control: node itself, without the launcher's `--`, runs the hook.
    bare(process.execPath, [CLI, 'run', '--env-file', envFile, '--', 'true']);
    t.ok(fs.existsSync(marker), 'control: `node main.js run --env-file` runs it');
  });

  t.test('--version; a non-root run says root is needed', async (t) => {
    const v = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
    t.equal(v.stdout, `bulkhead ${JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')).version}\n`);
    const n = bare(BIN, ['run', '--', 'true'], { uid: 65534, gid: 65534 });
    t.equal(n.status, 125);
    t.equal(n.stderr, 'bulkhead run: needs root (it creates namespaces, mounts and cgroups): run it as root, e.g. with sudo\n');
  });

  t.test('--device-read-bps: major and minor of real devices, majors above 16 included', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-dev-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const nodes: Array<[string, number, number]> = [[path.join(dir, 'nvme'), 259, 3], [path.join(dir, 'big'), 511, 300000], [path.join(dir, 'dm'), 253, 17]];
    for (const [p, ma, mi] of nodes) execFileSync('mknod', [p, 'b', String(ma), String(mi)]);
    for (const real of ['/dev/vda', '/dev/sda', '/dev/nvme0n1', '/dev/zram0']) {
      if (!fs.existsSync(real)) continue;
      const [ma, mi] = execFileSync('stat', ['-c', '%t %T', real], { encoding: 'utf8' }).trim().split(' ').map((h) => parseInt(h, 16));
      nodes.push([real, ma, mi]);
    }
    for (const [p, major, minor] of nodes) {
      const f = parseFlags(['--device-read-bps', `${p}:1mb`, '--', 'true'], RUN_FLAGS, 'run', { stopAtPositional: true });
      t.same(runConfig(f.flags, f.rest ?? []).limits.io?.devices, [{ major, minor, rbps: 1024 * 1024 }], `${p} is ${major}:${minor}`);
    }
  });

  const cg = discoverCgroup();
  t.test('a limit whose controller belongs to cgroup v1: one line saying what to do', { skip: cg.v1Bound.memory === undefined ? 'memory is available in cgroup v2 here' : false }, async (t) => {
    for (const [flag, value] of [['--memory', '64m'], ['--cpus', '0.5'], ['--pids-limit', '10'], ['--cpuset-cpus', '0']]) {
      const controller = { '--memory': 'memory', '--cpus': 'cpu', '--pids-limit': 'pids', '--cpuset-cpus': 'cpuset' }[flag] as string;
      if (cg.v1Bound[controller] === undefined) continue;
      const r = run([flag, value, '--', 'true']);
      t.equal(r.status, 125, flag);
      t.match(r.stderr, new RegExp(`^bulkhead run: ${flag} needs the cgroup v2 ${controller} controller, but .*: run on a cgroup v2 host, boot with systemd.unified_cgroup_hierarchy=1, or drop ${flag}\\n$`));
    }
    const info = JSON.parse(spawnSync(BIN, ['info', '--json'], { encoding: 'utf8' }).stdout);
    const needed = info.missing.map((m: { neededBy: string }) => m.neededBy).join(' ');
    for (const f of ['--memory', '--cpus', '--pids-limit', '--cpuset-cpus']) t.match(needed, f, `info names ${f}`);
  });

  t.test('real runs of random argv: a run or one line and 125, never a hang, nothing left behind', async (t) => {
    const seed = Number(process.env.BULKHEAD_FUZZ_SEED ?? 7);
    const count = Number(process.env.BULKHEAD_FUZZ_REAL_RUNS ?? 40);
    const r = rng(seed);
    // Other work on this host mounts and makes groups too: look only for what these runs could leave,
    // a mount of the embedded stage in the host's namespace and a group named after a run's pid.
    const mounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes('/run/bulkhead'));
    const pids: number[] = [];
    const groups = () => (cg.currentDir ? fs.readdirSync(cg.currentDir).filter((d) => pids.some((p) => d.startsWith(`bulkhead-${p}-`))) : []);
    const before = mounts();
    const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-fuzz-root-'));
    t.teardown(() => fs.rmSync(dataRoot, { recursive: true, force: true }));
    for (let i = 0; i < count; i++) {
      // The command is always harmless; the flags are random.
      // A random word before `--` is an image name: never pulled (no traffic leaves this machine),
      // looked up in an empty store of this test's own.
      const argv = ['--pull=never', ...runArgv(r).filter((a) => a !== '--' && !a.startsWith('--pull'))].concat(['--', 'true']);
      const res = spawnSync(BIN, ['run', ...argv], { encoding: 'utf8', timeout: 30_000, input: '', env: { ...process.env, BULKHEAD_ROOT: dataRoot } });
      pids.push(res.pid);
      if (res.error || res.status === null) {
        t.fail(`case ${i} (seed ${seed}) hung or died: ${JSON.stringify(argv)} (${res.error?.message ?? res.signal})`);
        continue;
      }
      // 125 (a bad flag), 126 and 127 (a random word taken as the command) are one line of
      // bulkhead's; any other status is the program's (true, or sh given random flags).
      if (res.status >= 125 && res.status <= 127 && !/^bulkhead run: [^\n]*\n$/.test(res.stderr)) {
        t.fail(`case ${i} (seed ${seed}): ${JSON.stringify(argv)} -> ${res.status} ${JSON.stringify(res.stderr)}`);
      }
      if (res.status === 0 && res.stderr !== '') t.fail(`case ${i} (seed ${seed}): ${JSON.stringify(argv)} -> 0 with ${JSON.stringify(res.stderr)}`);
    }
    t.same(mounts(), before, 'no mount left');
    t.same(groups(), [], 'no group left');
  });
}
