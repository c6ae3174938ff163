// A seeded fuzz of spawn()'s options on the host (test/helpers/spawn-fuzz.ts
// says what each case must do). BULKHEAD_FUZZ_CASES (default 3000),
// BULKHEAD_FUZZ_RUNS (default 80) and BULKHEAD_FUZZ_SEED (default 1) change the
// size and the sequence.
import { fuzzSpawn } from '../../helpers/spawn-fuzz';
import { needRoot } from '../../helpers/tier';

if (needRoot()) {
  fuzzSpawn({
    cases: Number(process.env.BULKHEAD_FUZZ_CASES ?? 3000),
    runs: Number(process.env.BULKHEAD_FUZZ_RUNS ?? 80),
    seed: Number(process.env.BULKHEAD_FUZZ_SEED ?? 1),
  });
}
