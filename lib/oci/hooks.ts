// runtime-spec config.md "POSIX-platform Hooks": each hook is path, args, env,
// timeout (seconds), run with the container's state JSON on its stdin. A hook
// that fails or times out fails the operation (poststart/poststop only warn, as
// the spec says: "the runtime MUST log a warning").
import * as child from 'node:child_process';
import { spawn } from '../spawn/index';
import type { OciHook } from './spec';
import type { OciState } from './state';
import { OciError } from './state';

export function runHooks(kind: string, hooks: readonly OciHook[], state: OciState, warn?: (msg: string) => void): void {
  hooks.forEach((h, i) => {
    const r = child.spawnSync(h.path, (h.args ?? [h.path]).slice(1), {
      argv0: h.args?.[0] ?? h.path,
      env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      input: JSON.stringify(state),
      stdio: ['pipe', 'inherit', 'pipe'],
      ...(h.timeout ? { timeout: h.timeout * 1000, killSignal: 'SIGKILL' as const } : {}),
    });
    let why: string | undefined;
    // A hook that exits without reading its stdin is judged by its exit status,
    // as runc's (Go's os/exec ignores EPIPE on a child's stdin).
    const epipe = (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
    if (r.error && !epipe) why = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `timed out after ${h.timeout}s` : r.error.message;
    else if (epipe && r.status === null && r.signal === null) why = r.error?.message;
    else if (r.status !== 0) why = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}${r.stderr?.length ? `: ${r.stderr.toString().trim()}` : ''}`;
    if (why === undefined) return;
    const msg = `${kind} hook #${i} (${h.path}) failed: ${why}`;
    if (warn) warn(msg);
    else throw new OciError(msg);
  });
}

/** A hook's env list ("K=V") as spawn's env: nothing else is inherited. */
function envOf(list: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/**
 * createContainer and startContainer hooks (config.md "POSIX-platform Hooks":
 * "MUST be executed in the container namespace", the path resolving there):
 * each is spawn()ed with `join` on the container's init, waiting before
 * execve on exec.fifo, so it enters all of its namespaces (the mount one last:
 * setns(2) moves root and cwd to the container's root, after pivot_root, so
 * the path is looked up inside the container) and its cgroup. It runs as the
 * runtime does, root with every capability, no seccomp filter and no
 * no_new_privs, as runc's init runs its createContainer hooks. The state JSON
 * is its stdin; args (args[0] its argv[0]), env and timeout as the others. The
 * first failure throws.
 */
export async function runHooksJoined(kind: string, hooks: readonly OciHook[], state: OciState, pidfd: number, cgroup?: string): Promise<void> {
  for (let i = 0; i < hooks.length; i++) {
    const h = hooks[i];
    let why: string | undefined;
    try {
      const r = await spawn(h.path, (h.args ?? [h.path]).slice(1), {
        argv0: h.args?.[0] ?? h.path,
        join: { pidfd, ...(cgroup ? { cgroup } : {}) },
        env: envOf(h.env),
        input: JSON.stringify(state),
        stdio: ['pipe', 'inherit', 'pipe'],
        capAdd: ['ALL'],
        seccomp: false,
        noNewPrivileges: false,
        reject: false,
        ...(h.timeout ? { timeout: h.timeout * 1000, killSignal: 'SIGKILL' as const } : {}),
      });
      const stderr = String(r.stderr ?? '').trim();
      if (r.timedOut) why = `timed out after ${h.timeout}s`;
      else if (r.signal) why = `killed by ${r.signal}`;
      else if (r.exitCode !== 0) why = `exit status ${r.exitCode}${stderr ? `: ${stderr}` : ''}`;
    } catch (err) {
      // Not started: the path missing in the container, or the init gone.
      why = (err as Error).message;
    }
    if (why !== undefined) throw new OciError(`${kind} hook #${i} (${h.path}) failed: ${why}`);
  }
}
