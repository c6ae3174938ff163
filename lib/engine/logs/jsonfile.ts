// Docker's json-file log driver: one JSON object a line, {"log","stream","time"}
// with time in RFC3339Nano, rotated by size (max-size) into at most max-file
// files (<id>-json.log, .1, .2, ... oldest last), as moby's loggerutils does.
//
// Writes are synchronous: each chunk read from the container's pipe is on disk
// (in the page cache) before the next read is issued, so a container writing
// gigabytes is paced by the disk and the engine holds at most one chunk per
// stream, however fast the container writes. Lines longer than 16 KiB are cut
// into partial entries, as Docker cuts at its 16 KiB buffer.
import * as fs from 'node:fs';
import { nowNano } from '../container/record';

export const MAX_LINE = 16 * 1024;

export interface RotateOptions {
  /** Bytes per file before rotation; 0 or undefined: never rotate. */
  maxSize?: number;
  /** Files kept, the live one included (default 1). */
  maxFile?: number;
}

export class JsonFileWriter {
  private fd: number;
  private size: number;
  private readonly carry: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  private readonly carryLen = { stdout: 0, stderr: 0 };
  private closed = false;

  constructor(
    readonly file: string,
    private readonly opts: RotateOptions = {},
  ) {
    this.fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o640);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Takes raw output of one stream: whole lines become entries, a partial line waits for its end. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl + 1);
      if (this.carryLen[stream] > 0) {
        this.carry[stream].push(piece);
        this.emit(stream, Buffer.concat(this.carry[stream]));
        this.carry[stream] = [];
        this.carryLen[stream] = 0;
      } else this.emit(stream, piece);
      start = nl + 1;
    }
    let rest = chunk.subarray(start);
    while (rest.length > 0) {
      const room = MAX_LINE - this.carryLen[stream];
      const take = rest.subarray(0, room);
      this.carry[stream].push(Buffer.from(take));
      this.carryLen[stream] += take.length;
      rest = rest.subarray(take.length);
      if (this.carryLen[stream] >= MAX_LINE) this.flush(stream);
    }
  }

  /** Writes what is left of a stream's partial line (at its end, or when the buffer is full). */
  flush(stream: 'stdout' | 'stderr'): void {
    if (this.carryLen[stream] === 0) return;
    this.emit(stream, Buffer.concat(this.carry[stream]));
    this.carry[stream] = [];
    this.carryLen[stream] = 0;
  }

  private emit(stream: 'stdout' | 'stderr', log: Buffer): void {
    if (this.closed) return;
    const line = Buffer.from(`${JSON.stringify({ log: log.toString('utf8'), stream, time: nowNano() })}\n`);
    const max = this.opts.maxSize ?? 0;
    if (max > 0 && this.size > 0 && this.size + line.length > max) this.rotate();
    fs.writeSync(this.fd, line);
    this.size += line.length;
  }

  private rotate(): void {
    const keep = Math.max(1, this.opts.maxFile ?? 1);
    fs.closeSync(this.fd);
    if (keep > 1) {
      // .N-1 is dropped by the rename of .N-2 over it; then each moves up one.
      for (let i = keep - 1; i >= 1; i--) {
        const from = i === 1 ? this.file : `${this.file}.${i - 1}`;
        try {
          fs.renameSync(from, `${this.file}.${i}`);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    } else {
      fs.rmSync(this.file, { force: true });
    }
    this.fd = fs.openSync(this.file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o640);
    this.size = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush('stdout');
    this.flush('stderr');
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

/** The files of a log, oldest first. */
export function logFiles(file: string, maxFile = 1): string[] {
  const out: string[] = [];
  for (let i = Math.max(1, maxFile) - 1; i >= 1; i--) if (fs.existsSync(`${file}.${i}`)) out.push(`${file}.${i}`);
  out.push(file);
  return out;
}
