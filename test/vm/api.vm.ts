// bulkheadd on a pure cgroup v2 kernel (UML) with the stock docker CLI: info
// claims the limits it can enforce here, docker run --memory 64m of a hog
// ends 137 with OOMKilled, --pids-limit stops a fork bomb, stats shows the limit.
// This kernel has no nftables ip family (test/vm/network.vm.ts says why): the
// default bridge cannot be made, and docker run still works, on network none.
// The socket lives in a temporary directory (the guest's /run is not the host's).
import './guest-only';
import t from 'tap';
import { makeBusyboxRootfs } from '../../support/rootfs';
import { startDaemon } from '../helpers/daemon';

t.test('bulkheadd: limits and OOM through the docker CLI on cgroup v2', async (t) => {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.cleanup);
  const d = await startDaemon(t, rootfs.dir);
  const info = JSON.parse((await d.docker(['info', '--format', '{{json .}}'])).stdout) as Record<string, unknown>;
  t.match(info, { MemoryLimit: true, PidsLimit: true, CpuCfsQuota: true, CgroupVersion: '2', CgroupDriver: 'cgroupfs' }, 'every limit enforceable here is claimed');
  t.match(info.Warnings, [/the default bridge network could not be made .*containers without --network get none/], 'info says why there is no default bridge');
  const plain = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'ls /sys/class/net']);
  t.equal(plain.stdout, 'lo\n', 'docker run works, on network none');
  const bridged = await d.docker(['run', '--rm', '--network', 'bridge', 'busybox', 'true']);
  t.not(bridged.code, 0, '--network bridge is refused with the reason');
  t.match(bridged.stderr, /nft|nftables|not supported/i);
  const hog = await d.docker(['run', '--name', 'hog', '--memory', '64m', 'busybox', 'sh', '-c', 'x=aaaaaaaa; while :; do x="$x$x"; done'], { timeoutMs: 300_000 });
  t.equal(hog.code, 137, 'docker run ends 137');
  t.equal((await d.docker(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}', 'hog'])).stdout.trim(), `true 137 ${64 * 1024 * 1024}`);
  const fork = await d.docker(['run', '--rm', '--pids-limit', '10', 'busybox', 'sh', '-c', 'for i in $(seq 1 30); do sleep 5 & done; wait'], { timeoutMs: 300_000 });
  t.match(fork.stderr, /fork|Resource temporarily unavailable|can't/i, '--pids-limit stops the fork bomb');
  t.equal((await d.docker(['run', '-d', '--name', 'idle', '--memory', '32m', '--cpus', '0.5', 'busybox', 'sleep', '1000'])).code, 0);
  const stats = await d.docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'idle'], { timeoutMs: 120_000 });
  t.match(stats.stdout, /\/ 32MiB/, 'stats shows the memory limit');
  t.equal((await d.docker(['rm', '-f', 'idle'])).code, 0);
});
