// fromOciSpec: config.json into spawn() options, and refusals that name the JSON path.
import t from 'tap';
import { fromOciSpec, OciSpecError } from '../../../lib/oci/spec';
import { defaultSpec } from '../../../lib/oci/default-spec';
import { cgroupDir } from '../../../lib/oci/container';
import { features, parseSignal } from '../../../lib/oci/main';
import { validateSpawn } from '../../../lib/spawn/options';

type Spec = ReturnType<typeof defaultSpec> & { process: Record<string, unknown>; linux: Record<string, unknown>; root: Record<string, unknown> };
const spec = (edit: (s: Spec) => void = () => undefined): Spec => {
  const s = defaultSpec() as Spec;
  edit(s);
  return s;
};

t.test('the default spec (runc spec) translates, and spawn accepts the result', async (t) => {
  const r = fromOciSpec(spec(), '/b');
  t.equal(r.command, 'sh');
  t.same(r.args, []);
  t.equal(r.options.rootfs, '/b/rootfs');
  t.equal(r.options.readonlyRootfs, true);
  t.equal(r.options.hostname, 'runc');
  t.equal(r.options.tty, true);
  t.same(r.options.namespaces, { pid: true, mount: true, uts: true, ipc: true, net: true, cgroup: true, user: false, time: false });
  t.same(r.options.capabilities, { bounding: ['AUDIT_WRITE', 'KILL', 'NET_BIND_SERVICE'], effective: ['AUDIT_WRITE', 'KILL', 'NET_BIND_SERVICE'], permitted: ['AUDIT_WRITE', 'KILL', 'NET_BIND_SERVICE'], inheritable: [], ambient: ['AUDIT_WRITE', 'KILL', 'NET_BIND_SERVICE'] }, 'the five sets as given (runc spec has no inheritable set)');
  t.same(r.options.rlimits, { nofile: { soft: 1024, hard: 1024 } });
  t.equal(r.options.noNewPrivileges, true);
  t.same(r.options.mounts, [], 'the standard mounts are spawn\'s own');
  t.equal(r.options.seccomp, false, 'no linux.seccomp: no filter, as runc');
  t.equal(r.options.dieWithParent, false);
  t.notMatch(r.warnings.join('\n'), /capabilities/, 'no capability set is approximated');
  t.doesNotThrow(() => validateSpawn(r.command, r.args, r.options));
});

t.test('process, root, mounts, resources', async (t) => {
  const r = fromOciSpec(spec((s) => {
    s.process.args = ['/bin/echo', 'a', 'b'];
    s.process.env = ['A=1', 'B=x=y'];
    s.process.cwd = '/tmp';
    s.process.user = { uid: 1000, gid: 100, additionalGids: [5, 6] };
    s.root = { path: '/abs/root' };
    (s as unknown as { mounts: unknown[] }).mounts.push(
      { destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro', 'nosuid'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=700'] },
    );
    s.linux.resources = { memory: { limit: 67108864, swap: 134217728 }, cpu: { quota: 50000, period: 100000, shares: 1024 }, pids: { limit: 32 }, devices: [{ allow: false, access: 'rwm' }] };
    s.linux.cgroupsPath = '/k8s/abc';
  }), '/b');
  t.equal(r.command, '/bin/echo');
  t.same(r.args, ['a', 'b']);
  t.same(r.options.env, { A: '1', B: 'x=y' });
  t.equal(r.options.uid, 1000);
  t.same(r.options.groups, [5, 6]);
  t.equal(r.options.rootfs, '/abs/root');
  t.same(r.options.mounts, [
    { type: 'bind', source: '/b/data', target: '/data', readonly: true, nosuid: true },
    { type: 'tmpfs', target: '/scratch', size: '1m', mode: 0o700 },
  ]);
  t.same(r.options.limits, { memory: { max: 67108864, swapMax: 67108864 }, cpu: { max: { quota: 50000, period: 100000 }, weight: 39 }, pids: { max: 32 } });
  t.equal(r.cgroupsPath, '/k8s/abc');
  t.equal(cgroupDir('/k8s/abc', '/sys/fs/cgroup'), '/sys/fs/cgroup/k8s/abc');
  t.equal(cgroupDir('system.slice:cri:abc', '/sys/fs/cgroup'), '/sys/fs/cgroup/system.slice/cri-abc.scope');
  t.equal(cgroupDir('/../../etc', '/sys/fs/cgroup'), '/sys/fs/cgroup/etc', '.. stays inside the hierarchy');
});

