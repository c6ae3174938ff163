// Where COPY and ADD read from: the build context (its .dockerignore applied,
// every lookup RESOLVE_BENEATH, so a path or symlink leading out of it is
// refused by the kernel), or another root for --from=stage|image (a merged
// directory, every lookup RESOLVE_IN_ROOT, so an absolute symlink in the image
// resolves inside the image as it would in a container).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContextError, errnoOf } from './errors';
import { O_PATH, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, components, openat2, openDirPath, proc, withFd } from './fsat';
import { IgnoreMatcher, parseDockerignore } from './ignore';

export type EntryType = 'file' | 'dir' | 'symlink';

/** One file, directory or symlink met in a root. */
export interface Entry {
  /** Path relative to the source it belongs to ('' for the source itself), '/'-separated. */
  rel: string;
  type: EntryType;
  /** Permission bits with setuid, setgid and sticky (st_mode & 07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  /** A symlink's target, as stored. */
  linkTarget?: string;
  /** A directory left out by .dockerignore but walked for an exception below it: made 0755 in a copy. */
  implicit?: boolean;
  /** st_nlink > 1 for a file: a hard link, copied as a file of its own. */
  hardlinked?: boolean;
}

export class SourceRoot {
  /** The canonical host path of the root directory. */
  readonly dir: string;
  /** An O_PATH fd of the root, held until close(). */
  readonly fd: number;
  private closed = false;

  protected constructor(
    dir: string,
    readonly kind: 'context' | 'root',
    readonly ignore: IgnoreMatcher,
  ) {
    this.dir = fs.realpathSync(dir);
    this.fd = openDirPath(this.dir);
  }

  /** Another root (--from=stage|image): absolute symlinks resolve inside it, no .dockerignore. */
  static open(dir: string): SourceRoot {
    return new SourceRoot(dir, 'root', IgnoreMatcher.empty());
  }

  /** The resolve flags of a first lookup of a path as written. */
  get resolve(): number {
    return (this.kind === 'context' ? RESOLVE_BENEATH : RESOLVE_IN_ROOT) | RESOLVE_NO_MAGICLINKS;
  }

  /** The resolve flags of a canonical path found before: no symlink may appear on it since. */
  get resolveCanonical(): number {
    return RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
  }

  /** Whether the root-relative path is left out (always false for a root that is not a context). */
  excludes(rel: string): boolean {
    return this.ignore.excludes(rel);
  }

