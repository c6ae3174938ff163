// `bulkhead info` describes the host without a child process: a PATH whose
// lscpu and dmidecode are shims that leave a marker proves neither runs. The
// control runs systeminformation (what info used before, and what the
// benchmarks still use) with the same PATH and sees the shims fire.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { needRoot } from '../../helpers/tier';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');
const SHIMS = ['lscpu', 'dmidecode'];

function shimDir(t: { teardown(fn: () => void): void }): { bin: string; marks: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-shims-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  const marks = path.join(dir, 'marks');
  fs.mkdirSync(bin);
  fs.mkdirSync(marks);
  for (const name of SHIMS) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\ntouch '${marks}/${name}'\nexit 1\n`, { mode: 0o755 });
  }
  return { bin, marks };
}

if (needRoot()) {
  t.test('bulkhead info runs neither lscpu nor dmidecode', async (t) => {
    const { bin, marks } = shimDir(t);
    const res = spawnSync(process.execPath, [CLI, 'info', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    t.equal(res.status, 0, res.stderr);
    const info = JSON.parse(res.stdout);
    t.same(fs.readdirSync(marks), [], 'no shim was run');
    t.ok(info.host.cores >= 1, 'cores');
    t.ok(info.host.memoryBytes > 0, 'memory');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1];
    t.equal(info.host.distro, pretty, 'PRETTY_NAME of /etc/os-release');
  });

  t.test('control: systeminformation runs the shims on the same PATH', async (t) => {
    const { bin, marks } = shimDir(t);
    const res = spawnSync(process.execPath, ['-e', "require('systeminformation').cpu().then(() => require('systeminformation').system()).then(() => {})"], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      timeout: 60_000,
    });
    t.equal(res.status, 0, res.stderr);
    t.ok(fs.readdirSync(marks).length > 0, `shims run: ${fs.readdirSync(marks).join(', ')}`);
  });
}
