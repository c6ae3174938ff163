// What the engine holds for a running container: the process handle, its log
// writer and its attached clients. Output of the container is read chunk by
// chunk; each chunk goes to the log (synchronously) and to every attached
// client, and reading pauses while a client cannot keep up, so memory stays
// bounded by one chunk per client whatever the container writes.
import type { Readable, Writable } from 'node:stream';
import type { Subprocess } from '../../spawn/subprocess';
import type { JsonFileWriter } from '../logs/jsonfile';

export interface AttachSink {
  stdout: Writable | null;
  stderr: Writable | null;
}

export class LiveContainer {
  readonly clients = new Set<AttachSink>();
  /** Set when remove() or the engine's close() takes the container down: no restart after this exit. */
  ending = false;
  readonly startedMs = Date.now();
  private paused = new Set<Writable>();
  /**
   * Settled when every stream read from the container has ended: spawn() with
   * buffer: false settles at the exit, while output may still sit in the pipes.
   */
  readonly drained: Promise<void>;

  constructor(
    readonly sub: Subprocess,
    readonly writer: JsonFileWriter,
    tty: boolean,
  ) {
    const ends = tty
      ? [this.pump(sub.pty as Readable, 'stdout')]
      : [this.pump(sub.stdout as Readable, 'stdout'), this.pump(sub.stderr as Readable, 'stderr')];
    this.drained = Promise.all(ends).then(() => undefined);
  }

  /** Copies src to the log and the clients; the promise settles when src is done (end, close or error). */
  private pump(src: Readable | null, stream: 'stdout' | 'stderr'): Promise<void> {
    if (!src) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      src.once('end', resolve);
      src.once('close', resolve);
      src.once('error', () => resolve());
    });
    src.on('data', (chunk: Buffer) => {
      this.writer.write(stream, chunk);
      for (const c of this.clients) {
        const w = c[stream];
        if (!w || w.destroyed || w.writableEnded) continue;
        if (!w.write(chunk) && !this.paused.has(w)) {
          // Backpressure from a slow client: stop reading until it drains.
          this.paused.add(w);
          src.pause();
          const resume = () => {
            this.paused.delete(w);
            if (this.paused.size === 0) src.resume();
          };
          w.once('drain', resume);
          w.once('close', resume);
        }
      }
    });
    src.on('end', () => this.writer.flush(stream));
    return done;
  }

  detach(sink: AttachSink): void {
    this.clients.delete(sink);
    for (const w of [sink.stdout, sink.stderr]) if (w) w.emit('drain');
  }
}
