// `bulkhead import` (docker import): a root filesystem tarball, from a file or
// stdin, plain or gzip, becomes a one-layer image that `run` starts, with the
// config --change gives; bad input is one line and exit 125 before anything is
// stored. The README's first images example, as a newcomer types it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import t from 'tap';
import { Images } from '../../../lib/image/images';
import { applyChange } from '../../../lib/image/archive/import';
import { busyboxEntries, tar } from '../../../support/images';
import { imageTier, tempRoot } from '../../helpers/image-root';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

if (imageTier()) main();

function main() {
  const tmp = tempRoot();
  const root = path.join(tmp, 'root');
  const cli = (args: string[], input?: Buffer) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BULKHEAD_ROOT: root }, ...(input ? { input } : {}) });
  const rootfs = tar(busyboxEntries());

  t.test('a tarball on stdin, then run --pull=never', async (t) => {
    const r = cli(['import', '-c', 'CMD ["sh", "-c", "echo hello from $(hostname)"]', '-c', 'ENV PATH=/bin GREETING=hi', '-c', 'WORKDIR /home/app', '-', 'mybox'], rootfs);
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/, 'prints the image id');
    t.match(cli(['images']).stdout, /mybox +latest/);
    t.match(cli(['run', '--pull=never', 'mybox']).stdout, /^hello from [0-9a-f]{12}\n$/, 'Cmd applies');
    t.equal(cli(['run', '--pull=never', 'mybox', 'sh', '-c', 'echo $GREETING; pwd']).stdout, 'hi\n/home/app\n', 'Env and WorkingDir apply');
    const inspect = JSON.parse(cli(['inspect', 'mybox']).stdout)[0];
    t.same(inspect.RootFS.Layers.length, 1, 'one layer');
  });

  t.test('a gzip file, untagged, and the library', async (t) => {
    fs.writeFileSync(path.join(tmp, 'rootfs.tar.gz'), zlib.gzipSync(rootfs));
    const r = cli(['import', '-q', path.join(tmp, 'rootfs.tar.gz')]);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, '');
    const images = new Images({ root });
    const rec = await images.import((async function* () { yield rootfs; })(), 'lib/box:2', { changes: ['ENTRYPOINT echo from the library'] });
    t.same(images.config(rec).config?.Entrypoint, ['/bin/sh', '-c', 'echo from the library']);
    t.equal(cli(['run', '--pull=never', 'lib/box:2']).stdout, 'from the library\n');
  });

  t.test('bad input: one line, exit 125, nothing stored', async (t) => {
    const before = fs.readdirSync(path.join(root, 'image', 'blobs', 'sha256')).length;
    for (const [args, msg] of [
      [['import', '-c', 'FROM scratch', '-', 'x'], /--change "FROM scratch": FROM is not an instruction docker import takes/],
      [['import', '-c', 'WORKDIR rel', '-', 'x'], /WORKDIR must be an absolute path/],
      [['import', '-c', 'CMD [1]', '-', 'x'], /not a JSON array of strings/],
      [['import', path.join(tmp, 'nothere.tar'), 'x'], /nothere.tar: no such file/],
      [['import', '-', 'Bad:Name'], /import: /],
      [['import'], /expected 1-2 argument/],
    ] as Array<[string[], RegExp]>) {
      const r = cli(args, rootfs);
      t.equal(r.status, 125, args.join(' '));
      t.match(r.stderr, msg);
      t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    }
    t.equal(fs.readdirSync(path.join(root, 'image', 'blobs', 'sha256')).length, before, 'no blob stored');
    const junk = cli(['import', '-', 'junk'], Buffer.from('not a tar at all'));
    t.equal(junk.status, 125, 'a tarball that is no tar fails');
    t.same(fs.readdirSync(path.join(root, 'image', 'tmp')), [], 'no temp file left');
  });

  t.test('--change parsing', async (t) => {
    const c: Parameters<typeof applyChange>[0] = {};
    applyChange(c, 'ENV A=1');
    applyChange(c, 'ENV A 2');
    applyChange(c, 'USER app:app');
    applyChange(c, 'EXPOSE 80 53/udp');
    applyChange(c, 'VOLUME /data /cache');
    applyChange(c, 'LABEL a=b c="d"');
    applyChange(c, 'stopsignal SIGINT');
    t.same(c, { Env: ['A=2'], User: 'app:app', ExposedPorts: { '80/tcp': {}, '53/udp': {} }, Volumes: { '/data': {}, '/cache': {} }, Labels: { a: 'b', c: 'd' }, StopSignal: 'SIGINT' });
    t.throws(() => applyChange(c, 'ENV 1x=2'), TypeError);
    t.throws(() => applyChange(c, 'CMD'), TypeError);
  });
}
