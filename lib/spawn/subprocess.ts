// The handle spawn() returns: a process with streams, kill(), ref()/unref(),
// that is also a promise of its result (execa's model). The result and the
// error share one shape. Everything the handle does on its own (collecting,
// timers, writing input) reports through that promise: no listener of ours
// throws, and no stream of ours emits an 'error' nobody handles.
import { constants as bufferConstants } from 'node:buffer';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import * as tty from 'node:tty';
import type { Cgroup } from '../cgroup/cgroup';
import type { UsageCounters } from '../cgroup/stats';
import { BulkheadError } from '../errors';
import type { NativeRusage, ProcessWatch } from '../native/types';
import type { Encoding } from './options';

/** What the process's own cgroup counted (spawn with `limits`); null where the kernel has no such file. */
export type CgroupUsage = Omit<UsageCounters, 'oomKills'>;

/** How the process ended, as the exit watcher reports it (with the group's counters under limits). */
export interface ExitInfo {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  rusage: NativeRusage;
  usage?: CgroupUsage;
  oomKilled?: boolean;
}

export interface SpawnResult<Out extends string | Buffer = string> {
  /** The command and its arguments, joined by spaces. */
  command: string;
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  rusage: NativeRusage;
  /** Collected output of piped stdout/stderr (buffer: true), else undefined. */
  stdout?: Out;
  stderr?: Out;
  /** With all: stdout and stderr interleaved as they arrived. */
  all?: Out;
  /** Collected output by fd (stdin's entry is undefined); extra piped fds are here. */
  stdio: Array<Out | undefined>;
  /** timeout ran out and the program was killed. */
  timedOut: boolean;
  /** The AbortSignal fired and the program was killed. */
  isCanceled: boolean;
  /** A stream went past maxBuffer and the program was killed; the output is cut there. */
  isMaxBuffer: boolean;
  /** Writing to stdin failed (EPIPE: the program closed its stdin before taking all of input). */
  stdinError?: NodeJS.ErrnoException;
  /** With limits: the group's counters at exit. */
  usage?: CgroupUsage;
  /** With limits: whether the kernel's OOM killer killed a process of the group. */
  oomKilled?: boolean;
}

/** The last lines of an output for an error message. */
function tail(out: string | Buffer | undefined, lines = 20, chars = 2000): string {
  if (out === undefined || out.length === 0) return '';
  const text = (typeof out === 'string' ? out.slice(-chars * 4) : out.subarray(-chars * 4).toString('utf8')).trimEnd();
  let t = text.split('\n').slice(-lines).join('\n');
  if (t.length > chars) t = `...${t.slice(-chars)}`;
  return t;
}

/**
 * A program that did not succeed, with reject: true: a non-zero exit, a signal,
 * a timeout (code ERR_BULKHEAD_TIMEOUT), a cancel (ERR_BULKHEAD_CANCELED) or too
 * much output (ERR_BULKHEAD_MAX_BUFFER); else ERR_BULKHEAD_EXIT. It carries every
 * field of the result, and its message ends with the tail of stderr.
 */
export class ExitError<Out extends string | Buffer = string | Buffer> extends BulkheadError implements SpawnResult<Out> {
  declare command: string;
  declare pid: number;
  declare exitCode: number | null;
  declare signal: NodeJS.Signals | null;
  declare durationMs: number;
  declare rusage: NativeRusage;
  declare stdout?: Out;
  declare stderr?: Out;
  declare all?: Out;
  declare stdio: Array<Out | undefined>;
  declare timedOut: boolean;
  declare isCanceled: boolean;
  declare isMaxBuffer: boolean;
  declare stdinError?: NodeJS.ErrnoException;
  declare usage?: CgroupUsage;
  declare oomKilled?: boolean;
  /** The short first line, without the output's tail. */
  readonly shortMessage: string;
  constructor(result: SpawnResult<Out>, how: { timeout?: number; maxBuffer?: number; maxBufferStream?: string; reason?: unknown; tty?: boolean }) {
    const [what, code] = result.timedOut
      ? [`timed out after ${how.timeout} milliseconds`, 'ERR_BULKHEAD_TIMEOUT']
      : result.isCanceled
        ? ['was canceled', 'ERR_BULKHEAD_CANCELED']
        : result.isMaxBuffer
          ? [`output (${how.maxBufferStream}) was larger than maxBuffer (${how.maxBuffer})`, 'ERR_BULKHEAD_MAX_BUFFER']
          : result.oomKilled
            ? ['was OOM-killed', 'ERR_BULKHEAD_EXIT']
            : result.signal
              ? [`was killed by ${result.signal}`, 'ERR_BULKHEAD_EXIT']
              : [`failed with exit code ${result.exitCode}`, 'ERR_BULKHEAD_EXIT'];
    const short = `Command ${what}: ${result.command}`;
    // With a tty the program's stderr is the terminal: its tail is in stdout.
    const t = tail(how.tty ? result.stdout : result.stderr);
    super(t ? `${short}\n\n${t}` : short, { code, ...(result.isCanceled && how.reason !== undefined ? { cause: how.reason } : {}) });
    this.name = 'ExitError';
    this.shortMessage = short;
    Object.assign(this, result);
  }
}

