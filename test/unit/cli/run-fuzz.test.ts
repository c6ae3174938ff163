// `bulkhead run`'s argv, fuzzed in-process: every argv either becomes a run
// configuration or a UsageError with exit status 125 and one line that starts
// "bulkhead run: ". Anything else (another exception, a hang, an fd left open)
// fails. Seeded: BULKHEAD_FUZZ_SEED replays a run, BULKHEAD_FUZZ_RUNS sets the count.
import * as fs from 'node:fs';
import t from 'tap';
import { parseFlags, UsageError } from '../../../lib/cli/args';
import { runConfig } from '../../../lib/cli/run/config';
import { RUN_FLAGS } from '../../../lib/cli/run/flags';
import { rng, runArgv } from '../../helpers/run-argv';

const SEED = Number(process.env.BULKHEAD_FUZZ_SEED ?? 20261129);
const RUNS = Number(process.env.BULKHEAD_FUZZ_RUNS ?? 3000);

const fds = () => fs.readdirSync('/proc/self/fd').length;

t.test(`${RUNS} argv from seed ${SEED}: a configuration or one line and 125`, async (t) => {
  const r = rng(SEED);
  const before = fds();
  let configs = 0;
  let errors = 0;
  for (let i = 0; i < RUNS; i++) {
    const a = runArgv(r);
    const started = Date.now();
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
    // A watchdog for slow paths (a backtracking regex, a blocking read); a true hang ends at tap's timeout.
    if (Date.now() - started > 2000) {
      t.fail(`case ${i} (seed ${SEED}) took ${Date.now() - started} ms: ${JSON.stringify(a)}`);
      return;
    }
  }
  t.equal(fds(), before, 'no fd left open');
  t.ok(configs > RUNS / 50 && errors > RUNS / 50, `both outcomes are reached (${configs} configurations, ${errors} errors)`);
});
