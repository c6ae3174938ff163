// The peers benchmark's pure parts: its command line and the report section from
// a results object. No engine, no UML, no root (the benchmark itself starts
// dockerd and podman only inside User-Mode Linux).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import type { PeersResults } from '../../../benchmarks/peers-guest';
import { parsePeersArgs, UsageError } from '../../../benchmarks/peers';
import { peersMarkdown, peersSection, peersSummary } from '../../../benchmarks/peers-report';

t.test('parsePeersArgs: defaults, flags, bad values named', async (t) => {
  const d = parsePeersArgs([], '/x');
  t.same([d.n, d.pullN, d.buildN, d.psN, d.psContainers, d.pullMiB, d.memory], [10, 3, 3, 10, 500, 104, '2G']);
  t.same(d.sections, ['run', 'ps', 'pull', 'network', 'build']);
  const o = parsePeersArgs(['--n', '4', '--pull-n=2', '--only', 'run,pull', '--out', 'r', '--memory', '1536M', '--guest'], '/x');
  t.same([o.n, o.pullN, o.sections, o.out, o.memory, o.guest], [4, 2, ['run', 'pull'], '/x/r', '1536M', true]);
  t.throws(() => parsePeersArgs(['--n', '0']), new UsageError('--n must be an integer of at least 1, got "0"'));
  t.throws(() => parsePeersArgs(['--only', 'run,bogus']), /--only: unknown section "bogus"/);
  t.throws(() => parsePeersArgs(['--memory', 'lots']), /--memory must be like/);
  t.throws(() => parsePeersArgs(['--pull-n']), /--pull-n needs a value/);
  t.throws(() => parsePeersArgs(['--fast']), /unknown argument "--fast"/);
});

const sample: PeersResults = {
  benchmark: 'peers',
  where: 'uml',
  date: '2026-11-30T00:00:00.000Z',
  kernel: '6.1.176',
  memoryMiB: 2000,
  versions: { dockerd: 'Docker version 20.10.24' },
  params: { n: 2, pullN: 1, buildN: 1, psN: 2, psContainers: 10, pullMiB: 8, sections: ['run'] },
  setup: { dockerd: 'storage driver overlay2' },
  rows: {
    run: [
      { id: 'bulkheadd', what: 'bulkheadd: docker run', status: 'ok', n: 2, medianMs: 800, p95Ms: 900, samplesMs: [700, 900] },
      { id: 'dockerd', what: 'dockerd: docker run', status: 'ok', n: 2, medianMs: 9600, p95Ms: 9900, samplesMs: [9300, 9900] },
      { id: 'podman', what: 'podman run', status: 'failed', reason: 'podman: exited 125 | boom' },
    ],
  },
  ratios: [
    { id: 'run-dockerd', what: 'dockerd / bulkheadd', of: ['dockerd', 'bulkheadd'], ratio: 12, goal: 'at least 10', met: true },
    { id: 'run-podman', what: 'podman / bulkheadd', of: ['podman', 'bulkheadd'], ratio: null },
  ],
  notes: ['a note'],
  leftovers: [],
};

t.test('the report section: rows with N, medians, ratios with goals, failures with their reason', async (t) => {
  const md = peersMarkdown(sample);
  t.match(md, /^## Peers in User-Mode Linux/m);
  t.match(md, /\| bulkheadd: docker run \| 2 \| 800 \| 900 \|/);
  t.match(md, /\| dockerd \/ bulkheadd \| \*\*12\.00x\*\* \| at least 10: \*\*met\*\* \|/);
  t.match(md, /\| podman run \| failed \| \| podman: exited 125 \\\| boom \|/, 'a failure keeps its error, pipes escaped');
  t.notMatch(md, /podman \/ bulkheadd/, 'a ratio that could not be taken and has no goal is left out');
  t.match(md, /Nothing was left behind/);
  t.match(peersSummary(sample), /dockerd \/ bulkheadd\s+12\.00x\s+\(goal at least 10: met\)/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-peers-report-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.equal(peersSection(dir), null, 'no peers.json: no section');
  fs.writeFileSync(path.join(dir, 'peers.json'), JSON.stringify({ ...sample, leftovers: ['process dockerd still running: 12'] }));
  t.match(peersSection(dir), /\*\*Left behind in the guest:\*\* process dockerd still running: 12/);
});
