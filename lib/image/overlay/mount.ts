// The root filesystem of a container: an overlay mount with the image's layers as
// lowerdirs (top first), a fresh upperdir and workdir, at containers/<id>/merged,
// mounted in this (the host's) mount namespace into a directory only root can
// reach; spawn() then pivot_roots into it inside the container's own namespace,
// and the mount goes with the container (released after its exit).
//
// Many layers: mount(2) takes its options as one page (4096 bytes). As Docker's
// overlay2 driver does, lowerdirs are given as short relative paths (image/l/<20
// hex>, symlinks to the layers) and mount(8) runs with the data root as its cwd:
// overlayfs resolves them from the mounting process's cwd (fs/overlayfs/super.c
// ovl_mount_dir_noesc -> kern_path), so about 170 layers fit in a page.
//
// Each container directory holds a lock (flock) for its lifetime: a directory
// whose lock is free belongs to a process that died, and is unmounted and removed
// by the next caller (sweep), so a SIGKILL never leaks a mount.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../native/load';
import { ImageError } from '../errors';
import { hexOf, type Layout } from '../store/layout';

export interface OverlayRoot {
  id: string;
  /** The merged directory, for spawn({ rootfs }). */
  rootfs: string;
  /** The upper directory (absent with readonly). */
  upper?: string;
  /** Unmounts and removes the container's directories; idempotent. */
  release(): void;
  /** Unmounts only, leaving upper for the caller to take (a build step's diff); release() still removes the rest. */
  unmount(): void;
}

function shortLink(layout: Layout, diffId: string): string {
  const hex = hexOf(diffId);
  const name = hex.slice(0, 20);
  const link = path.join(layout.links, name);
  const target = `../layers/${hex}`;
  try {
    fs.symlinkSync(target, link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (fs.readlinkSync(link) !== target) throw new ImageError('ELAYER', `short link ${link} exists for another layer`, undefined, diffId);
  }
  return `image/l/${name}`;
}

function emptyLower(layout: Layout): string {
  const dir = path.join(layout.image, 'empty');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return 'image/empty';
}

function isMounted(dir: string): boolean {
  const text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  // mountinfo(5): field 5 is the mount point, with spaces etc. octal-escaped.
  return text.split('\n').some((l) => l.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))) === dir);
}

function unmount(dir: string): void {
  if (!isMounted(dir)) return;
  execFileSync('umount', [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Diff ids under the overlays of containers that are alive (their lock is held). */
export function liveLayers(layout: Layout): Set<string> {
  const out = new Set<string>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(layout.containers);
  } catch {
    return out;
  }
  for (const id of names) {
    const dir = path.join(layout.containers, id);
    let fd: number;
    try {
      fd = fs.openSync(path.join(dir, 'lock'), 'r');
    } catch {
      continue;
    }
    try {
      if (native().flock(fd, true)) continue; // dead: the next sweep removes it
      for (const d of fs.readFileSync(path.join(dir, 'layers'), 'utf8').split('\n')) if (d) out.add(d);
    } catch {
      /* no layers file yet: not mounted yet either */
    } finally {
      fs.closeSync(fd);
    }
  }
  return out;
}

/** Unmounts and removes container directories whose owner died. */
export function sweep(layout: Layout): void {
  let names: string[];
  try {
    names = fs.readdirSync(layout.containers);
  } catch {
    return;
  }
  for (const id of names) {
    const dir = path.join(layout.containers, id);
    let fd: number;
    try {
      fd = fs.openSync(path.join(dir, 'lock'), 'r');
    } catch {
      // Created but not yet locked, or half removed: only removed when old enough.
      try {
        if (Date.now() - fs.statSync(dir).mtimeMs > 60_000) {
          unmount(path.join(dir, 'merged'));
          fs.rmSync(dir, { recursive: true, force: true });
        }
      } catch {
        /* gone meanwhile */
      }
      continue;
    }
    try {
      if (!native().flock(fd, true)) continue;
      unmount(path.join(dir, 'merged'));
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* left for the next sweep */
    } finally {
      fs.closeSync(fd);
    }
  }
}

export interface MountOptions {
  readonly?: boolean;
  /**
   * For a build step whose upper directory becomes a layer: redirect_dir, index
   * and metacopy off whatever the module's defaults, so that upper is a plain
   * diff (a renamed lower directory is copied up whole; no xattr names a file
   * elsewhere: Documentation/filesystems/overlayfs.rst "Redirect dir", "Metadata
   * only copy up").
   */
  plainDiff?: boolean;
}

/** diffIds bottom first, as in the image config. */
export function mountOverlay(layout: Layout, diffIds: string[], opts: MountOptions = {}): OverlayRoot {
  sweep(layout);
  const id = randomBytes(12).toString('hex');
  const dir = path.join(layout.containers, id);
  fs.mkdirSync(dir, { mode: 0o700 });
  const lockFd = fs.openSync(path.join(dir, 'lock'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  native().flock(lockFd, true);
  // The layers this container stands on, for rmi's collection to leave alone while it lives.
  fs.writeFileSync(path.join(dir, 'layers'), diffIds.join('\n'));
  const merged = path.join(dir, 'merged');
  const rel = `containers/${id}`;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      unmount(merged);
    } catch (err) {
      // Still busy (a process of the container lingering): detach it, as umount -l does.
      execFileSync('umount', ['-l', merged], { stdio: 'ignore' });
      void err;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.closeSync(lockFd);
  };
  try {
    fs.mkdirSync(merged, { mode: 0o755 });
    const lowers = diffIds.map((d) => shortLink(layout, d)).reverse();
    const options: string[] = [];
    if (opts.readonly) {
      // overlayfs without an upperdir needs two lowerdirs at least.
      while (lowers.length < 2) lowers.push(emptyLower(layout));
    } else {
      if (lowers.length === 0) lowers.push(emptyLower(layout));
      fs.mkdirSync(path.join(dir, 'upper'), { mode: 0o755 });
      fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
      options.push(`upperdir=${rel}/upper`, `workdir=${rel}/work`);
      if (opts.plainDiff) options.push('redirect_dir=off', 'index=off', 'metacopy=off');
    }
    options.unshift(`lowerdir=${lowers.join(':')}`);
    // nodev: a device node shipped in an image opens nothing (the container's /dev
    // is its own tmpfs); suid and exec stay, as images need them.
    const data = options.join(',');
    if (data.length > 4000) throw new ImageError('ELAYER', `too many layers (${diffIds.length}) for one overlay mount`);
    try {
      execFileSync('mount', ['-t', 'overlay', '-o', `nodev,${data}`, 'overlay', merged], { cwd: layout.root, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const msg = ((err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message).trim();
      throw new ImageError('ELAYER', `overlay mount at ${merged} failed: ${msg}`);
    }
  } catch (err) {
    release();
    throw err;
  }
  const unmountOnly = () => {
    if (!released) unmount(merged);
  };
  return { id, rootfs: merged, ...(opts.readonly ? {} : { upper: path.join(dir, 'upper') }), release, unmount: unmountOnly };
}
