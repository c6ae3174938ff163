// bulkhead-oci against runc and crun, table-driven: one bundle per case (the
// busybox rootfs and `bulkhead-oci spec`'s config, edited), run by each runtime;
// exit status and what the program observes inside must agree with runc's, and
// create/start/state/kill/delete must go through the same states. Pure cgroup v2
// here, so the runtimes manage cgroups (limits are read back from inside).
// opencontainers/runtime-tools (the spec's own validation suite) cannot be
// built here without network, so this table stands in for it.
import './guest-only';
import * as child from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { makeBusyboxRootfs } from '../../support/rootfs';
import { defaultSpec } from '../../lib/oci/default-spec';

const BULKHEAD = path.resolve(__dirname, '..', '..', '..', 'bin', 'bulkhead-oci');
const which = (cmd: string): string | null => {
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (fs.existsSync(path.join(d, cmd))) return path.join(d, cmd);
  return null;
};
const RUNTIMES: Array<[string, string | null]> = [['bulkhead-oci', BULKHEAD], ['runc', which('runc')], ['crun', which('crun')]];

type Config = Record<string, any>;
interface Case {
  name: string;
  args: string[];
  edit?: (c: Config, work: string) => void;
  /** The runtime whose observations are the reference, where runc does not implement the field (default runc). */
  reference?: 'crun';
}

