// Builds test/host/security/probe.c into a rootfs as /bin/probe (static).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', '..', 'test', 'host', 'security', 'probe.c');

export function installProbe(rootfs: string, mode = 0o755): string {
  const out = path.join(rootfs, 'bin', 'probe');
  execFileSync('cc', ['-static', '-O2', '-o', out, SRC], { stdio: 'inherit' });
  execFileSync('chmod', [mode.toString(8), out]);
  return '/bin/probe';
}
