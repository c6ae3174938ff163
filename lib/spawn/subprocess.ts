// The handle spawn() returns: a process with streams, kill(), ref()/unref(),
// that is also a promise of its result (execa's model). The result and the
// error share one shape.
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as os from 'node:os';
import * as tty from 'node:tty';
import type { Cgroup } from '../cgroup/cgroup';
import type { UsageCounters } from '../cgroup/stats';
import type { NativeRusage, ProcessWatch } from '../native/types';

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

export interface SpawnResult {
  command: string;
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  rusage: NativeRusage;
  /** Collected output of piped stdout/stderr (buffer: true), else undefined. */
  stdout?: string;
  stderr?: string;
  /** With limits: the group's counters at exit. */
  usage?: CgroupUsage;
  /** With limits: whether the kernel's OOM killer killed a process of the group. */
  oomKilled?: boolean;
}

/** A program that exited non-zero or by a signal (with reject: true). */
export class ExitError extends Error implements SpawnResult {
  command!: string;
  pid!: number;
  exitCode!: number | null;
  signal!: NodeJS.Signals | null;
  durationMs!: number;
  rusage!: NativeRusage;
  stdout?: string;
  stderr?: string;
  usage?: CgroupUsage;
  oomKilled?: boolean;
  readonly code = 'ERR_BULKHEAD_EXIT';
  constructor(result: SpawnResult) {
    super(
      `Command ${result.oomKilled ? 'was OOM-killed' : result.signal ? `was killed by ${result.signal}` : `failed with exit code ${result.exitCode}`}: ${result.command}`,
    );
    this.name = 'ExitError';
    Object.assign(this, result);
  }
}

export class Subprocess extends EventEmitter implements PromiseLike<SpawnResult> {
  /** The container's own group (every container has one where a v2 hierarchy is mounted), live (stats(), watch(), freeze(), kill()); removed after the exit. */
  cgroup: Cgroup | null = null;
  /** With tty: the pty master, one duplex stream for the terminal's input and output. */
  readonly pty: net.Socket | null = null;
  readonly stdin: net.Socket | null;
  readonly stdout: net.Socket | null;
  readonly stderr: net.Socket | null;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private readonly result: Promise<SpawnResult>;

  constructor(
    /** undefined when the process never started (the promise rejects with why). */
    readonly pid: number | undefined,
    readonly command: string,
    private readonly watch: ProcessWatch | null,
    pipes: [number | null, number | null, number | null],
    exited: Promise<ExitInfo>,
    started: number,
    private readonly opts: { buffer: boolean; reject: boolean; resize?: (rows: number, cols: number) => void },
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
        if (e.code !== 'EIO') this.emit('error', e);
      });
    }
    this.stdin = ptyMaster !== null ? this.pty : sock(pipes[0], false);
    this.stdout = ptyMaster !== null ? this.pty : sock(pipes[1], true);
    this.stderr = ptyMaster !== null ? null : sock(pipes[2], true);
    const collect = (s: net.Socket | null): Promise<string | undefined> => {
      if (!s) return Promise.resolve(undefined);
      if (!opts.buffer) return new Promise((r) => s.once('close', () => r(undefined)));
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      return new Promise((r) => s.once('close', () => r(Buffer.concat(chunks).toString('utf8'))));
    };
    const outputs = Promise.all([collect(this.stdout), collect(this.stderr)]);
    this.result = Promise.all([exited, outputs]).then(([e, [stdout, stderr]]) => {
      const result: SpawnResult = {
        command: this.command,
        pid: this.pid as number,
        exitCode: e.exitCode,
        signal: e.signal,
        durationMs: Number(process.hrtime.bigint() - BigInt(started)) / 1e6,
        rusage: e.rusage,
        stdout,
        stderr,
        ...(e.usage ? { usage: e.usage, oomKilled: e.oomKilled ?? false } : {}),
      };
      if (opts.reject && (e.exitCode !== 0 || e.signal !== null)) throw new ExitError(result);
      return result;
    });
    exited.then(
      (e) => {
        // Nobody reads what is written after exit: close our end of stdin, as child_process does.
        if (ptyMaster === null) this.stdin?.destroy();
        this.exitCode = e.exitCode;
        this.signalCode = e.signal;
        this.emit('exit', e.exitCode, e.signal);
      },
      () => undefined,
    );
    // An unobserved rejection is the caller's to see through then(); the handle itself must not crash node.
    this.result.catch(() => undefined);
  }

  /** Sends a signal through the pidfd: never a recycled pid. false once the process is gone. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const num = typeof signal === 'number' ? signal : os.constants.signals[signal];
    if (num === undefined) throw new TypeError(`kill: unknown signal ${JSON.stringify(signal)}`);
    if (this.watch === null || this.exitCode !== null || this.signalCode !== null) return false;
    try {
      this.watch.kill(num);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  }

  /** Keep node running until the process exits (the default). */
  ref(): this {
    this.watch?.ref();
    for (const s of new Set([this.stdin, this.stdout, this.stderr])) s?.ref();
    return this;
  }

  /** Let node exit while the process still runs, as child_process's unref(). */
  unref(): this {
    this.watch?.unref();
    for (const s of new Set([this.stdin, this.stdout, this.stderr])) s?.unref();
    return this;
  }

  /** Tells the pty (tty: true) the terminal's size; the program gets SIGWINCH. */
  resize(rows: number, cols: number): void {
    if (!this.opts.resize) throw new TypeError('resize: this process has no tty');
    this.opts.resize(rows, cols);
  }

  then<A = SpawnResult, B = never>(
    onfulfilled?: ((value: SpawnResult) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onfulfilled, onrejected);
  }

  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<SpawnResult | B> {
    return this.result.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<SpawnResult> {
    return this.result.finally(onfinally);
  }
}
