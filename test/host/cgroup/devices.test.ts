// The device allow list, attacked for real: a loop device of a temp file stands
// in for a host disk (never a real one), /dev/kmsg for the kernel log. Each attack
// runs against the defaults (refused) and with devices: 'unrestricted' (the
// control: the same attack works), so the test fails if the protection goes.
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { discoverCgroup } from '../../../lib/cgroup/discover';
import { DEFAULT_DEVICE_RULES, DEVICE_ATTACH_FLAGS, deviceProgramFd, queryDevicePrograms, splitDev } from '../../../lib/cgroup/devices/index';
import { BPF_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_DEVICE } from '../../../lib/cgroup/devices/program';
import { native } from '../../../lib/native/load';
import { spawn, type SpawnOptions } from '../../../lib/index';
import { requirementMissing, withBusyboxRoot } from '../../helpers/tier';

const MARKER = 'BULKHEAD-LOOP-TEST';
const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

withBusyboxRoot((rootDir) => {
  const host = discoverCgroup();
  if (host.mountpoint === null) return requirementMissing('no cgroup v2 hierarchy is mounted: the device program attaches to a v2 group');
  let losetup: string | null = null;
  try {
    execFileSync('losetup', ['--version']);
    losetup = 'losetup';
  } catch {
    return requirementMissing('losetup (util-linux mount package) is missing');
  }
  main(rootDir, losetup, host.mountpoint);
});

