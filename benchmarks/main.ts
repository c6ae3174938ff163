// `npm run bench -- <spawn|limits|all> [flags]`: runs the benchmarks, prints a
// table, writes JSON, SVG charts and a Markdown report. See benchmarks/README.md.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nearest } from '../lib/util/nearest';
import { runCleanups } from './harness';
import { runLimitsBench, type LimitsResults } from './limits';
import { createProgress, createRelayProgress, replayProgress, type Progress } from './progress';
import { FILES, goalLines, limitsTable, spawnTable, writeReport } from './report';
import { runSpawnBench, type SpawnResults } from './spawn';
import { bootBenchGuest, ROOT, vmUnavailable } from './uml';

const COMMANDS = ['spawn', 'limits', 'all'] as const;
type Command = (typeof COMMANDS)[number];
type Bench = 'spawn' | 'limits';

export interface CliOptions {
  command: Command | null;
  n: number;
  warmup: number;
  json: string | null;
  markdown: string | null;
  out: string;
  /** spawn: run in UML instead of on the host. */
  vm: boolean;
  /** Only these case ids. */
  only: string[] | null;
  /** Internal (guest-bench.sh): the benchmarks to run here, in the UML guest. */
  guest: Bench[] | null;
  help: boolean;
}

export class UsageError extends Error {}

const USAGE = `usage: npm run bench -- <spawn|limits|all> [flags]

  spawn    spawn latency on this host (--vm: in User-Mode Linux)
  limits   limit accuracy and isolation overhead, in User-Mode Linux
  all      spawn on the host, then spawn and limits in one UML boot

  --n N            timed runs per case (default 200)
  --warmup N       untimed runs first (default 20)
  --out DIR        results directory (default benchmarks/results)
  --json FILE      also write this run's results to FILE
  --markdown FILE  write the report to FILE (default DIR/report.md)
  --vm             spawn: run in User-Mode Linux
  --only a,b       only these case ids (see benchmarks/README.md)
`;

