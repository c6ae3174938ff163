// The image's User ("name", "uid", "name:group", "uid:gid") resolved against the
// image's own /etc/passwd and /etc/group, as Docker does (runc libcontainer/user).
// The files are opened with openat2 RESOLVE_IN_ROOT from the container's root: an
// image whose /etc/passwd is a symlink to the host's reads its own tree, not ours.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../native/load';
import { ImageError } from '../errors';

const RESOLVE_IN_ROOT = 0x10;
const RESOLVE_NO_MAGICLINKS = 0x02;

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home?: string;
}

function readInRoot(rootfs: string, file: string): string | null {
  const root = fs.openSync(rootfs, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    const fd = native().openat2(root, file, fs.constants.O_RDONLY, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    try {
      return fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  } finally {
    fs.closeSync(root);
  }
}

/**
 * file as the overlay of layers (top first) shows it, before anything is mounted:
 * the topmost layer that has it (opened with RESOLVE_IN_ROOT inside that layer),
 * unless a layer above deletes it with a whiteout (a 0:0 character device, at the
 * file or at a directory on its way: ENOTDIR) or hides the lower ones behind an
 * opaque directory (trusted.overlay.opaque, filesystems/overlayfs.rst).
 */
export function readInLayers(layers: string[], file: string): string | null {
  const comps = file.split('/').filter(Boolean);
  for (const layer of layers) {
    let root: number;
    try {
      root = fs.openSync(layer, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch {
      return null;
    }
    try {
      const fd = native().openat2(root, file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      try {
        const st = fs.fstatSync(fd);
        return st.isFile() ? fs.readFileSync(fd, 'utf8') : null;
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return null;
      // Missing here: an opaque directory on the way hides every layer below.
      for (let i = 1; i < comps.length; i++) {
        let opaque: Buffer | null = null;
        try {
          opaque = native().lgetxattr(path.join(layer, ...comps.slice(0, i)), 'trusted.overlay.opaque');
        } catch {
          break; // that directory is not in this layer, nor anything under it
        }
        if (opaque?.toString() === 'y') return null;
      }
    } finally {
      fs.closeSync(root);
    }
  }
  return null;
}

const rows = (text: string | null) => (text ?? '').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
const numeric = (s: string) => /^\d+$/.test(s);

/** rootfs: a root directory, or an image's layer directories, top first (readInLayers). */
export function resolveUser(rootfs: string | string[], spec: string, image: string): ResolvedUser {
  const [userPart, groupPart] = spec.split(':', 2);
  const read = (f: string) => (typeof rootfs === 'string' ? readInRoot(rootfs, f) : readInLayers(rootfs, f));
  const passwd = rows(read('etc/passwd'));
  const groupRows = rows(read('etc/group'));
  let uid: number;
  let gid: number | undefined;
  let home: string | undefined;
  let name: string | undefined;
  const pw = passwd.find((r) => (numeric(userPart) ? r[2] === userPart : r[0] === userPart));
  if (pw) {
    uid = Number(pw[2]);
    gid = Number(pw[3]);
    home = pw[5];
    name = pw[0];
  } else if (numeric(userPart)) uid = Number(userPart);
  else throw new ImageError('ENOTFOUND', `${image}: unable to find user ${userPart}: no matching entries in passwd file`, image);
  if (groupPart !== undefined && groupPart !== '') {
    const gr = groupRows.find((r) => (numeric(groupPart) ? r[2] === groupPart : r[0] === groupPart));
    if (gr) gid = Number(gr[2]);
    else if (numeric(groupPart)) gid = Number(groupPart);
    else throw new ImageError('ENOTFOUND', `${image}: unable to find group ${groupPart}: no matching entries in group file`, image);
  }
  gid ??= 0;
  // Supplementary groups: every group listing the user by name (only when no group was forced).
  const groups = groupPart === undefined && name ? groupRows.filter((r) => (r[3] ?? '').split(',').includes(name as string)).map((r) => Number(r[2])) : [];
  if (uid > 0xfffffffe || gid > 0xfffffffe) throw new ImageError('EREFERENCE', `${image}: user ${spec} out of range`, image);
  return { uid, gid, groups: [...new Set(groups)].filter((g) => g !== gid), ...(home ? { home } : {}) };
}
