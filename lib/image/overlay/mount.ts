// The root filesystem of a container: an overlay with the image's layers as
// lowerdirs (top first), a fresh upperdir and workdir under containers/<id>/. This
// module only prepares the directories and describes the mount (an OverlayRootfs);
// spawn() mounts it in the container's own mount namespace before pivot_root
// (lib/spawn/plan.ts), so nothing is mounted on the host, no mount(8) runs, and
// the mount goes with the namespace when the container's last process exits.
//
// Many layers: mount(2) takes its options as one page (4096 bytes). As Docker's
// overlay2 driver does, lowerdirs are given as short relative paths (image/l/<20
// hex>, symlinks to the layers) and the child chdirs to the data root before it
// mounts: overlayfs resolves them from the mounting process's cwd (fs/overlayfs
// ovl_mount_dir_noesc -> kern_path), so about 170 layers fit in a page.
//
// Each container directory holds a lock (flock) for its lifetime: a directory
// whose lock is free belongs to a process that died, and is removed by the next
// caller (sweep).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../native/load';
import { ImageError } from '../errors';
import { overlayData, type OverlayRootfs } from '../../spawn/options';
import { hexOf, type Layout } from '../store/layout';

export interface OverlayRoot {
  id: string;
  /** For spawn({ rootfs }): the overlay spawn() mounts in the container's namespace. */
  rootfs: OverlayRootfs;
  /** The layer directories, top first (absolute): the image's files as the overlay shows them, for lookups before the start. */
  layers: string[];
  /** The upper directory (absent with readonly or an upper in tmpfs). */
  upper?: string;
  /** Removes the container's directories; idempotent. */
  release(): void;
}

function shortLink(layout: Layout, diffId: string): string {
  const hex = hexOf(diffId);
  const name = hex.slice(0, 20);
  const link = path.join(layout.links, name);
  const target = `../layers/${hex}`;
  try {
    // Made once per layer: the common case is one readlink(2).
    if (fs.readlinkSync(link) === target) return `image/l/${name}`;
  } catch {
    /* missing: made below */
  }
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

/**
 * The lowerdirs for diffIds (bottom first), top first as overlayfs takes them,
 * as short links relative to the data root, padded with an empty directory to
 * `min`: one lower at least, and two without an upperdir (overlayfs refuses a
 * single lower with no upper).
 */
function lowerDirs(layout: Layout, diffIds: string[], min: 1 | 2): string[] {
  const lower = diffIds.map((d) => shortLink(layout, d)).reverse();
  while (lower.length < min) lower.push(emptyLower(layout));
  return lower;
}

function isMounted(dir: string): boolean {
  const text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  // mountinfo(5): field 5 is the mount point, with spaces etc. octal-escaped.
  return text.split('\n').some((l) => l.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))) === dir);
}

