// The json-file writer and reader without containers: lines, partial lines,
// rotation by size and count, tail, since/until, follow across a rotation.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { JsonFileWriter, MAX_LINE, logFiles } from '../../../lib/engine/logs/jsonfile';
import { readLogs, type LogEntry } from '../../../lib/engine/logs/read';

const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-logs-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return path.join(d, 'x-json.log');
};
const all = async (it: AsyncIterable<LogEntry>) => {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
};

t.test("Docker's format, one object a line; partial lines joined; long lines cut at 16 KiB", async (t) => {
  const f = tmp();
  const w = new JsonFileWriter(f);
  w.write('stdout', Buffer.from('hel'));
  w.write('stderr', Buffer.from('oops\n'));
  w.write('stdout', Buffer.from('lo\nwor'));
  w.write('stdout', Buffer.alloc(MAX_LINE + 10, 'a'));
  w.close();
  const lines = fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(lines.map((l) => [l.stream, l.log.length > 20 ? l.log.length : l.log]), [
    ['stderr', 'oops\n'],
    ['stdout', 'hello\n'],
    ['stdout', MAX_LINE],
    ['stdout', 'a'.repeat(13)],
  ]);
  for (const l of lines) t.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
  t.same(Object.keys(lines[0]), ['log', 'stream', 'time']);
});

t.test('rotation keeps max-file files of about max-size; reading sees them oldest first', async (t) => {
  const f = tmp();
  const w = new JsonFileWriter(f, { maxSize: 1000, maxFile: 3 });
  for (let i = 0; i < 100; i++) w.write('stdout', Buffer.from(`line ${i}\n`));
  w.close();
  t.same(logFiles(f, 3), [`${f}.2`, `${f}.1`, f]);
  t.notOk(fs.existsSync(`${f}.3`));
  for (const p of logFiles(f, 3)) t.ok(fs.statSync(p).size <= 1000, `${path.basename(p)} within max-size`);
  const got = (await all(readLogs(f, 3, {}, () => false))).map((e) => e.log);
  const n = Number(/\d+/.exec(got[0])![0]);
  t.same(got, Array.from({ length: 100 - n }, (_, i) => `line ${n + i}\n`), 'contiguous and in order, the oldest dropped');
  t.same((await all(readLogs(f, 3, { tail: 2 }, () => false))).map((e) => e.log), ['line 98\n', 'line 99\n']);
  t.same(await all(readLogs(f, 3, { tail: 0 }, () => false)), []);
});

t.test('max-file 1 truncates', async (t) => {
  const f = tmp();
  const w = new JsonFileWriter(f, { maxSize: 200, maxFile: 1 });
  for (let i = 0; i < 50; i++) w.write('stdout', Buffer.from(`l${i}\n`));
  w.close();
  t.same(logFiles(f, 1), [f]);
  t.ok(fs.statSync(f).size <= 200);
});

t.test('since, until, stream selection', async (t) => {
  const f = tmp();
  const w = new JsonFileWriter(f);
  w.write('stdout', Buffer.from('a\n'));
  w.write('stderr', Buffer.from('b\n'));
  await new Promise((r) => setTimeout(r, 20));
  const mid = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  w.write('stdout', Buffer.from('c\n'));
  w.close();
  t.same((await all(readLogs(f, 1, { since: mid }, () => false))).map((e) => e.log), ['c\n']);
  t.same((await all(readLogs(f, 1, { until: mid }, () => false))).map((e) => e.log), ['a\n', 'b\n']);
  t.same((await all(readLogs(f, 1, { stderr: false }, () => false))).map((e) => e.log), ['a\n', 'c\n']);
});

t.test('follow sees lines written later, across a rotation, and ends when the writer stops', async (t) => {
  const f = tmp();
  const w = new JsonFileWriter(f, { maxSize: 300, maxFile: 2 });
  w.write('stdout', Buffer.from('first\n'));
  let running = true;
  const got: string[] = [];
  const reader = (async () => {
    for await (const e of readLogs(f, 2, { follow: true }, () => running)) got.push(e.log);
  })();
  for (let i = 0; i < 30; i++) {
    w.write('stdout', Buffer.from(`n${i}\n`));
    await new Promise((r) => setTimeout(r, 10));
  }
  w.close();
  running = false;
  await reader;
  t.same(got, ['first\n', ...Array.from({ length: 30 }, (_, i) => `n${i}\n`)]);
});
