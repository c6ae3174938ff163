// The store's primitives without containers: atomic replacement leaves no temp
// file, the lock file refuses a live owner and reclaims a dead one (pid and
// start time: a recycled pid does not count), the keyed mutex serializes.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { writeJsonAtomic, removeStaleTemps } from '../../../lib/util/atomic';
import { acquireFileLock, KeyedMutex } from '../../../lib/util/lock';
import { processStartTime, sameProcess } from '../../../lib/util/proc';
import { EngineError } from '../../../lib/util/engine-error';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-store-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('atomic JSON: whole content, no temp left; stale temps removed', async (t) => {
  const f = path.join(dir, 'x.json');
  writeJsonAtomic(f, { a: 1 });
  writeJsonAtomic(f, { a: 2 }, { syncDir: true });
  t.same(JSON.parse(fs.readFileSync(f, 'utf8')), { a: 2 });
  t.same(fs.readdirSync(dir), ['x.json']);
  fs.writeFileSync(`${f}.tmp-123`, '{"a":');
  removeStaleTemps(dir);
  t.same(fs.readdirSync(dir), ['x.json']);
});

t.test('process identity: pid plus start time', async (t) => {
  const st = processStartTime(process.pid);
  t.type(st, 'number');
  t.ok(sameProcess(process.pid, st!));
  t.notOk(sameProcess(process.pid, st! + 1), 'another start time is another process');
  t.equal(processStartTime(0x3fffffff), null);
});

t.test('lock file: refused while its owner lives, reclaimed after it died', async (t) => {
  const f = path.join(dir, 'engine.lock');
  const release = acquireFileLock(f, 'root');
  t.throws(() => acquireFileLock(f, 'root'), /already locked by this process/);
  release();
  t.notOk(fs.existsSync(f));
  // A live owner: the parent of this process (pid and its real start time).
  fs.writeFileSync(f, JSON.stringify({ pid: process.ppid, start: processStartTime(process.ppid) }));
  try {
    acquireFileLock(f, 'root');
    t.fail('took a live lock');
  } catch (err) {
    t.equal((err as EngineError).code, 'CONFLICT');
    t.match((err as Error).message, new RegExp(`in use by process ${process.ppid}`));
  }
  // The same pid with another start time: a recycled pid, so the lock is stale.
  fs.writeFileSync(f, JSON.stringify({ pid: process.ppid, start: 1 }));
  acquireFileLock(f, 'root')();
  // A dead owner.
  const dead = spawnSync('true').pid!;
  fs.writeFileSync(f, JSON.stringify({ pid: dead, start: 5 }));
  const r = acquireFileLock(f, 'root');
  t.same(JSON.parse(fs.readFileSync(f, 'utf8')).pid, process.pid, 'reclaimed');
  r();
});

t.test('keyed mutex: one at a time per key, keys independent, errors do not block', async (t) => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const step = (k: string, i: number, fail = false) =>
    m.run(k, async () => {
      log.push(`${k}${i}+`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`${k}${i}-`);
      if (fail) throw new Error('x');
    });
  await Promise.allSettled([step('a', 1, true), step('a', 2), step('b', 1)]);
  t.same(log.filter((l) => l.startsWith('a')), ['a1+', 'a1-', 'a2+', 'a2-']);
  t.ok(log.indexOf('b1+') < log.indexOf('a1-'), 'another key runs alongside');
});
