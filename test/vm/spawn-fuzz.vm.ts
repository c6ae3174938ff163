// The seeded fuzz of spawn()'s options on a pure cgroup v2 kernel, where limits
// are enforced and every run with `limits` makes (and must remove) a group.
// Smaller than the host's: UML's system calls are slow.
import './guest-only';
import { fuzzSpawn } from '../helpers/spawn-fuzz';

fuzzSpawn({
  cases: Number(process.env.BULKHEAD_FUZZ_CASES ?? 3000),
  runs: Number(process.env.BULKHEAD_FUZZ_RUNS ?? 80),
  seed: Number(process.env.BULKHEAD_FUZZ_SEED ?? 1),
  weights: { limits: 10 },
  limits: [{ memory: { max: '64m' } }, { pids: { max: 16 } }, { cpu: { max: 0.5 } }, { memory: { max: '64m', swapMax: 0 }, pids: { max: 8 } }],
});
