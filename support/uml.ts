// Boots User-Mode Linux with the host's files as its root and a given init
// script, for the vm tier (test/vm/boot.ts) and the benchmarks (benchmarks/uml.ts).
// The guest writes into a host directory under the project (.vm/), which comes
// back as `files`; a guest that outlives its bound is killed with its whole
// process group.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The project root (this file runs as dist/support/uml.js). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** The executable PATH names for cmd, or null. */
export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // next
    }
  }
  return null;
}

/** Why a UML guest cannot run here, or null when it can. */
export function vmUnavailable(): string | null {
  if (!which('linux.uml')) return 'linux.uml not found: install User-Mode Linux with `apt-get install -y user-mode-linux kmod`';
  if (!which('cc')) return 'no C compiler (cc) to build support/xstate-shim.c: `apt-get install -y gcc`';
  if (!fs.existsSync('/usr/lib/uml/modules')) return '/usr/lib/uml/modules is missing: reinstall user-mode-linux';
  return null;
}

export interface UmlOptions {
  /** Absolute path of the guest's init script. */
  init: string;
  /** key=value kernel parameters, which reach init as environment variables. */
  params?: Record<string, string | undefined>;
  /** Prefix of the host directory made under .vm/. */
  prefix: string;
  timeoutSec: number;
  memory?: string;
  /** Each console line as it comes. */
  onLine?: (line: string) => void;
  /** Called with a function that kills the guest; returns an unregister function. */
  onStart?: (kill: () => void) => () => void;
}

export interface UmlRun {
  /** Contents of the `status` file the guest wrote, or null when it wrote none. */
  status: number | null;
  /** Every file the guest left in its output directory, by name. */
  files: Record<string, string>;
  console: string;
  timedOut: boolean;
}

export async function bootUml(opts: UmlOptions): Promise<UmlRun> {
  // Not under /tmp: the guest mounts its own tmpfs there.
  fs.mkdirSync(path.join(ROOT, '.vm'), { recursive: true });
  const work = fs.mkdtempSync(path.join(ROOT, '.vm', opts.prefix));
  fs.chmodSync(work, 0o755);
  try {
    const shim = path.join(work, 'xstate-shim.so');
    execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', shim, path.join(ROOT, 'support', 'xstate-shim.c'), '-ldl'], { stdio: 'inherit' });
    const params = Object.entries({ ...opts.params, BULKHEAD_PROJECT: ROOT, BULKHEAD_OUT: work })
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${v}`);
    const args = [`mem=${opts.memory ?? '2G'}`, 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'rw', 'quiet', `init=${opts.init}`, 'con=null', 'con0=fd:0,fd:1', ...params];
    // UML keeps its "physical memory" in a file under TMPDIR; its helper processes
    // share our process group, so one kill ends them all.
    const child = spawn('linux.uml', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, LD_PRELOAD: shim, TMPDIR: fs.existsSync('/dev/shm') ? '/dev/shm' : work },
    });
    const kill = () => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const unregister = opts.onStart?.(kill);
    let consoleOut = '';
    let pending = '';
    const onData = (d: Buffer) => {
      const text = d.toString();
      consoleOut += text;
      if (!opts.onLine) return;
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        opts.onLine(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutSec * 1000);
    await new Promise<void>((resolve) => child.on('close', () => resolve()));
    clearTimeout(timer);
    // Stragglers of the group (UML's helper processes) must not outlive the run.
    kill();
    unregister?.();
    const files: Record<string, string> = {};
    for (const f of fs.readdirSync(work)) {
      if (f.endsWith('.so')) continue;
      try {
        files[f] = fs.readFileSync(path.join(work, f), 'utf8');
      } catch {
        // a directory: not a result
      }
    }
    const statusText = (files.status ?? '').trim();
    return { status: statusText === '' ? null : Number(statusText), files, console: consoleOut, timedOut };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