// Only directories of an older Bulkhead, which mounted overlays on the host, can
// have a mount here; spawn()'s overlays live in the containers' own namespaces.
function unmount(dir: string): void {
  if (!isMounted(dir)) return;
  execFileSync('umount', ['-l', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Removes a container directory. Its usual shape (lock, work/work, upper) goes
 * by one unlink or rmdir each: fs.rmSync's generic walk costs milliseconds here,
 * as much as the container's start. Anything else (files the container wrote to
 * upper, a directory of an older Bulkhead) falls back to it.
 */
function removeContainerDir(dir: string): void {
  const quiet = (fn: () => void) => {
    try {
      fn();
      return true;
    } catch {
      return false;
    }
  };
  // overlayfs leaves work/work, and with volatile work/work/incompat/volatile (filesystems/overlayfs.rst).
  for (const d of ['work/work/incompat/volatile', 'work/work/incompat', 'work/work']) quiet(() => fs.rmdirSync(path.join(dir, d)));
  for (const d of ['work', 'upper']) if (!quiet(() => fs.rmdirSync(path.join(dir, d)))) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
  quiet(() => fs.unlinkSync(path.join(dir, 'lock')));
  if (!quiet(() => fs.rmdirSync(dir))) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A container with nothing on disk but its lock (an upper in tmpfs, or none) is
 * the file containers/<id>.lock; the others a directory with a lock file.
 */
function lockOf(layout: Layout, name: string): string {
  return name.endsWith('.lock') ? path.join(layout.containers, name) : path.join(layout.containers, name, 'lock');
}

/** Removes a lock-only container's file when its owner died. */
function sweepLockOnly(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return;
  }
  try {
    if (!native().flock(fd, true)) return;
    // Free and empty: made a moment ago and not yet locked by its creator, unless old.
    if (fs.fstatSync(fd).size === 0 && Date.now() - fs.fstatSync(fd).mtimeMs < 60_000) return;
    fs.unlinkSync(file);
  } catch {
    /* left for the next sweep */
  } finally {
    fs.closeSync(fd);
  }
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
    const lock = lockOf(layout, id);
    let fd: number;
    try {
      fd = fs.openSync(lock, 'r');
    } catch {
      continue;
    }
    try {
      if (native().flock(fd, true)) continue; // dead: the next sweep removes it
      for (const d of fs.readFileSync(lock, 'utf8').split('\n')) if (d) out.add(d);
    } catch {
      /* gone meanwhile */
    } finally {
      fs.closeSync(fd);
    }
  }
  return out;
}

/** Removes container directories and lock files whose owner died (unmounting what an older Bulkhead mounted on the host). */
export function sweep(layout: Layout): void {
  let names: string[];
  try {
    names = fs.readdirSync(layout.containers);
  } catch {
    return;
  }
  for (const id of names) {
    const dir = path.join(layout.containers, id);
    if (id.endsWith('.lock')) {
      sweepLockOnly(dir);
      continue;
    }
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
   * Where the container's writes go: 'disk' (default, as Docker: upper and work
   * under containers/<id>/ on the data root's filesystem) or 'tmpfs' (a tmpfs the
   * container's child mounts first: no disk metadata work at the start, the
   * writes in memory, charged to the container's memory cgroup).
   */
  upper?: 'disk' | 'tmpfs';
  /** The tmpfs's size with upper 'tmpfs' (tmpfs(5) size=: bytes, k, m, g or %; default 50%). */
  upperSize?: string;
  /**
   * A writable layer the caller keeps (an engine's container: the same layer
   * mounted at every start until the container is removed): upperdir and
   * workdir, absolute, on one filesystem. release() leaves them. Not volatile:
   * the layer outlives the mount, and overlayfs refuses to mount again a
   * workdir a volatile mount did not leave cleanly (filesystems/overlayfs.rst,
   * "Volatile mount").
   */
  layer?: { upper: string; work: string };
}

/**
 * The directory every overlay is mounted on: each mount lives in its own
 * container's mount namespace, so one empty directory on the host serves all.
 */
function mountTarget(layout: Layout): string {
  const dir = path.join(layout.image, 'rootfs');
  try {
    fs.mkdirSync(dir, { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return dir;
}

/** diffIds bottom first, as in the image config. */
export function prepareOverlay(layout: Layout, diffIds: string[], opts: MountOptions = {}): OverlayRoot {
  sweep(layout);
  const id = randomBytes(12).toString('hex');
  const lockOnly = Boolean(opts.readonly) || opts.upper === 'tmpfs' || Boolean(opts.layer);
  const dir = path.join(layout.containers, lockOnly ? `${id}.lock` : id);
  if (!lockOnly) fs.mkdirSync(dir, { mode: 0o700 });
  const lockFd = fs.openSync(lockOnly ? dir : path.join(dir, 'lock'), fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  native().flock(lockFd, true);
  const rel = `containers/${id}`;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    // The overlay was mounted only in the container's namespace, gone with it
    // (or, with a process lingering there, still holding these directories open:
    // removing them is allowed, unlink(2) and rmdir(2) do not care).
    if (lockOnly) fs.unlinkSync(dir);
    else removeContainerDir(dir);
    fs.closeSync(lockFd);
  };
  try {
    // The layers this container stands on, in its lock file, for rmi's collection to leave alone while it lives.
    fs.writeSync(lockFd, diffIds.join('\n'));
    const target = mountTarget(layout);
    const lower = lowerDirs(layout, diffIds, opts.readonly ? 2 : 1);
    const layers = diffIds.map((d) => layout.layer(d)).reverse();
    let rootfs: OverlayRootfs;
    if (opts.readonly) {
      rootfs = { type: 'overlay', target, base: layout.root, lower };
    } else if (opts.layer) {
      for (const p of [opts.layer.upper, opts.layer.work]) {
        if (!path.isAbsolute(p)) throw new ImageError('ELAYER', `overlay layer path ${JSON.stringify(p)} must be absolute`);
      }
      rootfs = { type: 'overlay', target, base: layout.root, lower, upper: opts.layer.upper, work: opts.layer.work };
    } else if (opts.upper === 'tmpfs') {
      rootfs = { type: 'overlay', target, base: layout.root, lower, tmpfsUpper: opts.upperSize ?? '50%', volatile: true };
    } else {
      fs.mkdirSync(path.join(dir, 'upper'), { mode: 0o755 });
      fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
      // volatile: the upper goes with the container, so the unmount at its exit
      // need not sync the data root's whole filesystem.
      rootfs = { type: 'overlay', target, base: layout.root, lower, upper: `${rel}/upper`, work: `${rel}/work`, volatile: true };
    }
    if (overlayData(rootfs).length > 4000) throw new ImageError('ELAYER', `too many layers (${diffIds.length}) for one overlay mount`);
    const upper = opts.readonly || opts.upper === 'tmpfs' ? undefined : (opts.layer?.upper ?? path.join(dir, 'upper'));
    return { id, rootfs, layers, ...(upper ? { upper } : {}), release };
  } catch (err) {
    release();
    throw err;
  }
}

export interface HostOverlay {
  /** The merged directory, mounted in this process's mount namespace. */
  rootfs: string;
  /** The upper directory, with `writable` (under the overlay's own directory: release() removes it). */
  upper?: string;
  /** Unmounts only, leaving upper for the caller to take (a build step's diff); release() still removes the rest. */
  unmount(): void;
  /** Unmounts and removes the directories; idempotent. */
  release(): void;
}

export interface HostOverlayOptions {
  /** An upper and work directory the caller keeps (release() leaves them). */
  layer?: { upper: string; work: string };
  /** A fresh upper and work directory here, removed by release() (a build step's). */
  writable?: boolean;
  /**
   * For a build step whose upper directory becomes a layer: redirect_dir, index
   * and metacopy off whatever the module's defaults, so that upper is a plain
   * diff (a renamed lower directory is copied up whole; no xattr names a file
   * elsewhere: Documentation/filesystems/overlayfs.rst "Redirect dir", "Metadata
   * only copy up").
   */
  plainDiff?: boolean;
}

/**
 * An overlay mounted here, in the caller's own mount namespace, for work on an
 * image's files outside a container's namespace: filling a new volume from the
 * image, a build step's RUN (spawn() pivot_roots into it) and COPY, COPY --from
 * an image. Read-only unless `layer` or `writable` gives it an upper. Its
 * directory holds a lock like a container's, so a SIGKILL leaves it to the next
 * sweep, which unmounts it. mount(8) runs with the data root as cwd, for the
 * short relative lowerdirs.
 */
export function mountOnHost(layout: Layout, diffIds: string[], opts: HostOverlayOptions = {}): HostOverlay {
  sweep(layout);
  const id = randomBytes(12).toString('hex');
  const dir = path.join(layout.containers, id);
  fs.mkdirSync(dir, { mode: 0o700 });
  const lockFd = fs.openSync(path.join(dir, 'lock'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  native().flock(lockFd, true);
  const merged = path.join(dir, 'merged');
  let released = false;
  let mounted = false;
  const unmountOnly = () => {
    if (!mounted) return;
    mounted = false;
    unmount(merged);
  };
  const release = () => {
    if (released) return;
    released = true;
    try {
      unmountOnly();
    } catch {
      /* unmount() detached it lazily, or it was never mounted */
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.closeSync(lockFd);
  };
  let upper: string | undefined;
  try {
    fs.writeSync(lockFd, diffIds.join('\n'));
    fs.mkdirSync(merged, { mode: 0o755 });
    const writable = Boolean(opts.layer || opts.writable);
    const lower = lowerDirs(layout, diffIds, writable ? 1 : 2);
    const options = ['nodev'];
    if (writable) {
      let work: string;
      if (opts.layer) {
        for (const p of [opts.layer.upper, opts.layer.work]) {
          // mount(2)'s options are split at commas, and overlayfs unescapes only backslash and colon.
          if (!path.isAbsolute(p) || /[,:\\]/.test(p)) throw new ImageError('ELAYER', `overlay layer path ${JSON.stringify(p)} must be absolute with no comma, colon or backslash`);
        }
        upper = opts.layer.upper;
        work = opts.layer.work;
      } else {
        fs.mkdirSync(path.join(dir, 'upper'), { mode: 0o755 });
        fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
        upper = path.join(dir, 'upper');
        // Relative to the data root (mount(8)'s cwd): shorter options.
        work = `containers/${id}/work`;
      }
      options.push(`lowerdir=${lower.join(':')}`, `upperdir=${opts.layer ? upper : `containers/${id}/upper`}`, `workdir=${work}`);
      if (opts.plainDiff) options.push('redirect_dir=off', 'index=off', 'metacopy=off');
    } else {
      options.push('ro', `lowerdir=${lower.join(':')}`);
    }
    const data = options.join(',');
    if (data.length > 4000) throw new ImageError('ELAYER', `too many layers (${diffIds.length}) for one overlay mount`);
    try {
      execFileSync('mount', ['-t', 'overlay', '-o', data, 'overlay', merged], { cwd: layout.root, stdio: ['ignore', 'ignore', 'pipe'] });
      mounted = true;
    } catch (err) {
      const msg = ((err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message).trim();
      throw new ImageError('ELAYER', `overlay mount at ${merged} failed: ${msg}`);
    }
  } catch (err) {
    release();
    throw err;
  }
  return { rootfs: merged, ...(upper ? { upper } : {}), unmount: unmountOnly, release };
}
