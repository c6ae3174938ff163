// Times one command N times from a node process of its own, for a peer that has
// to run inside a wrapper which must not be timed: on a hybrid host crun runs in a
// private mount namespace with the v2 mount hidden (see spawn.ts), and entering
// that namespace per run would time `unshare` and `mount` too.
//
// argv[2] is JSON { argv, n, warmup, floor }; an argument "{id}" is replaced by a
// fresh container id each run. With floor, /bin/true is timed the same way first,
// so the row can say what the floor is from this process. Progress goes to stdout
// as relay lines (progress.ts), then one line
// "@result\t{"samples":[...],"floorSamples":[...]}" or "@result\t{"error":"..."}".
import { run, timeSequential } from './harness';
import { createRelayProgress, silentProgress } from './progress';

export const RESULT_MARK = '@result';

interface Spec {
  argv: string[];
  n: number;
  warmup: number;
  floor?: boolean;
}

async function main(): Promise<number> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
  let seq = 0;
  const argv = () => spec.argv.map((a) => (a === '{id}' ? `bulkhead-bench-${process.pid}-${seq++}` : a));
  const progress = createRelayProgress((line) => process.stdout.write(line));
  const out = (o: unknown) => process.stdout.write(`${RESULT_MARK}\t${JSON.stringify(o)}\n`);
  try {
    await run(argv(), { captureStderr: true });
    const floorSamples = spec.floor ? await timeSequential(() => run(['/bin/true']), spec.n, spec.warmup, silentProgress) : undefined;
    const samples = await timeSequential(() => run(argv()), spec.n, spec.warmup, progress);
    out({ samples, floorSamples });
    return 0;
  } catch (err) {
    out({ error: (err as Error).message });
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => (process.exitCode = code));
}