  /**
   * An fd of a canonical root-relative path (no symlink on it), opened with
   * flags. A path changed since it was resolved (a symlink swapped in: ELOOP,
   * or removed) is an ECHANGED error, never followed.
   */
  openCanonical(rel: string, flags: number): number {
    try {
      return openat2(this.fd, rel, flags, this.resolveCanonical);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ELOOP' || code === 'ENOENT' || code === 'ENOTDIR' || code === 'EXDEV') {
        throw new ContextError('ECHANGED', `${rel}: changed while the build was reading it (${code})`, rel, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Follows a path as written (symlinks included) to its canonical root-relative
   * path. Throws the errno error of openat2 (ENOENT, EXDEV for an escape).
   */
  canonical(rel: string): { rel: string; stat: fs.Stats } {
    return withFd(openat2(this.fd, rel, O_PATH, this.resolve), (fd) => {
      const target = fs.readlinkSync(proc(fd));
      const stat = fs.fstatSync(fd);
      let inside: string;
      if (target === this.dir) inside = '';
      else if (target.startsWith(this.dir === '/' ? '/' : this.dir + '/')) inside = target.slice(this.dir === '/' ? 1 : this.dir.length + 1);
      else throw Object.assign(new Error(`resolved outside the root: ${target}`), { code: 'EXDEV' });
      return { rel: inside, stat };
    });
  }

  /**
   * Entries under the canonical directory base, depth first in byte order
   * (as Go's filepath.Walk), .dockerignore applied; devices, FIFOs and sockets
   * are left out as the docker CLI leaves them out of a context. Each directory
   * is opened RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS from the root and read through
   * its fd; entries are lstat'ed, never followed. `rel` of each entry is
   * relative to base; visit returning false skips a directory's content.
   */
  walk(base: string, visit: (entry: Entry, rootRel: string) => boolean | void): void {
    const walkDir = (rel: string): void => {
      const dirFd = this.openCanonical(rel, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      try {
        for (const raw of fs.readdirSync(proc(dirFd), { encoding: 'buffer' }).sort(Buffer.compare)) {
          // Names are bytes; paths here are UTF-8 strings. A name that does not
          // survive the round trip would name another file (or none): refused.
          const name = raw.toString('utf8');
          const rootRel = rel === '' ? name : `${rel}/${name}`;
          if (!Buffer.from(name, 'utf8').equals(raw)) {
            throw new ContextError('EIO', `${rel === '' ? '' : `${rel}/`}${[...raw].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')}: a file name that is not valid UTF-8 is not supported in a build context`, rootRel);
          }
          // .dockerignore first: an excluded entry is not even stat'ed, unless
          // it may be a directory an exception reaches into.
          const excluded = this.excludes(rootRel);
          if (excluded && !this.ignore.mayIncludeUnder(rootRel)) continue;
          const st = fs.lstatSync(proc(dirFd, name));
          const sub = base === '' ? rootRel : rootRel.slice(base.length + 1);
          const entry = entryOf(st, sub, st.isSymbolicLink() ? fs.readlinkSync(proc(dirFd, name)) : undefined);
          if (!entry) continue;
          if (excluded) {
            if (entry.type !== 'dir') continue;
            entry.implicit = true;
            entry.mode = 0o755;
          }
          if (visit(entry, rootRel) !== false && entry.type === 'dir') walkDir(rootRel);
        }
      } finally {
        fs.closeSync(dirFd);
      }
    };
    walkDir(base);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

/** An Entry for a stat, or null for what is not copied (devices, FIFOs, sockets). */
export function entryOf(st: fs.Stats, rel: string, linkTarget?: string): Entry | null {
  const type: EntryType | null = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : null;
  if (!type) return null;
  const e: Entry = { rel, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: type === 'dir' ? 0 : st.size, mtime: st.mtime };
  if (type === 'symlink') e.linkTarget = linkTarget ?? '';
  if (type === 'file' && st.nlink > 1) e.hardlinked = true;
  return e;
}

export interface OpenContextOptions {
  /** The Dockerfile: relative to the context directory, or absolute (`docker build -f`). Default `Dockerfile`. */
  dockerfile?: string;
  /**
   * The ignore file (relative to the context, or absolute). Default: the
   * Dockerfile's path plus `.dockerignore` when that exists (BuildKit's rule),
   * else the context's `.dockerignore`.
   */
  ignoreFile?: string;
}

/** The build context: a SourceRoot with its .dockerignore and its Dockerfile read. */
export class BuildContext extends SourceRoot {
  /** The Dockerfile's path as given (context-relative unless absolute) and its bytes. */
  readonly dockerfile: { path: string; content: Buffer };

  private constructor(dir: string, ignore: IgnoreMatcher, dockerfile: { path: string; content: Buffer }) {
    super(dir, 'context', ignore);
    this.dockerfile = dockerfile;
  }

  static openDir(dir: string, options: OpenContextOptions = {}): BuildContext {
    if (typeof dir !== 'string' || dir === '') throw Object.assign(new TypeError(`context: expected a directory path, got ${JSON.stringify(dir)}`), { code: 'ERR_INVALID_ARG_TYPE', option: 'context' });
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch (err) {
      throw new ContextError('ENOTFOUND', `unable to prepare context: path ${JSON.stringify(dir)} not found`, dir, { cause: err });
    }
    if (!st.isDirectory()) throw new ContextError('ENOTFOUND', `unable to prepare context: context must be a directory: ${dir}`, dir);
    const rootFd = openDirPath(dir);
    try {
      const dfPath = options.dockerfile ?? 'Dockerfile';
      const content = readInContext(rootFd, dfPath);
      if (content === null) throw new ContextError('ENOTFOUND', `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${path.resolve(dir, dfPath)}: no such file or directory`, dfPath);
      // BuildKit's rule: <Dockerfile>.dockerignore beside the Dockerfile takes
      // precedence over the context's .dockerignore.
      const ignoreText = options.ignoreFile !== undefined ? readInContext(rootFd, options.ignoreFile) : (readInContext(rootFd, `${dfPath}.dockerignore`) ?? readInContext(rootFd, '.dockerignore'));
      const ignore = ignoreText === null ? IgnoreMatcher.empty() : new IgnoreMatcher(parseDockerignore(ignoreText.toString('utf8')));
      return new BuildContext(dir, ignore, { path: dfPath, content });
    } finally {
      fs.closeSync(rootFd);
    }
  }
}

/**
 * A file of the context (RESOLVE_BENEATH: never outside it), or an absolute path
 * the caller named; null when absent. A Dockerfile symlinked out of the context
 * is refused as an escape.
 */
function readInContext(rootFd: number, file: string): Buffer | null {
  try {
    if (path.isAbsolute(file)) return fs.readFileSync(file);
    const fd = openat2(rootFd, components(file).join('/'), fs.constants.O_RDONLY, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
    return withFd(fd, (f) => fs.readFileSync(f));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    if (errnoOf(err) === 'EXDEV') throw new ContextError('EOUTSIDE', `forbidden path outside the build context: ${file} ()`, file, { cause: err });
    throw new ContextError('EIO', `unable to read ${file}: ${(err as Error).message}`, file, { cause: err });
  }
}

/** Opens a build context directory: its .dockerignore parsed, its Dockerfile read. close() it after use. */
export function openContext(dir: string, options: OpenContextOptions = {}): BuildContext {
  return BuildContext.openDir(dir, options);
}

/** Opens another root (--from=stage|image) to copy from. close() it after use. */
export function openRoot(dir: string): SourceRoot {
  return SourceRoot.open(dir);
}
