// COPY into a destination root with Docker's rules:
//  - a relative dest is under WORKDIR (default '/'), cleaned as filepath.Join;
//  - dest ending in '/' (or '.', '/.'), several sources, or a directory source:
//    dest is a directory; a single file to a dest that is an existing directory
//    goes inside it; otherwise dest names the file;
//  - a directory source copies its content, not itself;
//  - missing directories on the way are made 0755 and owned as the copy
//    (root:root without --chown), as Docker's MkdirAllAndChownNew;
//  - files keep their mode unless --chmod (applied to every copied file and
//    directory), everything is owned 0:0 unless --chown, mtimes are kept;
//  - hard links within the copied set are copied as separate files.
// All writes go through DestRoot (openat2 RESOLVE_IN_ROOT): confined to root
// whatever symlinks earlier layers planted.
import * as fs from 'node:fs';
import * as path from 'node:path/posix';
import { resolveChown } from './chown';
import { DestRoot, type Owner } from './dest';
import { ContextError } from './errors';
import { components } from './fsat';
import type { Entry } from './root';
import type { SourceSet } from './sources';

const YIELD_EVERY = 64;

export interface CopyOptions {
  /** --chown=user[:group]: names from the destination root's /etc/passwd and /etc/group, or numbers. */
  chown?: string;
  /** --chmod=OCTAL ('755', '0644') or a number. */
  chmod?: string | number;
  /** WORKDIR of the stage, for a relative dest. Default '/'. */
  workdir?: string;
}

export interface CopyStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Files that had other hard links in the source, copied as files of their own. */
  hardlinksCopiedAsFiles: number;
}

/** Parses --chmod: octal digits up to 07777. */
export function parseChmod(chmod: string | number): number {
  const n = typeof chmod === 'number' ? chmod : /^[0-7]{1,4}$/.test(chmod) ? parseInt(chmod, 8) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0o7777) {
    throw Object.assign(new RangeError(`chmod: invalid mode ${JSON.stringify(chmod)} (octal, such as 755 or 0644)`), { code: 'ERR_INVALID_ARG_VALUE', option: 'chmod' });
  }
  return n;
}

/** The absolute destination path and whether it must be a directory. */
export function destination(dest: string, workdir = '/', forceDir = false): { comps: string[]; dirLike: boolean } {
  if (typeof dest !== 'string' || dest === '') throw Object.assign(new TypeError(`dest: expected a non-empty path, got ${JSON.stringify(dest)}`), { code: 'ERR_INVALID_ARG_VALUE', option: 'dest' });
  const dirLike = forceDir || dest.endsWith('/') || dest === '.' || dest.endsWith('/.') || dest === '..' || dest.endsWith('/..');
  const abs = dest.startsWith('/') ? dest : path.join('/', workdir, dest);
  return { comps: components(path.normalize(abs)), dirLike };
}

/** Copies resolved sources into the root directory `root` at dest. */
export async function copyInto(root: string, set: SourceSet, dest: string, options: CopyOptions = {}): Promise<CopyStats> {
  const chmod = options.chmod === undefined ? undefined : parseChmod(options.chmod);
  const owner: Owner = options.chown ? resolveChown(root, options.chown) : { uid: 0, gid: 0 };
  const { comps, dirLike } = destination(dest, options.workdir ?? '/', set.sources.length > 1);
  const stats: CopyStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, hardlinksCopiedAsFiles: 0 };
  const out = new DestRoot(root);
  const dirTimes: Array<{ comps: string[]; mtime: Date }> = [];
  let sinceYield = 0;
  try {
    for (const src of set.sources) {
      if (src.type === 'file') {
        let dirComps: string[];
        let name: string;
        if (dirLike || comps.length === 0 || out.isDir(comps)) {
          dirComps = comps;
          name = src.name;
        } else {
          dirComps = comps.slice(0, -1);
          name = comps[comps.length - 1] as string;
        }
        const dirFd = out.mkdirs(dirComps, 0o755, owner);
        try {
          await writeEntry(out, set, src.rel, dirFd, name, src.entries[0] as Entry, owner, chmod, stats);
        } finally {
          fs.closeSync(dirFd);
        }
        continue;
      }
      // A directory: its content into dest. The fd of each destination
      // directory is kept while its entries are written (they come together,
      // depth first): one openat2 per directory, not per file.
      const dirs = new Map<string, number>();
      try {
        dirs.set('', out.mkdirs(comps, 0o755, owner));
        for (const e of src.entries) {
          if (e.rel === '') continue;
          const slash = e.rel.lastIndexOf('/');
          const parentRel = slash < 0 ? '' : e.rel.slice(0, slash);
          let dirFd = dirs.get(parentRel);
          if (dirFd === undefined) {
            dirFd = out.mkdirs([...comps, ...parentRel.split('/')], 0o755, owner);
            dirs.set(parentRel, dirFd);
          }
          await writeEntry(out, set, src.rel === '' ? e.rel : `${src.rel}/${e.rel}`, dirFd, e.rel.slice(slash + 1), e, owner, chmod, stats);
          // Let the event loop breathe between batches of small synchronous writes.
          if (++sinceYield >= YIELD_EVERY) {
            sinceYield = 0;
            await new Promise((resolve) => setImmediate(resolve));
          }
          if (e.type === 'dir' && !e.implicit) dirTimes.push({ comps: [...comps, ...e.rel.split('/')], mtime: e.mtime });
        }
      } finally {
        for (const fd of dirs.values()) fs.closeSync(fd);
      }
    }
    for (const { comps: c, mtime } of dirTimes.reverse()) out.dirTime(c, mtime);
  } catch (err) {
    if (err instanceof ContextError) throw err;
    throw new ContextError('EIO', `COPY failed: ${(err as Error).message}`, dest, { cause: err });
  } finally {
    out.close();
  }
  return stats;
}

async function writeEntry(out: DestRoot, set: SourceSet, srcRel: string, dirFd: number, name: string, e: Entry, owner: Owner, chmod: number | undefined, stats: CopyStats): Promise<void> {
  switch (e.type) {
    case 'dir':
      out.mkdir(dirFd, name, e.implicit ? 0o755 : (chmod ?? e.mode), owner);
      stats.dirs++;
      return;
    case 'symlink':
      out.symlink(dirFd, name, e.linkTarget ?? '', owner, e.mtime);
      stats.symlinks++;
      return;
    case 'file': {
      const srcFd = set.root.openCanonical(srcRel, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        stats.bytes += await out.writeFile(dirFd, name, srcFd, e.size, chmod ?? e.mode, owner, e.mtime);
      } finally {
        fs.closeSync(srcFd);
      }
      stats.files++;
      if (e.hardlinked) stats.hardlinksCopiedAsFiles++;
      return;
    }
  }
}
