// `bulkhead run`: one container from the command line, with docker run's exit
// statuses, signal forwarding, an optional terminal and a JSON report.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { CgroupError, ControllerUnavailableError, discoverCgroup, type Limits } from '../../cgroup/index';
import { IsolationError } from '../../errors';
import { spawn, type SpawnResult } from '../../spawn/index';
import { formatHelp, parseFlags, UsageError } from '../args';
import { runConfig } from './config';
import { prepareImage } from './image';
import { RUN_FLAGS } from './flags';

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
  const image = await prepareImage(argv, parsed);
  const cfg = image?.cfg ?? runConfig(flags, [...positionals, ...(rest ?? [])]);
  // A group of its own gives the report its counters and lets --timeout kill every
  // process at once; limits need one, and without them it is made where allowed.
  if (Object.keys(cfg.limits).length > 0 || discoverCgroup().delegated) cfg.options.limits = cfg.limits as Limits;
  const started = Date.now();
  let proc;
  try {
    proc = spawn(cfg.command, cfg.args, cfg.options);
  } catch (err) {
    image?.release();
    throw err;
  }
  let timedOut = false;
  let signals = 0;
  const stdin = process.stdin;
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

  if (cfg.tty && proc.pty) {
    const pty = proc.pty;
    pty.pipe(process.stdout, { end: false });
    if (stdin.isTTY) {
      // Raw: every key, Ctrl-C included, goes to the container's terminal.
      stdin.setRawMode(true);
      restore.push(() => stdin.setRawMode(false));
      const onResize = () => proc.resize(process.stdout.rows, process.stdout.columns);
      process.stdout.on('resize', onResize);
      restore.push(() => process.stdout.off('resize', onResize));
    }
    if (cfg.interactive || stdin.isTTY) {
      stdin.pipe(pty);
      restore.push(() => stdin.unpipe(pty));
    }
  } else if (cfg.interactive && proc.stdin) {
    stdin.pipe(proc.stdin);
    restore.push(() => stdin.unpipe());
  }

  let result: SpawnResult;
  try {
    result = await proc;
  } catch (err) {
    if (err instanceof ControllerUnavailableError || err instanceof CgroupError) {
      process.stderr.write(`bulkhead run: ${err.message.split('\n')[0]}\n`);
      return 125;
    }
    if (err instanceof IsolationError) {
      if (err.step === 'execve' && err.code === 'ENOENT') {
        process.stderr.write(`bulkhead run: ${cfg.command}: executable file not found (${err.path ?? ''})\n`);
        return 127;
      }
      if (err.step === 'execve' && err.code === 'EACCES') {
        process.stderr.write(`bulkhead run: ${cfg.command}: permission denied\n`);
        return 126;
      }
    }
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
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