export interface RunOptions {
  buffer: boolean;
  reject: boolean;
  encoding?: Encoding;
  maxBuffer?: number;
  all?: boolean;
  input?: string | Uint8Array;
  timeout?: number;
  killSignal?: NodeJS.Signals | number;
  forceKillAfterDelay?: number | false;
  signal?: AbortSignal;
  resize?: (rows: number, cols: number) => void;
}

/** Collected output of one stream (or of stdout and stderr together), cut at a limit. */
class Sink {
  private readonly parts: Array<string | Buffer> = [];
  length = 0;
  full = false;
  constructor(private readonly limit: number, private readonly asBuffer: boolean) {}
  /** Adds a piece; false when it went past the limit (the part that fits is kept). */
  add(piece: string | Buffer): boolean {
    if (this.full) return false;
    if (this.length + piece.length > this.limit) {
      const room = this.limit - this.length;
      if (room > 0) this.parts.push(typeof piece === 'string' ? piece.slice(0, room) : piece.subarray(0, room));
      this.length = this.limit;
      this.full = true;
      return false;
    }
    this.parts.push(piece);
    this.length += piece.length;
    return true;
  }
  value(): string | Buffer {
    return this.asBuffer ? Buffer.concat(this.parts as Buffer[]) : (this.parts as string[]).join('');
  }
}

export class Subprocess<Out extends string | Buffer = string> extends EventEmitter implements PromiseLike<SpawnResult<Out>> {
  /** The container's own group (every container has one where a v2 hierarchy is mounted), live (stats(), watch(), freeze(), kill()); removed after the exit. */
  cgroup: Cgroup | null = null;
  /** With tty: the pty master, one duplex stream for the terminal's input and output. */
  readonly pty: net.Socket | null = null;
  readonly stdin: net.Socket | null;
  readonly stdout: net.Socket | null;
  readonly stderr: net.Socket | null;
  /** Every fd as child_process's subprocess.stdio: 0 writable, the others readable. */
  readonly stdio: Array<net.Socket | null>;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  timedOut = false;
  isCanceled = false;
  isMaxBuffer = false;
  private maxBufferStream: string | undefined;
  private stdinError: NodeJS.ErrnoException | undefined;
  private outputError: Error | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly result: Promise<SpawnResult<Out>>;

