// HostConfig's resource fields: dockerd's checks and messages, and what they become.
import t from 'tap';
import { limitsOf, resourceSpawnOptions, validateResources } from '../../../lib/engine/container/resources';

const MiB = 1024 * 1024;

t.test('limits: memory, swap, reservation, cpu weight and quota, cpuset, pids', async (t) => {
  t.same(limitsOf({ Memory: 64 * MiB, MemoryReservation: 32 * MiB, MemorySwap: 96 * MiB, NanoCpus: 5e8, CpuShares: 1024, CpusetCpus: '0-1', PidsLimit: 9 }), {
    memory: { max: 64 * MiB, low: 32 * MiB, swapMax: 32 * MiB },
    cpu: { max: { quota: 50_000, period: 100_000 }, weight: 39 },
    cpuset: { cpus: '0-1' },
    pids: { max: 9 },
  });
  t.same(limitsOf({ Memory: 64 * MiB, MemorySwap: -1 }), { memory: { max: 64 * MiB, swapMax: 'max' } });
  t.same(limitsOf({}), {});
  t.same(limitsOf({ PidsLimit: -1 }), {}, 'no pids limit');
});

t.test('spawn options: ulimits, groups, /dev/shm, devices', async (t) => {
  t.same(resourceSpawnOptions({
    Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }, { Name: 'core', Soft: -1, Hard: -1 }],
    GroupAdd: ['10', '20'],
    ShmSize: 16 * MiB,
    Devices: [{ PathOnHost: '/dev/zero', PathInContainer: '/dev/z', CgroupPermissions: 'r' }, { PathOnHost: '/dev/null', PathInContainer: '', CgroupPermissions: '' }],
  }), {
    rlimits: { nofile: { soft: 100, hard: 200 }, core: { soft: 'unlimited', hard: 'unlimited' } },
    groups: [10, 20],
    shmSize: 16 * MiB,
    devices: [{ path: '/dev/zero', containerPath: '/dev/z', permissions: 'r' }, { path: '/dev/null' }],
  });
  t.same(resourceSpawnOptions({}), {});
});

t.test('refusals: dockerd\'s words where it has them, the field named otherwise', async (t) => {
  const bad: Array<[object, RegExp]> = [
    [{ Ulimits: [{ Name: 'nofile', Soft: 200, Hard: 100 }] }, /^ulimit soft limit must be less than or equal to hard limit: 200 > 100$/],
    [{ Ulimits: [{ Name: 'nofiles', Soft: 1, Hard: 1 }] }, /^invalid ulimit type: nofiles$/],
    [{ Ulimits: [{ Name: 'nofile', Soft: '1', Hard: 1 }] }, /^invalid ulimit /],
    [{ Ulimits: {} }, /HostConfig\.Ulimits/],
    [{ MemorySwap: 96 * MiB }, /^You should always set the Memory limit when using Memoryswap limit/],
    [{ Memory: 64 * MiB, MemorySwap: 32 * MiB }, /^Minimum memoryswap limit should be larger than memory limit/],
    [{ Memory: 32 * MiB, MemoryReservation: 64 * MiB }, /memory reservation/],
    [{ MemorySwap: -2 }, /HostConfig\.MemorySwap/],
    [{ CpuShares: -1 }, /HostConfig\.CpuShares/],
    [{ CpusetCpus: 'zero' }, /^invalid resources: cpuset\.cpus/],
    [{ GroupAdd: ['wheel'] }, /invalid group "wheel" in GroupAdd: bulkheadd takes numeric group ids/],
    [{ ShmSize: 1.5 }, /HostConfig\.ShmSize/],
    [{ Devices: [{ PathOnHost: 'dev/zero' }] }, /PathOnHost must be an absolute path/],
    [{ Devices: [{ PathOnHost: '/dev/zero', CgroupPermissions: 'rx' }] }, /^invalid device mode: "rx"$/],
  ];
  for (const [h, re] of bad) t.throws(() => validateResources(h as never), { code: 'INVALID_PARAMETER', message: re }, JSON.stringify(h));
  t.doesNotThrow(() => validateResources({ Memory: 64 * MiB, MemorySwap: -1, Ulimits: [{ Name: 'nofile', Soft: 1, Hard: -1 }], GroupAdd: ['0'], ShmSize: 0 }));
});
