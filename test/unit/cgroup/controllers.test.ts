// Every controller's files(): the writes it plans, in order, and the errors it
// gives before anything is written.
import t from 'tap';
import { planLimits } from '../../../lib/cgroup/controllers';
import { cpu } from '../../../lib/cgroup/controllers/cpu';
import { cpuset } from '../../../lib/cgroup/controllers/cpuset';
import { hugetlb } from '../../../lib/cgroup/controllers/hugetlb';
import { io } from '../../../lib/cgroup/controllers/io';
import { memory } from '../../../lib/cgroup/controllers/memory';
import { pids } from '../../../lib/cgroup/controllers/pids';

const M = 1024 * 1024;

t.test('memory: protection before limits, sizes in bytes, oom.group as 0/1', async (t) => {
  t.equal(memory.name, 'memory');
  t.same(memory.files({}), []);
  t.same(memory.files({ max: '64m', high: '48m', low: '8m', min: 4096, swapMax: 0, oomGroup: true }), [
    ['memory.min', '4096'],
    ['memory.low', String(8 * M)],
    ['memory.high', String(48 * M)],
    ['memory.max', String(64 * M)],
    ['memory.swap.max', '0'],
    ['memory.oom.group', '1'],
  ]);
  t.same(memory.files({ max: 'max', oomGroup: false }), [['memory.max', 'max'], ['memory.oom.group', '0']]);
  t.throws(() => memory.files({ max: '64q' }), new RangeError('memory.max: expected bytes like 64m, 1.5g or "max", got "64q"'));
  t.throws(() => memory.files({ swapMax: -1 }), { name: 'RangeError', message: /^memory\.swapMax: .*got -1$/ });
  t.throws(() => memory.files({ oomGroup: 'yes' } as never), new TypeError('memory.oomGroup: expected true or false, got "yes"'));
  t.throws(() => memory.files({ maxx: 1 } as never), { name: 'TypeError', message: /^memory\.maxx: unknown limit \(valid: max, high, low, min, swapMax, oomGroup\)$/ });
});

