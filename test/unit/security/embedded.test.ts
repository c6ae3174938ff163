// The embedded default's plan, from a made-up host: what is bound, what is hidden,
// how missing mount points are made; and its seccomp filter, run in the BPF interpreter.
import t from 'tap';
import type { FsOp } from '../../../lib/native/types';
import { evaluate, SECCOMP_RET } from '../../../lib/seccomp/bpf';
import { compile } from '../../../lib/seccomp/compile';
import { DEFAULT_PROFILE } from '../../../lib/seccomp/default';
import { syscallNumber } from '../../../lib/seccomp/syscalls';
import { AF_UNIX, EMBEDDED_STAGE, EmbeddedRoot, type EntryType, type HostEntry, type HostFs } from '../../../lib/security/embedded';
import { embeddedSeccomp } from '../../../lib/security/embedded';
import * as F from '../../../lib/util/kernel-flags';

const TREE: Record<string, EntryType> = {
  '/usr': 'dir', '/usr/local': 'dir', '/usr/local/bin': 'dir', '/etc': 'dir', '/etc/passwd': 'file', '/etc/shadow': 'file', '/etc/ssh': 'dir',
  '/etc/ssh/ssh_host_ed25519_key': 'file', '/bin': 'symlink', '/root': 'dir', '/home': 'dir', '/proc': 'dir', '/tmp': 'dir', '/run': 'dir',
  '/dev': 'dir', '/sys': 'dir', '/var': 'dir', '/var/tmp': 'dir', '/sock': 'other', '/vmlinuz': 'file',
};
const host: HostFs = {
  list: (dir) =>
    Object.keys(TREE)
      .filter((p) => p !== dir && p.startsWith(dir === '/' ? '/' : `${dir}/`) && !p.slice(dir === '/' ? 1 : dir.length + 1).includes('/'))
      .map((p): HostEntry => ({ name: p.slice(p.lastIndexOf('/') + 1), type: TREE[p], ...(TREE[p] === 'symlink' ? { link: 'usr/bin' } : {}) })),
  type: (p) => TREE[p] ?? 'missing',
  stage: () => EMBEDDED_STAGE,
};
const RO = F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID | F.MOUNT_ATTR_NODEV;

function build(targets: Array<[string, boolean?]> = []): FsOp[] {
  const ops: FsOp[] = [];
  const e = new EmbeddedRoot(host, (op) => ops.push(op), (op) => ops.push({ ...op, root: EMBEDDED_STAGE }));
  e.assemble();
  for (const [p, file] of targets) e.ensure(p, file);
  e.seal();
  return ops;
}
const show = (ops: FsOp[]) => ops.map((o) => `${o.op} ${o.target}${o.source ? ` <- ${o.source}` : ''}`);

