// The benchmark harness keeps working: a tiny spawn run writes its JSON, table
// and report. Times are not asserted (benchmarks/ measures them, as ratios).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { withBusyboxRoot } from '../../helpers/tier';

const MAIN = path.resolve(__dirname, '..', '..', '..', 'benchmarks', 'main.js');

withBusyboxRoot(() => {
  t.test('npm run bench -- spawn, three spawns a row', async (t) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-bench-smoke-'));
    t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
    const r = spawnSync(process.execPath, [MAIN, 'spawn', '--n', '3', '--warmup', '1', '--only', 'floor,bulkhead-rootfs,bulkhead-full', '--out', out], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /^child_process\.spawn\s+[\d.]+\s/m);
    t.match(r.stdout, /^Bulkhead: \+ full secure defaults/m);
    const json = JSON.parse(fs.readFileSync(path.join(out, 'spawn.json'), 'utf8'));
    const rows = json.rows as Array<{ id: string }>;
    t.same(rows.map((x) => x.id), ['floor', 'bulkhead-rootfs', 'bulkhead-full'], 'the rows asked for, in the JSON');
    t.same(json.leftovers, [], 'nothing left behind (children, groups, runtime state)');
    t.ok(fs.existsSync(path.join(out, 'report.md')) && fs.existsSync(path.join(out, 'spawn-latency.svg')), 'report and chart written');
  });
});
