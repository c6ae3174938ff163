// Owners (pid + start time) and atomic JSON files, on this machine's /proc and
// a temporary directory.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { alive, self, startTime } from '../../../../lib/network/state/owner';
import { readJson, writeJsonAtomic } from '../../../../lib/network/state/files';

t.test('an owner is alive while its pid has the same start time', async (t) => {
  const me = self();
  t.equal(me.pid, process.pid);
  t.match(me.startTime, /^\d+$/);
  t.ok(alive(me));
  t.notOk(alive({ ...me, startTime: '1' }), 'a recycled pid has another start time');
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const dead = Number(child.stdout.trim());
  t.equal(startTime(dead), undefined, 'an exited process has none');
});

t.test('atomic JSON: the whole new content or the old, never a temp file left', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-state-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'x.json');
  t.equal(readJson(f), undefined, 'missing: undefined');
  writeJsonAtomic(f, { a: 1 });
  writeJsonAtomic(f, { a: 2, b: [1, 2] });
  t.same(readJson(f), { a: 2, b: [1, 2] });
  t.same(fs.readdirSync(dir), ['x.json'], 'no temp file');
  t.throws(() => writeJsonAtomic(path.join(dir, 'missing', 'y.json'), {}), { code: 'ENOENT' });
  t.same(fs.readdirSync(dir), ['x.json']);
});
