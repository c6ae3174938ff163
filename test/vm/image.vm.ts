// `bulkhead run IMAGE` in the guest (Linux 6.1, pure cgroup v2, overlay from a
// module): an image loaded from an OCI layout built from busybox-static runs on
// its overlay root with its config applied and a memory limit the kernel
// enforces; its upper directory is gone after the exit.
import './guest-only';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { buildImage, busyboxEntries, featureEntries, writeOciLayout } from '../../support/images';

const CLI = path.resolve(__dirname, '..', '..', 'lib', 'cli', 'main.js');

t.test('run IMAGE on an overlay root with a memory limit', async (t) => {
  if (!fs.readFileSync('/proc/filesystems', 'utf8').includes('overlay')) {
    t.fail('overlay is not available in the guest (modprobe overlay failed)');
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-vm-image-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const root = path.join(tmp, 'data');
  const img = buildImage([busyboxEntries(), featureEntries()], { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo $GREETING; id -un; cat /sys/fs/cgroup/memory.max'], Env: ['GREETING=hi from the guest'], User: 'app', WorkingDir: '/home/app' });
  writeOciLayout(path.join(tmp, 'oci'), [{ image: img, name: 'vm/app:1' }]);
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  t.equal(cli('load', '--data-root', root, '-i', path.join(tmp, 'oci')).stdout, 'Loaded image: vm/app:1\n');
  const r = cli('run', '--data-root', root, '--memory', '32m', 'vm/app:1');
  t.equal(r.stdout, 'hi from the guest\napp\n33554432\n', r.stderr);
  t.equal(r.status, 0);
  const hog = cli('run', '--data-root', root, '--memory', '16m', '--memory-swap', '16m', 'vm/app:1', 'x=a; while :; do x="$x$x"; done');
  t.equal(hog.status, 137, 'OOM-killed inside its image');
  t.same(fs.readdirSync(path.join(root, 'containers')), [], 'upper directories removed');
});
