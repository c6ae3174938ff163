// Random `bulkhead run` argv for the fuzz tests (unit: in-process; host: real runs).
import { RUN_FLAGS } from '../../lib/cli/run/flags';

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES = [
  '', ' ', '0', '-1', '1', '64m', '1.5g', '0.5', '1e309', 'NaN', 'max', '999999999999999999999', '0-1', '0,1', '5:6', 'root', 'nobody:nogroup', '65534',
  '/', '/tmp', '/etc/passwd', '/etc/hostname:/x', '/nope:/x:ro', '/tmp:/data:rw', '/tmp:/d:zz', 'relative', '/x:size=1m', '/x:mode=1', 'A=1', 'A', '=x', 'HOME=/h',
  'seccomp=unconfined', 'seccomp=/etc/passwd', 'seccomp=', 'no-new-privileges', 'no-new-privileges=maybe', 'apparmor=x', 'nofile=10:20', 'nofile=20:10', 'bogus=1',
  'nofile=unlimited', 'SYS_ADMIN', 'ALL', 'cap_chown', 'BOGUS', 'none', 'host', 'bridge', '/dev/null:1m', '/dev/vda:1m', '/dev/vda:x', 'é', '\u0000', '\n', '-', '--',
  '-x', '--=', '-=', 'a'.repeat(300), 'name_1', '.bad',
];
const COMMANDS = ['true', 'sh', '-c', 'x', '/bin/echo', ''];

export function runArgv(r: () => number): string[] {
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const out: string[] = [];
  const n = Math.floor(r() * 7);
  for (let i = 0; i < n; i++) {
    const spec = pick(RUN_FLAGS);
    const kind = r();
    if (kind < 0.35) {
      out.push(`--${spec.name}`);
      if (spec.type !== 'boolean' || r() < 0.1) out.push(pick(VALUES));
    } else if (kind < 0.5) out.push(`--${spec.name}=${pick(VALUES)}`);
    else if (kind < 0.75) {
      // A cluster of shorts, ending anywhere, with or without a value.
      const shorts = RUN_FLAGS.filter((s) => s.short).map((s) => s.short as string);
      let c = '-';
      for (let k = 1 + Math.floor(r() * 3); k > 0; k--) c += pick(shorts);
      if (r() < 0.3) c += pick(VALUES);
      out.push(c);
      if (r() < 0.6) out.push(pick(VALUES));
    } else if (kind < 0.8) out.push(`--${spec.name.slice(0, -1)}`);
    else out.push(pick(VALUES));
  }
  if (r() < 0.8) out.push('--');
  const c = Math.floor(r() * 3);
  for (let i = 0; i < c; i++) out.push(pick(COMMANDS));
  return out;
}

