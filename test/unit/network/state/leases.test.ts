// The leases file: what is written is read back, each write goes to the other
// half and flips the switch, a write cut before the switch leaves the old
// value, and anything unreadable reads as no leases.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { HALF_SIZE, readLeases, writeLeases } from '../../../../lib/network/state/leases';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-leases-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'n.leases');

t.equal(readLeases(file), undefined, 'absent: none');
writeLeases(file, { endpoints: { '10.0.0.2': { name: 'a' } } });
t.same(readLeases(file), { endpoints: { '10.0.0.2': { name: 'a' } } });
t.equal(fs.readFileSync(file).subarray(0, 5).toString('latin1'), 'BHL1\0', 'first write: half 0');
writeLeases(file, { endpoints: {}, lastIp: '10.0.0.2' });
t.same(readLeases(file), { endpoints: {}, lastIp: '10.0.0.2' });
t.equal(fs.readFileSync(file)[4], 1, 'second write: half 1');
t.ok(fs.statSync(file).blocks * 512 < HALF_SIZE, 'sparse: only written pages take blocks');

// A writer killed while writing the half not in use: the old value stands.
const fd = fs.openSync(file, 'r+');
const junk = Buffer.from('\xff\xff\xff\x7f{"torn', 'latin1');
fs.writeSync(fd, junk, 0, junk.length, 4096 + 0 * HALF_SIZE);
fs.closeSync(fd);
t.same(readLeases(file), { endpoints: {}, lastIp: '10.0.0.2' }, 'the half in use is untouched');
writeLeases(file, { endpoints: { '10.0.0.3': { name: 'b' } } });
t.same(readLeases(file), { endpoints: { '10.0.0.3': { name: 'b' } } }, 'the next write overwrites the torn half and switches');

// A half whose JSON does not match its digest (a reader meeting a writer) is never returned.
{
  const f2 = path.join(dir, 'd.leases');
  writeLeases(f2, { endpoints: { a: 1 } });
  const fd2 = fs.openSync(f2, 'r+');
  fs.writeSync(fd2, Buffer.from('{"endpoints":{"b":1}}'), 0, 21, 4096 + 12);
  fs.closeSync(fd2);
  t.equal(readLeases(f2), undefined, 'a half that never matches its digest reads as unreadable, not as its bytes');
}

// What a power loss could leave: garbage reads as no leases (every owner died with the machine).
fs.writeFileSync(file, 'garbage');
t.equal(readLeases(file), undefined);
writeLeases(file, { endpoints: {} });
t.same(readLeases(file), { endpoints: {} }, 'and the next write starts over');
