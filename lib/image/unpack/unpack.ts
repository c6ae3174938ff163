// Unpacks one layer tar into a directory of its own, safely against hostile tars.
// Every parent directory of an entry is opened with openat2(2) RESOLVE_IN_ROOT from
// the layer directory: the kernel resolves '..', absolute paths and symlinks (planted
// earlier in this layer) as if the layer directory were '/', so nothing outside it
// can be reached. The entry is then created as one plain name inside that directory
// through /proc/self/fd/<dirfd>/<name>, with calls that never follow a final symlink
// (O_NOFOLLOW|O_EXCL, mkdir, symlink, mknodat, lchown, lutimes, lsetxattr). Hard
// links resolve their target the same way and link that very inode (linkat with
// AT_EMPTY_PATH). OCI whiteouts become overlayfs whiteouts: .wh.NAME a 0:0 char
// device NAME, .wh..wh..opq the xattr trusted.overlay.opaque=y on the directory
// (OCI image-spec layer.md "Whiteouts"; kernel Documentation/filesystems/overlayfs.rst).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { pipeline, Transform, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import * as tar from 'tar-stream';
import { native } from '../../native/load';
import { AutoDecompress } from './decompress';
import { patchTarStream } from './pax';

const O_PATH = 0o10000000;
const AT_EMPTY_PATH = 0x1000;
// linux/openat2.h
const RESOLVE_NO_XDEV = 0x01;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;
const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** Xattrs taken from a layer. trusted.* (overlayfs' own, among others) never is. */
const ALLOWED_XATTR = (name: string) => name.startsWith('user.') || name === 'security.capability';

export class HostileEntryError extends Error {
  constructor(
    readonly entry: string,
    why: string,
  ) {
    super(`entry ${JSON.stringify(entry)}: ${why}`);
    this.name = 'HostileEntryError';
  }
}

/** Components of an entry name, with '.' and empty ones dropped; '..' is kept for openat2 to confine. */
function components(name: string): string[] {
  return name.split('/').filter((c) => c !== '' && c !== '.');
}

const proc = (fd: number, name = '.') => `/proc/self/fd/${fd}/${name}`;

/** fd-level calls on libuv's pool (fs.promises wraps fds in FileHandles, which cost more here). */
const fsp = {
  open: promisify(fs.open) as (p: string, flags: number, mode: number) => Promise<number>,
  write: (fd: number, buf: Buffer, off: number, len: number) => new Promise<number>((resolve, reject) => fs.write(fd, buf, off, len, null, (err, n) => (err ? reject(err) : resolve(n)))),
  symlink: promisify(fs.symlink) as (target: string, p: string) => Promise<void>,
};

export interface UnpackStats {
  entries: number;
  bytes: number;
  diffId: string;
}

class LayerWriter {
  private readonly root: number;
  private readonly dirTimes: Array<{ comps: string[]; mtime: Date }> = [];
  /**
   * Parent directories already resolved (by openat2, inside the layer), by path:
   * most entries share their parent with the one before. Entries only add to the
   * tree until something is removed (an entry replacing another, a whiteout);
   * then a cached path may resolve elsewhere, and the cache is dropped whole.
   */
  private readonly parents = new Map<string, number>();
  /** Dropped from the cache but maybe in use by the entry being made: closed before the next. */
  private retired: number[] = [];

  constructor(
    readonly dir: string,
    private readonly whiteouts = true,
  ) {
    this.root = fs.openSync(dir, O_PATH | fs.constants.O_DIRECTORY);
  }

  close(): void {
    this.forget();
    this.closeRetired();
    fs.closeSync(this.root);
  }

  private forget(): void {
    for (const fd of this.parents.values()) this.retired.push(fd);
    this.parents.clear();
  }

  private closeRetired(): void {
    for (const fd of this.retired) fs.closeSync(fd);
    this.retired = [];
  }

  /** parent(), through the cache; the fd stays owned by the cache. */
  private cachedParent(entry: string, comps: string[]): number {
    const key = comps.join('/');
    let fd = this.parents.get(key);
    if (fd !== undefined) return fd;
    fd = this.parent(entry, comps);
    if (this.parents.size >= 64) this.forget();
    this.parents.set(key, fd);
    return fd;
  }

  private openat2(comps: string[], flags: number): number {
    return native().openat2(this.root, comps.length ? comps.join('/') : '.', flags, 0, RESOLVE);
  }

  /** The parent directory of an entry, created (0755, root-owned) where missing, as an O_PATH fd. */
  parent(entry: string, comps: string[]): number {
    try {
      return this.openat2(comps, O_PATH | fs.constants.O_DIRECTORY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new HostileEntryError(entry, `parent directory: ${(err as Error).message}`);
    }
    let fd = this.openat2([], O_PATH | fs.constants.O_DIRECTORY);
    try {
      for (let i = 0; i < comps.length; i++) {
        let next: number;
        try {
          next = this.openat2(comps.slice(0, i + 1), O_PATH | fs.constants.O_DIRECTORY);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || comps[i] === '..') throw err;
          fs.mkdirSync(proc(fd, comps[i]), 0o755);
          next = this.openat2(comps.slice(0, i + 1), O_PATH | fs.constants.O_DIRECTORY);
        }
        fs.closeSync(fd);
        fd = next;
      }
      return fd;
    } catch (err) {
      fs.closeSync(fd);
      throw new HostileEntryError(entry, `parent directory: ${(err as Error).message}`);
    }
  }

  /** Removes whatever is at name in dirfd (never following it), unless both it and the new entry are directories. */
  private clear(dirfd: number, name: string, keepDir: boolean): boolean {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(proc(dirfd, name));
    } catch {
      return false;
    }
    if (keepDir && st.isDirectory()) return true;
    this.forget();
    fs.rmSync(proc(dirfd, name), { recursive: true, force: true });
    return false;
  }

  /** Runs create; where the name is taken (EEXIST), clears it (as clear) and runs create again. */
  private replace(dirfd: number, name: string, create: () => void): void {
    try {
      create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      this.clear(dirfd, name, false);
      create();
    }
  }

  /** replace() for a creation on libuv's pool. */
  private async replaceAsync(dirfd: number, name: string, create: () => Promise<void>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      this.clear(dirfd, name, false);
      await create();
    }
  }

  private xattrs(p: string, h: tar.Header): void {
    if (!h.pax) return;
    for (const [k, v] of Object.entries(h.pax)) {
      if (!k.startsWith('SCHILY.xattr.')) continue;
      const name = k.slice('SCHILY.xattr.'.length);
      if (ALLOWED_XATTR(name)) native().lsetxattr(p, name, Buffer.from(String(v), 'latin1'));
    }
  }

  /** Owner, mode, xattrs and (unless a directory, whose mtime finish() sets) mtime of p, never following it. */
  private meta(p: string, h: tar.Header, isLink: boolean, isDir = false): void {
    fs.lchownSync(p, h.uid ?? 0, h.gid ?? 0);
    // chown(2) clears set-user-ID and set-group-ID: the mode comes after it.
    if (!isLink) fs.chmodSync(p, (h.mode ?? 0o644) & 0o7777);
    if (!isLink) this.xattrs(p, h);
    if (isDir) return;
    const mtime = h.mtime ?? new Date(0);
    fs.lutimesSync(p, mtime, mtime);
  }

  async entry(h: tar.Header, data: AsyncIterable<Buffer>): Promise<number> {
    this.closeRetired();
    const raw = h.name;
    const comps = components(raw);
    const base = comps.length ? comps[comps.length - 1] : '.';
    const parentComps = comps.slice(0, -1);
    const drain = async () => {
      for await (const _ of data) void _;
    };

    if (this.whiteouts && base.startsWith('.wh.')) {
      await drain();
      const pfd = this.parent(raw, parentComps);
      try {
        if (base === '.wh..wh..opq') {
          if (parentComps.filter((c) => c !== '..').length === 0) throw new HostileEntryError(raw, 'an opaque marker at the layer root would hide every lower layer');
          native().lsetxattr(proc(pfd), 'trusted.overlay.opaque', Buffer.from('y'));
        } else {
          const target = base.slice(4);
          if (target === '' || target === '.' || target === '..' || target.startsWith('.wh.')) throw new HostileEntryError(raw, `whiteout of ${JSON.stringify(target)}`);
          this.replace(pfd, target, () => native().mknodat(pfd, target, S_IFCHR, 0, 0));
        }
      } finally {
        fs.closeSync(pfd);
      }
      return 0;
    }

    if (comps.length === 0 || base === '..') {
      // The layer root itself ('./'): its mode and owner, never anything else.
      await drain();
      if (h.type !== 'directory') throw new HostileEntryError(raw, 'only a directory may name the layer root');
      this.dirTimes.push({ comps: [], mtime: h.mtime ?? new Date(0) });
      this.meta(proc(this.root), { ...h, mtime: h.mtime }, false);
      return 0;
    }

    const pfd = this.cachedParent(raw, parentComps);
    const p = proc(pfd, base);
    let written = 0;
    {
      switch (h.type) {
        case 'directory': {
          await drain();
          try {
            fs.mkdirSync(p, 0o700);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
            if (!this.clear(pfd, base, true)) fs.mkdirSync(p, 0o700);
          }
          this.meta(p, h, false, true);
          this.dirTimes.push({ comps, mtime: h.mtime ?? new Date(0) });
          break;
        }
        case 'file':
        case 'contiguous-file': {
          // Creating a file and writing it wait on the filesystem's journal (about a
          // millisecond per create on a busy disk): done on libuv's pool, so that the
          // layers unpacking at once wait together rather than in turn. The entry's
          // parent fd stays open until this entry is done (retired ones close later).
          let fd = -1;
          await this.replaceAsync(pfd, base, async () => {
            fd = await fsp.open(p, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
          });
          try {
            for await (const chunk of data) {
              for (let off = 0; off < chunk.length; ) off += await fsp.write(fd, chunk, off, chunk.length - off);
              written += chunk.length;
            }
            // Through the fd this entry just made: no path walked again.
            fs.fchownSync(fd, h.uid ?? 0, h.gid ?? 0);
            // chown(2) clears set-user-ID and set-group-ID: the mode comes after it.
            fs.fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
            this.xattrs(p, h);
            const mtime = h.mtime ?? new Date(0);
            fs.futimesSync(fd, mtime, mtime);
          } finally {
            fs.closeSync(fd);
          }
          break;
        }
        case 'symlink': {
          await drain();
          await this.replaceAsync(pfd, base, () => fsp.symlink(h.linkname ?? '', p));
          this.meta(p, h, true);
          break;
        }
        case 'link': {
          await drain();
          const target = components(h.linkname ?? '');
          let src: number;
          try {
            src = this.openat2(target, O_PATH | fs.constants.O_NOFOLLOW);
          } catch (err) {
            throw new HostileEntryError(raw, `hard link to ${JSON.stringify(h.linkname)} inside the layer: ${(err as Error).message}`);
          }
          try {
            this.replace(pfd, base, () => native().linkat(src, '', pfd, base, AT_EMPTY_PATH));
          } finally {
            fs.closeSync(src);
          }
          break;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo': {
          await drain();
          const kind = h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR;
          this.replace(pfd, base, () => native().mknodat(pfd, base, kind | ((h.mode ?? 0o600) & 0o777), h.devmajor ?? 0, h.devminor ?? 0));
          this.meta(p, h, false);
          break;
        }
        default:
          await drain();
          throw new HostileEntryError(raw, `unsupported entry type ${JSON.stringify(h.type)}`);
      }
    }
    return written;
  }

  /** Directory mtimes last: creating entries inside a directory changes its mtime. */
  finish(): void {
    for (const { comps, mtime } of this.dirTimes.reverse()) {
      let fd: number;
      try {
        fd = this.openat2(comps, O_PATH | fs.constants.O_DIRECTORY);
      } catch {
        continue;
      }
      try {
        // utimes, not lutimes: lutimes of /proc/self/fd/N addresses the magic
        // link itself, which procfs silently ignores; utimes follows it to the directory.
        fs.utimesSync(proc(fd), mtime, mtime);
      } finally {
        fs.closeSync(fd);
      }
    }
  }
}

