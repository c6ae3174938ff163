// `bulkhead run`: one container from the command line, with docker run's exit
// statuses, signal forwarding, an optional terminal and a JSON report.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { CgroupError, ControllerUnavailableError, discoverCgroup, type Limits } from '../../cgroup/index';
import { IsolationError } from '../../errors';
import { spawn, type SpawnResult } from '../../spawn/index';
import { formatHelp, parseFlags, UsageError } from '../args';
import { CONTROLLER_FLAGS, controllerMessage } from '../../info/cgroup-flags';
import { flagError, runConfig } from './config';
import { prepareImage } from './image';
import { RUN_FLAGS } from './flags';
import { attachNetwork } from '../network/run';

export const runHelp = formatHelp(
  'bulkhead run [OPTIONS] IMAGE [COMMAND] [ARG...]\n       bulkhead run [OPTIONS] [--rootfs DIR] -- COMMAND [ARG...]',
  'Run a command in a new container: on an image (pulled when missing; its Entrypoint, Cmd, Env, WorkingDir and User apply), on --rootfs DIR, or, with neither, on the host\'s files read-only, with its own /proc, /dev, /tmp and /run.\n' +
    'Exit status: the command\'s own; 125 when bulkhead fails, 126 not executable, 127 not found, 128+N for signal N, 137 for an OOM kill.',
  RUN_FLAGS,
);

export interface RunReport {
  exitCode: number | null;
  signal: string | null;
  oomKilled: boolean;
  timedOut: boolean;
  durationMs: number;
  cpuUsec: number | null;
  memoryPeakBytes: number | null;
  pidsPeak: number | null;
}

/** docker run's exit status for a finished container. */
export function exitStatus(r: { exitCode: number | null; signal: string | null; oomKilled?: boolean }): number {
  if (r.oomKilled) return 137;
  if (r.signal) return 128 + (os.constants.signals[r.signal as NodeJS.Signals] ?? 0);
  return r.exitCode ?? 125;
}

/** Copies src to dst (pipe(): backpressure) until src ends; dst stays open. Resolves once dst took it all. */
function copy(src: Readable, dst: Writable): Promise<void> {
  return new Promise((resolve) => {
    src.pipe(dst, { end: false });
    const done = () => {
      if (dst.writableNeedDrain) dst.once('drain', resolve);
      else resolve();
    };
    src.once('end', done);
    src.once('close', done);
    // Our reader went away (`bulkhead run ... | head -1`): close the program's pipe too, so
    // that it gets SIGPIPE as it would in a shell pipeline (pipe(7)), and stop copying.
    dst.once('error', () => {
      src.unpipe(dst);
      src.destroy();
      resolve();
    });
    // A pty master reads EIO once the program's side closed (pty(7)): the end, handled by Subprocess.
    src.on('error', () => undefined);
  });
}

