// ADD: a local tar archive (plain, gzip or zstd) is unpacked at dest, as
// Docker's builder does for any source its untar recognizes (copier.go
// isArchivePath: the decompressed stream's first tar header reads); anything
// else is copied as COPY copies it. Unpacking is lib/image/unpack's unpackTar
// into the destination directory, opened inside the root with RESOLVE_IN_ROOT,
// so a hostile entry ('../x', an absolute name, a symlink planted earlier in
// the archive) stays inside that directory; names starting with .wh. stay
// plain files (whiteouts belong to image layers, not to ADD). Owners and modes
// come from the archive (Docker applies neither --chown nor --chmod to an
// unpacked archive). bzip2 and xz archives are refused: Node has no decoder
// for either, and they are rare in build contexts.
// A URL is not this file's: the builder downloads it (download.ts) and
// copies it as a file, never unpacked (Docker's rule for URLs).
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { unpackTar } from '../../image/unpack/unpack';
import { copyInto, destination, type CopyOptions, type CopyStats } from './copy';
import { DestRoot } from './dest';
import { ContextError } from './errors';
export { isRemoteSource, remoteSourceError } from './remote';
import { proc, withFd } from './fsat';
import type { SourceRoot } from './root';
import type { ResolvedSource, SourceSet } from './sources';

export type ArchiveKind = 'tar' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Go archive/tar's header check: a valid checksum (unsigned or signed sum) over a non-zero block. */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  if (block.subarray(0, 512).every((b) => b === 0)) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (!/^[0-7]+$/.test(field)) return false;
  const want = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return want === unsigned || want === signed;
}

const HEAD = 1 << 16;

/** The kind of archive a canonical file of the root is, or null for a plain file. */
export async function archiveKind(root: SourceRoot, rel: string): Promise<ArchiveKind | null> {
  const head = withFd(root.openCanonical(rel, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW), (fd) => {
    const buf = Buffer.alloc(HEAD);
    const n = fs.readSync(fd, buf, 0, HEAD, 0);
    return buf.subarray(0, n);
  });
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    let out: Buffer;
    try {
      out = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return null;
    }
    return isTarHeader(out) ? 'gzip' : null;
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) {
    const chunks: Uint8Array[] = [];
    try {
      const d = new Decompress((c) => chunks.push(c));
      d.push(head);
    } catch {
      return null;
    }
    return isTarHeader(Buffer.concat(chunks)) ? 'zstd' : null;
  }
  return isTarHeader(head) ? 'tar' : null;
}

export interface AddStats extends CopyStats {
  /** Sources unpacked as archives. */
  archives: number;
}

/** ADD of resolved local sources into the root directory at dest. Resolve URLs beforehand (isRemoteSource). */
export async function addInto(root: string, set: SourceSet, dest: string, options: CopyOptions = {}): Promise<AddStats> {
  const stats: AddStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, hardlinksCopiedAsFiles: 0, archives: 0 };
  // Several sources: dest is a directory for each of them, as for COPY.
  const eachDest = set.sources.length > 1 && !dest.endsWith('/') ? `${dest}/` : dest;
  for (const src of set.sources) {
    const kind = src.type === 'file' ? await archiveKind(set.root, src.rel) : null;
    if (kind === 'bzip2' || kind === 'xz') {
      throw new ContextError('EARCHIVE', `ADD failed: ${src.source}: ${kind}-compressed archives are not supported yet (a plain, gzip or zstd tar is)`, src.source);
    }
    if (kind === null) {
      const s = await copyInto(root, { root: set.root, sources: [src] }, eachDest, options);
      for (const k of ['files', 'dirs', 'symlinks', 'bytes', 'hardlinksCopiedAsFiles'] as const) stats[k] += s[k];
      continue;
    }
    await unpackArchive(root, set.root, src, eachDest, options.workdir ?? '/');
    stats.archives++;
  }
  return stats;
}

async function unpackArchive(root: string, from: SourceRoot, src: ResolvedSource, dest: string, workdir: string): Promise<void> {
  const { comps } = destination(dest, workdir, true);
  const out = new DestRoot(root);
  try {
    const dirFd = out.mkdirs(comps, 0o755, { uid: 0, gid: 0 });
    const fileFd = from.openCanonical(src.rel, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      // The archive is read through its confined fd, unpacked into the directory's fd.
      const stream = fs.createReadStream('', { fd: fileFd, autoClose: false });
      await unpackTar(stream, proc(dirFd), undefined, { whiteouts: false });
    } catch (err) {
      throw new ContextError('EARCHIVE', `ADD failed: ${src.source}: ${(err as Error).message}`, src.source, { cause: err });
    } finally {
      fs.closeSync(fileFd);
      fs.closeSync(dirFd);
    }
  } finally {
    out.close();
  }
}
