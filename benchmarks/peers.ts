// `node dist/benchmarks/peers.js [flags]` (as root): Bulkhead against real
// engines, side by side in one run, as ratios. Engines that manage cgroups
// (dockerd with its containerd, podman) run only inside User-Mode Linux, never on
// the host: this boots ONE guest (guest-peers.sh as init) that measures every
// section (peers-guest.ts) and writes peers.json; the host copies it into the
// results directory and rebuilds report.md. See benchmarks/README.md, "Peers".
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bootUml, ROOT, vmUnavailable } from '../support/uml';
import { onCleanup, runCleanups } from './harness';
import { runPeersGuest, SECTIONS, type PeersParams, type PeersResults } from './peers-guest';
import { PEERS_FILE, peersSummary } from './peers-report';
import { writeReport } from './report';

const USAGE = `usage: node dist/benchmarks/peers.js [flags]   (root; boots User-Mode Linux)

  --n N              runs per docker/podman run row (default 10)
  --pull-n N         cold pulls per contender (default 3)
  --build-n N        builds per contender, cold and cached each (default 3)
  --ps-n N           docker ps runs per row (default 10)
  --ps-containers N  containers added for the large docker ps (default 500)
  --pull-mib N       size of the pulled image in MiB (default 104)
  --only a,b         only these sections: ${SECTIONS.join(', ')}
  --out DIR          results directory (default benchmarks/results)
  --memory SIZE      the guest's memory (default 2G)
`;

export class UsageError extends Error {}

export interface PeersCli extends PeersParams {
  out: string;
  memory: string;
  guest: boolean;
  help: boolean;
}

/** Parses argv (after `node peers.js`). Pure; throws UsageError naming the flag. */
export function parsePeersArgs(argv: string[], cwd = process.cwd()): PeersCli {
  const o: PeersCli = { n: 10, pullN: 3, buildN: 3, psN: 10, psContainers: 500, pullMiB: 104, sections: [...SECTIONS], out: path.join(ROOT, 'benchmarks', 'results'), memory: '2G', guest: false, help: false };
  const ints: Record<string, keyof PeersParams> = { '--n': 'n', '--pull-n': 'pullN', '--build-n': 'buildN', '--ps-n': 'psN', '--ps-containers': 'psContainers', '--pull-mib': 'pullMiB' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      const v = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag in ints) {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be an integer of at least 1, got "${v}"`);
      (o[ints[flag]] as number) = n;
    } else if (flag === '--only') {
      const list = value().split(',').filter(Boolean);
      for (const s of list) if (!(SECTIONS as readonly string[]).includes(s)) throw new UsageError(`--only: unknown section "${s}" (valid: ${SECTIONS.join(', ')})`);
      o.sections = list;
    } else if (flag === '--out') o.out = path.resolve(cwd, value());
    else if (flag === '--memory') {
      const v = value();
      if (!/^\d+[MG]$/.test(v)) throw new UsageError(`--memory must be like 1536M or 2G, got "${v}"`);
      o.memory = v;
    } else if (flag === '--guest') o.guest = true;
    else if (flag === '--help' || flag === '-h') o.help = true;
    else throw new UsageError(`unknown argument "${a}"`);
  }
  return o;
}

function paramsArgs(p: PeersParams): string {
  return [`--n=${p.n}`, `--pull-n=${p.pullN}`, `--build-n=${p.buildN}`, `--ps-n=${p.psN}`, `--ps-containers=${p.psContainers}`, `--pull-mib=${p.pullMiB}`, `--only=${p.sections.join(',')}`].join('@');
}

/** Unmounts whatever an engine left mounted under work (deepest first), then removes it. */
function removeWork(work: string, log: (line: string) => void): void {
  const mounts = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && (m === work || m.startsWith(`${work}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    const r = spawnSync('umount', [m], { encoding: 'utf8' });
    log(`left mounted by an engine: ${m}${r.status === 0 ? ' (unmounted)' : `: umount failed: ${r.stderr.trim()}`}`);
  }
  fs.rmSync(work, { recursive: true, force: true });
}

/** In the guest: measure, write peers.json into --out. */
async function guestMain(o: PeersCli): Promise<number> {
  const log = (line: string) => process.stderr.write(`peers: ${line}\n`);
  const work = '/tmp/bulkhead-peers';
  let res: PeersResults;
  try {
    res = await runPeersGuest(o, work, log);
  } finally {
    removeWork(work, log);
  }
  fs.writeFileSync(path.join(o.out, PEERS_FILE), `${JSON.stringify(res, null, 2)}\n`);
  process.stdout.write(`${peersSummary(res)}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let o: PeersCli;
  try {
    o = parsePeersArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`peers: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('peers: needs root (User-Mode Linux with the host as its root, engines inside it)\n');
    return 2;
  }
  if (o.guest) return guestMain(o);
  const why = vmUnavailable();
  if (why) {
    process.stderr.write(`peers: User-Mode Linux cannot run: ${why}\n`);
    return 1;
  }
  process.stderr.write(`peers: booting User-Mode Linux (${o.memory}) for ${o.sections.join(', ')}\n`);
  const loadStart = os.loadavg();
  const run = await bootUml({
    init: path.join(ROOT, 'benchmarks', 'guest-peers.sh'),
    prefix: 'peers-',
    timeoutSec: Number(process.env.BULKHEAD_BENCH_VM_TIMEOUT ?? 3600),
    memory: o.memory,
    onStart: onCleanup,
    // Kernel parameters reach init as environment variables: one word, the flags joined by @.
    params: { BULKHEAD_PEERS_ARGS: paramsArgs(o) },
    onLine: (line) => {
      if (line.startsWith('peers: ')) process.stderr.write(`uml: ${line.slice(7)}\n`);
    },
  });
  const text = run.files[PEERS_FILE];
  if (!text) {
    const tail = run.console.split('\n').slice(-30).join('\n');
    process.stderr.write(`peers: the guest wrote no results (${run.timedOut ? 'timed out' : `status ${run.status}`}).\n${tail}\n${(run.files['guest.log'] ?? '').slice(-3000)}\n`);
    return 1;
  }
  const res = JSON.parse(text) as PeersResults;
  const left = (run.files['leftovers.txt'] ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  res.leftovers.push(...left);
  // What the engines wrote under /etc, /var/lib and /root: kept in the guest's overlays.
  const log = run.files['guest.log'] ?? '';
  const at = log.indexOf('written under /etc, /var/lib, /root');
  if (at >= 0) res.setup.keptInGuest = `written by the engines under /etc, /var/lib and /root, kept in the guest's tmpfs overlays: ${log.slice(at).split('\n').slice(1).filter(Boolean).map((l) => l.replace(/^peers-overlay(_[a-z_]+)\/upper/, (_, d: string) => d.replace(/_/g, '/'))).join(', ') || 'nothing'}`;
  res.hostLoadAverage = { start: loadStart.map((x) => Number(x.toFixed(2))), end: os.loadavg().map((x) => Number(x.toFixed(2))) };
  fs.mkdirSync(o.out, { recursive: true });
  fs.writeFileSync(path.join(o.out, PEERS_FILE), `${JSON.stringify(res, null, 2)}\n`);
  process.stdout.write(`${peersSummary(res)}\n`);
  const written = writeReport(o.out);
  process.stdout.write(`\nWrote ${[path.join(o.out, PEERS_FILE), ...written].map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
  return run.status === 0 && !run.timedOut && res.leftovers.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      runCleanups();
      process.exitCode = code;
    },
    (err) => {
      runCleanups();
      process.stderr.write(`peers: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 125;
    },
  );
}
