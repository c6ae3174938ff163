// Restart policies as Docker's restartmanager applies them: after an exit,
// whether to start again, and after how long. The delay starts at 100 ms and
// doubles with each restart, back to 100 ms once a run lasted 10 s or more.
import type { ContainerRecord } from '../container/record';

export const BACKOFF_START_MS = 100;
export const BACKOFF_RESET_AFTER_MS = 10_000;
/** Docker caps the doubling at one minute. */
export const BACKOFF_MAX_MS = 60_000;

export function shouldRestart(r: ContainerRecord, exitCode: number): boolean {
  const p = r.HostConfig.RestartPolicy;
  if (r.ManuallyStopped) return false;
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (p.MaximumRetryCount === 0 || r.RestartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** The next delay, given the last one and how long the container ran. */
export function nextDelay(lastMs: number, ranMs: number): number {
  if (ranMs >= BACKOFF_RESET_AFTER_MS || lastMs === 0) return BACKOFF_START_MS;
  return Math.min(lastMs * 2, BACKOFF_MAX_MS);
}
