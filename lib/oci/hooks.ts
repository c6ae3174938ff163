// runtime-spec config.md "POSIX-platform Hooks": each hook is path, args, env,
// timeout (seconds), run with the container's state JSON on its stdin. A hook
// that fails or times out fails the operation (poststart/poststop only warn, as
// the spec says: "the runtime MUST log a warning").
import * as child from 'node:child_process';
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