t.test('umask, oomScoreAdj, sysctl, unified, bind flags and propagation become spawn options', async (t) => {
  const r = fromOciSpec(spec((s) => {
    s.process.user = { uid: 0, gid: 0, umask: 0o27 };
    s.process.oomScoreAdj = 500;
    s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '65536', 'fs.mqueue.msg_max': '20' };
    s.linux.resources = { unified: { 'memory.oom.group': '1' }, pids: { limit: 9 } };
    (s as unknown as { mounts: unknown[] }).mounts = [
      { destination: '/a', type: 'bind', source: '/a', options: ['rbind', 'nosuid', 'nodev', 'noexec', 'rslave'] },
      { destination: '/b', type: 'bind', source: '/b', options: ['rbind', 'noexec', 'exec', 'rro'] },
    ];
  }), '/b');
  t.equal(r.options.umask, 0o27);
  t.equal(r.options.oomScoreAdj, 500);
  t.same(r.options.sysctls, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '65536', 'fs.mqueue.msg_max': '20' });
  t.same(r.options.limits, { pids: { max: 9 }, unified: { 'memory.oom.group': '1' } });
  t.same(r.options.mounts, [
    { type: 'bind', source: '/a', target: '/a', readonly: false, nosuid: true, nodev: true, noexec: true, propagation: 'rslave' },
    { type: 'bind', source: '/b', target: '/b', readonly: true },
  ], 'a later option overrides an earlier one (exec after noexec)');
  t.equal(r.options.rootPropagation, 'rslave', 'a slave bind without rootfsPropagation gets runc\'s default root, rslave');
  t.same(r.warnings, []);
  t.doesNotThrow(() => validateSpawn(r.command, r.args, r.options));

  const shared = fromOciSpec(spec((s) => (s.linux.rootfsPropagation = 'rshared')), '/b');
  t.equal(shared.options.rootPropagation, 'rshared');
  const priv = fromOciSpec(spec((s) => {
    s.linux.rootfsPropagation = 'private';
    (s as unknown as { mounts: unknown[] }).mounts = [{ destination: '/a', type: 'bind', source: '/a', options: ['rbind', 'rshared'] }];
  }), '/b');
  t.equal(priv.options.rootPropagation, 'private');
  t.equal((priv.options.mounts?.[0] as { propagation?: string }).propagation, undefined, 'dropped: a private root receives nothing');
  t.match(priv.warnings.join('\n'), /mount \/a: rshared under rootfsPropagation private receives no mount events/);
  t.doesNotThrow(() => validateSpawn(priv.command, priv.args, priv.options));
});

t.test('network, pid, ipc, uts and cgroup with a path are joined; mount, user and time are refused', async (t) => {
  const r = fromOciSpec(spec((s) => {
    s.linux.namespaces = [{ type: 'mount' }, { type: 'network', path: '/var/run/netns/x' }, { type: 'ipc', path: '/proc/9/ns/ipc' }, { type: 'uts', path: '/proc/9/ns/uts' }, { type: 'pid', path: '/proc/9/ns/pid' }];
  }), '/b');
  t.same(r.nsPaths, { network: '/var/run/netns/x', ipc: '/proc/9/ns/ipc', uts: '/proc/9/ns/uts', pid: '/proc/9/ns/pid' });
  t.match(r.options.namespaces, { net: true, ipc: true, uts: true, pid: true });
  for (const type of ['mount', 'user', 'time']) {
    t.throws(() => fromOciSpec(spec((s) => {
      s.linux.namespaces = [{ type: 'mount' }, { type, path: `/proc/1/ns/${type}` }];
    }), '/b'), new RegExp(`linux\\.namespaces\\[1\\]\\.path: joining a ${type} namespace by path is not supported`));
  }
  t.throws(() => fromOciSpec(spec((s) => {
    s.linux.namespaces = [{ type: 'mount' }, { type: 'ipc', path: 'relative' }];
  }), '/b'), /linux\.namespaces\[1\]\.path: must be an absolute path/);
});

