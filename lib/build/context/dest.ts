// Writing into a destination root (a new layer's upper or merged directory)
// that may hold symlinks planted by earlier layers. Every directory is reached
// with openat2(2) RESOLVE_IN_ROOT from the root: '..' and absolute symlinks are
// resolved as if the root were '/', so a symlink /etc -> /host/dir sends a
// write to <root>/host/dir, never to the host's. The entry itself is then made
// as one name in that directory (/proc/self/fd/N/name) with calls that never
// follow a final symlink: O_CREAT|O_EXCL|O_NOFOLLOW, mkdir, symlink, lchown,
// lutimes; what stood there is removed first, unless both are directories.
import * as fs from 'node:fs';
import { O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV, components, openat2, openDirPath, proc } from './fsat';

const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
const SMALL = 1 << 20;
const SCRATCH = Buffer.allocUnsafe(1 << 16);

export interface Owner {
  uid: number;
  gid: number;
}

export class DestRoot {
  readonly fd: number;

  constructor(readonly dir: string) {
    this.fd = openDirPath(dir);
  }

  /** An fd of comps resolved inside the root. */
  open(comps: string[], flags: number): number {
    return openat2(this.fd, comps.length ? comps.join('/') : '.', flags, RESOLVE);
  }

  /** Whether comps resolves (inside the root) to a directory. */
  isDir(comps: string[]): boolean {
    try {
      fs.closeSync(this.open(comps, O_PATH | fs.constants.O_DIRECTORY));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The directory comps as an O_PATH fd, each missing directory on the way made
   * with mode and owner (Docker's MkdirAllAndChownNew: only new ones are owned).
   */
  mkdirs(comps: string[], mode: number, owner: Owner, depth = 0): number {
    try {
      return this.open(comps, O_PATH | fs.constants.O_DIRECTORY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let fd = this.open([], O_PATH | fs.constants.O_DIRECTORY);
    try {
      for (let i = 0; i < comps.length; i++) {
        let next: number;
        try {
          next = this.open(comps.slice(0, i + 1), O_PATH | fs.constants.O_DIRECTORY);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || comps[i] === '..') throw err;
          const p = proc(fd, comps[i] as string);
          const st = fs.lstatSync(p, { throwIfNoEntry: false });
          if (st?.isSymbolicLink()) {
            // A dangling symlink (/etc -> /elsewhere): as Docker's
            // FollowSymlinkInScope + MkdirAll, its target is made inside the
            // root ('..' stops at the root, an absolute target starts there).
            if (depth >= 40) throw Object.assign(new Error(`too many levels of symbolic links: /${comps.slice(0, i + 1).join('/')}`), { code: 'ELOOP' });
            const target = fs.readlinkSync(p);
            const base = target.startsWith('/') ? [] : comps.slice(0, i);
            const joined: string[] = [];
            for (const c of [...base, ...components(target)]) {
              if (c === '..') joined.pop();
              else joined.push(c);
            }
            fs.closeSync(this.mkdirs(joined, mode, owner, depth + 1));
          } else {
            fs.mkdirSync(p, mode);
            fs.lchownSync(p, owner.uid, owner.gid);
            fs.chmodSync(p, mode);
          }
          next = this.open(comps.slice(0, i + 1), O_PATH | fs.constants.O_DIRECTORY);
        }
        fs.closeSync(fd);
        fd = next;
      }
      return fd;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Removes what is at name in the directory (never following it); true when a directory is kept for a directory. */
  clear(dirFd: number, name: string, keepDir: boolean): boolean {
    const st = fs.lstatSync(proc(dirFd, name), { throwIfNoEntry: false });
    if (!st) return false;
    if (keepDir && st.isDirectory()) return true;
    fs.rmSync(proc(dirFd, name), { recursive: true, force: true });
    return false;
  }

  /**
   * A new regular file at name with the bytes of srcFd (size bytes expected);
   * owner, mode (after chown, which clears setuid), mtime. Returns the bytes written.
   */
  async writeFile(dirFd: number, name: string, srcFd: number, size: number, mode: number, owner: Owner, mtime: Date): Promise<number> {
    const fd = this.createFile(dirFd, name);
    try {
      let written: number;
      if (size <= SMALL) {
        // Small files: one read and one write, no more system calls.
        const buf = size <= SCRATCH.length ? SCRATCH : Buffer.allocUnsafe(size + 1);
        written = 0;
        for (;;) {
          const n = fs.readSync(srcFd, buf, 0, buf.length, null);
          if (n === 0) break;
          for (let off = 0; off < n; ) off += fs.writeSync(fd, buf, off, n - off);
          written += n;
        }
      } else {
        // copy_file_range(2) (or a reflink) between the two open files, through
        // their /proc/self/fd magic links: both name the very inodes already
        // open. On libuv's thread pool: a large file does not stall the event
        // loop (the daemon's other requests) while it is copied.
        await fs.promises.copyFile(proc(srcFd), proc(fd));
        written = fs.fstatSync(fd).size;
      }
      fs.fchownSync(fd, owner.uid, owner.gid);
      fs.fchmodSync(fd, mode);
      fs.futimesSync(fd, mtime, mtime);
      return written;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A new empty regular file at name, open for writing (what stood there removed first, never followed). */
  createFile(dirFd: number, name: string): number {
    this.clear(dirFd, name, false);
    return fs.openSync(proc(dirFd, name), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  }

  /** A directory at name (an existing one kept), with owner and mode. */
  mkdir(dirFd: number, name: string, mode: number, owner: Owner): void {
    const p = proc(dirFd, name);
    if (!this.clear(dirFd, name, true)) fs.mkdirSync(p, 0o700);
    fs.lchownSync(p, owner.uid, owner.gid);
    fs.chmodSync(p, mode);
  }

  symlink(dirFd: number, name: string, target: string, owner: Owner, mtime: Date): void {
    this.clear(dirFd, name, false);
    const p = proc(dirFd, name);
    fs.symlinkSync(target, p);
    fs.lchownSync(p, owner.uid, owner.gid);
    fs.lutimesSync(p, mtime, mtime);
  }

  /** Sets a directory's mtime (last: creating entries inside changes it). */
  dirTime(comps: string[], mtime: Date): void {
    let fd: number;
    try {
      fd = this.open(comps, O_PATH | fs.constants.O_DIRECTORY);
    } catch {
      return;
    }
    try {
      // utimensat(2) following the /proc/self/fd magic link to the directory
      // itself (lutimes would address the link, which procfs ignores).
      fs.utimesSync(proc(fd), mtime, mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
