import t from 'tap';
import type { Info } from '../../../lib/info/collect';
import { formatBytes, formatInfo, formatTable } from '../../../lib/info/format';

const INFO: Info = {
  kernel: { release: '6.1.176', arch: 'x64' },
  cgroup: {
    mode: 'hybrid',
    mountpoint: '/sys/fs/cgroup/unified',
    controllers: [],
    enabled: [],
    current: '/',
    currentDir: '/sys/fs/cgroup/unified',
    delegated: true,
    v1Controllers: ['memory'],
  },
  userNamespaces: { maxUserNamespaces: 100, unprivileged: null },
  overlayfs: true,
  clone3: { available: true, pidfd: true, intoCgroup: false, error: 'EINVAL' },
  seccomp: { available: true, filter: true, actions: ['kill_process', 'errno'] },
  capabilities: { effective: ['CHOWN'], all: false },
  root: true,
  host: { cpu: 'X', cores: 2, memoryBytes: 2 * 1024 ** 3, distro: 'Debian 12' },
  missing: [{ feature: 'cgroup memory', neededBy: '--memory', detail: 'memory is bound to v1' }],
};

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(512), '512 B');
  t.equal(formatBytes(1536), '1.5 KiB');
  t.equal(formatBytes(2 * 1024 ** 3), '2.0 GiB');
});

t.test('formatTable aligns the second column', async (t) => {
  t.equal(formatTable([['a', '1'], ['long key', '2']]), 'a         1\nlong key  2');
});

t.test('formatInfo: one aligned row per fact, one line per missing feature', async (t) => {
  const out = formatInfo(INFO);
  t.match(out, /^Kernel {17}6\.1\.176 \(x64\)\n/);
  t.match(out, /\nCgroup mode {12}hybrid\n/);
  t.match(out, /\nCgroup v2 controllers {2}\(none\)\n/);
  t.match(out, /\nCLONE_INTO_CGROUP {6}no\n/);
  t.match(out, /\nUser namespaces {8}max 100, unprivileged unknown\n/);
  t.match(out, /\nSeccomp {16}filter \(2 actions\)\n/);
  t.match(out, /\n\nMissing:\n {2}- cgroup memory \(needed by --memory\): memory is bound to v1\n$/);
  t.notMatch(formatInfo({ ...INFO, missing: [] }), /Missing/);
});
