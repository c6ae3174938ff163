// Boots User-Mode Linux to run the benchmarks under a pure cgroup v2 kernel:
// the vm tier's machinery (test/vm/boot.ts) with benchmarks/guest-bench.sh as
// init instead of test/vm/guest-init.sh. Same linux.uml arguments, the same
// xstate shim (test/vm/xstate-shim.c, built with cc and preloaded), the same
// kill of the whole process group. The guest writes its JSON into a host
// directory and relays its progress on the console.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { vmUnavailable } from '../test/vm/boot';
import { onCleanup } from './harness';

/** The project root (this file runs as dist/benchmarks/uml.js). */
export const ROOT = path.resolve(__dirname, '..', '..');

export { vmUnavailable };

export interface BenchGuestRun {
  /** The guest's exit status of the benchmark run; null when it ended without one. */
  status: number | null;
  /** Files the guest wrote into its output directory, by name (JSON results, guest.log). */
  files: Record<string, string>;
  console: string;
  timedOut: boolean;
}

export interface BenchGuestOptions {
  benches: Array<'spawn' | 'limits'>;
  n: number;
  warmup: number;
  /** Default BULKHEAD_BENCH_VM_TIMEOUT or 3600 s. */
  timeoutSec?: number;
  memory?: string;
  /** Only these case ids. */
  only?: string[];
  /** Each line of the guest's console as it comes (progress relay lines among them). */
  onLine?: (line: string) => void;
}

function buildShim(dir: string): string {
  const out = path.join(dir, 'xstate-shim.so');
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', out, path.join(ROOT, 'test', 'vm', 'xstate-shim.c'), '-ldl'], { stdio: 'inherit' });
  return out;
}

export async function bootBenchGuest(opts: BenchGuestOptions): Promise<BenchGuestRun> {
  const timeoutSec = opts.timeoutSec ?? Number(process.env.BULKHEAD_BENCH_VM_TIMEOUT ?? 3600);
  // Not under /tmp: the guest mounts its own tmpfs there.
  fs.mkdirSync(path.join(ROOT, '.vm'), { recursive: true });
  const work = fs.mkdtempSync(path.join(ROOT, '.vm', 'bench-'));
  fs.chmodSync(work, 0o755);
  const removeWork = onCleanup(() => fs.rmSync(work, { recursive: true, force: true }));
  const shim = buildShim(work);
  const args = [
    `mem=${opts.memory ?? '2G'}`,
    'root=/dev/root',
    'rootfstype=hostfs',
    'rootflags=/',
    'rw',
    'quiet',
    `init=${path.join(ROOT, 'benchmarks', 'guest-bench.sh')}`,
    'con=null',
    'con0=fd:0,fd:1',
    `BULKHEAD_ROOT=${ROOT}`,
    `BULKHEAD_OUT=${work}`,
    `BULKHEAD_BENCH=${opts.benches.join(',')}`,
    `BULKHEAD_BENCH_N=${opts.n}`,
    `BULKHEAD_BENCH_WARMUP=${opts.warmup}`,
    ...(opts.only?.length ? [`BULKHEAD_BENCH_ONLY=${opts.only.join(',')}`] : []),
  ];
  // UML keeps its "physical memory" in a file under TMPDIR; its helper processes
  // share our process group, so one kill ends them all.
  const child = spawn('linux.uml', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, LD_PRELOAD: shim, TMPDIR: fs.existsSync('/dev/shm') ? '/dev/shm' : work },
  });
  const killGroup = () => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const unregisterKill = onCleanup(killGroup);
  let consoleOut = '';
  let pending = '';
  const onData = (d: Buffer) => {
    const text = d.toString();
    consoleOut += text;
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      opts.onLine?.(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutSec * 1000);
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  clearTimeout(timer);
  // Stragglers of the group (UML's helper processes) must not outlive the run.
  unregisterKill();
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(work)) {
    if (f.endsWith('.so')) continue;
    try {
      files[f] = fs.readFileSync(path.join(work, f), 'utf8');
    } catch {
      // a directory or unreadable: not a result
    }
  }
  removeWork();
  const statusText = (files.status ?? '').trim();
  return { status: statusText === '' ? null : Number(statusText), files, console: consoleOut, timedOut };
}
