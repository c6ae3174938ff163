// Fills a new volume from the container root's content at the mount path, as
// Docker does for an empty volume. The path is walked inside the root with
// lstat, and a symlink anywhere on it stops the copy: following one could copy
// host files that the root links to. Ownership, modes and symlinks are kept.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The directory at target inside rootfs, or null when it is absent, not a directory or reached through a symlink. */
export function inRootDir(rootfs: string, target: string): string | null {
  let cur = rootfs;
  for (const part of target.split('/').filter((p) => p && p !== '.')) {
    if (part === '..') return null;
    cur = path.join(cur, part);
    const st = fs.lstatSync(cur, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink() || !st.isDirectory()) return null;
  }
  return cur;
}

export function copyTree(src: string, dst: string): void {
  for (const name of fs.readdirSync(src)) {
    const s = path.join(src, name);
    const d = path.join(dst, name);
    const st = fs.lstatSync(s);
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), d);
    else if (st.isDirectory()) {
      fs.mkdirSync(d);
      copyTree(s, d);
    } else if (st.isFile()) fs.copyFileSync(s, d);
    else continue; // devices, fifos and sockets are not copied
    fs.lchownSync(d, st.uid, st.gid);
    if (!st.isSymbolicLink()) {
      fs.chmodSync(d, st.mode & 0o7777);
      fs.utimesSync(d, st.atime, st.mtime);
    }
  }
}

/** Copies rootfs:target into an empty volume directory; true when something was copied. */
export function fillFromRoot(rootfs: string, target: string, data: string): boolean {
  const src = inRootDir(rootfs, target);
  if (src === null) return false;
  if (fs.readdirSync(data).length > 0) return false;
  copyTree(src, data);
  const st = fs.statSync(src);
  fs.chownSync(data, st.uid, st.gid);
  fs.chmodSync(data, st.mode & 0o7777);
  return true;
}
