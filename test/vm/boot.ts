// Boots User-Mode Linux with the host's files as its root, runs the vm tier's
// tap files inside (test/vm/guest-init.sh, then guest-runner.js), and prints the
// guest's TAP on stdout with the guest's exit status as its own. Run by
// uml.test.ts through t.spawn, so every guest result lands in the outer run.
//
// A guest that hangs is killed after BULKHEAD_VM_TIMEOUT seconds (default 780, under tap's own 900 s bound per file);
// a guest that ends without writing its status (a crash, a kernel panic) is a
// failure, with the tail of its console as the reason.
import * as path from 'node:path';
import { bootUml, ROOT, vmUnavailable } from '../../support/uml';

export { vmUnavailable };

const timeoutLimit = () => Number(process.env.BULKHEAD_VM_TIMEOUT ?? 780);

export interface GuestRun {
  status: number | null;
  tap: string;
  stderr: string;
  console: string;
  timedOut: boolean;
}

export async function bootGuest(opts: { timeoutSec?: number; memory?: string } = {}): Promise<GuestRun> {
  const run = await bootUml({
    init: path.join(ROOT, 'test', 'vm', 'guest-init.sh'),
    prefix: 'run-',
    timeoutSec: opts.timeoutSec ?? timeoutLimit(),
    memory: opts.memory,
    // The guest's init sees only kernel parameters, not this process's environment.
    params: { BULKHEAD_VM_ONLY: process.env.BULKHEAD_VM_ONLY },
  });
  return {
    status: run.status,
    tap: run.files['guest.tap'] ?? '',
    stderr: (run.files['guest.stderr'] ?? '') + (run.files['console-extra'] ?? ''),
    console: run.console,
    timedOut: run.timedOut,
  };
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).map((l) => `# ${l}`).join('\n');
}

async function mainCli(): Promise<number> {
  const run = await bootGuest();
  // Indent nothing: the guest's TAP is this process's TAP.
  process.stdout.write(run.tap);
  if (run.stderr.trim()) process.stderr.write(run.stderr);
  if (run.timedOut) {
    process.stdout.write(`\n${tail(run.console, 20)}\nBail out! UML guest hung and was killed after ${timeoutLimit()} s\n`);
    return 1;
  }
  if (run.status === null) {
    const panic = /Kernel panic[^\n]*/.exec(run.console)?.[0];
    process.stdout.write(`\n${tail(run.console + run.stderr, 30)}\nBail out! UML guest ended without a status (${panic ?? 'crashed'})\n`);
    return 1;
  }
  return run.status;
}

if (require.main === module) {
  mainCli().then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stdout.write(`Bail out! ${String(err?.message ?? err).split('\n')[0]}\n`);
      process.exitCode = 1;
    },
  );
}
