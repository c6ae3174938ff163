// exec on a pure cgroup v2 kernel (UML): the exec'd process is in the
// container's own group, so the container's limits hold it (pids.max stops its
// forks) and it is counted there (pids.current).
import './guest-only';
import * as fs from 'node:fs';
import t from 'tap';
import { openEngine } from '../helpers/engine';
import { makeBusyboxRootfs } from '../../support/rootfs';

t.test('exec: in the container\'s group, held by its limits', async (t) => {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.cleanup);
  const e = await openEngine(t);
  const { Id } = e.containers.create({ Rootfs: rootfs.dir, Cmd: ['sleep', '1000'], HostConfig: { PidsLimit: 8 } });
  await e.containers.start(Id);
  const group = e.containers.inspect(Id).State.Pid;
  const run = async (cmd: string) => {
    const s = e.containers.exec(Id, { Cmd: ['sh', '-c', cmd] });
    let out = '';
    s.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    s.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const { ExitCode } = await s.done;
    return { out, code: ExitCode };
  };
  const counted = await run('cat /sys/fs/cgroup/pids.current');
  t.ok(Number(counted.out.trim()) >= 2, `pids.current counts the exec with the container (${counted.out.trim()})`);
  const v2 = (p: number) => fs.readFileSync(`/proc/${p}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'));
  const s = e.containers.exec(Id, { Cmd: ['sleep', '100'], Detach: true });
  t.equal(v2(e.containers.execInspect(s.Id).Pid), v2(group), 'the container\'s group');
  const forks = await run('for i in $(seq 1 20); do sleep 5 & done 2>&1; wait');
  t.match(forks.out, /fork|Resource temporarily unavailable|can't/i, 'the container\'s pids.max stops the exec\'s forks');
  await e.containers.stop(Id, { timeout: 0 });
  t.equal((await s.done).ExitCode, 137, 'the exec died with the container');
});
