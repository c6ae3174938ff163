// A fresh data root per test file (removed at the end, any overlay left mounted
// under it unmounted first), and the gates of the image tests.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { busyboxMissing } from '../../support/rootfs';
import { needRoot, requirementMissing } from './tier';

export function tempRoot(prefix = 'bulkhead-images-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const mp = line.split(' ')[4];
      if (mp && mp.startsWith(dir + '/')) execFileSync('umount', ['-l', mp], { stdio: 'ignore' });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Root, busybox-static and overlayfs, or a skip (a failure under CI). */
export function imageTier(): boolean {
  if (!needRoot()) return false;
  const missing = busyboxMissing();
  if (missing) {
    requirementMissing(missing);
    return false;
  }
  if (!fs.readFileSync('/proc/filesystems', 'utf8').includes('overlay')) {
    requirementMissing('overlayfs is not available (modprobe overlay)');
    return false;
  }
  return true;
}
