// The build context of the daemon's POST /build: a tar (plain, or gzip or zstd,
// told apart by magic bytes as Docker's DecompressStream does) unpacked into an
// empty directory, safely against a hostile client:
//  - a name or hard link target that climbs out with '..' is refused, as
//    Docker's untar refuses a breakout; an absolute name is taken relative to
//    the directory;
//  - every parent directory is reached with openat2(2) RESOLVE_IN_ROOT from
//    the directory, so a symlink planted by an earlier entry ('evil -> /',
//    then 'evil/etc/x') resolves inside it; entries are made as one name in
//    their directory, never following a final symlink (DestRoot);
//  - device nodes, FIFOs and sockets are skipped (a context never needs them);
//  - owners are not taken from the tar (everything is root's: COPY sets its
//    own owners), modes and mtimes are;
//  - maxBytes caps the decompressed tar stream (a gzip bomb stops there).
// On failure the directory is emptied again.
import * as fs from 'node:fs';
import * as path from 'node:path/posix';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import * as tar from 'tar-stream';
import { AutoDecompress } from '../../image/unpack/decompress';
import { native } from '../../native/load';
import { DestRoot } from './dest';
import { ContextError } from './errors';
import { AT_EMPTY_PATH, O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV, components, openat2 } from './fsat';

export interface ExtractOptions {
  /** Refuse a context whose uncompressed tar is larger (ETOOBIG). Default: no limit. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface ExtractStats {
  entries: number;
  /** Bytes of file content written. */
  bytes: number;
  /** Device nodes, FIFOs and other entries left out. */
  skipped: number;
}

const ROOT = { uid: 0, gid: 0 };

/** Refuses bzip2 and xz before AutoDecompress (gzip, zstd, plain) sees the stream. */
class Sniff extends Transform {
  private seen = false;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    if (!this.seen) {
      this.seen = true;
      if (chunk.length >= 3 && chunk.toString('latin1', 0, 3) === 'BZh') return cb(new ContextError('EARCHIVE', 'build context: bzip2-compressed contexts are not supported (send it plain, gzip or zstd)'));
      if (chunk.length >= 6 && chunk.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return cb(new ContextError('EARCHIVE', 'build context: xz-compressed contexts are not supported (send it plain, gzip or zstd)'));
    }
    cb(null, chunk);
  }
}

class Limit extends Transform {
  private n = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.n += chunk.length;
    if (this.n > this.max) return cb(new ContextError('ETOOBIG', `build context: larger than the limit of ${this.max} bytes`));
    cb(null, chunk);
  }
}

/** The components of a tar name inside the directory, or an EOUTSIDE error for one that climbs out. */
function inside(name: string, what = 'entry'): string[] {
  const out: string[] = [];
  for (const c of components(name)) {
    if (c !== '..') out.push(c);
    else if (out.pop() === undefined) throw new ContextError('EOUTSIDE', `build context: ${what} ${JSON.stringify(name)} is outside of the context directory`, name);
  }
  return out;
}

/** Unpacks a context tar stream into the empty directory dir. */
export async function extractContextTar(source: Readable, dir: string, options: ExtractOptions = {}): Promise<ExtractStats> {
  const { maxBytes, signal } = options;
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
    throw Object.assign(new RangeError(`maxBytes: expected a non-negative integer, got ${String(maxBytes)}`), { code: 'ERR_INVALID_ARG_VALUE', option: 'maxBytes' });
  }
  if (fs.readdirSync(dir).length > 0) throw new ContextError('EDEST', `build context: ${dir} is not empty`, dir);
  const out = new DestRoot(dir);
  const stats: ExtractStats = { entries: 0, bytes: 0, skipped: 0 };
  const dirTimes: Array<{ comps: string[]; mtime: Date }> = [];
  const extract = tar.extract();
  let pipeErr: Error | undefined;
  const stages: NodeJS.ReadWriteStream[] = [new Sniff(), new AutoDecompress()];
  if (maxBytes !== undefined) stages.push(new Limit(maxBytes));
  const done = new Promise<void>((resolve) => {
    pipeline([source, ...stages, extract as unknown as NodeJS.WritableStream], (err) => {
      if (err) pipeErr = err;
      resolve();
    });
  });
  try {
    for await (const entry of extract) {
      signal?.throwIfAborted();
      await writeEntry(out, entry.header, entry as unknown as AsyncIterable<Buffer>, stats, dirTimes);
      stats.entries++;
    }
    await done;
    if (pipeErr) throw pipeErr;
    for (const { comps, mtime } of dirTimes.reverse()) out.dirTime(comps, mtime);
  } catch (err) {
    source.destroy();
    extract.destroy();
    await done;
    for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    if (err instanceof ContextError || (err as Error).name === 'AbortError') throw err;
    if (pipeErr instanceof ContextError) throw pipeErr;
    throw new ContextError('EARCHIVE', `build context: ${(err as Error).message}`, undefined, { cause: err });
  } finally {
    out.close();
  }
  return stats;
}

async function writeEntry(out: DestRoot, h: tar.Header, data: AsyncIterable<Buffer>, stats: ExtractStats, dirTimes: Array<{ comps: string[]; mtime: Date }>): Promise<void> {
  const drain = async () => {
    for await (const _ of data) void _;
  };
  const comps = inside(h.name);
  const mtime = h.mtime ?? new Date(0);
  const mode = (h.mode ?? 0o644) & 0o7777;
  if (comps.length === 0) {
    // The directory itself ('./'): its mode and time, nothing else.
    await drain();
    if (h.type === 'directory') dirTimes.push({ comps, mtime });
    return;
  }
  const name = comps[comps.length - 1] as string;
  const supported = ['directory', 'file', 'contiguous-file', 'symlink', 'link'];
  if (!supported.includes(h.type ?? 'file')) {
    await drain();
    stats.skipped++;
    return;
  }
  const dirFd = out.mkdirs(comps.slice(0, -1), 0o755, ROOT);
  try {
    switch (h.type) {
      case 'directory':
        await drain();
        out.mkdir(dirFd, name, mode, ROOT);
        dirTimes.push({ comps, mtime });
        return;
      case 'symlink':
        await drain();
        out.symlink(dirFd, name, h.linkname ?? '', ROOT, mtime);
        return;
      case 'link': {
        await drain();
        const target = inside(h.linkname ?? '', 'hard link target');
        const src = openat2(out.fd, target.join('/'), O_PATH | fs.constants.O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
        try {
          if (!fs.fstatSync(src).isFile()) throw new ContextError('EARCHIVE', `build context: hard link ${JSON.stringify(h.name)} to ${JSON.stringify(h.linkname)}, which is not a regular file`, h.name);
          out.clear(dirFd, name, false);
          native().linkat(src, '', dirFd, name, AT_EMPTY_PATH);
        } finally {
          fs.closeSync(src);
        }
        return;
      }
      default: {
        const fd = out.createFile(dirFd, name);
        try {
          for await (const chunk of data) {
            for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
            stats.bytes += chunk.length;
          }
          fs.fchmodSync(fd, mode);
          fs.futimesSync(fd, mtime, mtime);
        } finally {
          fs.closeSync(fd);
        }
      }
    }
  } finally {
    fs.closeSync(dirFd);
  }
}
