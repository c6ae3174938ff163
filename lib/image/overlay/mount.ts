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
  /** The upper directory (absent with readonly). */
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

// Only directories of an older Bulkhead, which mounted overlays on the host, can
// have a mount here; spawn()'s overlays live in the containers' own namespaces.
function unmount(dir: string): void {
  if (!isMounted(dir)) return;
  execFileSync('umount', ['-l', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
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
}

/** diffIds bottom first, as in the image config. */
export function mountOverlay(layout: Layout, diffIds: string[], opts: MountOptions = {}): OverlayRoot {
  sweep(layout);
  const id = randomBytes(12).toString('hex');
  const dir = path.join(layout.containers, id);
  fs.mkdirSync(dir, { mode: 0o700 });
  const lockFd = fs.openSync(path.join(dir, 'lock'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  native().flock(lockFd, true);
  const rel = `containers/${id}`;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    // A mount of this overlay lives only in a container's namespace; removing the
    // directories under it (even one still mounted by a lingering process there)
    // is allowed (rmdir(2) of a mount point in another namespace detaches it).
    fs.rmSync(dir, { recursive: true, force: true });
    fs.closeSync(lockFd);
  };
  try {
    // The layers this container stands on, for rmi's collection to leave alone while it lives.
    fs.writeFileSync(path.join(dir, 'layers'), diffIds.join('\n'));
    const merged = path.join(dir, 'merged');
    fs.mkdirSync(merged, { mode: 0o755 });
    const lower = diffIds.map((d) => shortLink(layout, d)).reverse();
    const layers = diffIds.map((d) => layout.layer(d)).reverse();
    let rootfs: OverlayRootfs;
    if (opts.readonly) {
      // overlayfs without an upperdir needs two lowerdirs at least.
      while (lower.length < 2) lower.push(emptyLower(layout));
      rootfs = { type: 'overlay', target: merged, base: layout.root, lower };
    } else {
      if (lower.length === 0) lower.push(emptyLower(layout));
      fs.mkdirSync(path.join(dir, 'upper'), { mode: 0o755 });
      fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
      rootfs = { type: 'overlay', target: merged, base: layout.root, lower, upper: `${rel}/upper`, work: `${rel}/work` };
    }
    if (overlayData(rootfs).length > 4000) throw new ImageError('ELAYER', `too many layers (${diffIds.length}) for one overlay mount`);
    return { id, rootfs, layers, ...(opts.readonly ? {} : { upper: path.join(dir, 'upper') }), release };
  } catch (err) {
    release();
    throw err;
  }
}