t.test('every refusal names the JSON path of the field', async (t) => {
  const cases: Array<[string, (s: Spec) => void, RegExp]> = [
    ['not an object', () => undefined, /\(root\)/],
    ['missing process', (s) => delete (s as Partial<Spec>).process, /process: must be an object/],
    ['args not strings', (s) => (s.process.args = ['sh', 3]), /process\.args\[1\]: must be a string/],
    ['empty args', (s) => (s.process.args = []), /process\.args: must name a program/],
    ['bad env', (s) => (s.process.env = ['NOEQUALS']), /process\.env\[0\]/],
    ['relative cwd', (s) => (s.process.cwd = 'tmp'), /process\.cwd: must be an absolute path/],
    ['bad uid', (s) => (s.process.user = { uid: -1, gid: 0 }), /process\.user\.uid/],
    ['unknown cap', (s) => (s.process.capabilities = { bounding: ['CAP_NOPE'] }), /process\.capabilities\.bounding\[0\]: unknown capability/],
    ['unknown rlimit', (s) => (s.process.rlimits = [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }]), /process\.rlimits\[0\]\.type: unknown rlimit/],
    ['unknown namespace', (s) => (s.linux.namespaces = [{ type: 'mount' }, { type: 'bogus' }]), /linux\.namespaces\[1\]\.type: unknown namespace type "bogus"/],
    ['no mount namespace', (s) => (s.linux.namespaces = [{ type: 'pid' }]), /linux\.namespaces: must include a mount namespace/],
    ['unknown mount option', (s) => ((s as unknown as { mounts: unknown[] }).mounts = [{ destination: '/x', type: 'bind', source: '/tmp', options: ['rbind', 'wat'] }]), /mounts\[0\]\.options\[1\]: unknown mount option "wat"/],
    ['unsupported fs', (s) => ((s as unknown as { mounts: unknown[] }).mounts = [{ destination: '/x', type: 'ext4', source: '/dev/sda' }]), /mounts\[0\]\.type/],
    ['sysctl not namespaced', (s) => (s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.pid_max': '1' }), /linux\.sysctl\.kernel\.pid_max: is not namespaced/],
    ['net sysctl without a network namespace', (s) => ((s.linux.namespaces = [{ type: 'mount' }]), (s.linux.sysctl = { 'net.ipv4.ip_forward': '1' })), /linux\.sysctl\.net\.ipv4\.ip_forward: needs a net namespace in linux\.namespaces/],
    ['sysctl value not a string', (s) => (s.linux.sysctl = { 'net.ipv4.ip_forward': 1 }), /linux\.sysctl\.net\.ipv4\.ip_forward: must be a string/],
    ['intelRdt', (s) => (s.linux.intelRdt = {}), /linux\.intelRdt/],
    ['unified moving processes', (s) => (s.linux.resources = { unified: { 'cgroup.procs': '1' } }), /linux\.resources\.unified: unified\.cgroup\.procs: not a controller's interface file/],
    ['unknown rootfsPropagation', (s) => (s.linux.rootfsPropagation = 'sideways'), /linux\.rootfsPropagation: unknown propagation "sideways"/],
    ['umask out of range', (s) => (s.process.user = { uid: 0, gid: 0, umask: 0o1000 }), /process\.user\.umask/],
    ['oomScoreAdj out of range', (s) => (s.process.oomScoreAdj = -1001), /process\.oomScoreAdj/],
    ['bad memory', (s) => (s.linux.resources = { memory: { limit: 'lots' } }), /linux\.resources\.memory\.limit/],
    ['bad device rule', (s) => (s.linux.resources = { devices: [{ allow: true, type: 'x' }] }), /linux\.resources\.devices\[0\]\.type/],
    ['relative hook', (s) => ((s as Record<string, unknown>).hooks = { prestart: [{ path: 'x' }] }), /hooks\.prestart\[0\]\.path/],
    ['unknown hook kind', (s) => ((s as Record<string, unknown>).hooks = { later: [] }), /hooks\.later: unknown hook kind/],
    ['version 2', (s) => ((s as Record<string, unknown>).ociVersion = '2.0.0'), /ociVersion/],
  ];
  for (const [name, edit, re] of cases) {
    const input = name === 'not an object' ? 'nope' : spec(edit);
    t.throws(() => fromOciSpec(input, '/b'), re, name);
    try {
      fromOciSpec(input, '/b');
    } catch (err) {
      t.type(err, OciSpecError, `${name}: an OciSpecError`);
    }
  }
});

t.test('device rules: allow-all is unrestricted', async (t) => {
  const r = fromOciSpec(spec((s) => (s.linux.resources = { devices: [{ allow: true, access: 'rwm' }] })), '/b');
  t.equal(r.options.devices, 'unrestricted');
});

t.test('linux.devices: a host node of those numbers is copied; otherwise the runtime makes one', async (t) => {
  const r = fromOciSpec(spec((s) => {
    s.linux.devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 3 }, { path: '/dev/no-such-node', type: 'b', major: 7, minor: 0, fileMode: 0o600 }];
    (s.linux.resources as { devices: unknown[] }).devices.push({ allow: true, type: 'b', major: 7, minor: 0, access: 'rw' });
  }), '/b');
  t.same(r.devicesToMake, [{ path: '/dev/no-such-node', type: 'b', major: 7, minor: 0, fileMode: 0o600, permissions: 'rw' }]);
  t.equal(r.options.devices, undefined, '/dev/null is one of spawn\'s own');
});

t.test('signals by name and number', async (t) => {
  t.equal(parseSignal('KILL'), 9);
  t.equal(parseSignal('SIGTERM'), 15);
  t.equal(parseSignal('15'), 15);
  t.throws(() => parseSignal('NOPE'), /unknown signal/);
  t.throws(() => parseSignal('99'), /invalid signal/);
});

t.test('features: runc\'s schema, with what is supported', async (t) => {
  const f = features() as { linux: { capabilities: string[]; namespaces: string[]; cgroup: Record<string, boolean> }; hooks: string[] };
  t.ok(f.linux.capabilities.includes('CAP_SYS_ADMIN'));
  t.ok(f.linux.namespaces.includes('network'));
  t.same(f.linux.cgroup, { v1: false, v2: true, systemd: false, systemdUser: false });
  t.same(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'], 'every hook kind, as runc');
});
