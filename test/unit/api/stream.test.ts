// Docker's stdcopy framing: 8-byte headers, stream ids, lengths; decoding across split reads.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { frame, demultiplex, streamWriter } from '../../../lib/api/stream';

const f = frame(2, Buffer.from('oops\n'));
t.same([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
t.equal(f.subarray(8).toString(), 'oops\n');
const both = Buffer.concat([frame(1, Buffer.from('a')), frame(2, Buffer.from('bc')), frame(1, Buffer.alloc(70000, 0x78))]);
const cut = demultiplex(both.subarray(0, both.length - 10));
t.same(cut.frames.map((x) => [x.stream, x.data.length]), [[1, 1], [2, 2]], 'a partial frame is left for the next read');
t.equal(cut.rest.length, 8 + 70000 - 10);
t.equal(demultiplex(both).frames[2]!.data.length, 70000);

t.test('streamWriter frames when multiplexed, passes raw otherwise', async (t) => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = streamWriter(out, 1, true);
  const raw = streamWriter(out, 2, false);
  await new Promise<void>((r) => w.write(Buffer.from('hi'), () => r()));
  await new Promise<void>((r) => raw.write(Buffer.from('raw'), () => r()));
  t.same(Buffer.concat(chunks), Buffer.concat([frame(1, Buffer.from('hi')), Buffer.from('raw')]));
});
