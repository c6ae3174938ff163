// Docker's stream framing (pkg/stdcopy): without a TTY, stdout and stderr share
// one connection, each chunk behind an 8-byte header: the stream (0 stdin,
// 1 stdout, 2 stderr), three zero bytes, the payload's length as a big-endian
// uint32. With a TTY the bytes go raw. The writables here keep backpressure:
// a write completes when the connection has taken it.
import { Writable } from 'node:stream';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

const MAX_FRAME = 0xffffffff;

export function frame(stream: 0 | 1 | 2, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME) throw new RangeError(`frame payload of ${payload.length} bytes is over the 4 GiB a header can say`);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Decodes a multiplexed stream (for tests and clients): the frames in order, the rest kept. */
export function demultiplex(buf: Buffer): { frames: Array<{ stream: number; data: Buffer }>; rest: Buffer } {
  const frames: Array<{ stream: number; data: Buffer }> = [];
  let at = 0;
  while (buf.length - at >= 8) {
    const len = buf.readUInt32BE(at + 4);
    if (buf.length - at - 8 < len) break;
    frames.push({ stream: buf[at]!, data: buf.subarray(at + 8, at + 8 + len) });
    at += 8 + len;
  }
  return { frames, rest: buf.subarray(at) };
}

export interface Sink {
  write(b: Buffer): boolean;
  once(ev: 'drain' | 'close', fn: () => void): unknown;
  destroyed: boolean;
}

/** A writable whose chunks go to `out`, framed for `stream` when multiplexed, raw otherwise. */
export function streamWriter(out: Sink, stream: 1 | 2, multiplexed: boolean): Writable {
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      if (out.destroyed) return cb();
      const data = multiplexed ? frame(stream, chunk) : chunk;
      if (out.write(data)) return cb();
      let done = false;
      const next = () => {
        if (done) return;
        done = true;
        cb();
      };
      out.once('drain', next);
      out.once('close', next);
    },
  });
}
