// Boots User-Mode Linux to run the benchmarks under a pure cgroup v2 kernel:
// the vm tier's machinery (test/vm/boot.ts) with benchmarks/guest-bench.sh as
// init instead of test/vm/guest-init.sh. Same linux.uml arguments, the same
// xstate shim (support/xstate-shim.c, built with cc and preloaded), the same
// kill of the whole process group. The guest writes its JSON into a host
// directory and relays its progress on the console.
import * as path from 'node:path';
import { bootUml, ROOT, vmUnavailable } from '../support/uml';
import { onCleanup } from './harness';

export { ROOT, vmUnavailable };

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

export async function bootBenchGuest(opts: BenchGuestOptions): Promise<BenchGuestRun> {
  const run = await bootUml({
    init: path.join(ROOT, 'benchmarks', 'guest-bench.sh'),
    prefix: 'bench-',
    timeoutSec: opts.timeoutSec ?? Number(process.env.BULKHEAD_BENCH_VM_TIMEOUT ?? 3600),
    memory: opts.memory,
    onLine: opts.onLine,
    onStart: onCleanup,
    params: {
      BULKHEAD_BENCH: opts.benches.join(','),
      BULKHEAD_BENCH_N: String(opts.n),
      BULKHEAD_BENCH_WARMUP: String(opts.warmup),
      BULKHEAD_BENCH_ONLY: opts.only?.length ? opts.only.join(',') : undefined,
    },
  });
  return { status: run.status, files: run.files, console: run.console, timedOut: run.timedOut };
}
