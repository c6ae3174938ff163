// Named volumes of the local driver through the engine: created, filled from
// the container root's content at the mount path, shared by two containers,
// read-only mounts, removal refused while in use (naming the containers),
// anonymous volumes removed with their container, tmpfs options, prune.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { EngineError } from '../../../lib/engine/index';
import { withBusyboxRoot } from '../../helpers/tier';
import { openEngine } from '../../helpers/engine';

function main(rootfs: string) {
  fs.mkdirSync(path.join(rootfs, 'seed'));
  fs.writeFileSync(path.join(rootfs, 'seed', 'hello.txt'), 'from the image\n');
  fs.chownSync(path.join(rootfs, 'seed', 'hello.txt'), 1234, 5678);
  fs.symlinkSync('hello.txt', path.join(rootfs, 'seed', 'link'));
  fs.symlinkSync('/etc', path.join(rootfs, 'evil'));

  const run = async (e: Awaited<ReturnType<typeof openEngine>>, script: string, hc: object = {}, extra: object = {}) => {
    const { Id } = e.containers.create({ Rootfs: rootfs, Cmd: ['sh', '-c', script], HostConfig: hc, ...extra });
    await e.containers.start(Id);
    const { StatusCode } = await e.containers.wait(Id);
    let out = '';
    for await (const l of e.containers.logs(Id)) out += l.log;
    return { Id, StatusCode, out };
  };

  t.test('create, inspect, list, remove; names and options checked', async (t) => {
    const e = await openEngine(t);
    const v = e.volumes.create({ Name: 'data', Labels: { team: 'a' } });
    t.match(v, { Name: 'data', Driver: 'local', Scope: 'local', Labels: { team: 'a' }, Mountpoint: path.join(e.root, 'volumes', 'data', '_data') });
    t.ok(fs.statSync(v.Mountpoint).isDirectory());
    t.same(e.volumes.create({ Name: 'data' }), v, 'create of an existing name returns it');
    const gen = e.volumes.create();
    t.match(gen.Name, /^[0-9a-f]{64}$/, 'generated name');
    t.same(e.volumes.list({ label: ['team=a'] }).map((x) => x.Name), ['data']);
    const tmp = e.volumes.create({ Name: 'scratch', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=8m' } });
    t.same(tmp.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=8m' });
    t.throws(() => e.volumes.create({ Name: 'x/y' }), /includes invalid characters/);
    t.throws(() => e.volumes.create({ Name: 'nfs', DriverOpts: { type: 'nfs', o: 'addr=1.2.3.4' } }), /only type=tmpfs/);
    t.throws(() => e.volumes.create({ Name: 'big', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=lots' } }), /invalid size/);
    try {
      e.volumes.inspect('nope');
      t.fail('found a missing volume');
    } catch (err) {
      t.ok(err instanceof EngineError && err.code === 'NOT_FOUND' && err.message === 'No such volume: nope', (err as Error).message);
    }
    e.volumes.remove(gen.Name);
    t.notOk(fs.existsSync(path.join(e.root, 'volumes', gen.Name)));
  });

  t.test('a new volume is filled from the root at its path; shared by two containers; ro', async (t) => {
    const e = await openEngine(t);
    const a = await run(e, 'cat /seed/hello.txt; stat -c "%u:%g" /seed/hello.txt; readlink /seed/link; echo shared > /seed/new', { Binds: ['filled:/seed'] });
    t.equal(a.StatusCode, 0);
    t.equal(a.out, 'from the image\n1234:5678\nhello.txt\n', 'content, ownership and symlinks copied up');
    const b = await run(e, 'cat /seed/new; echo no > /seed/x', { Binds: ['filled:/seed:ro'] });
    t.match(b.out, /^shared\n.*Read-only file system/s, 'the second container sees the first one\'s write; ro refuses writes');
    t.not(b.StatusCode, 0);
    t.same(e.containers.inspect(b.Id).Mounts, [{ Type: 'volume', Name: 'filled', Source: e.volumes.inspect('filled').Mountpoint, Destination: '/seed', Driver: 'local', Mode: 'ro', RW: false }]);
    fs.writeFileSync(path.join(rootfs, 'seed', 'later.txt'), 'x');
    const c = await run(e, 'ls /seed', { Binds: ['filled:/seed'] });
    t.notMatch(c.out, /later/, 'an existing volume is not filled again');
    const evil = await run(e, 'ls /evil', { Binds: ['evilvol:/evil'] });
    t.equal(evil.out, '', 'a path through a symlink is not copied (it could name host files)');
    // In use: refused, naming the containers (stopped ones too, as Docker).
    try {
      e.volumes.remove('filled');
      t.fail('removed a volume in use');
    } catch (err) {
      t.equal((err as EngineError).code, 'CONFLICT');
      t.equal((err as Error).message, `remove filled: volume is in use - [${[a.Id, b.Id, c.Id].join(', ')}]`);
    }
    for (const x of [a, b, c]) await e.containers.remove(x.Id);
    e.volumes.remove('filled');
    t.notOk(e.volumes.has('filled'));
  });

  t.test('anonymous volumes go with their container when asked; prune', async (t) => {
    const e = await openEngine(t);
    const a = await run(e, 'echo x > /data/f', {}, { Volumes: { '/data': {} } });
    const m = e.containers.inspect(a.Id).Mounts[0];
    t.match(m.Name, /^[0-9a-f]{64}$/);
    await e.containers.remove(a.Id, { volumes: true });
    t.notOk(e.volumes.has(m.Name!), 'removed with the container');
    const b = await run(e, 'true', {}, { Volumes: { '/data': {} } });
    const mb = e.containers.inspect(b.Id).Mounts[0];
    await e.containers.remove(b.Id);
    t.ok(e.volumes.has(mb.Name!), 'kept without volumes: true');
    e.volumes.create({ Name: 'named' });
    const pr = e.volumes.prune();
    t.same(pr.VolumesDeleted, [mb.Name], 'prune takes unused anonymous volumes only');
    t.same(e.volumes.prune({ all: true }).VolumesDeleted, ['named']);
  });

  t.test('a tmpfs volume is a tmpfs in the container', async (t) => {
    const e = await openEngine(t);
    e.volumes.create({ Name: 'fast', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=4m' } });
    const r = await run(e, 'grep " /fast " /proc/mounts', { Binds: ['fast:/fast'] });
    t.match(r.out, /^tmpfs \/fast tmpfs .*size=4096k/);
  });
}

withBusyboxRoot(main);