export interface UnpackOptions {
  /**
   * OCI whiteouts (.wh.NAME, .wh..wh..opq) become overlayfs whiteouts; default
   * true (an image layer). false for a Dockerfile's ADD of an archive, where
   * Docker's untar keeps such names as plain files.
   */
  whiteouts?: boolean;
}

/**
 * Unpacks the (possibly compressed) tar `source` into `dir`, which must exist and
 * be empty (or, for ADD, an existing directory merged into). Resolves with the
 * diff id (sha256 of the uncompressed tar) for the caller to check against the
 * image config.
 */
export async function unpackTar(source: Readable, dir: string, signal?: AbortSignal, options: UnpackOptions = {}): Promise<UnpackStats> {
  patchTarStream();
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  const writer = new LayerWriter(dir, options.whiteouts ?? true);
  let entries = 0;
  let bytes = 0;
  let pipeErr: Error | undefined;
  const done = new Promise<void>((resolve) => {
    pipeline(source, new AutoDecompress(), hasher, extract as unknown as NodeJS.WritableStream, (err) => {
      if (err) pipeErr = err;
      resolve();
    });
  });
  try {
    for await (const entry of extract) {
      signal?.throwIfAborted();
      bytes += await writer.entry(entry.header, entry as unknown as AsyncIterable<Buffer>);
      entries++;
    }
    await done;
    if (pipeErr) throw pipeErr;
    writer.finish();
  } catch (err) {
    source.destroy();
    extract.destroy();
    throw err;
  } finally {
    writer.close();
  }
  return { entries, bytes, diffId: `sha256:${hash.digest('hex')}` };
}

