// The parsers against files captured from the UML 6.1 kernel of the vm tier
// (test/fixtures/cgroup-uml: a group that did direct I/O on a ramdisk, ran a
// throttled busy loop, crossed memory.high; the -oom, -max and -frozen files
// come from a group that was OOM-killed, refused a fork and was frozen) and
// PSI files from this project's hybrid host (test/fixtures/cgroup-host).
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import {
  collectStats,
  parseFlat,
  parseIds,
  parseNested,
  parsePressure,
  parseSingle,
} from '../../../lib/cgroup/stats';

const FIX = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const uml = (name: string) => fs.readFileSync(path.join(FIX, 'cgroup-uml', name), 'utf8');
const host = (name: string) => fs.readFileSync(path.join(FIX, 'cgroup-host', name), 'utf8');
const reader = (dir: string, rename: Record<string, string> = {}) => (file: string) => {
  try {
    return fs.readFileSync(path.join(FIX, dir, rename[file] ?? file), 'utf8');
  } catch {
    return undefined;
  }
};

t.test('single values, and "max" as Infinity', async (t) => {
  t.equal(parseSingle(uml('memory.peak')), 50315264);
  t.equal(parseSingle(uml('memory.current')), 122880);
  t.equal(parseSingle(uml('memory.high')), 44 * 1024 * 1024);
  t.equal(parseSingle(uml('pids.peak')), 9);
  t.equal(parseSingle(uml('cpu.max.burst')), 0);
  t.equal(parseSingle('max\n'), Infinity);
  t.throws(() => parseSingle('12abc\n'), SyntaxError);
  t.throws(() => parseSingle('\n'), SyntaxError);
});

t.test('flat keyed: memory.stat, memory.events, cpu.stat, cgroup.events, pids.events', async (t) => {
  const stat = parseFlat(uml('memory.stat'));
  t.equal(stat.kernel, 4096);
  t.equal(stat.slab, 4232);
  t.equal(stat.pgfault, 16941);
  t.equal(stat.pgscan_direct, 10344);
  t.equal(Object.keys(stat).length, uml('memory.stat').trim().split('\n').length, 'one key per line');
  t.same(parseFlat(uml('memory.events')), { low: 0, high: 8216, max: 0, oom: 0, oom_kill: 0, oom_group_kill: 0 });
  t.same(parseFlat(uml('memory.events-oom')), { low: 0, high: 0, max: 86, oom: 1, oom_kill: 1, oom_group_kill: 0 });
  t.same(parseFlat(uml('cgroup.events')), { populated: 0, frozen: 0 });
  t.same(parseFlat(uml('cgroup.events-frozen')), { populated: 1, frozen: 1 });
  t.same(parseFlat(uml('pids.events-max')), { max: 1 });
  t.same(parseFlat(uml('cpu.stat')), {
    usage_usec: 810000,
    user_usec: 750000,
    system_usec: 60000,
    nr_periods: 25,
    nr_throttled: 14,
    throttled_usec: 610000,
    nr_bursts: 0,
    burst_usec: 0,
  });
  t.equal(parseFlat(host('cpu.stat-root')).nice_usec, 0, 'a newer kernel\'s extra key is kept');
  t.same(parseFlat(''), {});
  t.throws(() => parseFlat('populated\n'), SyntaxError);
  t.throws(() => parseFlat('populated yes\n'), SyntaxError);
});

t.test('nested keyed: io.stat, io.max', async (t) => {
  t.same(parseNested(uml('io.stat')), { '1:0': { rbytes: 4096000, wbytes: 8192000, rios: 1000, wios: 2000, dbytes: 0, dios: 0 } });
  t.same(parseNested(uml('io.stat-root')), { '1:0': {} }, 'a device listed without numbers');
  t.same(parseNested(uml('io.max')), { '1:0': { rbps: Infinity, wbps: 104857600, riops: Infinity, wiops: Infinity } });
  t.same(parseNested('8:0 rbytes=1 wbytes=2\n8:16 rbytes=3\n'), { '8:0': { rbytes: 1, wbytes: 2 }, '8:16': { rbytes: 3 } });
  t.throws(() => parseNested('8:0 rbytes\n'), SyntaxError);
  t.throws(() => parseNested('8:0 rbytes=x\n'), SyntaxError);
});

t.test('PSI: some and full lines', async (t) => {
  const cpu = parsePressure(host('cpu.pressure'));
  t.same(cpu.some, { avg10: 62.25, avg60: 41.3, avg300: 13.85, total: 172281239 });
  t.same(cpu.full, { avg10: 0, avg60: 0, avg300: 0, total: 0 });
  const io = parsePressure(host('io.pressure'));
  t.equal(io.full?.total, 8424733);
  t.equal(io.some.avg10, 0.22);
  t.same(parsePressure(host('memory.pressure')).some, { avg10: 0, avg60: 0, avg300: 0, total: 0 });
  t.same(parsePressure('some avg10=1.50 avg60=0.00 avg300=0.00 total=7\n'), { some: { avg10: 1.5, avg60: 0, avg300: 0, total: 7 } }, 'cpu.pressure before 5.13 has no full line');
  t.throws(() => parsePressure('full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), SyntaxError);
  t.throws(() => parsePressure('some avg10=0.00 total=0\n'), SyntaxError);
});

t.test('ids: cgroup.procs', async (t) => {
  t.same(parseIds('1\n42\n'), [1, 42]);
  t.same(parseIds(''), []);
});

t.test('collectStats: a UML group (memory, cpu, pids, io; no PSI in that kernel)', async (t) => {
  const s = collectStats(reader('cgroup-uml', { 'pids.events': 'pids.events-max' }));
  t.same(s.cpu, { usageUsec: 810000, userUsec: 750000, systemUsec: 60000, nrPeriods: 25, nrThrottled: 14, throttledUsec: 610000, nrBursts: 0, burstUsec: 0 });
  t.equal(s.memory?.current, 122880);
  t.equal(s.memory?.peak, 50315264);
  t.same(s.memory?.events, { low: 0, high: 8216, max: 0, oom: 0, oomKill: 0, oomGroupKill: 0 });
  t.equal(s.memory?.stat?.pgfault, 16941);
  t.notOk('swapCurrent' in (s.memory ?? {}), 'a file not captured is left out, not undefined-valued');
  t.same(s.pids, { current: 0, peak: 9, limitHits: 1 });
  t.same(s.io, { devices: { '1:0': { rbytes: 4096000, wbytes: 8192000, rios: 1000, wios: 2000, dbytes: 0, dios: 0 } }, readBytes: 4096000, writeBytes: 8192000, readOps: 1000, writeOps: 2000 });
  t.notOk('pressure' in s, 'no *.pressure files: no pressure key');
});

t.test('collectStats: the hybrid host\'s v2 root (cpu.stat and PSI only)', async (t) => {
  const s = collectStats(reader('cgroup-host', { 'cpu.stat': 'cpu.stat-root' }));
  t.same(Object.keys(s).sort(), ['cpu', 'pressure']);
  t.same(s.cpu, { usageUsec: 940025152, userUsec: 685787063, systemUsec: 254238089 }, 'no bandwidth keys without the cpu controller');
  t.equal(s.pressure?.cpu?.some.avg10, 62.25);
  t.equal(s.pressure?.io?.full?.total, 8424733);
  t.same(collectStats(() => undefined), {}, 'nothing there, nothing reported');
});
