// `bulkhead run`'s argv, fuzzed in-process: every argv either becomes a run
// configuration or a UsageError with exit status 125 and one line that starts
// "bulkhead run: ". Anything else (another exception, a hang, an fd left open)
// fails. Seeded: BULKHEAD_FUZZ_SEED replays a run, BULKHEAD_FUZZ_RUNS sets the count.
import * as fs from 'node:fs';
import t from 'tap';
import { parseFlags, UsageError } from '../../../lib/cli/args';
import { runConfig } from '../../../lib/cli/run/config';
import { RUN_FLAGS } from '../../../lib/cli/run/flags';

const SEED = Number(process.env.BULKHEAD_FUZZ_SEED ?? 20261129);
const RUNS = Number(process.env.BULKHEAD_FUZZ_RUNS ?? 3000);

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function rng(seed: number): () => number {
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

function argv(r: () => number): string[] {
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

const fds = () => fs.readdirSync('/proc/self/fd').length;

t.test(`${RUNS} argv from seed ${SEED}: a configuration or one line and 125`, async (t) => {
  const r = rng(SEED);
  const before = fds();
  let configs = 0;
  let errors = 0;
  for (let i = 0; i < RUNS; i++) {
    const a = argv(r);
    try {
      const p = parseFlags(a, RUN_FLAGS, 'run', { stopAtPositional: true });
      const cfg = runConfig(p.flags, [...p.positionals, ...(p.rest ?? [])]);
      if (typeof cfg.command !== 'string' || cfg.command === '') throw new Error('a configuration without a command');
      configs++;
    } catch (err) {
      // parseFlags says 2; the run command turns its errors into 125 (runCommand).
      const ok = err instanceof UsageError && (err.exitCode === 125 || err.exitCode === 2) && /^bulkhead run: [^\n]*$/.test(err.message);
      if (!ok) {
        t.fail(`case ${i} (seed ${SEED}): ${JSON.stringify(a)} -> ${(err as Error)?.stack ?? err}`);
        return;
      }
      errors++;
    }
  }
  t.equal(fds(), before, 'no fd left open');
  t.ok(configs > RUNS / 50 && errors > RUNS / 50, `both outcomes are reached (${configs} configurations, ${errors} errors)`);
});
