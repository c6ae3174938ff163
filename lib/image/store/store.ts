// The content store: blobs by sha256 (streamed to a temp file, hashed while
// written, fsynced, renamed into place only when the digest matches) and a small
// index of images and tags. Several processes may use one store at once: a blob
// is written under its own lock, so two pulls never download it twice.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../native/load';
import { ImageError } from '../errors';
import { fsyncDir, writeFileAtomic } from '../../util/atomic';
import { Layout, hexOf } from './layout';
import { tryLock, withLock } from './lock';

export interface LayerRecord {
  /** Digest of the blob as stored (compressed). */
  digest: string;
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
  size: number;
  mediaType: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageRecord {
  /** The config digest, as `docker images --no-trunc` shows IMAGE ID. */
  id: string;
  manifest: string;
  manifestMediaType: string;
  layers: LayerRecord[];
  platform: Platform;
  repoDigests: string[];
  created?: string;
  /** Sum of the layer blobs. */
  size: number;
  added: string;
}

export interface IndexData {
  version: 1;
  images: Record<string, ImageRecord>;
  /** Normalised reference (domain/path:tag) -> image id. */
  tags: Record<string, string>;
}

export type ByteSource = AsyncIterable<Buffer | Uint8Array>;

export interface PutOptions {
  signal?: AbortSignal;
  /** Bytes written so far, for progress. */
  onBytes?: (n: number) => void;
  /** Named in errors. */
  image?: string;
  /**
   * Each chunk as it is written, for a consumer that starts on the bytes before
   * they are verified (an unpack into a temp directory, committed only after the
   * digest matched); awaited, so a slow consumer slows the download.
   */
  tee?: (chunk: Buffer) => void | Promise<void>;
}

const EMPTY_INDEX = (): IndexData => ({ version: 1, images: {}, tags: {} });

export class Store {
  readonly layout: Layout;

  constructor(readonly root: string) {
    this.layout = new Layout(root);
    for (const d of [this.layout.blobs, this.layout.layers, this.layout.links, this.layout.locks, this.layout.tmp, this.layout.containers]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    }
    this.check();
  }

  /**
   * The fsck on open: partial blobs and half-unpacked layers in tmp/ whose writer
   * is gone (its flock is free) are removed, and so are index temp files. Blobs
   * in blobs/ are complete by construction (renamed in only after verification).
   */
  check(): void {
    this.underTmpLock(true, () => this.sweepTmp());
    const idx = tryLock(this.layout.indexLock);
    if (idx) {
      try {
        for (const name of fs.readdirSync(this.layout.image)) if (name.startsWith('index.json.tmp-')) fs.rmSync(path.join(this.layout.image, name), { force: true });
      } finally {
        idx.release();
      }
    }
  }

  private sweepTmp(): void {
    for (const name of fs.readdirSync(this.layout.tmp)) {
      const p = path.join(this.layout.tmp, name);
      let fd: number;
      try {
        fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      } catch {
        fs.rmSync(p, { recursive: true, force: true });
        continue;
      }
      try {
        if (native().flock(fd, true)) fs.rmSync(p, { recursive: true, force: true });
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  /**
   * tmp/'s entries are made and flocked under a shared hold of locks/tmp.lock,
   * and the check on open sweeps under an exclusive one: otherwise a check in
   * another process could find an entry between its creation and its creator's
   * flock(2), take the free lock for a dead writer's, and remove it under the
   * live one (seen as a pull failing with ENOENT when three start at once).
   */
  private underTmpLock<T>(exclusive: boolean, fn: () => T): T {
    const fd = fs.openSync(path.join(this.layout.locks, 'tmp.lock'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    try {
      native().flock(fd, exclusive, true);
      return fn();
    } finally {
      // close(2) drops the flock.
      fs.closeSync(fd);
    }
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.layout.blob(digest));
  }

  blobSize(digest: string): number {
    return fs.statSync(this.layout.blob(digest)).size;
  }

  readBlob(digest: string): Buffer {
    try {
      return fs.readFileSync(this.layout.blob(digest));
    } catch (err) {
      throw new ImageError('ENOTFOUND', `blob ${digest} is not in the store`, undefined, digest, { cause: err });
    }
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.readBlob(digest).toString('utf8')) as T;
  }

  blobStream(digest: string): fs.ReadStream {
    return fs.createReadStream(this.layout.blob(digest));
  }

  /** A temp file in tmp/ held with flock so that the check on open knows its writer is alive. */
  private openTemp(kind: string): { file: string; fd: number } {
    const file = path.join(this.layout.tmp, `${kind}-${randomBytes(8).toString('hex')}`);
    return this.underTmpLock(false, () => {
      const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      native().flock(fd, true);
      return { file, fd };
    });
  }

  /** Streams source into a temp file, hashing it; returns the temp file for the caller to rename. */
  private async spool(source: ByteSource, opts: PutOptions): Promise<{ file: string; fd: number; digest: string; size: number }> {
    const { file, fd } = this.openTemp('blob');
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of source) {
        opts.signal?.throwIfAborted();
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        hash.update(buf);
        for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off);
        size += buf.length;
        opts.onBytes?.(size);
        if (opts.tee) await opts.tee(buf);
      }
      opts.signal?.throwIfAborted();
      // On libuv's pool: other layers download and unpack while this one reaches the disk.
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw err;
    }
    return { file, fd, digest: `sha256:${hash.digest('hex')}`, size };
  }