const sh = (script: string) => ['sh', '-c', script];
const CASES: Case[] = [
  { name: 'args and exit status', args: sh('echo hello "$0" "$1"; exit 3') },
  { name: 'env', args: sh('echo "$FOO|$EMPTY|$PATH"'), edit: (c) => c.process.env.push('FOO=bar baz', 'EMPTY=') },
  { name: 'cwd', args: sh('pwd'), edit: (c) => (c.process.cwd = '/tmp') },
  { name: 'user and groups', args: sh('id -u; id -g; id -G'), edit: (c) => (c.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20] }) },
  { name: 'read-only root', args: sh('touch /x 2>/dev/null && echo rw || echo ro'), edit: (c) => (c.root.readonly = true) },
  { name: 'writable root', args: sh('touch /x 2>/dev/null && echo rw || echo ro; rm -f /x'), edit: (c) => (c.root.readonly = false) },
  { name: 'hostname', args: sh('hostname'), edit: (c) => (c.hostname = 'diff-box') },
  // runc 1.1 (Debian 12's) ignores domainname ("(none)" inside); crun sets it as config.md asks.
  { name: 'domainname', args: sh('cat /proc/sys/kernel/domainname'), edit: (c) => (c.domainname = 'diff.example'), reference: 'crun' },
  { name: 'tmpfs mount', args: sh('awk \'$2=="/scratch"{print $3}\' /proc/mounts; echo x > /scratch/f && cat /scratch/f'), edit: (c) => c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] }) },
  {
    name: 'bind mounts ro and rw',
    args: sh('cat /in/data; echo y > /in/data 2>/dev/null && echo wrote || echo refused; echo z > /out/f && echo out-ok'),
    edit: (c, w) => {
      fs.mkdirSync(path.join(w, 'in'), { recursive: true });
      fs.mkdirSync(path.join(w, 'out'), { recursive: true });
      fs.writeFileSync(path.join(w, 'in', 'data'), 'from-host\n');
      c.mounts.push({ destination: '/in', type: 'bind', source: path.join(w, 'in'), options: ['rbind', 'ro'] }, { destination: '/out', type: 'bind', source: path.join(w, 'out'), options: ['rbind', 'rw'] });
    },
  },
  { name: 'umask', args: sh('umask'), edit: (c) => (c.process.user.umask = 0o27) },
  { name: 'oomScoreAdj', args: sh('cat /proc/self/oom_score_adj; sh -c "cat /proc/self/oom_score_adj"'), edit: (c) => (c.process.oomScoreAdj = 300) },
  {
    name: 'sysctl in the container\'s namespaces',
    args: sh('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni /proc/sys/fs/mqueue/msg_max'),
    edit: (c) => (c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmni': '1234', 'fs.mqueue.msg_max': '20' }),
  },
  { name: 'sysctl of the host refused', args: ['true'], edit: (c) => (c.linux.sysctl = { 'kernel.pid_max': '1000' }) },
  {
    name: 'resources.unified',
    args: sh('cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.high'),
    edit: (c) => (c.linux.resources.unified = { 'pids.max': '11', 'memory.high': '33554432' }),
  },
  {
    name: 'bind mount nosuid, nodev, noexec',
    args: sh('awk \'$2=="/in"{print $4}\' /proc/mounts | tr , "\\n" | grep -E "^(ro|rw|nosuid|nodev|noexec)$"; /in/prog 2>/dev/null || echo noexec-held'),
    edit: (c, w) => {
      fs.mkdirSync(w, { recursive: true });
      fs.writeFileSync(path.join(w, 'prog'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
      c.mounts.push({ destination: '/in', type: 'bind', source: w, options: ['rbind', 'nosuid', 'nodev', 'noexec'] });
    },
  },
  ...(['rslave', 'rshared'] as const).map((p): Case => ({
    name: `rootfsPropagation and a bind mount ${p}`,
    // The bind's source is a shared mount of the host's, as Kubernetes makes for
    // a volume with mount propagation: slave or peer shows in mountinfo. (The
    // root itself differs among the peers for rshared: crun and bulkhead-oci
    // mark it shared as config-linux.md says, runc 1.1 here leaves it not.)
    args: sh('awk \'$5=="/in"\' /proc/self/mountinfo | grep -o -E "shared|master" | sort -u | tr "\\n" " "; echo'),
    edit: (c, w) => {
      fs.mkdirSync(w, { recursive: true });
      sharedMount(w);
      c.linux.rootfsPropagation = p;
      c.mounts.push({ destination: '/in', type: 'bind', source: w, options: ['rbind', p] });
    },
  })),
  { name: 'rlimits', args: sh('ulimit -n; ulimit -Hn'), edit: (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 256, hard: 512 }]) },
  {
    name: 'capabilities, three sets',
    args: sh('grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'),
    edit: (c) => (c.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_CHOWN', 'CAP_KILL'], permitted: ['CAP_CHOWN', 'CAP_KILL'] }),
  },
  {
    // Five different sets for root: execve makes permitted = bounding | inheritable (capabilities(7)).
    name: 'capabilities, five sets as root',
    args: sh('grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'),
    edit: (c) => (c.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SETUID'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'], inheritable: ['CAP_NET_RAW'], ambient: ['CAP_NET_RAW'] }),
  },
  {
    // A non-root program keeps only its ambient set across execve.
    name: 'capabilities, ambient for a non-root user',
    args: sh('grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'),
    edit: (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.capabilities = { bounding: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'], effective: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'], permitted: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'], inheritable: ['CAP_NET_BIND_SERVICE'], ambient: ['CAP_NET_BIND_SERVICE'] };
    },
  },
  { name: 'no_new_privs', args: sh('grep NoNewPrivs /proc/self/status'), edit: (c) => (c.process.noNewPrivileges = true) },
  { name: 'memory limit', args: sh('cat /sys/fs/cgroup/memory.max'), edit: (c) => (c.linux.resources.memory = { limit: 33554432 }) },
  { name: 'pids limit', args: sh('cat /sys/fs/cgroup/pids.max'), edit: (c) => (c.linux.resources.pids = { limit: 16 }) },
  { name: 'cpu quota', args: sh('cat /sys/fs/cgroup/cpu.max'), edit: (c) => (c.linux.resources.cpu = { quota: 20000, period: 100000 }) },
  { name: 'masked paths', args: sh('wc -c < /proc/kcore; ls /proc/acpi 2>/dev/null | wc -l') },
  { name: 'read-only paths', args: sh('echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo wrote || echo refused') },
  {
    name: 'device allow list',
    args: sh('head -c 1 /dev/zero | wc -c; mknod /tmp/loop b 7 0 && (head -c 1 /tmp/loop >/dev/null 2>&1 && echo read || echo denied)'),
    edit: (c) => (c.root.readonly = false),
  },
  {
    name: 'devices added',
    args: sh('ls -l /dev/loop0 | cut -c1; head -c 0 /dev/loop0 && echo open-ok'),
    edit: (c) => {
      c.root.readonly = false;
      c.linux.devices = [{ path: '/dev/loop0', type: 'b', major: 7, minor: 0, fileMode: 0o660, uid: 0, gid: 0 }];
      c.linux.resources.devices.push({ allow: true, type: 'b', major: 7, minor: 0, access: 'rwm' });
    },
  },
  { name: 'pid namespace', args: sh('echo $$') },
  {
    // createContainer and startContainer hooks record their namespaces, state and
    // order in a directory bind-mounted at its own host path, so that it is the
    // same path before pivot_root (where runc runs createContainer) and after
    // (where bulkhead-oci does); /bin/sh is the host's or the container's.
    name: 'createContainer and startContainer hooks',
    args: sh('me=$(for n in mnt net uts ipc pid; do readlink /proc/self/ns/$n; done); cd "$0"; for h in cc sc; do [ "$me" = "$(cat $h)" ] && echo "$h: same namespaces" || echo "$h: other namespaces"; grep -o \'"status":"[a-z]*"\' $h.state; done; cat order'),
    edit: (c) => {
      // One level below /tmp, which the rootfs has: bulkhead-oci makes a missing
      // mount target's last component only (runc makes every missing one).
      const w = fs.mkdtempSync('/tmp/oci-hooks-');
      t.teardown(() => fs.rmSync(w, { recursive: true, force: true }));
      c.process.args = [...c.process.args, w];
      c.mounts.push({ destination: w, type: 'bind', source: w, options: ['rbind', 'rw'] });
      const hook = (name: string, kind: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cd ${w} && { for n in mnt net uts ipc pid; do readlink /proc/self/ns/$n; done; } > ${name} && cat > ${name}.state && echo ${kind} >> order`], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] });
      c.hooks = { createContainer: [hook('cc', 'createContainer')], startContainer: [hook('sc', 'startContainer')] };
    },
  },
];

const rootfs = makeBusyboxRootfs();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-diff-'));
const sharedMounts: string[] = [];
/** dir bound onto itself and made shared (undone at teardown). */
function sharedMount(dir: string): void {
  child.execFileSync('mount', ['--bind', dir, dir]);
  child.execFileSync('mount', ['--make-shared', dir]);
  sharedMounts.push(dir);
}
t.teardown(() => {
  for (const m of sharedMounts.reverse()) child.spawnSync('umount', ['-R', m]);
  rootfs.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

function bundleFor(c: Case, rt: string, i: number): string {
  const dir = path.join(work, `${rt}-${i}`);
  fs.mkdirSync(dir, { recursive: true });
  const config = defaultSpec() as Config;
  config.process.terminal = false;
  config.process.args = c.args;
  delete config.process.capabilities.ambient;
  config.root = { path: rootfs.dir, readonly: true };
  config.linux.cgroupsPath = `/oci-diff/${rt}-${i}`;
  c.edit?.(config, path.join(work, `shared-${rt}-${i}`));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

interface Outcome {
  code: number | null;
  out: string;
  err: string;
}

function runOnce(bin: string, rt: string, bundle: string, id: string): Outcome {
  const root = path.join(work, `root-${rt}`);
  const r = child.spawnSync(bin, ['--root', root, 'run', '--bundle', bundle, id], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const results: Record<string, { pass: number; fail: number }> = {};

t.test('each case under bulkhead-oci, runc and crun', async (t) => {
  CASES.forEach((c, i) => {
    const got: Record<string, Outcome> = {};
    for (const [rt, bin] of RUNTIMES) {
      if (bin === null) continue;
      got[rt] = runOnce(bin, rt, bundleFor(c, rt, i), `d${i}`);
    }
    compare(t, c.name, got, c.reference);
  });
});

t.test('create, start, state, kill, delete: the same states', async (t) => {
  const c: Case = { name: 'lifecycle', args: ['sleep', '30'] };
  const seen: Record<string, string[]> = {};
  for (const [rt, bin] of RUNTIMES) {
    if (bin === null) continue;
    const root = path.join(work, `root-${rt}`);
    const b = bundleFor(c, rt, 100);
    const out = fs.openSync(path.join(work, `${rt}-life.out`), 'w');
    const cmd = (...args: string[]) => child.spawnSync(bin, ['--root', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    const status = () => {
      const r = cmd('state', 'life');
      return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : `absent`;
    };
    const steps: string[] = [];
    // create's stdio is a file: a pipe would be held open by the waiting container.
    const cr = child.spawnSync(bin, ['--root', root, 'create', '--bundle', b, 'life'], { stdio: ['ignore', out, out], timeout: 60_000 });
    steps.push(`create ${cr.status}`, status());
    steps.push(`start ${cmd('start', 'life').status}`, status());
    steps.push(`start-again ${cmd('start', 'life').status === 0 ? 0 : 1}`);
    steps.push(`delete-running ${cmd('delete', 'life').status === 0 ? 0 : 1}`);
    steps.push(`kill ${cmd('kill', 'life', 'KILL').status}`);
    for (let k = 0; k < 200 && status() !== 'stopped'; k++) await new Promise((r) => setTimeout(r, 20));
    steps.push(status());
    steps.push(`delete ${cmd('delete', 'life').status}`, status());
    fs.closeSync(out);
    seen[rt] = steps;
  }
  const ref = seen.runc ?? seen.crun;
  t.same(seen['bulkhead-oci'], ref, `bulkhead-oci: ${seen['bulkhead-oci'].join(', ')}`);
  t.comment(`runc: ${seen.runc?.join(', ')}`);
  t.comment(`crun: ${seen.crun?.join(', ')}`);
});

// A failing startContainer hook: every runtime leaves the container stopped and
// never runs the program; runc's `start` returns 0 (its init runs the hook after
// the FIFO is released and exits on the failure), bulkhead-oci's start fails.
t.test('a failing startContainer hook: stopped, the program never runs', async (t) => {
  const seen: Record<string, string[]> = {};
  for (const [rt, bin] of RUNTIMES) {
    if (bin === null) continue;
    const root = path.join(work, `root-sc-${rt}`);
    const mark = fs.mkdtempSync('/tmp/oci-schook-');
    const b = bundleFor({ name: 'sc-fail', args: ['touch', `${mark}/ran`], edit: (c) => {
      c.mounts.push({ destination: mark, type: 'bind', source: mark, options: ['rbind', 'rw'] });
      c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo hook-failed >&2; exit 3'] }] };
    } }, rt, 500);
    const out = fs.openSync(path.join(work, `${rt}-sc.out`), 'w');
    const cmd = (...args: string[]) => child.spawnSync(bin, ['--root', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    const status = () => {
      const r = cmd('state', 'scf');
      return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : 'absent';
    };
    const steps: string[] = [];
    const cr = child.spawnSync(bin, ['--root', root, 'create', '--bundle', b, 'scf'], { stdio: ['ignore', out, out], timeout: 60_000 });
    steps.push(`create ${cr.status}`, status());
    const st = cmd('start', 'scf');
    steps.push(`start ${st.status === 0 ? 0 : 1}`);
    for (let k = 0; k < 200 && status() !== 'stopped'; k++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    steps.push(status(), fs.existsSync(`${mark}/ran`) ? 'program ran' : 'program never ran');
    steps.push(`delete ${cmd('delete', 'scf').status}`, status());
    fs.closeSync(out);
    fs.rmSync(mark, { recursive: true, force: true });
    seen[rt] = steps;
    t.comment(`${rt}: ${steps.join(', ')}${st.stderr.trim() ? ` (start: ${st.stderr.trim().split('\n').pop()})` : ''}`);
  }
  const b = seen['bulkhead-oci'];
  t.same(b, ['create 0', 'created', 'start 1', 'stopped', 'program never ran', 'delete 0', 'absent'], `bulkhead-oci: ${b.join(', ')}`);
  const ref = seen.runc ?? seen.crun;
  if (ref) t.same(b.filter((x) => !x.startsWith('start ')), ref.filter((x) => !x.startsWith('start ')), 'the same states as runc (start\'s own status aside)');
});

/** Counts an observation of bulkhead-oci's against runc's (or the case's reference's) into the summary, and the others' alike. */
function compare(t: { same: (a: unknown, b: unknown, m: string) => void; comment: (m: string) => void }, name: string, got: Record<string, Outcome>, reference: 'runc' | 'crun' = 'runc'): void {
  const ref = got[reference] ?? got.runc ?? got.crun;
  const refName = got[reference] ? reference : got.runc ? 'runc' : 'crun';
  for (const [rt] of RUNTIMES) {
    const o = got[rt];
    if (!o || !ref) continue;
    results[rt] ??= { pass: 0, fail: 0 };
    const same = o.code === ref.code && o.out === ref.out;
    results[rt][same ? 'pass' : 'fail']++;
    if (rt === 'bulkhead-oci') t.same({ code: o.code, out: o.out }, { code: ref.code, out: ref.out }, `${name}: as ${refName}${same ? '' : ` (stderr: ${o.err.trim()})`}`);
    else if (!same) t.comment(`${rt} differs from ${refName} on ${name}: ${JSON.stringify(o)}`);
  }
}

// exec into a running container, and a second container joining the first's
// namespaces by path (how a pod's containers share one network namespace):
// under each runtime, compared with runc's observations.
t.test('exec and namespaces by path, under each runtime', async (t) => {
  const procFile = path.join(work, 'exec-process.json');
  fs.writeFileSync(procFile, JSON.stringify({
    terminal: false, args: ['sh', '-c', 'grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs)" /proc/self/status; echo "$X"; pwd'], cwd: '/tmp', env: ['PATH=/bin:/usr/bin', 'X=from-process-json'],
    user: { uid: 0, gid: 0 }, noNewPrivileges: true,
    capabilities: { bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_CHOWN'], ambient: [] },
  }));
  const umaskFile = path.join(work, 'exec-umask.json');
  fs.writeFileSync(umaskFile, JSON.stringify({ terminal: false, args: ['sh', '-c', 'umask'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0, umask: 0o27 } }));
  // runc 1.1 (Debian 12's) applies process.user.umask to the init only (an exec gets 0022); crun to exec'd processes too, as the spec's process applies.
  const crunReference = new Set(['exec: --process with a umask']);
  const cases: Array<[string, (pod: number) => string[], boolean?]> = [
    ['exec: namespaces, exit status', () => ['exec', 'pod', 'sh', '-c', 'echo "$(hostname) $(cat /proc/1/comm) $(cat /tmp/mark)"; exit 4']],
    ['exec: --env, --cwd, --user, --additional-gids', () => ['exec', '--env', 'FOO=bar', '--cwd', '/tmp', '--user', '1000:1000', '--additional-gids', '10', 'pod', 'sh', '-c', 'echo "$FOO $(pwd) $(id -u):$(id -g) $(id -G)"']],
    ['exec: --process with five capability sets and no_new_privs', () => ['exec', '--process', procFile, 'pod']],
    ['exec: --process with a umask', () => ['exec', '--process', umaskFile, 'pod']],
    ['exec: a missing program fails', () => ['exec', 'pod', '/no/such'], true],
  ];
  const got: Record<string, Record<string, Outcome>> = {};
  const pods: Record<string, { root: string; bin: string; pid: number }> = {};
  for (const [rt, bin] of RUNTIMES) {
    if (bin === null) continue;
    const root = path.join(work, `root-x-${rt}`);
    const pod = bundleFor({ name: 'pod', args: sh('echo marked > /tmp/mark; exec sleep 120'), edit: (c) => {
      c.root.readonly = false;
      c.hostname = 'pod-a';
    } }, rt, 400);
    const out = fs.openSync(path.join(work, `${rt}-pod.out`), 'w');
    const r = child.spawnSync(bin, ['--root', root, 'run', '--detach', '--bundle', pod, 'pod'], { stdio: ['ignore', out, out], timeout: 60_000 });
    fs.closeSync(out);
    if (r.status !== 0) {
      t.fail(`${rt}: run --detach pod: ${fs.readFileSync(path.join(work, `${rt}-pod.out`), 'utf8')}`);
      continue;
    }
    const st = JSON.parse(child.spawnSync(bin, ['--root', root, 'state', 'pod'], { encoding: 'utf8' }).stdout) as { pid: number };
    pods[rt] = { root, bin, pid: st.pid };
    for (let i = 0; i < 100 && !fs.existsSync(`/proc/${st.pid}/root/tmp/mark`); i++) await new Promise((res) => setTimeout(res, 20));
    for (const [name, argv, onlyFails] of cases) {
      const x = child.spawnSync(bin, ['--root', root, ...argv(st.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      // runc's code for a failed exec is its own (255, or 1); only failing at all is compared.
      (got[name] ??= {})[rt] = { code: onlyFails ? (x.status === 0 ? 0 : 1) : x.status, out: onlyFails ? '' : x.stdout, err: x.stderr ?? '' };
    }
    // A second container in the first's network, ipc, uts and pid namespaces, by path.
    const ns = (type: string) => fs.readlinkSync(`/proc/${st.pid}/ns/${type}`);
    const joined = bundleFor({ name: 'joined', args: sh(`hostname; cat /proc/1/comm; for n in net ipc uts pid; do [ "$(readlink /proc/self/ns/$n)" = "$(echo $1 | tr , '\n' | grep "^$n=" | cut -d= -f2)" ] && echo "same $n" || echo "own $n"; done`).concat(['x', `net=${ns('net')},ipc=${ns('ipc')},uts=${ns('uts')},pid=${ns('pid')}`]), edit: (c) => {
      delete c.hostname;
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (['network', 'ipc', 'uts', 'pid'].includes(n.type) ? { type: n.type, path: `/proc/${st.pid}/ns/${n.type === 'network' ? 'net' : n.type}` } : n));
    } }, rt, 401);
    const j = runOnce(bin, `x-${rt}`, joined, 'joined');
    (got['namespaces by path: network, ipc, uts, pid'] ??= {})[rt] = j;
    const wrong = bundleFor({ name: 'wrong', args: ['true'], edit: (c) => {
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'ipc' ? { type: 'ipc', path: `/proc/${st.pid}/ns/uts` } : n));
    } }, rt, 402);
    const w = runOnce(bin, `x-${rt}`, wrong, 'wrong');
    (got['namespaces by path: one of another type fails'] ??= {})[rt] = { code: w.code === 0 ? 0 : 1, out: '', err: w.err };
    child.spawnSync(bin, ['--root', `${work}/root-x-${rt}`, 'delete', '--force', 'wrong']);
  }
  for (const [name, g] of Object.entries(got)) compare(t, name, g, crunReference.has(name) ? 'crun' : 'runc');
  // The detached exec of containerd's shim: the pid file, and the process in the container's group.
  const b = pods['bulkhead-oci'];
  if (b) {
    const pidFile = path.join(work, 'exec.pid');
    // Its stdio is a file: the detached process would hold a pipe open, and spawnSync waits for its EOF.
    const out = fs.openSync(path.join(work, 'exec-detach.out'), 'w');
    const d = child.spawnSync(b.bin, ['--root', b.root, 'exec', '--detach', '--pid-file', pidFile, 'pod', 'sleep', '30'], { stdio: ['ignore', out, out], timeout: 60_000 });
    fs.closeSync(out);
    t.equal(d.status, 0, `exec --detach: ${fs.readFileSync(path.join(work, 'exec-detach.out'), 'utf8')}`);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    t.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${b.pid}/cgroup`, 'utf8'), 'the exec\'d process is in the container\'s group');
    t.same(JSON.parse(child.spawnSync(b.bin, ['--root', b.root, 'ps', '--format', 'json', 'pod'], { encoding: 'utf8' }).stdout).sort(), [b.pid, pid].sort(), 'ps lists both');
  }
  for (const p of Object.values(pods)) child.spawnSync(p.bin, ['--root', p.root, 'delete', '--force', 'pod'], { timeout: 60_000 });
});

