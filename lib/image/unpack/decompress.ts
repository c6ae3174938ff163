// Layer streams: gzip (zlib), zstd (fzstd, a pure-JS decoder: native zstd
// bindings download prebuilt binaries at install, which fails offline) or plain
// tar, told apart by their magic bytes (RFC 1952 1f 8b; RFC 8878 28 b5 2f fd)
// rather than by the media type, which registries and archives get wrong.
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';

export type Compression = 'gzip' | 'zstd' | 'none';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

class ZstdStream extends Transform {
  private readonly d = new Decompress((chunk) => {
    this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.d.push(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.d.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/**
 * A transform that sniffs the first bytes and decompresses accordingly. Input
 * that ends early is an error (zlib's "unexpected end of file"; fzstd's own).
 */
export class AutoDecompress extends Transform {
  private inner: Transform | null = null;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  compression: Compression | null = null;

  private start(): void {
    const head = Buffer.concat(this.pending);
    this.compression = detectCompression(head);
    // Output in 128 KiB pieces (zlib's default is 16 KiB): fewer chunks through the tar parser and the writes.
    this.inner = this.compression === 'gzip' ? zlib.createGunzip({ chunkSize: 128 << 10 }) : this.compression === 'zstd' ? new ZstdStream() : new Transform({ transform: (c, _e, cb) => cb(null, c) });
    this.inner.on('data', (c: Buffer) => this.push(c));
    this.inner.on('error', (e) => this.destroy(e));
    this.pending = [];
    this.inner.write(head);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.inner) {
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
      if (this.pendingLen < 4) return cb();
      this.start();
      return cb();
    }
    // Respect the inner stream's backpressure.
    if (this.inner.write(chunk)) cb();
    else this.inner.once('drain', () => cb());
  }

  override _flush(cb: TransformCallback): void {
    if (!this.inner) this.start();
    const inner = this.inner as Transform;
    inner.once('end', () => cb());
    inner.once('error', (e) => cb(e));
    inner.end();
  }
}