  private commit(t: { file: string; fd: number }, digest: string): void {
    try {
      if (!this.hasBlob(digest)) {
        fs.renameSync(t.file, this.layout.blob(digest));
        fsyncDir(this.layout.blobs);
      }
    } finally {
      fs.closeSync(t.fd);
      fs.rmSync(t.file, { force: true });
    }
  }

  /**
   * Ensures the blob `digest` is in the store, calling open() for its bytes only
   * when it is missing, under the blob's lock: a second process waits and then
   * finds it. A mismatch is an EDIGEST error and leaves nothing behind.
   */
  async ensureBlob(digest: string, open: () => Promise<ByteSource>, opts: PutOptions = {}): Promise<{ size: number; fetched: boolean }> {
    hexOf(digest);
    if (this.hasBlob(digest)) return { size: this.blobSize(digest), fetched: false };
    return withLock(this.layout.blobLock(digest), async () => {
      if (this.hasBlob(digest)) return { size: this.blobSize(digest), fetched: false };
      const t = await this.spool(await open(), opts);
      if (t.digest !== digest) {
        fs.closeSync(t.fd);
        fs.rmSync(t.file, { force: true });
        throw new ImageError('EDIGEST', `${opts.image ?? 'image'}: blob ${digest} failed verification: its content hashes to ${t.digest}`, opts.image, digest);
      }
      this.commit(t, digest);
      return { size: t.size, fetched: true };
    }, opts.signal);
  }

  /** Stores bytes whose digest is not known in advance; returns it. */
  async putBlob(source: ByteSource | Buffer, opts: PutOptions = {}): Promise<{ digest: string; size: number }> {
    const src: ByteSource = Buffer.isBuffer(source) ? (async function* () { yield source; })() : source;
    const t = await this.spool(src, opts);
    await withLock(this.layout.blobLock(t.digest), () => this.commit(t, t.digest), opts.signal);
    return { digest: t.digest, size: t.size };
  }

  removeBlob(digest: string): void {
    fs.rmSync(this.layout.blob(digest), { force: true });
  }

  /** A locked temp directory for unpacking a layer; the flock on it marks its writer alive. */
  tempDir(kind: string): { dir: string; close: () => void } {
    const dir = path.join(this.layout.tmp, `${kind}-${randomBytes(8).toString('hex')}`);
    const fd = this.underTmpLock(false, () => {
      fs.mkdirSync(dir, { mode: 0o700 });
      const d = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      native().flock(d, true);
      return d;
    });
    return { dir, close: () => fs.closeSync(fd) };
  }

  // ---- index ----

  readIndex(): IndexData {
    let text: string;
    try {
      text = fs.readFileSync(this.layout.index, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_INDEX();
      throw err;
    }
    const data = JSON.parse(text) as IndexData;
    if (data.version !== 1 || typeof data.images !== 'object' || typeof data.tags !== 'object') {
      throw new Error(`${this.layout.index}: not a bulkhead image index (version ${JSON.stringify(data.version)})`);
    }
    return data;
  }

  /**
   * Read, change and atomically replace the index under its lock; then, still
   * under the lock, `after` (rmi's collection: only once the index no longer
   * names what it deletes, so a kill in between leaves orphans, never holes).
   */
  async updateIndex<T>(fn: (data: IndexData) => T, after?: (data: IndexData, out: T) => void): Promise<T> {
    return withLock(this.layout.indexLock, () => {
      const data = this.readIndex();
      const before = JSON.stringify(data, null, 1) + '\n';
      const out = fn(data);
      const text = JSON.stringify(data, null, 1) + '\n';
      // Unchanged (a pull of an image already recorded as it is): nothing to write or sync.
      if (text !== before) writeFileAtomic(this.layout.index, text, { mode: 0o644, syncDir: true });
      after?.(data, out);
      return out;
    });
  }
}
