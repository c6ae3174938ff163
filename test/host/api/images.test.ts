// bulkheadd's images with the stock docker CLI, against a local registry only
// (Debian's docker-registry on 127.0.0.1, a random port; never docker.io):
// pull with progress, images, run with the image's config (Entrypoint, Cmd,
// Env, WorkingDir, User) on an overlay root that lasts until the container is
// removed, the image's Volumes as anonymous volumes and new volumes filled from
// the image, tag, rmi, save | load, push.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { withBusyboxRoot, requirementMissing } from '../../helpers/tier';
import { dockerMissing, startDaemon } from '../../helpers/daemon';
import { buildImage, busyboxEntries, writeOciLayout } from '../../../support/images';
import { registryMissing, skopeo, startRegistry } from '../../../support/registry';

function main(rootfs: string) {
  t.test('pull, images, run, tag, rmi, save | load, push: all against a loopback registry', async (t) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkheadd-images-'));
    t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const reg = await startRegistry({ dir: path.join(tmp, 'reg') });
    t.teardown(() => reg.stop());
    const img = buildImage([busyboxEntries()], { Entrypoint: ['sh', '-c'], Cmd: ['echo "$GREETING from $(pwd) as $(id -u)"'], Env: ['GREETING=hello', 'PATH=/bin'], WorkingDir: '/tmp', User: '4321', Volumes: { '/data': {} } });
    writeOciLayout(path.join(tmp, 'oci'), [{ image: img, name: 'x' }]);
    await skopeo(['copy', `oci:${path.join(tmp, 'oci')}:x`, `docker://${reg.host}/x:latest`]);
    const d = await startDaemon(t, rootfs);
    const name = `${reg.host}/x`;

    const p = await d.docker(['pull', name]);
    t.equal(p.code, 0, p.stderr);
    t.match(p.stdout, /Pull complete/, 'Docker\'s progress lines');
    t.match(p.stdout, new RegExp(`Status: Downloaded newer image for ${name.replace(/\./g, '\\.')}`));
    t.match(p.stdout, /Digest: sha256:[0-9a-f]{64}/);
    const ls = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    t.match(ls.stdout, new RegExp(`^${name.replace(/\./g, '\\.')}:latest ${img.configDigest.slice(7, 19)}$`, 'm'), 'docker images lists it');
    t.equal((await d.docker(['image', 'inspect', '-f', '{{.Config.WorkingDir}} {{.Config.User}}', name])).stdout.trim(), '/tmp 4321');

    const run = await d.docker(['run', '--rm', name]);
    t.equal(run.code, 0, run.stderr);
    t.equal(run.stdout, 'hello from /tmp as 4321\n', 'the image\'s Entrypoint, Cmd, Env, WorkingDir and User');
    t.equal((await d.docker(['run', '--rm', name, 'echo hi'])).stdout, 'hi\n', 'a command replaces Cmd, after the Entrypoint');
    t.equal((await d.docker(['run', '--rm', '--entrypoint', 'echo', name, 'plain'])).stdout, 'plain\n');
    // The overlay root is the container's own: a write there is not seen by the next container.
    const w = await d.docker(['run', '--name', 'wr', '-u', '0', name, 'cat /etc/marker 2>/dev/null || echo absent; echo changed > /etc/marker']);
    t.equal(w.stdout, 'absent\n', w.stderr);
    const again = await d.docker(['start', '-a', 'wr']);
    t.equal(again.stdout, 'changed\n', `the container's writable layer lasts across its runs ${again.stderr}`);
    const other = await d.docker(['run', '--rm', name, 'cat /etc/marker 2>/dev/null || echo absent']);
    t.equal(other.stdout, 'absent\n', `each container has its own upper layer ${other.stderr}`);
    // The image's Volumes: an anonymous volume per container, filled from the image, gone with rm -v.
    const av = await d.docker(['run', '--name', 'av', name, 'ls /data']);
    t.equal(av.stdout, 'gone\nkeep\n', `the image's volume is filled from the image ${av.stderr}`);
    const avName = (await d.docker(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'av'])).stdout.trim();
    t.match(avName, /^[0-9a-f]{64}$/, 'an anonymous volume');
    t.equal((await d.docker(['rm', '-v', 'av'])).code, 0);
    t.equal((await d.docker(['volume', 'inspect', avName])).code, 1, 'rm -v removed it');
    // A new named volume is filled from the image's content at its path.
    t.equal((await d.docker(['run', '--rm', '-v', 'filled:/data', name, 'cat /data/keep'])).stdout, 'keep\n');
    const fv = JSON.parse((await d.docker(['volume', 'inspect', 'filled'])).stdout) as Array<{ Mountpoint: string }>;
    t.same(fs.readdirSync(fv[0].Mountpoint).sort(), ['gone', 'keep'], 'docker volume inspect: its mountpoint holds the copy');
    t.equal((await d.docker(['run', '--rm', '-v', 'empty:/data:nocopy', name, 'ls -A /data | wc -l'])).stdout.trim(), '0', 'nocopy');
    t.equal((await d.docker(['volume', 'rm', 'filled', 'empty'])).code, 0);
    const rmiBusy = await d.docker(['rmi', name]);
    t.equal(rmiBusy.code, 1, 'an image a container uses is not removed');
    t.match(rmiBusy.stderr, /container [0-9a-f]{12} is using its referenced image/);
    t.equal((await d.docker(['rm', 'wr'])).code, 0);
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    t.notMatch(mounts, new RegExp(d.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '/images/containers'), 'no overlay left mounted after rm');

    const tg = await d.docker(['tag', name, `${reg.host}/y:v2`]);
    t.equal(tg.code, 0, tg.stderr);
    t.match((await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout, /\/y:v2$/m);
    const push = await d.docker(['push', `${reg.host}/y:v2`]);
    t.equal(push.code, 0, push.stderr);
    t.match(push.stdout, /v2: digest: sha256:[0-9a-f]{64}/);
    const inspect = await skopeo(['inspect', '--raw', `docker://${reg.host}/y:v2`]);
    t.match(JSON.parse(inspect), { config: { digest: img.configDigest } }, 'the registry has what was pushed');

    const tar = path.join(tmp, 'saved.tar');
    execFileSync('sh', ['-c', `docker save ${reg.host}/y:v2 > ${tar}`], { env: { ...process.env, DOCKER_HOST: `unix://${d.sock}` } });
    t.ok(fs.statSync(tar).size > 100_000, 'docker save wrote an archive');
    const rmi = await d.docker(['rmi', `${reg.host}/y:v2`, name]);
    t.equal(rmi.code, 0, rmi.stderr);
    t.match(rmi.stdout, /Untagged: .*\/y:v2/);
    t.match(rmi.stdout, /Deleted: sha256:/);
    t.equal((await d.docker(['images', '-q'])).stdout.trim(), (await d.docker(['images', '-q', 'busybox'])).stdout.trim(), 'only the directory image left');
    const load = execFileSync('sh', ['-c', `docker load < ${tar}`], { env: { ...process.env, DOCKER_HOST: `unix://${d.sock}` }, encoding: 'utf8' });
    t.match(load, /Loaded image: .*\/y:v2/);
    t.equal((await d.docker(['run', '--rm', `${reg.host}/y:v2`])).stdout, 'hello from /tmp as 4321\n', 'the loaded image runs');
    t.equal((await d.docker(['image', 'prune', '-f'])).code, 0);
    // An image not here: docker run pulls it first (its 404 "No such image", then POST /images/create).
    const auto = await d.docker(['run', '--rm', name]);
    t.equal(auto.stdout, 'hello from /tmp as 4321\n', auto.stderr);
    t.match(auto.stderr, /Unable to find image .* locally/);

    const missing = await d.docker(['pull', `${reg.host}/nosuch`]);
    t.equal(missing.code, 1);
    t.match(missing.stderr, /nosuch/, 'an unknown repository fails the pull');
    t.match((await d.docker(['rmi', 'nosuch'])).stderr, /No such image: nosuch/);
  });

  t.test('credentials: the CLI\'s X-Registry-Auth reaches the registry; without them, refused', async (t) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkheadd-images-auth-'));
    t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const reg = await startRegistry({ dir: path.join(tmp, 'reg'), htpasswd: { user: 'alice', password: 's3cret' } });
    t.teardown(() => reg.stop());
    const img = buildImage([busyboxEntries()], { Cmd: ['echo', 'private'] });
    writeOciLayout(path.join(tmp, 'oci'), [{ image: img, name: 'p' }]);
    await skopeo(['copy', `oci:${path.join(tmp, 'oci')}:p`, `docker://${reg.host}/p:latest`], 'alice:s3cret');
    const d = await startDaemon(t, rootfs);
    const anon = await d.docker(['pull', `${reg.host}/p`]);
    t.equal(anon.code, 1, 'no credentials: the pull fails');
    t.match(anon.stdout + anon.stderr, /requires authentication/);
    // What `docker login` would store (bulkheadd has no /auth yet): the CLI sends it as X-Registry-Auth.
    fs.mkdirSync(path.join(d.dir, 'docker-config'), { recursive: true });
    fs.writeFileSync(path.join(d.dir, 'docker-config', 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const p = await d.docker(['pull', `${reg.host}/p`]);
    t.equal(p.code, 0, p.stderr);
    t.equal((await d.docker(['run', '--rm', `${reg.host}/p`])).stdout, 'private\n');
    await d.docker(['tag', `${reg.host}/p`, `${reg.host}/q:1`]);
    const push = await d.docker(['push', `${reg.host}/q:1`]);
    t.equal(push.code, 0, push.stderr);
    t.match(push.stdout, /1: digest: sha256:/);
  });
}

const missing = dockerMissing() ?? registryMissing();
if (missing) requirementMissing(missing);
else withBusyboxRoot(main);
