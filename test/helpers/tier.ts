// Gates for the host tier. A missing requirement is a tap skip that says what is
// missing and how to get it; under CI (CI=true) it is a failure instead, since
// .ci/run installs every requirement and a tier that did not run proves nothing.
import t from 'tap';

export function requirementMissing(reason: string): void {
  if (process.env.CI === 'true') {
    t.fail(`required under CI: ${reason}`);
    t.end();
  } else {
    t.plan(0, reason);
  }
}

/** Skips (or, under CI, fails) the whole file unless running as root. */
export function needRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  requirementMissing('host tier needs root (namespaces, mounts, cgroups): run `sudo npm test`');
  return false;
}

/**
 * Runs main(rootfsDir) as root with a fresh busybox rootfs that is removed at
 * the end; skips (fails under CI) when root or busybox-static is missing.
 */
export function withBusyboxRoot(main: (rootfs: string) => void): void {
  if (!needRoot()) return;
  // Loaded here so that a tier that does not need it never builds a rootfs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { busyboxMissing, makeBusyboxRootfs } = require('../../support/rootfs') as typeof import('../../support/rootfs');
  const missing = busyboxMissing();
  if (missing) return requirementMissing(missing);
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.cleanup);
  main(rootfs.dir);
}
