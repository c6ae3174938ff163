// docker run creates a WorkingDir (or -w) that the image lacks. The directory is
// made inside the container's root, every step resolved with openat2(2)
// RESOLVE_IN_ROOT: a symlink in the image cannot send the mkdir to the host.
import * as fs from 'node:fs';
import { native } from '../../native/load';

const O_PATH = 0o10000000;
const RESOLVE = 0x10 | 0x02; // RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS

export function mkdirInRoot(rootfs: string, dir: string, uid = 0, gid = 0): void {
  const comps = dir.split('/').filter((c) => c !== '' && c !== '.');
  const root = fs.openSync(rootfs, O_PATH | fs.constants.O_DIRECTORY);
  try {
    for (let i = 0; i < comps.length; i++) {
      const sofar = comps.slice(0, i + 1).join('/');
      try {
        fs.closeSync(native().openat2(root, sofar, O_PATH | fs.constants.O_DIRECTORY, 0, RESOLVE));
        continue;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || comps[i] === '..') throw err;
      }
      const parent = native().openat2(root, comps.slice(0, i).join('/') || '.', O_PATH | fs.constants.O_DIRECTORY, 0, RESOLVE);
      try {
        const p = `/proc/self/fd/${parent}/${comps[i]}`;
        fs.mkdirSync(p, 0o755);
        fs.lchownSync(p, uid, gid);
      } finally {
        fs.closeSync(parent);
      }
    }
  } finally {
    fs.closeSync(root);
  }
}
