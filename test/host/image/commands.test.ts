// images, tag, rmi, inspect, save: docker's commands and output on a real store;
// `bulkhead save` read by `skopeo copy docker-archive:` and by `bulkhead load`.
// An image of 80 layers mounts (its lowerdirs as absolute paths would not fit in
// mount(2)'s one page of options).
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { Images } from '../../../lib/image/images';
import { spawn } from '../../../lib/spawn/index';
import { buildImage, busyboxEntries, featureEntries, writeOciLayout } from '../../../support/images';
import { imageTier, tempRoot } from '../../helpers/image-root';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

if (imageTier()) main();

function main() {
  const tmp = tempRoot();
  const root = path.join(tmp, 'root');
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BULKHEAD_ROOT: root } });
  const img = buildImage([busyboxEntries(), featureEntries()], { Cmd: ['echo', 'saved'] });
  writeOciLayout(path.join(tmp, 'oci'), [{ image: img, name: 'docker.io/library/bb:1' }]);
  const short = img.configDigest.slice(7, 19);

  t.test('images, tag, inspect, rmi', async (t) => {
    t.equal(cli('load', '-i', path.join(tmp, 'oci')).status, 0);
    t.equal(cli('tag', 'bb:1', 'localhost:5000/team/bb:v2').status, 0);
    const ls = cli('images').stdout.split('\n');
    t.match(ls[0], /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
    t.match(ls.slice(1).filter(Boolean).sort().join('\n'), new RegExp(`^bb +1 +${short} +2026-01-01 00:00:00 +[0-9.]+[kM]B\\nlocalhost:5000/team/bb +v2 +${short} `));
    t.equal(cli('image', 'ls', '-q').stdout, `${short}\n`);
    const inspect = JSON.parse(cli('inspect', 'bb:1').stdout);
    t.equal(inspect[0].Id, img.configDigest);
    t.same(inspect[0].Config.Cmd, ['echo', 'saved']);
    t.same(inspect[0].RootFS.Layers, img.layers.map((l) => l.diffId));
    t.same(JSON.parse(cli('image', 'inspect', short).stdout)[0].RepoTags.sort(), ['bb:1', 'localhost:5000/team/bb:v2']);
    const bad = cli('inspect', 'nothere');
    t.equal(bad.status, 125);
    t.equal(bad.stderr, 'bulkhead inspect: nothere: no such image\n');
    const both = cli('rmi', short);
    t.equal(both.status, 125, 'an id with two tags needs force');
    t.match(both.stderr, /referenced in multiple repositories/);
    t.equal(cli('rmi', 'localhost:5000/team/bb:v2').stdout, 'Untagged: localhost:5000/team/bb:v2\n');
    t.ok(fs.readdirSync(path.join(root, 'image', 'layers')).length === 2, 'the image stays while a tag is left');
  });

  t.test('save: skopeo and load read it back', async (t) => {
    const out = path.join(tmp, 'saved.tar');
    const r = cli('save', '-o', out, 'bb:1');
    t.equal(r.status, 0, r.stderr);
    const { stdout } = await promisify(execFile)('skopeo', ['--insecure-policy', 'inspect', '--raw', `docker-archive:${out}`], { encoding: 'utf8' });
    t.equal(JSON.parse(stdout).config.digest, img.configDigest, 'skopeo reads the archive');
    await promisify(execFile)('skopeo', ['--insecure-policy', 'copy', `docker-archive:${out}`, `oci:${path.join(tmp, 'via-skopeo')}:x`]);
    t.pass('skopeo copy docker-archive: verifies and copies every layer');
    const piped = spawnSync(process.execPath, [CLI, 'load'], { encoding: 'utf8', input: fs.readFileSync(out), env: { ...process.env, BULKHEAD_ROOT: path.join(tmp, 'root-stdin') } });
    t.equal(piped.stdout, 'Loaded image: bb:1\n', 'load reads stdin');
    t.same(fs.readdirSync(path.join(tmp, 'root-stdin', 'image', 'tmp')), []);
    const other = new Images({ root: path.join(tmp, 'root2') });
    const loaded = await other.load(out);
    t.same(loaded[0].tags, ['docker.io/library/bb:1']);
    t.equal(loaded[0].image.id, img.configDigest);
    // A running container keeps its layers through rmi.
    const images = new Images({ root });
    const live = await images.rootfsFor('bb:1');
    t.equal(cli('rmi', 'bb:1').stdout, `Untagged: bb:1\nDeleted: ${img.configDigest}\n`);
    t.equal((await spawn('/bin/busybox', ['echo', 'still'], { rootfs: live.rootfs })).stdout, 'still\n', 'a container started from it still sees its files');
    t.equal(fs.readdirSync(path.join(root, 'image', 'layers')).length, 2, 'its layers stay while it lives');
    live.release();
    await images.load(path.join(tmp, 'oci'));
    await images.remove('bb:1');
    t.same(fs.readdirSync(path.join(root, 'image', 'layers')), [], 'layers of the last image are removed');
    t.same(fs.readdirSync(path.join(root, 'image', 'blobs', 'sha256')), [], 'and its blobs');
    t.equal(cli('save', '-o', out, 'nothere').status, 125);
  });

  t.test('80 layers mount (lowerdir as short relative paths)', async (t) => {
    const layers = [busyboxEntries(), ...Array.from({ length: 79 }, (_, i) => [{ name: `f${i}`, data: `${i}\n` }])];
    const many = buildImage(layers, { Cmd: ['sh', '-c', 'cat /f0 /f78'] });
    writeOciLayout(path.join(tmp, 'many'), [{ image: many, name: 'many:1' }]);
    const images = new Images({ root: path.join(tmp, 'root3') });
    await images.load(path.join(tmp, 'many'));
    const absolute = layers.map((_, i) => images.store.layout.layer(many.layers[i].diffId)).join(':');
    t.ok(absolute.length > 4096, `absolute lowerdirs would need ${absolute.length} bytes`);
    const r = spawnSync(process.execPath, [CLI, 'run', 'many:1'], { encoding: 'utf8', env: { ...process.env, BULKHEAD_ROOT: path.join(tmp, 'root3') } });
    t.equal(r.stdout, '0\n78\n', r.stderr);
  });
}
