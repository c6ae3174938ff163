// An exec's child, between its setns into a running container and its execve,
// holds node's fds and a copy of node's memory: the container's processes
// (same uid, and no fewer capabilities once it has dropped its own) must not
// ptrace it then (CVE-2016-9962). The attack for real: a container spinning on
// PTRACE_SEIZE of every new pid while execs join it. Control: the same join
// through the addon with the child left dumpable and sharing node's memory is
// caught. A file of its own: the control needs node's memory dumpable, which a
// CLONE_VM child's change of credentials (a user namespace, a non-root uid)
// turns off for the whole process (commit_creds, kernel/cred.c).
import t from 'tap';
import { spawn } from '../../../lib/index';
import { native } from '../../../lib/native/load';
import { computePlan } from '../../../lib/spawn/plan';
import { resolveJoin } from '../../../lib/spawn/join';
import { installProbe } from '../../helpers/probe';
import { withBusyboxRoot } from '../../helpers/tier';

withBusyboxRoot((rootfs) => {
  t.test('the container cannot ptrace an exec before its execve; a dumpable child sharing node\'s memory it can', async (t) => {
    installProbe(rootfs);
    /** A container spinning on PTRACE_ATTACH of each new pid for `secs`, while `execs` run into it. */
    const race = async (secs: number, execOnce: (pid: number) => Promise<unknown>) => {
      const c = spawn('/bin/probe', ['ptrace-exec-race', String(secs)], { rootfs, reject: false });
      t.teardown(() => c.kill('SIGKILL'));
      let over = false;
      void c.then(() => (over = true));
      await new Promise((r) => setTimeout(r, 200));
      const end = Date.now() + (secs - 1) * 1000;
      let n = 0;
      // Until the prober gives up or has caught one (it exits then).
      while (Date.now() < end && !over) {
        await execOnce(c.pid!).catch(() => undefined);
        n++;
      }
      const res = await c;
      return { out: (res.stdout ?? '').trim(), n };
    };
    const guarded = await race(6, async (pid) => void (await spawn('/bin/true', [], { join: { pid } })));
    t.match(guarded.out, /^none [1-9]/, `${guarded.n} execs: never caught before execve, only after (${guarded.out})`);
    // Control: the same join through the addon with the child left dumpable, sharing node's memory.
    // A race, so a loaded machine may need more than one window to show it: up to three.
    const once = () => race(12, async (pid) => {
      const join = resolveJoin({ pid });
      try {
        const none = { pid: false, mount: false, uts: false, ipc: false, net: false, cgroup: false, user: false, time: false };
        const plan = computePlan({ command: '/bin/true', args: [], options: {}, ns: none, isFile: () => false, hostUid: 0, hostGid: 0, seccomp: () => undefined });
        const { pid: child, pidfd } = native().spawn({ ...plan, joins: join.joins, joinPidFd: join.joinPidFd, dumpable: true, stdio: [0, 1, 2] });
        await new Promise<void>((r) => new (native().ProcessWatch)(pidfd, child, () => r()));
      } finally {
        join.close();
      }
    });
    let unguarded = await once();
    for (let i = 0; i < 2 && !/^caught/.test(unguarded.out); i++) unguarded = await once();
    t.match(unguarded.out, /^caught .*node/, `control: caught a dumpable child before its execve (${unguarded.n} execs: ${unguarded.out})`);
  });
});