  constructor(
    /** undefined when the process never started (the promise rejects with why). */
    readonly pid: number | undefined,
    readonly command: string,
    private readonly watch: ProcessWatch | null,
    pipes: Array<number | null>,
    exited: Promise<ExitInfo>,
    started: number,
    private readonly opts: RunOptions,
    ptyMaster: number | null = null,
  ) {
    super();
    const sock = (fd: number | null, readable: boolean) =>
      fd === null ? null : new net.Socket({ fd, readable, writable: !readable });
    if (ptyMaster !== null) {
      // libuv opens a pty master as a TTY handle; tty.ReadStream wraps it, and the handle writes too.
      this.pty = new tty.ReadStream(ptyMaster);
      (this.pty as net.Socket & { writable: boolean }).writable = true;
      // Reading the master after the last slave fd closes fails with EIO (pty(7)): that is the end.
      this.pty.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EIO') this.streamFailed(1, e);
      });
    }
    this.stdio = pipes.map((fd, i) => (i < 3 && ptyMaster !== null ? null : sock(fd, i !== 0)));
    if (this.pty) [this.stdio[0], this.stdio[1]] = [this.pty, this.pty];
    this.stdin = this.stdio[0] ?? null;
    this.stdout = this.stdio[1] ?? null;
    this.stderr = this.stdio[2] ?? null;
    if (this.stdin && this.stdin !== this.pty) {
      // EPIPE/ECONNRESET when the program closed its stdin: the result says so, node does not crash.
      this.stdin.on('error', (e: NodeJS.ErrnoException) => this.streamFailed(0, e));
    }
    this.stdio.forEach((s, i) => {
      if (s && i > 0 && s !== this.pty) s.on('error', (e: NodeJS.ErrnoException) => this.streamFailed(i, e));
    });

    const encoding = opts.encoding ?? 'utf8';
    const asBuffer = encoding === 'buffer';
    const limit = opts.maxBuffer ?? 100_000_000;
    const allSink = opts.buffer && opts.all ? new Sink(Math.min(2 * limit, asBuffer ? bufferConstants.MAX_LENGTH : bufferConstants.MAX_STRING_LENGTH), asBuffer) : undefined;
    const closed = (s: net.Socket): Promise<void> => (s.closed ? Promise.resolve() : new Promise((r) => s.once('close', () => r())));
    const readable = this.stdio.map((s, i) => (i > 0 ? s : null));
    const collect = (s: net.Socket | null, i: number): Promise<Out | undefined> => {
      if (!s || !opts.buffer) return Promise.resolve(undefined);
      const name = i === 1 ? 'stdout' : i === 2 ? 'stderr' : `stdio[${i}]`;
      const sink = new Sink(limit, asBuffer);
      const decoder = asBuffer ? undefined : new StringDecoder(encoding as BufferEncoding);
      const take = (piece: string | Buffer) => {
        if (piece.length === 0) return;
        if (!sink.add(piece)) this.overflow(name);
        if (allSink && (i === 1 || i === 2) && !allSink.add(piece)) this.overflow('all');
      };
      s.on('data', (c: Buffer) => {
        try {
          if (!sink.full) take(decoder ? decoder.write(c) : c);
        } catch (e) {
          this.streamFailed(i, e as Error);
        }
      });
      return closed(s).then(() => {
        if (decoder && !sink.full) take(decoder.end());
        return sink.value() as Out;
      });
    };
    const outputs = Promise.all(readable.map((s, i) => collect(s, i)));

    this.result = Promise.all([exited, outputs]).then(([e, stdio]) => {
      if (this.outputError) throw this.outputError;
      const result: SpawnResult<Out> = {
        command: this.command,
        pid: this.pid as number,
        exitCode: e.exitCode,
        signal: e.signal,
        durationMs: Number(process.hrtime.bigint() - BigInt(started)) / 1e6,
        rusage: e.rusage,
        stdout: stdio[1],
        stderr: stdio[2],
        ...(allSink ? { all: allSink.value() as Out } : {}),
        stdio,
        timedOut: this.timedOut,
        isCanceled: this.isCanceled,
        isMaxBuffer: this.isMaxBuffer,
        ...(this.stdinError ? { stdinError: this.stdinError } : {}),
        ...(e.usage ? { usage: e.usage, oomKilled: e.oomKilled ?? false } : {}),
      };
      const failed = e.exitCode !== 0 || e.signal !== null || this.timedOut || this.isCanceled || this.isMaxBuffer;
      if (opts.reject && failed) {
        throw new ExitError<Out>(result, {
          timeout: opts.timeout,
          maxBuffer: limit,
          maxBufferStream: this.maxBufferStream,
          reason: opts.signal?.reason,
          tty: ptyMaster !== null,
        });
      }
      return result;
    });
    // An unobserved rejection is the caller's to see through then(); the handle itself must not crash node.
    this.result.catch(() => undefined);

    if (pid === undefined) {
      // As child_process: 'error' when the process could not be spawned (only to listeners: the promise rejects anyway).
      exited.catch((err) => this.emitError(err));
      return;
    }
    process.nextTick(() => this.emit('spawn'));
    if (opts.input !== undefined && this.stdin) this.stdin.end(opts.input);
    if (opts.timeout) {
      this.timers.push(setTimeout(() => {
        this.timedOut = true;
        this.terminate();
      }, opts.timeout).unref());
    }
    const onAbort = () => {
      this.isCanceled = true;
      this.terminate();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    exited.then(
      (e) => {
        for (const t of this.timers) clearTimeout(t);
        opts.signal?.removeEventListener('abort', onAbort);
        // Nobody reads what is written after exit: close our end of stdin, as child_process does.
        if (ptyMaster === null) this.stdin?.destroy();
        // Streams nobody reads would hold their fds and, with buffer: false, the handle's
        // 'close' forever: they flow to their end, as child_process's flushStdio does at exit.
        for (const s of this.stdio) if (s && s !== this.stdin && s.readableFlowing === null) s.resume();
        if (this.pty && this.pty.readableFlowing === null) this.pty.resume();
        this.exitCode = e.exitCode;
        this.signalCode = e.signal;
        this.emit('exit', e.exitCode, e.signal);
      },
      () => {
        // The watcher's report failed (a group that would not go): no timer may outlive it.
        for (const t of this.timers) clearTimeout(t);
        opts.signal?.removeEventListener('abort', onAbort);
      },
    );
    // 'close' as child_process: after the exit and after every stdio stream closed.
    const streams = [...new Set([...this.stdio, this.pty])].filter((s): s is net.Socket => s !== null);
    Promise.all([exited, ...streams.map(closed)]).then(
      ([e]) => this.emit('close', e.exitCode, e.signal),
      () => undefined,
    );
  }

  /** Sends a signal through the pidfd: never a recycled pid. false once the process is gone. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const num = typeof signal === 'number' ? signal : Object.hasOwn(os.constants.signals, signal) ? os.constants.signals[signal] : undefined;
    if (num === undefined || !Number.isInteger(num) || num < 0 || num > 64) {
      throw Object.assign(new TypeError(`kill: unknown signal ${JSON.stringify(signal)}`), { code: 'ERR_UNKNOWN_SIGNAL' });
    }
    if (this.watch === null || this.exitCode !== null || this.signalCode !== null) return false;
    try {
      this.watch.kill(num);
      return true;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ESRCH') return false;
      throw new BulkheadError(`kill: pidfd_send_signal(${signal}) for pid ${this.pid} failed: ${e.code ?? e.message}`, {
        code: e.code ?? 'EUNKNOWN',
        ...(e.errno !== undefined ? { errno: e.errno } : {}),
        syscall: 'pidfd_send_signal',
        cause: e,
      });
    }
  }

  /** Keep node running until the process exits (the default). */
  ref(): this {
    this.watch?.ref();
    for (const s of new Set([...this.stdio, this.pty])) s?.ref();
    return this;
  }

  /** Let node exit while the process still runs, as child_process's unref(). */
  unref(): this {
    this.watch?.unref();
    for (const s of new Set([...this.stdio, this.pty])) s?.unref();
    return this;
  }

  /** Tells the pty (tty: true) the terminal's size; the program gets SIGWINCH. */
  resize(rows: number, cols: number): void {
    if (!this.opts.resize) throw Object.assign(new TypeError('resize: this process has no tty'), { code: 'ERR_INVALID_STATE' });
    this.opts.resize(rows, cols);
  }

  then<A = SpawnResult<Out>, B = never>(
    onfulfilled?: ((value: SpawnResult<Out>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onfulfilled, onrejected);
  }

  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<SpawnResult<Out> | B> {
    return this.result.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<SpawnResult<Out>> {
    return this.result.finally(onfinally);
  }

  /** killSignal now, SIGKILL after forceKillAfterDelay if it is still there (timeout, signal, maxBuffer). */
  private terminate(): void {
    try {
      this.kill(this.opts.killSignal ?? 'SIGTERM');
    } catch {
      // The process is gone or cannot be signalled: its exit settles the promise either way.
    }
    const delay = this.opts.forceKillAfterDelay;
    if (delay !== false && this.exitCode === null && this.signalCode === null) {
      this.timers.push(setTimeout(() => {
        try {
          this.kill('SIGKILL');
        } catch {
          // As above.
        }
      }, delay ?? 5000).unref());
    }
  }

  private overflow(stream: string): void {
    if (this.isMaxBuffer) return;
    this.isMaxBuffer = true;
    this.maxBufferStream = stream;
    this.terminate();
  }

  /** A stream's error: stdin's is reported on the result, an output stream's rejects the promise. */
  private streamFailed(fd: number, e: NodeJS.ErrnoException): void {
    if (fd === 0) {
      this.stdinError ??= e;
      return;
    }
    this.outputError ??= new BulkheadError(`spawn: reading fd ${fd} of ${this.command} failed: ${e.code ?? e.message}`, {
      code: e.code ?? 'ERR_BULKHEAD_OUTPUT',
      ...(e.syscall ? { syscall: e.syscall } : {}),
      cause: e,
    });
    this.terminate();
  }

  /** 'error' for those who listen; without a listener it would throw out of an internal callback. */
  private emitError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