function positiveInt(flag: string, v: string | undefined, min: number): number {
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer of at least ${min}, got "${v}"`);
  return n;
}

/** Parses argv (after `node main.js`). Pure. Throws UsageError naming what was wrong. */
export function parseArgs(argv: string[], cwd = process.cwd(), root = ROOT): CliOptions {
  const o: CliOptions = {
    command: null,
    n: 200,
    warmup: 20,
    json: null,
    markdown: null,
    out: path.join(root, 'benchmarks', 'results'),
    vm: false,
    only: null,
    guest: null,
    help: false,
  };
  const flags = ['--n', '--warmup', '--json', '--markdown', '--out', '--vm', '--only', '--help'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--n':
        o.n = positiveInt('--n', value(), 1);
        break;
      case '--warmup':
        o.warmup = positiveInt('--warmup', value(), 0);
        break;
      case '--json':
        o.json = path.resolve(cwd, value());
        break;
      case '--markdown':
        o.markdown = path.resolve(cwd, value());
        break;
      case '--out':
        o.out = path.resolve(cwd, value());
        break;
      case '--vm':
        o.vm = true;
        break;
      case '--only':
        o.only = value().split(',').filter(Boolean);
        break;
      case '--guest': {
        const benches = value().split(',').filter(Boolean);
        for (const b of benches) if (b !== 'spawn' && b !== 'limits') throw new UsageError(`--guest: unknown benchmark "${b}"`);
        o.guest = benches as Bench[];
        break;
      }
      case '--help':
      case '-h':
        o.help = true;
        break;
      default:
        if (a.startsWith('-')) {
          const near = nearest(flag, flags);
          throw new UsageError(`unknown flag "${flag}"${near ? `; did you mean "${near}"?` : ''} (valid: ${flags.join(', ')})`);
        }
        if (o.command !== null) throw new UsageError(`one command only, got "${o.command}" and "${a}"`);
        if (!(COMMANDS as readonly string[]).includes(a)) {
          const near = nearest(a, [...COMMANDS]);
          throw new UsageError(`unknown command "${a}"${near ? `; did you mean "${near}"?` : ''} (valid: ${COMMANDS.join(', ')})`);
        }
        o.command = a as Command;
    }
  }
  if (!o.help && o.command === null && o.guest === null) throw new UsageError(`a command is needed (valid: ${COMMANDS.join(', ')})`);
  if (o.vm && o.command !== 'spawn') throw new UsageError('--vm applies to spawn (limits always runs in UML; all runs both)');
  return o;
}

function writeJson(file: string, data: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

function printSpawn(res: SpawnResults): void {
  const la = res.hostLoadAverage ?? res.loadAverage;
  const load = la ? `, ${res.hostLoadAverage ? 'host ' : ''}load average ${la.start[0]} before, ${la.end[0]} after` : '';
  process.stdout.write(`\nSpawn latency, ${res.where === 'uml' ? 'User-Mode Linux' : 'host'} (n=${res.params.n}, warm-up ${res.params.warmup}${load}):\n`);
  process.stdout.write(`${spawnTable(res, process.stdout.columns ?? 200)}\n\n${goalLines(res.goals)}\n`);
  if (res.leftovers.length) process.stdout.write(`LEFT BEHIND: ${res.leftovers.join('; ')}\n`);
}

function printLimits(res: LimitsResults): void {
  process.stdout.write(`\nLimits and isolation overhead, ${res.where === 'uml' ? 'User-Mode Linux' : 'host'}:\n${limitsTable(res, process.stdout.columns ?? 200)}\n`);
  if (res.leftovers.length) process.stdout.write(`LEFT BEHIND: ${res.leftovers.join('; ')}\n`);
}

/** Inside the UML guest: run the benchmarks, write their JSON to --out, relay progress on stderr (the console). */
async function guestMain(o: CliOptions): Promise<number> {
  const progress = createRelayProgress((line) => process.stderr.write(line));
  let code = 0;
  for (const b of o.guest ?? []) {
    try {
      if (b === 'spawn') {
        const res = await runSpawnBench({ where: 'uml', n: o.n, warmup: o.warmup, progress, only: o.only ?? undefined });
        writeJson(path.join(o.out, FILES.spawn), res);
        printSpawn(res);
      } else {
        const res = await runLimitsBench({ where: 'uml', progress, only: o.only ?? undefined });
        writeJson(path.join(o.out, FILES.limits), res);
        printLimits(res);
      }
    } catch (err) {
      progress.note(`${b} failed: ${(err as Error).stack ?? err}`);
      code = 1;
    }
  }
  return code;
}

/** Boots UML and runs benches there; the results land in outDir under their host names. */
async function inUml(benches: Bench[], o: CliOptions, progress: Progress): Promise<{ spawn?: SpawnResults; limits?: LimitsResults; ok: boolean }> {
  const why = vmUnavailable();
  if (why) {
    progress.note(`User-Mode Linux: cannot run: ${why}`);
    return { ok: false };
  }
  progress.note(`booting User-Mode Linux for ${benches.join(' and ')} (node takes about a second to start there)`);
  const loadStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  const run = await bootBenchGuest({
    benches,
    n: o.n,
    warmup: o.warmup,
    only: o.only ?? undefined,
    onLine: (line) => {
      replayProgress(line, progress, 'uml: ');
    },
  });
  const hostLoadAverage = { start: loadStart, end: os.loadavg().map((x) => Number(x.toFixed(2))) };
  const out: { spawn?: SpawnResults; limits?: LimitsResults; ok: boolean } = { ok: run.status === 0 && !run.timedOut };
  if (run.files[FILES.spawn]) {
    out.spawn = { ...(JSON.parse(run.files[FILES.spawn]) as SpawnResults), hostLoadAverage };
    writeJson(path.join(o.out, FILES.umlSpawn), out.spawn);
    printSpawn(out.spawn);
  }
  if (run.files[FILES.limits]) {
    out.limits = { ...(JSON.parse(run.files[FILES.limits]) as LimitsResults), hostLoadAverage };
    writeJson(path.join(o.out, FILES.limits), out.limits);
    printLimits(out.limits);
  }
  if (out.spawn?.leftovers.length || out.limits?.leftovers.length) out.ok = false;
  if (run.status !== 0 || run.timedOut) {
    const tail = run.console.split('\n').filter((l) => !l.startsWith('@bench')).slice(-30).join('\n');
    process.stderr.write(
      `\nUser-Mode Linux guest ${run.timedOut ? 'hung and was killed' : run.status === null ? 'ended without a status' : `exited ${run.status}`}.\n${tail}\n${run.files['guest.log'] ? `guest.log:\n${run.files['guest.log'].slice(-3000)}\n` : ''}`,
    );
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: needs root (namespaces, mounts, cgroups, crun/runc): run it with sudo\n');
    return 2;
  }
  if (o.guest) return guestMain(o);

  const progress = createProgress(process.stderr);
  const results: Array<SpawnResults | LimitsResults> = [];
  let ok = true;
  if ((o.command === 'spawn' && !o.vm) || o.command === 'all') {
    const res = await runSpawnBench({ where: 'host', n: o.n, warmup: o.warmup, progress, only: o.only ?? undefined });
    writeJson(path.join(o.out, FILES.spawn), res);
    printSpawn(res);
    results.push(res);
    if (res.leftovers.length) ok = false;
  }
  const vmBenches: Bench[] = o.command === 'all' ? ['spawn', 'limits'] : o.command === 'limits' ? ['limits'] : o.vm ? ['spawn'] : [];
  if (vmBenches.length) {
    const r = await inUml(vmBenches, o, progress);
    if (r.spawn) results.push(r.spawn);
    if (r.limits) results.push(r.limits);
    ok &&= r.ok;
  }
  if (o.json) writeJson(o.json, results.length === 1 ? results[0] : { results });
  const written = writeReport(o.out, o.markdown ?? undefined);
  process.stdout.write(`\nWrote ${[...results.map((r) => (r.benchmark === 'spawn' ? path.join(o.out, r.where === 'uml' ? FILES.umlSpawn : FILES.spawn) : path.join(o.out, FILES.limits))), ...(o.json ? [o.json] : []), ...written].map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  return ok ? 0 : 1;
}

if (require.main === module) {
  let stopping = false;
  const stop = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nbench: ${sig}: cleaning up\n`);
    runCleanups();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  main(process.argv.slice(2)).then(
    (code) => {
      runCleanups();
      process.exitCode = code;
    },
    (err) => {
      runCleanups();
      process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 125;
    },
  );
}