t.test('a tmpfs root: host top-level entries bound read-only, nosuid, nodev; fresh and hidden ones left out', async (t) => {
  const ops = build();
  t.same(ops[0], { op: 'mount', source: 'tmpfs', target: EMBEDDED_STAGE, fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=755,size=1m' });
  const s = show(ops);
  for (const d of ['/usr', '/etc', '/var']) {
    t.ok(s.includes(`mount ${d} <- ${d}`), `${d} bound`);
    t.ok(ops.some((o) => o.op === 'setattr' && o.target === d && o.attrSet === RO && o.recursive), `${d} read-only, nosuid, nodev`);
  }
  t.ok(s.includes('symlink /bin <- usr/bin'), 'symlinks copied');
  t.ok(s.includes('touch /vmlinuz') && s.includes('mount /vmlinuz <- /vmlinuz'), 'files bound');
  for (const d of ['/proc', '/tmp', '/run', '/dev', '/sys', '/root', '/home', '/sock']) t.notOk(s.includes(`mount ${d} <- ${d}`), `host ${d} not bound`);
  t.ok(s.includes('mkdir /root') && s.includes('mkdir /home'), 'homes are empty directories');
  t.ok(s.includes('mount /etc/shadow <- /dev/null'), 'shadow emptied');
  t.ok(ops.some((o) => o.op === 'mount' && o.target === '/etc/ssh' && o.source === 'tmpfs' && (o.flags ?? 0) & F.MS_RDONLY), '/etc/ssh an empty read-only tmpfs');
  t.ok(ops.some((o) => o.op === 'mount' && o.target === '/var/tmp' && o.source === 'tmpfs' && o.data === 'mode=1777'), 'a fresh /var/tmp');
  t.same(ops[ops.length - 1], { op: 'setattr', target: '/', attrSet: RO, root: EMBEDDED_STAGE }, 'sealed last');
});

t.test('missing mount points: made in the root tmpfs, in ours, or in a shadow of a host directory (secrets hidden again)', async (t) => {
  const s = show(build([['/new/path'], ['/tmp/a/b'], ['/root/p'], ['/usr/local/x/y'], ['/etc/new.conf', true], ['/usr/local/bin'], ['/var/tmp/q']]));
  t.ok(s.includes('mkdir /new') && s.includes('mkdir /new/path'), 'top level: in the root tmpfs');
  t.ok(s.includes('mkdir /tmp/a') && s.includes('mkdir /tmp/a/b') && s.includes('mkdir /root/p') && s.includes('mkdir /var/tmp/q'));
  t.ok(s.includes('mount /usr/local <- tmpfs'), '/usr/local shadowed');
  t.ok(s.includes('mount /usr/local/bin <- /usr/local/bin'), 'its entries bound back');
  t.ok(s.includes('mkdir /usr/local/x') && s.includes('mkdir /usr/local/x/y'));
  t.notOk(s.includes('mount /usr <- tmpfs'), 'only the deepest existing directory is shadowed');
  t.ok(s.includes('mount /etc <- tmpfs') && s.includes('touch /etc/new.conf'), 'a file mount point');
  t.equal(s.filter((x) => x === 'mount /etc/shadow <- /dev/null').length, 2, 'the shadow of /etc hides shadow again');
  t.equal(s.filter((x) => x === 'mkdir /usr/local/bin').length, 1, 'an existing target makes nothing');
  const secret = show(build([['/etc/ssh/new']]));
  t.ok(secret.includes('mount /etc/ssh <- tmpfs') && secret.includes('mkdir /etc/ssh/new'), 'a mount point inside a hidden directory');
  t.notOk(secret.some((x) => x.startsWith('mount /etc/ssh/ssh_host')), 'without binding its secrets back');
  const v = show(build([['/var/new']]));
  t.equal(v.filter((x) => x === 'mount /var/tmp <- tmpfs').length, 2, 'a shadow of /var gets a fresh /var/tmp again');
  const ops = build([['/usr/local/x']]);
  t.ok(ops.some((o) => o.op === 'setattr' && o.target === '/usr/local' && !o.recursive), 'the shadow is sealed too');
});

t.test('the seccomp filter refuses unix sockets and nothing else of Docker\'s', async (t) => {
  const arch = 'x86_64' as const;
  const prog = compile(embeddedSeccomp(), { arch, caps: [], kernel: [6, 1] });
  const dock = compile(DEFAULT_PROFILE, { arch, caps: [], kernel: [6, 1] });
  const socket = syscallNumber(arch, 'socket') as number;
  const socketpair = syscallNumber(arch, 'socketpair') as number;
  const EPERM = SECCOMP_RET.ERRNO | 1;
  t.equal(evaluate(prog, { arch, nr: socket, args: [AF_UNIX, 1, 0] }), EPERM, 'socket(AF_UNIX) refused');
  t.equal(evaluate(dock, { arch, nr: socket, args: [AF_UNIX, 1, 0] }), SECCOMP_RET.ALLOW, 'control: Docker\'s profile allows it');
  for (let family = 0; family < 64; family++) {
    if (family === AF_UNIX) continue;
    t.equal(evaluate(prog, { arch, nr: socket, args: [family, 1, 0] }), evaluate(dock, { arch, nr: socket, args: [family, 1, 0] }), `family ${family} as Docker`);
  }
  t.equal(evaluate(prog, { arch, nr: socketpair, args: [AF_UNIX, 1, 0] }), SECCOMP_RET.ALLOW, 'stream pairs');
  t.equal(evaluate(prog, { arch, nr: socketpair, args: [AF_UNIX, 5 | 0x80000, 0] }), SECCOMP_RET.ALLOW, 'seqpacket pairs, with SOCK_CLOEXEC');
  t.equal(evaluate(prog, { arch, nr: socketpair, args: [AF_UNIX, 2, 0] }), EPERM, 'datagram pairs (sendto by path) refused');
});
