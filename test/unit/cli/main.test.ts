// The command line's own argument errors: any user, no kernel needed.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

t.test('unknown subcommand and flag name themselves and the valid ones', async (t) => {
  const a = cli('inof');
  t.equal(a.status, 2);
  t.match(a.stderr, /^bulkhead: unknown command "inof"; did you mean "info"\? \(valid: run, info, network, build, pull, push, images, image, rmi, tag, inspect, load, import, save\)\n$/);
  const b = cli('info', '--jsno');
  t.equal(b.status, 2);
  t.match(b.stderr, /unknown flag --jsno; did you mean --json\? \(valid: --json, --cleanup, --help\)/);
  const c = cli('info', 'extra');
  t.equal(c.status, 2);
  t.match(c.stderr, /unexpected argument "extra"/);
});

t.test('no command prints usage and fails; --help succeeds', async (t) => {
  const d = cli();
  t.equal(d.status, 2);
  t.match(d.stdout, /Commands:\n {2}run +run a command in a new container/);
  const h = cli('--help');
  t.equal(h.status, 0);
  const ih = cli('info', '--help');
  t.equal(ih.status, 0);
  t.match(ih.stdout, /--json +print the report as JSON/);
});
