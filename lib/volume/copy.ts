// Fills a new volume from the container root's content at the mount path, as
// Docker does for an empty volume. The path is walked inside the root with
// lstat, and a symlink anywhere on it stops the copy: following one could copy
// host files that the root links to. Ownership, modes, times, symlinks, hard
// links (within the copy) and extended attributes are kept (security.capability
// included: a file capability must survive, as it does in Docker's copy-up);
// trusted.overlay.* is overlayfs' own bookkeeping (hidden through a mounted
// overlay anyway) and never copied.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native/load';

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

/** Copies the extended attributes of s onto d (neither followed if a symlink). */
export function copyXattrs(s: string, d: string): void {
  const n = native();
  for (const name of n.llistxattr(s)) {
    if (name.startsWith('trusted.overlay.')) continue;
    const v = n.lgetxattr(s, name);
    if (v === null) continue; // removed meanwhile
    try {
      n.lsetxattr(d, name, v);
    } catch (err) {
      // A volume on a filesystem without that namespace (user.* on a tmpfs before Linux 6.6): the copy goes on without it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOTSUP' && (err as NodeJS.ErrnoException).code !== 'EOPNOTSUPP') throw err;
    }
  }
}

export function copyTree(src: string, dst: string, links: Map<string, string> = new Map()): void {
  for (const name of fs.readdirSync(src)) {
    const s = path.join(src, name);
    const d = path.join(dst, name);
    const st = fs.lstatSync(s);
    // A hard link within the tree stays one: the second name links to the first copy.
    const key = `${st.dev}:${st.ino}`;
    if (!st.isDirectory() && st.nlink > 1) {
      const first = links.get(key);
      if (first !== undefined) {
        fs.linkSync(first, d);
        continue;
      }
    }
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), d);
    else if (st.isDirectory()) {
      fs.mkdirSync(d);
      copyTree(s, d, links);
    } else if (st.isFile()) fs.copyFileSync(s, d);
    else continue; // devices, fifos and sockets are not copied
    if (!st.isDirectory() && st.nlink > 1) links.set(key, d);
    // Owner first: chown(2) clears set-user-ID and set-group-ID bits, and the xattrs
    // next, since a chown also drops security.capability; the mode last.
    fs.lchownSync(d, st.uid, st.gid);
    copyXattrs(s, d);
    if (!st.isSymbolicLink()) {
      fs.chmodSync(d, st.mode & 0o7777);
      fs.utimesSync(d, st.atime, st.mtime);
    } else fs.lutimesSync(d, st.atime, st.mtime);
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
  copyXattrs(src, data);
  fs.chmodSync(data, st.mode & 0o7777);
  return true;
}
