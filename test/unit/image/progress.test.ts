// Pull progress: a line per layer redrawn in place on a terminal, plain lines
// (one per change of state, not per byte) otherwise, nothing with --quiet.
import { PassThrough } from 'node:stream';
import t from 'tap';
import { ProgressPrinter } from '../../../lib/cli/image/progress';

function capture(tty: boolean) {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean };
  out.isTTY = tty;
  let text = '';
  out.on('data', (d) => (text += d));
  return { out, text: () => text };
}

t.test('terminal: one line per layer, redrawn with cursor-up and erase-line', async (t) => {
  const c = capture(true);
  const p = new ProgressPrinter(c.out);
  p.event({ id: 'aaaaaaaaaaaa', status: 'Waiting', total: 1000 });
  p.event({ id: 'bbbbbbbbbbbb', status: 'Waiting', total: 2000 });
  p.event({ id: 'aaaaaaaaaaaa', status: 'Download complete' });
  p.flush();
  const text = c.text();
  t.match(text, /\x1b\[2Kaaaaaaaaaaaa: Waiting\n/);
  t.match(text, /\x1b\[2A\x1b\[2Kaaaaaaaaaaaa: Download complete\n\x1b\[2Kbbbbbbbbbbbb: Waiting\n/, 'moved up over both lines and redrew them');
});

t.test('not a terminal: plain lines, Downloading once', async (t) => {
  const c = capture(false);
  const p = new ProgressPrinter(c.out);
  p.event({ id: 'x', status: 'Resolving' });
  for (let i = 1; i <= 5; i++) p.event({ id: 'aaaaaaaaaaaa', status: 'Downloading', current: i * 100, total: 500 });
  p.event({ id: 'aaaaaaaaaaaa', status: 'Pull complete' });
  t.equal(c.text(), 'Pulling x\naaaaaaaaaaaa: Downloading\naaaaaaaaaaaa: Pull complete\n');
});

t.test('quiet: nothing', async (t) => {
  const c = capture(true);
  const p = new ProgressPrinter(c.out, true);
  p.event({ id: 'aaaaaaaaaaaa', status: 'Downloading', current: 1, total: 2 });
  p.flush();
  t.equal(c.text(), '');
});