t.test('cpu: CPUs as quota over a 100 ms period, {quota, period}, weight, burst', async (t) => {
  t.same(cpu.files({ max: 0.5 }), [['cpu.max', '50000 100000']]);
  t.same(cpu.files({ max: 2 }), [['cpu.max', '200000 100000']]);
  t.same(cpu.files({ max: 0.2 }), [['cpu.max', '20000 100000']]);
  t.same(cpu.files({ max: 'max' }), [['cpu.max', 'max']]);
  t.same(cpu.files({ max: { quota: 25000, period: 50000 } }), [['cpu.max', '25000 50000']]);
  t.same(cpu.files({ max: { quota: 'max' } }), [['cpu.max', 'max 100000']]);
  t.same(cpu.files({ weight: 200, max: 1, burst: 5000 }), [['cpu.weight', '200'], ['cpu.max', '100000 100000'], ['cpu.max.burst', '5000']], 'burst after the quota it is checked against');
  t.throws(() => cpu.files({ max: 0 }), { name: 'RangeError', message: /^cpu\.max: expected a number of CPUs > 0 .*got 0$/ });
  t.throws(() => cpu.files({ max: -1 }), { name: 'RangeError', message: /^cpu\.max: .*got -1$/ });
  t.throws(() => cpu.files({ max: NaN }), { name: 'RangeError', message: /^cpu\.max: / });
  t.throws(() => cpu.files({ max: '0.5' as never }), { name: 'RangeError', message: /^cpu\.max: .*got "0\.5"$/ });
  t.throws(() => cpu.files({ max: 0.001 }), { name: 'RangeError', message: /^cpu\.max: 0\.001 CPUs is 100us per 100000us period, below the kernel's minimum quota of 1000us/ });
  t.throws(() => cpu.files({ max: { quota: 500 } }), { name: 'RangeError', message: /^cpu\.max\.quota: / });
  t.throws(() => cpu.files({ max: { quota: 5000, period: 2_000_000 } }), { name: 'RangeError', message: /^cpu\.max\.period: expected microseconds from 1000 to 1000000, got 2000000$/ });
  t.throws(() => cpu.files({ weight: 0 }), new RangeError('cpu.weight: expected an integer from 1 to 10000, got 0'));
  t.throws(() => cpu.files({ weight: 10001 }), RangeError);
  t.throws(() => cpu.files({ burst: -1 }), { name: 'RangeError', message: /^cpu\.burst: / });
  t.throws(() => cpu.files({ max: 0.1, burst: 20000 }), { name: 'RangeError', message: /^cpu\.burst: 20000us is more than the quota of 10000us/ });
});

t.test('cpuset: lists as strings or arrays, mems before cpus', async (t) => {
  t.same(cpuset.files({ cpus: '0-3,6', mems: '0' }), [['cpuset.mems', '0'], ['cpuset.cpus', '0-3,6']]);
  t.same(cpuset.files({ cpus: [0, 2, 3] }), [['cpuset.cpus', '0,2,3']]);
  t.same(cpuset.files({ cpus: '' }), [['cpuset.cpus', '']], 'empty takes the parent\'s');
  t.throws(() => cpuset.files({ cpus: 'all' }), new RangeError('cpuset.cpus: expected a list like "0-3,6" or [0, 1], got "all"'));
  t.throws(() => cpuset.files({ cpus: '3-1' }), { name: 'RangeError', message: /runs backwards/ });
  t.throws(() => cpuset.files({ mems: [-1] }), { name: 'RangeError', message: /^cpuset\.mems: / });
  t.throws(() => cpuset.files({ mems: [] }), RangeError);
});

t.test('pids: max as an integer or "max"', async (t) => {
  t.same(pids.files({ max: 10 }), [['pids.max', '10']]);
  t.same(pids.files({ max: 0 }), [['pids.max', '0']]);
  t.same(pids.files({ max: 'max' }), [['pids.max', 'max']]);
  t.same(pids.files({}), []);
  t.throws(() => pids.files({ max: -1 }), new RangeError('pids.max: expected an integer from 0 to 4194304 or "max", got -1'));
  t.throws(() => pids.files({ max: 1.5 }), RangeError);
  t.throws(() => pids.files({ max: 5_000_000 }), RangeError);
});

t.test('io: one io.max write per device with only the keys given, and the default weight', async (t) => {
  t.same(
    io.files({
      weight: 50,
      devices: [
        { major: 8, minor: 0, rbps: '10m', wbps: 'max', riops: 100 },
        { major: 259, minor: 1, wiops: 'max' },
      ],
    }),
    [
      ['io.weight', 'default 50'],
      ['io.max', `8:0 rbps=${10 * M} wbps=max riops=100`],
      ['io.max', '259:1 wiops=max'],
    ],
  );
  t.throws(() => io.files({ devices: [{ major: 8, minor: 0 }] }), new RangeError('io.devices[0]: give at least one of rbps, wbps, riops, wiops'));
  t.throws(() => io.files({ devices: [{ major: 8, minor: 0, rbps: 0 }] }), { name: 'RangeError', message: /^io\.devices\[0\]\.rbps: expected bytes per second > 0/ });
  t.throws(() => io.files({ devices: [{ major: 8, minor: 0, wbps: '1x' }] }), { name: 'RangeError', message: /^io\.devices\[0\]\.wbps: .*got "1x"$/ });
  t.throws(() => io.files({ devices: [{ major: -8, minor: 0, riops: 1 }] }), { name: 'RangeError', message: /^io\.devices\[0\]\.major: / });
  t.throws(() => io.files({ devices: [{ major: 8, minor: 0, riops: 0 }] }), { name: 'RangeError', message: /^io\.devices\[0\]\.riops: / });
  t.throws(() => io.files({ devices: { major: 8 } as never }), TypeError);
  t.throws(() => io.files({ weight: 0 }), { name: 'RangeError', message: /^io\.weight: / });
});

t.test('hugetlb: one hugetlb.<size>.max per page size', async (t) => {
  t.same(hugetlb.files({ '2MB': '64m', '1GB': 'max' }), [['hugetlb.2MB.max', String(64 * M)], ['hugetlb.1GB.max', 'max']]);
  t.throws(() => hugetlb.files({ '2M': '64m' }), { name: 'TypeError', message: /^hugetlb\.2M: expected a huge page size like 2MB/ });
  t.throws(() => hugetlb.files({ '2MB': '64q' }), { name: 'RangeError', message: /^hugetlb\.2MB: .*got "64q"$/ });
  t.throws(() => hugetlb.files(5 as never), TypeError);
});

t.test('planLimits: all controllers validated before any write, cpuset first', async (t) => {
  const plan = planLimits({ pids: { max: 5 }, memory: { max: '1m' }, cpuset: { cpus: '0' }, cpu: { max: 0.5 } });
  t.same(plan.controllers, ['cpuset', 'cpu', 'memory', 'pids']);
  t.same(plan.writes.map((w) => w.file), ['cpuset.cpus', 'cpu.max', 'memory.max', 'pids.max']);
  t.same(plan.writes[2], { controller: 'memory', file: 'memory.max', data: String(M) });
  t.same(planLimits(undefined), { controllers: [], writes: [] });
  t.same(planLimits({ memory: {} }), { controllers: [], writes: [] }, 'an empty group needs no controller');
  t.throws(() => planLimits({ memory: { max: '1m' }, cpu: { max: 0 } }), { name: 'RangeError', message: /^cpu\.max: / }, 'a bad cpu fails the whole plan');
  t.throws(() => planLimits({ memroy: {} } as never), new TypeError('limits.memroy: unknown controller (valid: cpuset, cpu, memory, pids, io, hugetlb, unified)'));
  t.throws(() => planLimits('64m' as never), TypeError);
});

t.test('planLimits: unified files go last, their controllers enabled, core files need none', async (t) => {
  const plan = planLimits({ memory: { max: '1m' }, unified: { 'memory.oom.group': '1', 'cpu.idle': 1, 'cgroup.max.descendants': '3' } });
  t.same(plan.controllers, ['memory', 'cpu']);
  t.same(plan.writes, [
    { controller: 'memory', file: 'memory.max', data: String(M) },
    { controller: 'memory', file: 'memory.oom.group', data: '1' },
    { controller: 'cpu', file: 'cpu.idle', data: '1' },
    { controller: null, file: 'cgroup.max.descendants', data: '3' },
  ]);
  // Files that move or kill processes, or change the tree, are not resources.
  for (const f of ['cgroup.procs', 'cgroup.kill', 'cgroup.subtree_control', 'cgroup.freeze', 'cgroup.type', '../x.max', 'memory/../../x', 'rdma.max', 'memory']) {
    t.throws(() => planLimits({ unified: { [f]: '1' } }), { name: 'TypeError', message: new RegExp(`^unified\\.${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a controller's interface file`) }, f);
  }
  t.throws(() => planLimits({ unified: { 'memory.high': { a: 1 } as never } }), { name: 'TypeError', message: /^unified\.memory\.high: expected a string/ });
  t.throws(() => planLimits({ unified: 'memory.high=1' as never }), TypeError);
});