function main(rootDir: string, losetup: string, mount: string) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-devices-'));
  const loops: string[] = [];
  t.teardown(() => {
    for (const l of loops) spawnSync(losetup, ['-d', l]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  /** A loop device over a fresh 1 MiB file that starts with MARKER: a disk of our own. */
  const loopDevice = (name: string) => {
    const img = path.join(tmp, `${name}.img`);
    const buf = Buffer.alloc(1 << 20);
    buf.write(MARKER);
    fs.writeFileSync(img, buf);
    const dev = execFileSync(losetup, ['-f', '--show', img], { encoding: 'utf8' }).trim();
    loops.push(dev);
    return { img, dev, ...splitDev(fs.statSync(dev).rdev) };
  };
  let disk: ReturnType<typeof loopDevice>;
  let other: ReturnType<typeof loopDevice>;
  try {
    disk = loopDevice('disk');
    other = loopDevice('other');
  } catch (err) {
    return requirementMissing(`losetup -f cannot attach a loop device here (no loop driver or no free device): ${(err as Error).message.split('\n')[0]}`);
  }
  const base: SpawnOptions = { rootfs: rootDir, env: { PATH: '/bin' }, reject: false };
  const run = async (script: string, o: SpawnOptions = {}) => {
    // The rootfs's /tmp (on disk: a tmpfs would be nodev) keeps nodes between runs.
    const r = await spawn('/bin/sh', ['-c', `rm -f /tmp/disk /tmp/kmsg /tmp/n /tmp/other /tmp/o; ${script}`], { ...base, ...o });
    return { out: r.stdout as string, err: r.stderr as string, code: r.exitCode };
  };
  const readWrite = (node: string) =>
    `head -c ${MARKER.length} ${node} && echo " read ok"; printf PWNED | dd of=${node} bs=5 count=1 conv=notrunc,fsync 2>/dev/null && echo "write ok"; true`;
  const ours = () => fs.readdirSync(mount).filter((n) => n.startsWith(`bulkhead-${process.pid}-`));

  t.test('a default container mknods the host disk but cannot read or write it; unrestricted can', async (t) => {
    const script = `mknod /tmp/disk b ${disk.major} ${disk.minor} && echo mknod ok; ${readWrite('/tmp/disk')}`;
    const denied = await run(script);
    t.equal(denied.out, 'mknod ok\n', 'mknod is allowed (m on any node, as Docker), open is not');
    t.match(denied.err, /head: \/tmp\/disk: Operation not permitted/);
    t.equal(fs.readFileSync(disk.img).subarray(0, 5).toString(), MARKER.slice(0, 5), 'the disk is unchanged');
    const open = await run(script, { devices: 'unrestricted' });
    t.equal(open.out, `mknod ok\n${MARKER} read ok\nwrite ok\n`, 'control: without the list the same container reads and writes the disk');
    t.equal(fs.readFileSync(disk.img).subarray(0, 5).toString(), 'PWNED', 'control: the write reached the backing file');
    fs.writeFileSync(disk.img, MARKER, { flag: 'r+' });
    execFileSync('blockdev', ['--flushbufs', disk.dev]);
  });

  t.test('a world-readable node shipped in the rootfs, opened by uid 65534 with every capability dropped', async (t) => {
    fs.mkdirSync(path.join(rootDir, 'srv'), { recursive: true });
    const node = path.join(rootDir, 'srv', 'disk');
    execFileSync('mknod', ['-m', '666', node, 'b', String(disk.major), String(disk.minor)]);
    t.teardown(() => fs.rmSync(node, { force: true }));
    const o: SpawnOptions = { uid: 65534, gid: 65534, capDrop: ['ALL'] };
    const denied = await run(`id -u; head -c ${MARKER.length} /srv/disk`, o);
    t.equal(denied.out, '65534\n');
    t.match(denied.err, /Operation not permitted/);
    const open = await run(`id -u; head -c ${MARKER.length} /srv/disk`, { ...o, devices: 'unrestricted' });
    t.equal(open.out, `65534\n${MARKER}`, 'control: mode 0666 alone lets nobody read the disk');
  });

  t.test('/dev/kmsg: no forged kernel log lines', async (t) => {
    const token = `bulkhead-forged-${crypto.randomBytes(6).toString('hex')}`;
    const script = `mknod /tmp/kmsg c 1 11 && echo "<4>${token}" > /tmp/kmsg && echo written`;
    const denied = await run(script);
    t.equal(denied.out, '');
    t.match(denied.err, /Operation not permitted/);
    t.notOk(execFileSync('dmesg', { encoding: 'utf8' }).includes(token));
    const legacy = await run(script, { legacyClone: true });
    t.match(legacy.err, /Operation not permitted/, 'clone + cgroup.procs: in force before the program runs too');
    const open = await run(script, { devices: 'unrestricted' });
    t.equal(open.out, 'written\n');
    t.ok(execFileSync('dmesg', { encoding: 'utf8' }).includes(token), 'control: the line is in the host kernel log');
  });

  t.test('loop-control, fuse, kvm, mem: refused; the control opens those this host has', async (t) => {
    for (const [name, major, minor] of [['loop-control', 10, 237], ['fuse', 10, 229], ['kvm', 10, 232], ['mem', 1, 1]] as const) {
      if (!fs.existsSync(`/dev/${name}`)) continue;
      const script = `mknod /tmp/n c ${major} ${minor} && exec 3<>/tmp/n && echo opened`;
      const denied = await run(script, { capAdd: ['SYS_RAWIO'] });
      t.match(denied.err, /Operation not permitted/, `${name} refused`);
      t.equal(denied.out, '');
      const open = await run(script, { devices: 'unrestricted', capAdd: ['SYS_RAWIO'] });
      t.equal(open.out, 'opened\n', `control: ${name} opens without the list`);
    }
  });

  t.test("the container's own devices still work: null, zero, full, urandom, tty, ptmx and pts", async (t) => {
    const r = await run(
      'echo x > /dev/null && echo null; head -c 3 /dev/zero | wc -c; head -c 3 /dev/urandom | wc -c; head -c 3 /dev/random | wc -c; ' +
        'echo x > /dev/full; exec 3<>/dev/ptmx && echo ptmx; ls /dev/pts; (exec 4<>/dev/pts/0); cat /dev/tty',
    );
    t.match(r.out, /^null\n3\n3\n3\nptmx\n0\nptmx\n$/);
    t.match(r.err, /No space left on device/, '/dev/full opens (and is full)');
    t.match(r.err, /\/dev\/pts\/0: Input\/output error/, 'pts/0 opens as far as its driver (locked until unlockpt)');
    t.match(r.err, /'\/dev\/tty': No such device or address/, '/dev/tty opens as far as its driver (no controlling terminal)');
    t.notMatch(r.err, /Operation not permitted/, 'nothing refused by the device program');
  });

  t.test('devices: grants exactly the named device and access', async (t) => {
    const rw = await run(`${readWrite('/dev/xvda')}; mknod /tmp/other b ${other.major} ${other.minor}; head -c 4 /tmp/other`, {
      devices: [{ path: disk.dev, containerPath: '/dev/xvda', permissions: 'rw' }],
    });
    t.equal(rw.out, `${MARKER} read ok\nwrite ok\n`, 'the named device reads and writes');
    t.match(rw.err, /head: \/tmp\/other: Operation not permitted/, 'another loop device stays refused');
    fs.writeFileSync(disk.img, MARKER, { flag: 'r+' });
    execFileSync('blockdev', ['--flushbufs', disk.dev]);
    const ro = await run(`ls -l /dev/xvda | cut -c1; ${readWrite('/dev/xvda')}`, { devices: [{ path: disk.dev, containerPath: '/dev/xvda', permissions: 'r' }] });
    t.equal(ro.out, `b\n${MARKER} read ok\n`, "permissions 'r': reads, the write is refused");
    const same = await run(`head -c ${MARKER.length} ${disk.dev}`, { devices: [{ path: disk.dev }] });
    t.equal(same.out, MARKER, 'containerPath defaults to the host path');
    const cli = spawnSync(process.execPath, [CLI, 'run', '--rootfs', rootDir, '--device', `${disk.dev}:/dev/xvda:r`, '--', 'head', '-c', String(MARKER.length), '/dev/xvda'], { encoding: 'utf8' });
    t.equal(cli.stdout, MARKER, 'bulkhead run --device HOST:CONTAINER:r');
    const cliDenied = spawnSync(process.execPath, [CLI, 'run', '--rootfs', rootDir, '--device', `${disk.dev}:/dev/xvda:r`, '--', 'sh', '-c', `rm -f /tmp/o; mknod /tmp/o b ${other.major} ${other.minor}; head -c 4 /tmp/o`], { encoding: 'utf8' });
    t.match(cliDenied.stderr, /Operation not permitted/);
  });

  t.test('the program is attached to the group before the program runs, with BPF_F_ALLOW_MULTI', async (t) => {
    for (const devices of [undefined, 'unrestricted'] as const) {
      const p = spawn('/bin/sh', ['-c', 'echo up; sleep 30'], { ...base, devices });
      await new Promise<void>((r) => p.stdout?.once('data', () => r()));
      const dir = p.cgroup?.path as string;
      t.equal(path.dirname(dir), host().currentDir ?? mount);
      const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      const q = queryDevicePrograms(fd);
      fs.closeSync(fd);
      if (devices === undefined) {
        t.equal(q.progIds.length, 1, 'one device program');
        t.equal(q.attachFlags, DEVICE_ATTACH_FLAGS);
      } else t.equal(q.progIds.length, 0, 'unrestricted: none');
      p.kill('SIGKILL');
      await p;
      t.notOk(fs.existsSync(dir), 'the group goes with the container');
    }
  });

  t.test("the container's cgroup namespace is rooted at its own group; no neighbour is visible", async (t) => {
    const neighbour = fs.mkdtempSync(path.join(host().currentDir ?? mount, 'bulkhead-neighbour-'));
    t.teardown(() => fs.rmdirSync(neighbour));
    const script = 'grep "^0::" /proc/self/cgroup; find /sys/fs/cgroup -mindepth 1 -type d | wc -l';
    t.equal((await run(script)).out, '0::/\n0\n', 'busybox rootfs');
    const embedded = await spawn('/bin/sh', ['-c', script], { reject: false });
    t.equal(embedded.stdout, '0::/\n0\n', 'the embedded default');
    t.equal((await run(script, { devices: 'unrestricted' })).out, '0::/\n0\n', 'with no device list too');
  });

  t.test('the bpf(2) seam: a refused load comes back with the verifier log; attach, query, detach', async (t) => {
    // r0 = *(u32 *)(r1 + 12): past the end of struct bpf_cgroup_dev_ctx (12 bytes); exit.
    const bad = Buffer.from([0x61, 0x10, 12, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    const err = (() => {
      try {
        native().bpfProgLoad({ type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: bad, license: 'Apache-2.0' });
      } catch (e) {
        return e as NodeJS.ErrnoException & { log?: string };
      }
      return null;
    })();
    t.ok(err, 'the verifier refuses it');
    t.equal(err?.syscall, 'bpf(BPF_PROG_LOAD)');
    t.match(err?.code, /^E(ACCES|INVAL)$/);
    t.match(err?.log, /invalid bpf_context access/, 'with the verifier log');
    t.throws(() => native().bpfProgLoad({ type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: Buffer.alloc(12), license: 'x' }), RangeError, 'not whole instructions');

    const dir = fs.mkdtempSync(path.join(mount, 'bulkhead-test-bpf-'));
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    t.teardown(() => {
      fs.closeSync(fd);
      fs.rmdirSync(dir);
    });
    const prog = deviceProgramFd(DEFAULT_DEVICE_RULES);
    t.equal(deviceProgramFd([...DEFAULT_DEVICE_RULES]), prog, 'one program per rule set, loaded once');
    t.same(queryDevicePrograms(fd).progIds, []);
    native().bpfProgAttach(fd, prog, BPF_CGROUP_DEVICE, DEVICE_ATTACH_FLAGS);
    t.equal(queryDevicePrograms(fd).progIds.length, 1);
    native().bpfProgDetach(fd, prog, BPF_CGROUP_DEVICE);
    t.same(queryDevicePrograms(fd).progIds, [], 'detached');
    t.throws(() => native().bpfProgDetach(fd, prog, BPF_CGROUP_DEVICE), { code: 'ENOENT', syscall: 'bpf(BPF_PROG_DETACH)' });
  });

  t.test('the program loads while signals keep arriving (the verifier gives up with EAGAIN on a pending signal)', async (t) => {
    // A node process sampled by its CPU profiler every 20 µs (SIGPROF) loads 40 programs.
    const script = `const { native } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', '..', 'lib', 'native', 'load.js'))});
const { BPF_PROG_TYPE_CGROUP_DEVICE } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', '..', 'lib', 'cgroup', 'devices', 'program.js'))});
const { compileDeviceRules, DEFAULT_DEVICE_RULES } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', '..', 'lib', 'cgroup', 'devices', 'index.js'))});
const fs = require('fs');
const insns = compileDeviceRules(DEFAULT_DEVICE_RULES);
for (let i = 0; i < 40; i++) fs.closeSync(native().bpfProgLoad({ type: BPF_PROG_TYPE_CGROUP_DEVICE, insns, license: 'Apache-2.0' }));
console.log('loaded');`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-prof-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '20', '--cpu-prof-dir', dir, '-e', script], { encoding: 'utf8', timeout: 60_000 });
    t.equal(r.stdout.trim(), 'loaded', r.stderr.split('\n').slice(0, 3).join(' '));
  });

  t.test('bad devices fail before anything is created', async (t) => {
    const before = ours();
    t.throws(() => spawn('/bin/true', [], { ...base, devices: [{ path: 'loop0' }] }), { name: 'RangeError', message: /devices\[0\]\.path/ });
    await t.rejects(async () => spawn('/bin/true', [], { ...base, devices: [{ path: '/dev/bulkhead-nope' }] }), { name: 'IsolationError', code: 'ENOENT', step: 'devices', path: '/dev/bulkhead-nope' });
    await t.rejects(async () => spawn('/bin/true', [], { ...base, devices: [{ path: '/etc/passwd' }] }), { name: 'IsolationError', code: 'ENODEV', step: 'devices' });
    t.same(ours(), before, 'no group was made');
  });
}

const host = () => discoverCgroup();
