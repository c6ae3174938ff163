// A busybox root filesystem for tests, built from Debian's busybox-static into a
// temporary directory: one static binary and a symlink per applet.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const BUSYBOX = '/bin/busybox';

/** Why a busybox rootfs cannot be built here, or null. */
export function busyboxMissing(): string | null {
  try {
    const out = execFileSync('file', ['-L', BUSYBOX], { encoding: 'utf8' });
    if (!/statically linked|static-pie/.test(out)) return `${BUSYBOX} is not static: apt-get install -y busybox-static`;
  } catch {
    if (!fs.existsSync(BUSYBOX)) return `${BUSYBOX} not found: apt-get install -y busybox-static`;
  }
  return null;
}

export function makeBusyboxRootfs(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-rootfs-'));
  fs.chmodSync(dir, 0o755);
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'mnt', 'home']) fs.mkdirSync(path.join(dir, d));
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  fs.writeFileSync(path.join(dir, 'etc', 'marker'), 'busybox-rootfs\n');
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