export async function runCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv, RUN_FLAGS, 'run', { stopAtPositional: true });
  } catch (err) {
    // docker run answers a bad flag with 125, its own failure status.
    if (err instanceof UsageError) throw new UsageError(err.message, 125);
    throw err;
  }
  const { flags, rest, positionals } = parsed;
  if (flags.help) {
    process.stdout.write(runHelp);
    return 0;
  }
  if (process.getuid?.() !== 0) throw new UsageError('bulkhead run: needs root (it creates namespaces, mounts and cgroups): run it as root, e.g. with sudo', 125);
  const image = await prepareImage(argv, parsed);
  const cfg = image?.cfg ?? runConfig(flags, [...positionals, ...(rest ?? [])]);
  const stdin = process.stdin;
  // docker run -it refuses a stdin that is not a terminal rather than wait on it forever.
  if (cfg.tty && cfg.interactive && !stdin.isTTY) {
    image?.release();
    throw new UsageError('bulkhead run: the input device is not a TTY (-t with -i needs a terminal as stdin; drop -t to pipe data in)', 125);
  }
  // A group of its own gives the report its counters and lets --timeout kill every
  // process at once; limits need one, and without them it is made where allowed.
  if (Object.keys(cfg.limits).length > 0 || discoverCgroup().delegated) cfg.options.limits = cfg.limits as Limits;
  const endpoint = await attachNetwork(flags, cfg.options);
  const started = Date.now();
  let proc: ReturnType<typeof spawn>;
  try {
    proc = spawn(cfg.command, cfg.args, cfg.options);
  } catch (err) {
    endpoint?.release();
    image?.release();
    // What only spawn() can know (this process's bounding set, ...) still names the flag.
    throw flagError(err, cfg);
  }
  let timedOut = false;
  let signals = 0;
  const restore: Array<() => void> = [];

  // First Ctrl-C or SIGTERM goes to the program; a second one kills it.
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    proc.kill(signals > 1 ? 'SIGKILL' : sig === 'SIGTERM' && image?.stopSignal ? image.stopSignal : sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, onSignal);
    restore.push(() => process.off(sig, onSignal));
  }
  const timer = cfg.timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
    proc.cgroup?.kill().catch(() => undefined);
  }, cfg.timeoutMs);

  // The container never gets this process's own fds (a terminal it could ioctl, a file
  // it could reopen through /proc/self/fd): its stdio are pipes or its own pty, copied here.
  const copies: Promise<void>[] = [];
  if (cfg.tty && proc.pty) {
    const pty = proc.pty;
    copies.push(copy(pty, process.stdout));
    if (cfg.interactive) {
      // Raw: every key, Ctrl-C included, goes to the container's terminal.
      stdin.setRawMode(true);
      restore.push(() => stdin.setRawMode(false));
      const onResize = () => {
        if (process.stdout.rows > 0 && process.stdout.columns > 0) proc.resize(process.stdout.rows, process.stdout.columns);
      };
      process.stdout.on('resize', onResize);
      restore.push(() => process.stdout.off('resize', onResize));
      stdin.pipe(pty, { end: false });
      restore.push(() => stdin.unpipe(pty));
    }
  } else {
    if (proc.stdout) copies.push(copy(proc.stdout, process.stdout));
    if (proc.stderr) copies.push(copy(proc.stderr, process.stderr));
    if (cfg.interactive && proc.stdin) {
      const input = proc.stdin;
      // Whatever the program leaves unread when it exits (EPIPE) is not an error of ours.
      input.on('error', () => undefined);
      // EOF on our stdin half-closes the program's (pipe(7): its read gets 0).
      stdin.pipe(input, { end: true });
      restore.push(() => stdin.unpipe(input));
    }
  }

  let result: SpawnResult;
  try {
    result = await proc;
    // Everything the program wrote reaches our stdout and stderr before we exit.
    await Promise.all(copies);
  } catch (err) {
    if (err instanceof ControllerUnavailableError) {
      const given = (CONTROLLER_FLAGS[err.controller] ?? []).filter((f) => cfg.flags[f.slice(2)] !== undefined);
      throw new UsageError(controllerMessage(err.controller, err.reason, given), 125);
    }
    if (err instanceof CgroupError) throw new UsageError(`bulkhead run: ${err.message.split('\n')[0]}`, 125);
    if (err instanceof IsolationError) {
      if (err.step === 'execve' && err.code === 'ENOENT') {
        process.stderr.write(`bulkhead run: ${cfg.command}: executable file not found (${err.path ?? ''})\n`);
        return 127;
      }
      if (err.step === 'execve' && err.code === 'EACCES') {
        process.stderr.write(`bulkhead run: ${cfg.command}: permission denied\n`);
        return 126;
      }
      throw new UsageError(`bulkhead run: ${err.message.split('\n')[0]}`, 125);
    }
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    endpoint?.release();
    for (const r of restore.reverse()) r();
    stdin.destroy();
    image?.release();
  }
  const report: RunReport = {
    exitCode: result.exitCode,
    signal: result.signal,
    oomKilled: result.oomKilled ?? false,
    timedOut,
    durationMs: Date.now() - started,
    // The group counts every process of the container; rusage only the first and its reaped children.
    cpuUsec: result.usage?.cpuUsec ?? result.rusage.userUsec + result.rusage.systemUsec,
    memoryPeakBytes: result.usage?.memoryPeakBytes ?? null,
    pidsPeak: result.usage?.pidsPeak ?? null,
  };
  if (cfg.report) fs.writeFileSync(cfg.report, JSON.stringify(report, null, 2) + '\n');
  return exitStatus(report);
}
