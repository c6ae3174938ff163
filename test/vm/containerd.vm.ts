// containerd end to end on bulkhead-oci: a containerd of the test's own (root,
// state and socket under a temp directory, the CRI plugin off) whose runc shim
// (io.containerd.runc.v2) calls bulkhead-oci as its runc binary; a busybox image
// made here as a docker-archive tar, imported with `ctr image import`; then
// `ctr run --rm` (output and exit status), and `ctr run -d` + `ctr task exec`
// (with and without -t) + `ctr task kill` + `ctr task delete`. The shim is a subreaper: the container, reparented to it
// when `bulkhead-oci create` exits, is reaped there with its status.
import './guest-only';
import * as child from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { makeBusyboxRootfs } from '../../support/rootfs';

const BULKHEAD = path.resolve(__dirname, '..', '..', '..', 'bin', 'bulkhead-oci');
const missing = ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/bin/containerd-shim-runc-v2'].find((f) => !fs.existsSync(f));

if (missing) {
  if (process.env.CI === 'true') t.fail(`required under CI: ${missing} (apt-get install containerd)`);
  else t.plan(0, `${missing} not found: apt-get install containerd`);
} else {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctd-'));
  const sock = path.join(work, 'containerd.sock');
  const config = path.join(work, 'config.toml');
  fs.writeFileSync(config, [
    'version = 2',
    `root = "${work}/root"`,
    `state = "${work}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '[grpc]',
    `  address = "${sock}"`,
    '[ttrpc]',
    `  address = "${sock}.ttrpc"`,
    '',
  ].join('\n'));
  const daemon = child.spawn('/usr/bin/containerd', ['--config', config], { stdio: ['ignore', 'ignore', fs.openSync(path.join(work, 'containerd.log'), 'w')] });
  t.teardown(async () => {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    child.spawnSync('umount', ['-R', path.join(work, 'root')]);
    fs.rmSync(work, { recursive: true, force: true });
  });
  const ctr = (...args: string[]) => child.spawnSync('/usr/bin/ctr', ['--address', sock, ...args], { encoding: 'utf8', timeout: 120_000 });

  /** A docker-archive tar of the busybox rootfs: manifest.json, the config, one layer. */
  const makeImage = (): string => {
    const rootfs = makeBusyboxRootfs();
    const dir = path.join(work, 'image');
    fs.mkdirSync(dir);
    child.execFileSync('tar', ['-C', rootfs.dir, '-cf', path.join(dir, 'layer.tar'), '.']);
    rootfs.cleanup();
    const diffId = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'layer.tar'))).digest('hex');
    const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architecture: arch, os: 'linux', config: { Cmd: ['sh'], Env: ['PATH=/bin'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] } }));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['bulkhead.test/busybox:latest'], Layers: ['layer.tar'] }]));
    const tar = path.join(work, 'image.tar');
    child.execFileSync('tar', ['-C', dir, '-cf', tar, 'manifest.json', 'config.json', 'layer.tar']);
    return tar;
  };

  /** Runs a command line with a terminal: script(1) in a mount namespace with a devpts of its own. */
  const withTty = (cmdline: string) => child.spawnSync('unshare', ['-m', 'sh', '-c', [
    'mkdir -p /tmp/hostdev && mount --bind /dev /tmp/hostdev && mount -t tmpfs tmpfs /dev',
    'for n in null zero full random urandom tty; do touch /dev/$n && mount --bind /tmp/hostdev/$n /dev/$n; done',
    'mkdir /dev/pts && mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts && ln -s pts/ptmx /dev/ptmx',
    'exec script -qec "$0" /dev/null',
  ].join(' && '), cmdline], { encoding: 'utf8', timeout: 120_000, input: '' });

  t.test('containerd runs containers through bulkhead-oci', async (t) => {
    for (let i = 0; i < 300 && ctr('version').status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    t.equal(ctr('version').status, 0, 'containerd answers');
    const imp = ctr('image', 'import', '--snapshotter', 'native', makeImage());
    t.equal(imp.status, 0, `ctr image import: ${imp.stderr}`);
    const IMAGE = 'bulkhead.test/busybox:latest';
    const run = (...args: string[]) => ctr('run', '--snapshotter', 'native', '--runc-binary', BULKHEAD, ...args);

    const fg = run('--rm', IMAGE, 'fg1', 'sh', '-c', 'echo "hello from $(hostname) pid $$"; exit 5');
    // ctr's spec sets no hostname: the new uts namespace keeps the guest's, as under runc.
    t.equal(fg.stdout, `hello from ${os.hostname()} pid 1\n`, `ctr run --rm output (stderr: ${fg.stderr})`);
    t.equal(fg.status, 5, 'the exit status comes back through the shim');
    t.notOk(ctr('container', 'ls', '-q').stdout.includes('fg1'), '--rm removed the container');

    const bg = run('-d', IMAGE, 'bg1', 'sleep', '300');
    t.equal(bg.status, 0, `ctr run -d: ${bg.stderr}`);
    const ls = ctr('task', 'ls');
    t.match(ls.stdout, /bg1\s+\d+\s+RUNNING/, 'the task runs');
    const ps = ctr('task', 'ps', 'bg1');
    t.equal(ps.status, 0, `ctr task ps: ${ps.stderr}`);
    // ctr task exec: the shim runs `bulkhead-oci exec --process F --detach --pid-file P bg1`
    // and reaps the process (reparented to it, a subreaper) for its status.
    const ex = ctr('task', 'exec', '--exec-id', 'ex1', 'bg1', 'sh', '-c', 'echo "exec in $(hostname) beside $(cat /proc/1/comm)"; exit 6');
    t.equal(ex.stdout, `exec in ${os.hostname()} beside sleep\n`, `ctr task exec output (stderr: ${ex.stderr})`);
    t.equal(ex.status, 6, 'ctr task exec: the exit status');
    // ctr task exec -t: the exec's pty master through --console-socket.
    const exTty = withTty(`/usr/bin/ctr --address ${sock} task exec -t --exec-id ex2 bg1 sh -c 'tty; [ -t 0 ] && echo exec-stdin-is-a-tty; exit 2'`);
    t.match(exTty.stdout, /\/dev\/pts\/\d+\r*\n/, `ctr task exec -t: a pty of the container's devpts (${exTty.stderr})`);
    t.match(exTty.stdout, /exec-stdin-is-a-tty/);
    t.equal(exTty.status, 2, 'its exit status');
    t.equal(ctr('task', 'kill', '-s', 'SIGKILL', 'bg1').status, 0, 'ctr task kill');
    for (let i = 0; i < 100 && !/bg1\s+\d+\s+STOPPED/.test(ctr('task', 'ls').stdout); i++) await new Promise((r) => setTimeout(r, 100));
    t.match(ctr('task', 'ls').stdout, /bg1\s+\d+\s+STOPPED/, 'stopped after the kill');
    const del = ctr('task', 'delete', 'bg1');
    t.equal(del.status, 0, `ctr task delete: ${del.stderr}`);
    t.match(del.stdout, /137|^$/);
    t.equal(ctr('container', 'rm', 'bg1').status, 0);
    const shimRoot = '/run/containerd/runc';
    const left = fs.existsSync(shimRoot) ? fs.readdirSync(shimRoot).flatMap((ns) => fs.readdirSync(path.join(shimRoot, ns)).filter((e) => !e.startsWith('.'))) : [];
    t.same(left, [], 'no runtime state left under the shim\'s --root');

    // ctr run -t: the pty master reaches the shim through --console-socket; script(1) gives ctr a terminal.
    // The guest's /dev is the host's over hostfs, without a devpts: ctr's side gets one of its own.
    const ctrTty = `/usr/bin/ctr --address ${sock} run --snapshotter native --runc-binary ${BULKHEAD} -t --rm ${IMAGE} tty1 sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; exit 4'`;
    const tty = withTty(ctrTty);
    t.match(tty.stdout, /\/dev\/pts\/0\r*\n/, `ctr run -t: the program's stdio is the container's pty (${tty.stderr})`);
    t.match(tty.stdout, /stdin-is-a-tty/);
    t.equal(tty.status, 4, 'its exit status');
  });
}
