// `bulkhead run IMAGE` end to end on images loaded from busybox-static: the
// image's Entrypoint, Cmd, Env, WorkingDir, User (by name, from the image's own
// /etc/passwd and /etc/group), Volumes and the flags that override them; each
// container gets a fresh upper directory that is gone after it exits.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { buildImage, busyboxEntries, featureEntries, writeDockerArchive, writeOciLayout } from '../../../support/images';
import { imageTier, tempRoot } from '../../helpers/image-root';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

if (imageTier()) main();

function main() {
  const tmp = tempRoot();
  const root = path.join(tmp, 'root');
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BULKHEAD_ROOT: root } });
  const img = buildImage([busyboxEntries(), featureEntries()], {
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: ['echo "$GREETING from $(pwd) as $(id -un):$(id -gn) groups $(id -G) home $HOME"'],
    Env: ['PATH=/bin', 'GREETING=hello'],
    WorkingDir: '/home/app',
    User: 'app',
    Volumes: { '/cache': {} },
    StopSignal: 'SIGUSR1',
  });
  writeOciLayout(path.join(tmp, 'oci'), [{ image: img, name: 'example.com/app:1' }]);
  const plain = buildImage([busyboxEntries()], { Cmd: ['sh', '-c', 'echo plain'] });
  writeDockerArchive(path.join(tmp, 'plain.tar'), [{ image: plain, tags: ['plain'] }]);

  t.test('load', async (t) => {
    t.equal(cli(['load', '-i', path.join(tmp, 'oci')]).stdout, 'Loaded image: example.com/app:1\n');
    t.equal(cli(['load', '-i', path.join(tmp, 'plain.tar')]).stdout, 'Loaded image: plain:latest\n');
  });

  t.test('the config applies', async (t) => {
    const r = cli(['run', 'example.com/app:1']);
    t.equal(r.stderr, '');
    t.equal(r.stdout, 'hello from /home/app as app:app groups 1000 2000 home /home/app\n');
    t.equal(r.status, 0);
    t.equal(cli(['run', 'plain']).stdout, 'plain\n', 'alpine-style short name: docker.io/library/plain:latest');
    t.equal(cli(['run', 'plain@sha256:1234']).status, 125, 'a malformed reference is 125');
  });

  t.test('flags override the config', async (t) => {
    const r = cli(['run', '-e', 'GREETING=bye', '-w', '/tmp', '-u', 'root', 'example.com/app:1']);
    t.equal(r.stdout, 'bye from /tmp as root:root groups 0 home /root\n');
    t.equal(cli(['run', '-u', '1000:2000', 'example.com/app:1', 'id -u; id -g']).stdout, '1000\n2000\n', 'a command replaces Cmd, the Entrypoint stays');
    t.equal(cli(['run', '--entrypoint', 'echo', 'example.com/app:1', 'a', 'b']).stdout, 'a b\n', '--entrypoint replaces the Entrypoint and Cmd');
    t.equal(cli(['run', '--entrypoint', 'pwd', 'example.com/app:1']).stdout, '/home/app\n');
    t.equal(cli(['run', 'example.com/app:1', 'grep -c " /cache tmpfs" /proc/mounts']).stdout, '1\n', 'Volumes become tmpfs mounts');
    t.match(cli(['run', '-u', 'ghost', 'example.com/app:1']).stderr, /unable to find user ghost/);
    t.equal(cli(['run', '-w', '/new/dir', 'example.com/app:1', 'pwd; stat -c %U /new/dir']).stdout, '/new/dir\napp\n', 'a missing working directory is made, owned by the user');
    t.equal(cli(['run', '-u', 'root', '-w', '/etc-link/made-here', 'example.com/app:1', 'ls -d /etc/made-here']).stdout, '/etc/made-here\n', 'through an image symlink it stays in the image');
    t.notOk(fs.existsSync('/etc/made-here'), 'not on the host');
  });

  t.test('each container has its own upper directory, removed after exit', async (t) => {
    t.equal(cli(['run', 'example.com/app:1', 'echo changed > /etc/marker; rm /bin/ls 2>/dev/null; cat /etc/marker']).stdout, '');
    t.equal(cli(['run', '-u', 'root', 'example.com/app:1', 'echo changed > /etc/marker; cat /etc/marker']).stdout, 'changed\n');
    t.equal(cli(['run', '-u', 'root', 'example.com/app:1', 'cat /etc/marker 2>&1 || echo absent']).stdout, 'cat: can\'t open \'/etc/marker\': No such file or directory\nabsent\n', 'a write in one container is not seen by the next');
    t.same(fs.readdirSync(path.join(root, 'containers')), [], 'no container directory left');
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    t.notOk(mounts.includes(root), 'no overlay left mounted');
    t.match(cli(['run', '--read-only', '-u', 'root', 'example.com/app:1', 'touch /x']).stderr, /Read-only file system/, '--read-only: no upper');
  });

  t.test('unknown image, --pull never, bad --pull: one line, exit 125', async (t) => {
    let r = cli(['run', '--pull', 'never', 'example.com/none:1']);
    t.equal(r.status, 125);
    t.match(r.stderr, /^bulkhead run: example\.com\/none:1: no such image/);
    r = cli(['run', '--pull', 'sometimes', 'plain']);
    t.equal(r.status, 125);
    t.match(r.stderr, /--pull must be missing, always or never/);
    r = cli(['run', 'Bad:Ref']);
    t.equal(r.status, 125);
    t.match(r.stderr, /invalid reference format "Bad:Ref"/);
  });

  t.test('the embedded default and --rootfs still run a command', async (t) => {
    t.equal(cli(['run', '--', 'sh', '-c', 'echo host']).stdout, 'host\n');
  });
}