t.test('pause, resume, update, ps, events on cgroup v2', async (t) => {
  const root = path.join(work, 'root-ops');
  const cmd = (...args: string[]) => child.spawnSync(BULKHEAD, ['--root', root, ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
  const b = bundleFor({ name: 'ops', args: ['sleep', '60'] }, 'ops', 300);
  const out = fs.openSync(path.join(work, 'ops.out'), 'w');
  const cr = child.spawnSync(BULKHEAD, ['--root', root, 'create', '--bundle', b, 'ops'], { stdio: ['ignore', out, out], timeout: 60_000 });
  fs.closeSync(out);
  t.equal(cr.status, 0);
  t.equal(cmd('start', 'ops').status, 0);
  const st = () => (JSON.parse(cmd('state', 'ops').stdout) as { status: string; pid: number });
  const pid = st().pid;
  t.same(JSON.parse(cmd('ps', '--format', 'json', 'ops').stdout), [pid], 'ps: the one process, by its host pid');
  t.equal(cmd('pause', 'ops').status, 0);
  for (let i = 0; i < 100 && st().status !== 'paused'; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(st().status, 'paused');
  t.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /State:\s+S/, 'frozen tasks sleep');
  t.equal(cmd('resume', 'ops').status, 0);
  t.equal(st().status, 'running');
  const up = child.spawnSync(BULKHEAD, ['--root', root, 'update', '--resources', '-', 'ops'], { input: JSON.stringify({ pids: { limit: 7 }, memory: { limit: 50331648 } }), encoding: 'utf8' });
  t.equal(up.status, 0, up.stderr);
  const group = (JSON.parse(fs.readFileSync(path.join(root, 'ops', 'state.json'), 'utf8')) as { cgroup: string }).cgroup;
  t.equal(fs.readFileSync(path.join(group, 'pids.max'), 'utf8').trim(), '7', 'update wrote pids.max');
  t.equal(fs.readFileSync(path.join(group, 'memory.max'), 'utf8').trim(), '50331648', 'and memory.max');
  const bad = child.spawnSync(BULKHEAD, ['--root', root, 'update', '--resources', '-', 'ops'], { input: JSON.stringify({ pids: { limit: 'x' } }), encoding: 'utf8' });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /resources\.pids\.limit/);
  const ev = cmd('events', '--stats', 'ops');
  t.equal(ev.status, 0, ev.stderr);
  t.match(JSON.parse(ev.stdout), { type: 'stats', id: 'ops' });
  t.equal(cmd('delete', '--force', 'ops').status, 0);
  t.notOk(fs.existsSync(group), 'the group is gone');
  t.notOk(fs.existsSync(path.dirname(group)), 'and the cgroupsPath directory the runtime made');
});

// A measurement printed beside the results, never asserted (UML's times are
// only comparable as ratios within one run): `run` of /bin/true from the same
// bundle, each runtime in turn, median of 9 after 2 warm-ups; create+start+delete,
// median of 7; node's own start and the module loading, median of 6.
t.test('measured: run of /bin/true, side by side', async (t) => {
  const medians: Record<string, number> = {};
  for (const [rt, bin] of RUNTIMES) {
    if (bin === null) continue;
    const b = bundleFor({ name: 'true', args: ['/bin/true'] }, rt, 200);
    const times: number[] = [];
    for (let i = 0; i < 11; i++) {
      const t0 = process.hrtime.bigint();
      const r = runOnce(bin, rt, b, `bench${i}`);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.code !== 0) t.fail(`${rt} run /bin/true: ${r.err}`);
      if (i >= 2) times.push(ms);
    }
    times.sort((a, b) => a - b);
    medians[rt] = times[Math.floor(times.length / 2)];
  }
  for (const [rt, ms] of Object.entries(medians)) t.comment(`${rt} run /bin/true: median ${ms.toFixed(1)} ms, ${(ms / medians['bulkhead-oci']).toFixed(2)}x bulkhead-oci`);
  // create + start + delete, three invocations as containerd's shim makes them.
  const csd: Record<string, number> = {};
  for (const [rt, bin] of RUNTIMES) {
    if (bin === null) continue;
    const b = bundleFor({ name: 'true', args: ['/bin/true'] }, rt, 201);
    const root = path.join(work, `root-csd-${rt}`);
    const out = fs.openSync(path.join(work, `${rt}-csd.out`), 'w');
    const times: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t0 = process.hrtime.bigint();
      const c = child.spawnSync(bin, ['--root', root, 'create', '--bundle', b, `csd${i}`], { stdio: ['ignore', out, out], timeout: 60_000 });
      const s = child.spawnSync(bin, ['--root', root, 'start', `csd${i}`], { stdio: ['ignore', out, out], timeout: 60_000 });
      const d = child.spawnSync(bin, ['--root', root, 'delete', '--force', `csd${i}`], { stdio: ['ignore', out, out], timeout: 60_000 });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (c.status !== 0 || s.status !== 0 || d.status !== 0) t.fail(`${rt} create/start/delete: ${c.status} ${s.status} ${d.status}`);
      if (i >= 2) times.push(ms);
    }
    fs.closeSync(out);
    times.sort((a, b) => a - b);
    csd[rt] = times[Math.floor(times.length / 2)];
  }
  for (const [rt, ms] of Object.entries(csd)) t.comment(`${rt} create+start+delete of /bin/true: median ${ms.toFixed(1)} ms, ${(ms / csd['bulkhead-oci']).toFixed(2)}x bulkhead-oci`);
  // Where bulkhead-oci's time goes: node starting with nothing to do, then the
  // launcher with the runtime's bundle (--version), then a command that reads state.
  const cost = (argv: string[]) => {
    const times: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = process.hrtime.bigint();
      child.spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
      if (i >= 2) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)].toFixed(1);
  };
  t.comment(`node -e 0: ${cost([process.execPath, '-e', '0'])} ms; bulkhead-oci --version: ${cost([BULKHEAD, '--version'])} ms (node given the launcher directly, no env -S: ${cost([process.execPath, BULKHEAD, '--version'])} ms); bulkhead-oci state (missing id): ${cost([BULKHEAD, '--root', work, 'state', 'none'])} ms; node requiring dist/lib/oci/container.js module by module: ${cost([process.execPath, '-e', `require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'oci', 'container.js'))})`])} ms; node requiring the bundle: ${cost([process.execPath, '-e', `require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'oci', 'bundle.js'))})`])} ms`);
  t.pass('measured');
});

t.test('summary', async (t) => {
  for (const [rt, r] of Object.entries(results)) t.comment(`${rt}: ${r.pass}/${r.pass + r.fail} cases as the reference (runc; crun where runc ignores the field)`);
  t.pass('summary printed');
});
