// The engine on a pure cgroup v2 kernel (UML): memory and pids limits from
// HostConfig, State.OOMKilled after the kernel's OOM kill, stats with memory
// and pids sections, pause through the freezer.
import './guest-only';
import t from 'tap';
import { openEngine } from '../helpers/engine';
import { makeBusyboxRootfs } from '../../support/rootfs';

t.test('engine: limits, OOMKilled, stats, pause on cgroup v2', async (t) => {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.cleanup);
  const e = await openEngine(t);
  const MiB = 1024 * 1024;

  const hog = e.containers.create({ Rootfs: rootfs.dir, Cmd: ['sh', '-c', 'x=aaaaaaaa; while :; do x="$x$x"; done'], HostConfig: { Memory: 24 * MiB } });
  await e.containers.start(hog.Id);
  const r = await e.containers.wait(hog.Id);
  const s = e.containers.inspect(hog.Id).State;
  t.equal(r.StatusCode, 137, 'killed');
  t.equal(s.OOMKilled, true, 'State.OOMKilled');

  const sleeper = e.containers.create({ Rootfs: rootfs.dir, Cmd: ['sleep', '100'], HostConfig: { Memory: 64 * MiB, PidsLimit: 20 } });
  await e.containers.start(sleeper.Id);
  const st = e.containers.stats(sleeper.Id);
  t.ok(st.memory_stats && st.memory_stats.usage > 0, 'memory usage present');
  t.equal(st.memory_stats?.limit, 64 * MiB, 'memory limit from memory.max');
  t.equal(st.pids_stats?.limit, 20, 'pids limit from pids.max');
  t.ok(st.cpu_stats, 'cpu stats');
  await e.containers.pause(sleeper.Id);
  t.equal(e.containers.inspect(sleeper.Id).State.Status, 'paused');
  await e.containers.unpause(sleeper.Id);
  t.equal(e.containers.inspect(sleeper.Id).State.Status, 'running');
  await e.containers.remove(sleeper.Id, { force: true });
  t.equal(e.containers.inspect(hog.Id).State.OOMKilled, true);

  const forky = e.containers.create({ Rootfs: rootfs.dir, Cmd: ['sh', '-c', 'for i in $(seq 1 30); do sleep 5 & done; wait'], HostConfig: { PidsLimit: 10 } });
  await e.containers.start(forky.Id);
  await e.containers.wait(forky.Id);
  let err = '';
  for await (const l of e.containers.logs(forky.Id, { stdout: false })) err += l.log;
  t.match(err, /fork|Resource temporarily unavailable|can't/i, 'pids.max stops the fork bomb');
});

t.test('engine: CpuShares, MemoryReservation, MemorySwap land in the group\'s files (UML\'s kernel has no v2 cpuset: CpusetCpus is refused there)', async (t) => {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.cleanup);
  const e = await openEngine(t);
  const MiB = 1024 * 1024;
  // The container reads its own group (a cgroup namespace rooted there).
  const c = e.containers.create({
    Rootfs: rootfs.dir,
    Cmd: ['sh', '-c', 'cd /sys/fs/cgroup && cat cpu.weight memory.max memory.low memory.swap.max'],
    HostConfig: { CpuShares: 512, Memory: 64 * MiB, MemoryReservation: 32 * MiB, MemorySwap: 96 * MiB },
  });
  await e.containers.start(c.Id);
  t.equal((await e.containers.wait(c.Id)).StatusCode, 0);
  let out = '';
  for await (const l of e.containers.logs(c.Id)) out += l.log;
  // runc's shares-to-weight: 1 + (512 - 2) * 9999 / 262142 = 20; swap.max is MemorySwap - Memory.
  t.equal(out, `20\n${64 * MiB}\n${32 * MiB}\n${32 * MiB}\n`);
  const unl = e.containers.create({ Rootfs: rootfs.dir, Cmd: ['cat', '/sys/fs/cgroup/memory.swap.max'], HostConfig: { Memory: 64 * MiB, MemorySwap: -1 } });
  await e.containers.start(unl.Id);
  await e.containers.wait(unl.Id);
  let u = '';
  for await (const l of e.containers.logs(unl.Id)) u += l.log;
  t.equal(u, 'max\n', 'MemorySwap -1: unlimited swap');
});
