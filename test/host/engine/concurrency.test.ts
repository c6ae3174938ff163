// 200 containers created, started, waited for and removed at once, with no
// network (their own empty net namespace): all run, names stay unique, nothing is left.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { withBusyboxRoot } from '../../helpers/tier';
import { groupsUnder, openEngine } from '../../helpers/engine';

function main(rootfs: string) {
  t.test('200 at once', async (t) => {
    const e = await openEngine(t);
    const N = 200;
    const codes = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const { Id } = e.containers.create({ Rootfs: rootfs, Cmd: ['sh', '-c', `exit ${i % 7}`], HostConfig: { NetworkMode: 'none' } }, { name: `job-${i}` });
        await e.containers.start(Id);
        const { StatusCode } = await e.containers.wait(Id);
        await e.containers.remove(Id);
        return StatusCode;
      }),
    );
    t.same(codes, Array.from({ length: N }, (_, i) => i % 7), 'every container ran to its own exit status');
    await e.containers.flush(); // removed containers' directories go in the background
    t.same(fs.readdirSync(path.join(e.root, 'containers')), [], 'no container directory left');
    t.same(groupsUnder(e.cgroupParent), [], 'no cgroup left');
    t.equal(e.containers.list({ all: true }).length, 0);
  });

  t.test('one name, 50 concurrent creates: exactly one wins', async (t) => {
    const e = await openEngine(t);
    const results = await Promise.allSettled(Array.from({ length: 50 }, async () => e.containers.create({ Rootfs: rootfs, Cmd: ['true'] }, { name: 'only' })));
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    t.equal(results.filter((r) => r.status === 'rejected' && /already in use/.test(String(r.reason))).length, 49);
    t.equal(fs.readdirSync(path.join(e.root, 'containers')).length, 1);
  });
}

withBusyboxRoot(main);
