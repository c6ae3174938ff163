// The device allow list and the cgroup view on a pure cgroup v2 kernel (UML 6.1).
// The guest's /dev is the host's over hostfs, so the attacks here mknod their own
// nodes inside the container (the rootfs lives on the guest's tmpfs): /dev/kmsg
// for forged kernel log lines and /dev/mem. The loop-device attack is in the host tier.
import './guest-only';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { DEVICE_ATTACH_FLAGS, queryDevicePrograms } from '../../lib/cgroup/devices/index';
import { spawn, type SpawnOptions } from '../../lib/index';
import { makeBusyboxRootfs } from '../../support/rootfs';

t.test('devices and the cgroup view in UML', async (t) => {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.cleanup);
  const base: SpawnOptions = { rootfs: rootfs.dir, env: { PATH: '/bin' }, reject: false };
  const run = async (script: string, o: SpawnOptions = {}) => {
    const r = await spawn('/bin/sh', ['-c', `rm -f /tmp/n; ${script}`], { ...base, ...o });
    return { out: r.stdout as string, err: r.stderr as string };
  };

  const token = `bulkhead-vm-forged-${crypto.randomBytes(4).toString('hex')}`;
  const kmsg = `mknod /tmp/n c 1 11 && echo "<4>${token}" > /tmp/n && echo written`;
  const denied = await run(kmsg);
  t.equal(denied.out, '', '/dev/kmsg: refused by default');
  t.match(denied.err, /Operation not permitted/);
  t.notOk(execFileSync('dmesg', { encoding: 'utf8' }).includes(token));
  t.equal((await run(kmsg, { devices: 'unrestricted' })).out, 'written\n', 'control: unrestricted writes the kernel log');
  t.ok(execFileSync('dmesg', { encoding: 'utf8' }).includes(token));

  const mem = 'mknod /tmp/n c 1 1 && head -c 1 /tmp/n >/dev/null && echo read';
  t.match((await run(mem, { capAdd: ['SYS_RAWIO'] })).err, /Operation not permitted/, '/dev/mem: refused');
  t.notMatch((await run(mem, { capAdd: ['SYS_RAWIO'], devices: 'unrestricted' })).err, /Operation not permitted/, 'control: not refused by a device program');

  const own = await run('echo x > /dev/null && echo null; head -c 3 /dev/zero | wc -c; head -c 3 /dev/urandom | wc -c; exec 3<>/dev/ptmx && echo ptmx');
  t.equal(own.out, 'null\n3\n3\nptmx\n', "the container's own devices work");

  const granted = await run('head -c 3 /dev/xzero | wc -c', { devices: [{ path: '/dev/zero', containerPath: '/dev/xzero', permissions: 'r' }] });
  t.equal(granted.out, '3\n', 'devices: a named device');

  const neighbour = fs.mkdtempSync('/sys/fs/cgroup/bulkhead-vm-neighbour-');
  t.teardown(() => fs.rmdirSync(neighbour));
  const view = 'cat /proc/self/cgroup; find /sys/fs/cgroup -mindepth 1 -type d | wc -l';
  t.equal((await run(view)).out, '0::/\n0\n', 'rooted at its own group, no neighbour visible');
  t.equal((await spawn('/bin/sh', ['-c', view], { reject: false })).stdout, '0::/\n0\n', 'the embedded default too');

  const p = spawn('/bin/sh', ['-c', 'echo up; sleep 30'], base);
  await new Promise<void>((r) => p.stdout?.once('data', () => r()));
  const dir = p.cgroup?.path as string;
  t.equal(path.dirname(dir), '/sys/fs/cgroup');
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const q = queryDevicePrograms(fd);
  fs.closeSync(fd);
  t.equal(q.progIds.length, 1);
  t.equal(q.attachFlags, DEVICE_ATTACH_FLAGS);
  p.kill('SIGKILL');
  await p;
  t.notOk(fs.existsSync(dir), 'the group goes with the container');

  let failures = 0;
  for (let i = 0; i < 50; i++) {
    const c = spawn('/bin/true', [], base);
    await new Promise((r) => setTimeout(r, i % 4));
    try {
      await c.cgroup?.kill({ timeoutMs: 5000 });
    } catch (err) {
      failures++;
      t.fail(`kill ${i}: ${(err as Error).message}`);
    }
    await c;
  }
  t.equal(failures, 0, '50 kills racing the exit all resolve');
});
