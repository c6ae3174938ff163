// Boots User-Mode Linux with the host's files as its root, runs the vm tier's
// tap files inside (test/vm/guest-init.sh, then guest-runner.js), and prints the
// guest's TAP on stdout with the guest's exit status as its own. Run by
// uml.test.ts through t.spawn, so every guest result lands in the outer run.
//
// A guest that hangs is killed after BULKHEAD_VM_TIMEOUT seconds (default 780, under tap's own 900 s bound per file);
// a guest that ends without writing its status (a crash, a kernel panic) is a
// failure, with the tail of its console as the reason.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SRC = path.join(ROOT, 'test', 'vm');

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

/** Why the vm tier cannot run here, or null when it can. */
export function vmUnavailable(): string | null {
  if (!which('linux.uml')) return 'linux.uml not found: install User-Mode Linux with `apt-get install -y user-mode-linux kmod`';
  if (!which('cc')) return 'no C compiler (cc) to build test/vm/xstate-shim.c: `apt-get install -y gcc`';
  if (!fs.existsSync('/usr/lib/uml/modules')) return '/usr/lib/uml/modules is missing: reinstall user-mode-linux';
  return null;
}

function buildShim(dir: string): string {
  const out = path.join(dir, 'xstate-shim.so');
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', out, path.join(SRC, 'xstate-shim.c'), '-ldl'], { stdio: 'inherit' });
  return out;
}

const timeoutLimit = () => Number(process.env.BULKHEAD_VM_TIMEOUT ?? 780);

export interface GuestRun {
  status: number | null;
  tap: string;
  stderr: string;
  console: string;
  timedOut: boolean;
}

export async function bootGuest(opts: { timeoutSec?: number; memory?: string } = {}): Promise<GuestRun> {
  const timeoutSec = opts.timeoutSec ?? timeoutLimit();
  // Not under /tmp: the guest mounts its own tmpfs there.
  fs.mkdirSync(path.join(ROOT, '.vm'), { recursive: true });
  const work = fs.mkdtempSync(path.join(ROOT, '.vm', 'run-'));
  fs.chmodSync(work, 0o755);
  const shim = buildShim(work);
  const args = [
    `mem=${opts.memory ?? '2G'}`,
    'root=/dev/root',
    'rootfstype=hostfs',
    'rootflags=/',
    'rw',
    'quiet',
    `init=${path.join(SRC, 'guest-init.sh')}`,
    'con=null',
    'con0=fd:0,fd:1',
    `BULKHEAD_ROOT=${ROOT}`,
    `BULKHEAD_OUT=${work}`,
    // The guest's init sees only kernel parameters, not this process's environment.
    ...(process.env.BULKHEAD_VM_ONLY ? [`BULKHEAD_VM_ONLY=${process.env.BULKHEAD_VM_ONLY}`] : []),
  ];
  // UML keeps its "physical memory" in a file under TMPDIR; its helper processes
  // share our process group, so one kill ends them all.
  const child = spawn('linux.uml', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, LD_PRELOAD: shim, TMPDIR: fs.existsSync('/dev/shm') ? '/dev/shm' : work },
  });
  let consoleOut = '';
  child.stdout.on('data', (d: Buffer) => (consoleOut += d.toString()));
  child.stderr.on('data', (d: Buffer) => (consoleOut += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutSec * 1000);
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  clearTimeout(timer);
  // Stragglers of the group (UML's helper processes) must not outlive the run.
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    // none left
  }
  const read = (f: string) => {
    try {
      return fs.readFileSync(path.join(work, f), 'utf8');
    } catch {
      return '';
    }
  };
  const statusText = read('status').trim();
  const run: GuestRun = {
    status: statusText === '' ? null : Number(statusText),
    tap: read('guest.tap'),
    stderr: read('guest.stderr') + read('console-extra'),
    console: consoleOut,
    timedOut,
  };
  fs.rmSync(work, { recursive: true, force: true });
  return run;
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
