// `bulkhead run`'s options: docker run's names and meanings, plus what sandbox
// users need (--rootfs, --timeout, --report).
import type { FlagSpec } from '../args';
import { NETWORK_RUN_FLAGS } from '../network/run';

export const RUN_FLAGS: FlagSpec[] = [
  { name: 'rootfs', type: 'string', value: 'DIR', help: 'root filesystem to pivot into (default: the host read-only, private /proc /dev /tmp /run)' },
  { name: 'memory', short: 'm', type: 'string', value: 'BYTES', help: 'memory limit (memory.max), e.g. 64m, 1.5g' },
  { name: 'memory-swap', type: 'string', value: 'BYTES', help: 'memory plus swap limit; -1 for unlimited swap' },
  { name: 'memory-reservation', type: 'string', value: 'BYTES', help: 'memory soft limit (memory.low)' },
  { name: 'cpus', type: 'string', value: 'N', help: 'number of CPUs, e.g. 0.5 (cpu.max)' },
  { name: 'cpu-shares', short: 'c', type: 'string', value: 'N', help: 'relative CPU weight, 1024 by default (cpu.weight)' },
  { name: 'cpuset-cpus', type: 'string', value: 'LIST', help: 'CPUs allowed, e.g. 0-1 (cpuset.cpus)' },
  { name: 'pids-limit', type: 'string', value: 'N', help: 'maximum number of processes; -1 for unlimited (pids.max)' },
  { name: 'device-read-bps', type: 'list', value: 'DEV:RATE', help: 'read rate limit of a block device, e.g. /dev/sda:1mb (io.max)' },
  { name: 'device-write-bps', type: 'list', value: 'DEV:RATE', help: 'write rate limit of a block device (io.max)' },
  { name: 'device', type: 'list', value: 'HOST[:CONTAINER][:rwm]', help: 'add a host device node and allow it in the device cgroup, e.g. /dev/loop7:/dev/xvda:r' },
  { name: 'env', short: 'e', type: 'list', value: 'K=V', help: 'set an environment variable (K alone takes it from this environment)' },
  { name: 'env-file', type: 'list', value: 'FILE', help: 'read environment variables from a file, one K=V a line' },
  { name: 'workdir', short: 'w', type: 'string', value: 'DIR', help: 'working directory inside the container' },
  { name: 'user', short: 'u', type: 'string', value: 'UID[:GID]', help: 'numeric user and group to run as' },
  { name: 'hostname', short: 'h', type: 'string', value: 'NAME', help: 'container host name' },
  { name: 'volume', short: 'v', type: 'list', value: 'SRC:DST[:ro]', help: 'bind mount a host path' },
  { name: 'tmpfs', type: 'list', value: 'DST[:size=N]', help: 'mount a tmpfs' },
  { name: 'read-only', type: 'boolean', help: 'mount the root filesystem read-only' },
  { name: 'network', type: 'string', value: 'NAME|bridge|none|host', help: 'a network (bridge: the default one); none: only lo (the default unless -p); host: the host\'s' },
  ...NETWORK_RUN_FLAGS,
  { name: 'cap-add', type: 'list', value: 'CAP', help: 'add a capability (or ALL)' },
  { name: 'cap-drop', type: 'list', value: 'CAP', help: 'drop a capability (or ALL)' },
  { name: 'security-opt', type: 'list', value: 'OPT', help: 'seccomp=unconfined|FILE, no-new-privileges[=true|false], devices=unrestricted (no device allow list)' },
  { name: 'ulimit', type: 'list', value: 'NAME=SOFT[:HARD]', help: 'resource limit, e.g. nofile=1024:2048' },
  { name: 'init', type: 'boolean', help: 'run an init as pid 1 that forwards signals and reaps zombies' },
  { name: 'interactive', short: 'i', type: 'boolean', help: 'keep stdin open and forward it' },
  { name: 'tty', short: 't', type: 'boolean', help: 'allocate a pseudo-terminal' },
  { name: 'timeout', type: 'string', value: 'SECONDS', help: 'kill the container after this wall-clock time' },
  { name: 'report', type: 'string', value: 'FILE', help: 'write a JSON report: exitCode, signal, oomKilled, timedOut, durationMs, cpuUsec, memoryPeakBytes, pidsPeak' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];
