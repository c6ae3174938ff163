// Timing loops shared by the benchmarks: one operation N times in sequence, or
// N operations K at a time, after an untimed warm-up; and a child_process
// helper that waits for 'exit' and turns a failure into an error with stderr.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import type { Progress } from './progress';

export type Op = () => Promise<void>;

const now = (): bigint => process.hrtime.bigint();
const msSince = (t0: bigint): number => Number(now() - t0) / 1e6;

/** Runs op `warmup` times untimed, then `n` times, and returns each run's milliseconds. */
export async function timeSequential(op: Op, n: number, warmup: number, progress: Progress): Promise<number[]> {
  for (let i = 1; i <= warmup; i++) {
    await op();
    progress.warm(i);
  }
  const samples: number[] = [];
  for (let i = 1; i <= n; i++) {
    const t0 = now();
    await op();
    samples.push(msSince(t0));
    progress.tick(i);
  }
  return samples;
}

/**
 * Runs `n` operations with `concurrency` in flight at any time (after `warmup`
 * of them the same way, untimed); returns each operation's latency and the wall
 * time of the whole timed batch. The first failure stops new starts and is thrown
 * once the operations in flight have ended, so nothing is left running.
 */
export async function timeConcurrent(
  op: Op,
  n: number,
  warmup: number,
  concurrency: number,
  progress: Progress,
): Promise<{ samples: number[]; wallMs: number }> {
  const batch = async (count: number, onDone: (i: number) => void): Promise<number[]> => {
    const samples: number[] = [];
    let started = 0;
    let failure: unknown = null;
    const worker = async () => {
      while (started < count && failure === null) {
        started++;
        const t0 = now();
        try {
          await op();
        } catch (err) {
          if (failure === null) failure = err;
          return;
        }
        samples.push(msSince(t0));
        onDone(samples.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(count, 1)) }, worker));
    if (failure !== null) throw failure;
    return samples;
  };
  if (warmup > 0) await batch(warmup, (i) => progress.warm(i));
  const t0 = now();
  const samples = await batch(n, (i) => progress.tick(i));
  return { samples, wallMs: msSince(t0) };
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** First lines of a command's stderr, for a failure reason. */
export function firstLines(text: string, lines = 3, max = 300): string {
  const t = text.trim().split('\n').slice(0, lines).join(' | ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * child_process.spawn of argv[0], resolved on 'exit' with code 0. With
 * captureStderr the child's stderr is piped (and awaited) so a failure can say
 * why; timed runs use 'ignore' for all three, as the floor does.
 */
export function run(argv: readonly string[], opts: { captureStderr?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = cp.spawn(argv[0], argv.slice(1), {
      stdio: opts.captureStderr ? ['ignore', 'ignore', 'pipe'] : 'ignore',
      env: opts.env ?? process.env,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (code === 0) resolve();
      else {
        const what = signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(new CommandError(`${argv.join(' ')}: ${what}${stderr ? `: ${firstLines(stderr)}` : ''}`, code, signal, stderr));
      }
    };
    // With a piped stderr wait for it to close too, so its text is complete.
    if (opts.captureStderr) child.once('close', done);
    else child.once('exit', done);
  });
}

// Cleanups that must run even when the run is interrupted (SIGINT, SIGTERM):
// temporary directories, bundles and cgroups. Each is synchronous and idempotent.
const cleanups = new Set<() => void>();

/** Registers fn to run at cleanup; returns a function that runs it now and unregisters it. */
export function onCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => {
    if (cleanups.delete(fn)) fn();
  };
}

/** Runs every registered cleanup, newest first; errors are reported, not thrown. */
export function runCleanups(report: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): void {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch (err) {
      report(`cleanup: ${(err as Error).message}`);
    }
  }
}

/** Sleeps synchronously (cleanup after a signal cannot wait on the event loop). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * rmdir of a cgroup, retrying while it is still populated (EBUSY): a group
 * empties a moment after its last process is reaped.
 */
export function rmdirCgroupSync(dir: string, timeoutMs = 2000): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) throw err;
      sleepSync(5);
    }
  }
}

/** The same without blocking the event loop (used between timed runs). */
export async function rmdirCgroup(dir: string, timeoutMs = 2000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let retries = 0; ; retries++) {
    try {
      fs.rmdirSync(dir);
      return retries;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return retries;
      if (code !== 'EBUSY' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, retries < 10 ? 0 : 2));
    }
  }
}

/** Child processes of this process that are still there (zombies included). */
export function livingChildren(): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const text = fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    } catch {
      // a thread that ended
    }
  }
  return out;
}
