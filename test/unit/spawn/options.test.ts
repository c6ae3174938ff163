// spawn()'s option validation: every bad value is a TypeError/RangeError that
// names the option, including values that would silently change meaning
// further down (an fd past 2^31, a limit past 2^53, a tmpfs size below 1).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';

type Tap = Pick<typeof t, 'equal' | 'match' | 'fail'>;
import { DEFAULT_MAX_BUFFER, stdioEntries, validateSpawn } from '../../../lib/spawn/options';

const bad = (t: Tap, options: unknown, option: string, name: 'TypeError' | 'RangeError' = 'RangeError') => {
  try {
    validateSpawn('/bin/true', [], options);
  } catch (err) {
    const e = err as Error & { code?: string; option?: string };
    t.equal(e.name, name, `${option}: ${e.message}`);
    t.match(e.message, `option ${option}`, 'the message names the option');
    t.match(e.code, /^ERR_INVALID_ARG_(TYPE|VALUE)$/);
    return;
  }
  t.fail(`accepted ${option}`);
};

t.test('numbers that would change meaning further down are refused', async (t) => {
  bad(t, { stdio: ['pipe', 2 ** 32 + 1] }, 'stdio[1]');
  bad(t, { stdio: [2 ** 31] }, 'stdio[0]');
  bad(t, { stdio: [1.5] }, 'stdio[0]');
  bad(t, { stdio: ['pipe', 'pipe', 'pipe', 987654] }, 'stdio[3]');
  bad(t, { stdio: [...new Array(66).fill('ignore'), 'inherit'] }, 'stdio[66]');
  bad(t, { rlimits: { nofile: 2 ** 64 } }, 'rlimits.nofile.soft');
  bad(t, { rlimits: { core: 1e300 } }, 'rlimits.core.soft');
  bad(t, { rlimits: { core: { soft: 1, hard: 2 ** 53 } } }, 'rlimits.core.hard');
  bad(t, { rlimits: { constructor: 1 } }, 'rlimits');
  bad(t, { mounts: [{ type: 'tmpfs', target: '/x', size: 0.5 }] }, 'mounts[0].size');
  bad(t, { mounts: [{ type: 'tmpfs', target: '/x', size: 2 ** 64 }] }, 'mounts[0].size');
  bad(t, { mounts: [{ type: 'tmpfs', target: '/x', size: 0 }] }, 'mounts[0].size');
  bad(t, { mounts: [{ type: 'tmpfs', target: '/x', size: '0' }] }, 'mounts[0].size');
  bad(t, { mounts: [{ type: 'tmpfs', target: '/x', size: '99999999999999999999g' }] }, 'mounts[0].size');
  t.doesNotThrow(() => validateSpawn('/bin/true', [], { mounts: [{ type: 'tmpfs', target: '/x', size: '64m' }], rlimits: { nofile: 1024, core: 'unlimited' } }));
});

t.test('nofile below the fds the child is given cannot hold its stdio', async (t) => {
  bad(t, { rlimits: { nofile: 0 } }, 'rlimits.nofile');
  bad(t, { rlimits: { nofile: { soft: 4, hard: 8 } }, stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'] }, 'rlimits.nofile');
  t.doesNotThrow(() => validateSpawn('/bin/true', [], { rlimits: { nofile: 3 } }));
});

t.test('holes in args, groups, capAdd, masks and mounts name their index', async (t) => {
  const holey = (n: number, at: number, v: unknown) => {
    const a = new Array(n);
    for (let i = 0; i < n; i++) if (i !== at) a[i] = v;
    return a;
  };
  t.throws(() => validateSpawn('/bin/true', holey(2, 0, 'x'), {}), { name: 'TypeError', message: /option args\[0\] must be a string, got undefined/ });
  bad(t, { groups: holey(3, 1, 5) }, 'groups[1]', 'TypeError');
  bad(t, { capAdd: holey(2, 1, 'NET_ADMIN') }, 'capAdd[1]', 'TypeError');
  bad(t, { maskedPaths: holey(2, 0, '/proc/kcore') }, 'maskedPaths[0]', 'TypeError');
  bad(t, { mounts: holey(1, 0, null) }, 'mounts[0]', 'TypeError');
  bad(t, { stdio: holey(4, 3, 'pipe') }, 'stdio[3]', 'TypeError');
  t.same(stdioEntries(holey(3, 1, 'inherit')), ['inherit', 'pipe', 'inherit'], 'a hole among the first three is a pipe, as child_process');
});

t.test('the error text survives any value: BigInt, Symbol, circular, null prototype', async (t) => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const bare = Object.create(null) as Record<string, unknown>;
  bare.self = bare;
  for (const v of [10n, Symbol('s'), circular, bare, () => 1, [1n, Symbol('x')]]) {
    for (const option of ['uid', 'hostname', 'env', 'cwd', 'stdio', 'timeout', 'encoding', 'input', 'rlimits', 'limits', 'seccomp', 'tty']) {
      try {
        validateSpawn('/bin/true', [], { [option]: v });
        // An object is a valid shape for some options (env {} with no strings is fine).
      } catch (err) {
        t.ok(err instanceof TypeError || err instanceof RangeError, `${option}: ${String((err as Error).message)}`);
      }
    }
  }
  t.throws(() => validateSpawn('/bin/true', [], { rlimits: { core: 5n } }), { name: 'RangeError', message: /rlimits\.core\.soft .* got 5n/ });
});

t.test('run options: encoding, maxBuffer, input, all, timeout, killSignal, forceKillAfterDelay, signal', async (t) => {
  t.equal(DEFAULT_MAX_BUFFER, 100_000_000, "execa's default");
  bad(t, { encoding: 'utf9' }, 'encoding');
  bad(t, { encoding: 1 }, 'encoding', 'TypeError');
  bad(t, { maxBuffer: 0 }, 'maxBuffer');
  bad(t, { maxBuffer: Infinity }, 'maxBuffer');
  bad(t, { maxBuffer: 2 ** 40 }, 'maxBuffer', 'RangeError');
  bad(t, { maxBuffer: '1m' }, 'maxBuffer', 'TypeError');
  bad(t, { input: 5 }, 'input', 'TypeError');
  bad(t, { input: 'x', stdio: ['ignore', 'pipe', 'pipe'] }, 'input');
  bad(t, { input: 'x', tty: true }, 'input');
  bad(t, { all: true, buffer: false }, 'all');
  bad(t, { timeout: -1 }, 'timeout');
  bad(t, { timeout: 2 ** 31 }, 'timeout');
  bad(t, { timeout: 1.5 }, 'timeout');
  bad(t, { killSignal: 'SIGNOPE' }, 'killSignal');
  bad(t, { killSignal: 'toString' }, 'killSignal');
  bad(t, { killSignal: 65 }, 'killSignal');
  bad(t, { forceKillAfterDelay: -5 }, 'forceKillAfterDelay');
  bad(t, { signal: { aborted: false } }, 'signal', 'TypeError');
  t.doesNotThrow(() =>
    validateSpawn('/bin/true', [], {
      encoding: 'buffer', maxBuffer: 10, input: Buffer.from('x'), all: true, timeout: 100, killSignal: 9, forceKillAfterDelay: false, signal: new AbortController().signal,
    }),
  );
});

t.test('a seccomp path that is not a regular file is refused at once, naming the option', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-opts-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fifo = path.join(dir, 'profile.fifo');
  execFileSync('mkfifo', [fifo]);
  // Before the fix this read blocked the event loop until a writer came: here none ever does.
  t.throws(() => validateSpawn('/bin/true', [], { seccomp: fifo }), { name: 'RangeError', message: /option seccomp: .* is a FIFO, not a regular file/ });
  t.throws(() => validateSpawn('/bin/true', [], { seccomp: dir }), { name: 'RangeError', message: /option seccomp: .* is a directory/ });
  t.throws(() => validateSpawn('/bin/true', [], { seccomp: path.join(dir, 'missing.json') }), { name: 'RangeError', message: /option seccomp: .* cannot be opened: ENOENT/ });
  t.throws(() => validateSpawn('/bin/true', [], { seccomp: '/dev/zero' }), { name: 'RangeError', message: /is a device/ });
  const big = path.join(dir, 'big.json');
  fs.writeFileSync(big, Buffer.alloc(5 * 1024 * 1024, 0x20));
  t.throws(() => validateSpawn('/bin/true', [], { seccomp: big }), { name: 'RangeError', message: /more than 4194304/ });
  const good = path.join(dir, 'ok.json');
  fs.writeFileSync(good, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] }));
  t.doesNotThrow(() => validateSpawn('/bin/true', [], { seccomp: good }));
});

t.test('join: one of pid, pidfd or fds; options of a new container refused with it', async (t) => {
  for (const k of ['rootfs', 'hostname', 'mounts', 'cgroup', 'limits', 'devices', 'init', 'maskedPaths', 'readonlyPaths', 'readonlyRootfs', 'netns', 'legacyClone', 'uidMappings', 'namespaces']) {
    const v = { rootfs: '/r', hostname: 'h', mounts: [], cgroup: '/c', limits: {}, devices: [], init: true, maskedPaths: [], readonlyPaths: [], readonlyRootfs: true, netns: 3, legacyClone: true, uidMappings: [], namespaces: {} }[k];
    bad(t, { join: { pid: 1 }, [k]: v }, k);
  }
  bad(t, { join: 1 }, 'join', 'TypeError');
  bad(t, { join: {} }, 'join');
  bad(t, { join: { pid: 1, fds: [{ fd: 3, type: 'net' }] } }, 'join');
  bad(t, { join: { pid: -1 } }, 'join.pid');
  bad(t, { join: { pidfd: 1.5 } }, 'join.pidfd');
  bad(t, { join: { pid: 1, namespaces: ['mount'] } }, 'join.namespaces[0]');
  bad(t, { join: { fds: [{ fd: 3, type: 'net' }], namespaces: ['net'] } }, 'join.namespaces');
  bad(t, { join: { fds: [{ fd: 3, type: 'net' }, { fd: 4, type: 'net' }] } }, 'join.fds[1].type');
  bad(t, { join: { fds: [{ fd: -1, type: 'net' }] } }, 'join.fds[0].fd');
  bad(t, { join: { pid: 1, cgroup: 'rel' } }, 'join.cgroup');
  bad(t, { join: { pid: 1, namespaces: ['net'] }, tty: true }, 'tty');
  bad(t, { join: { pid: 1 }, env: { A: 1 } }, 'env.A', 'TypeError');
  bad(t, { join: { pid: 1 }, uid: -1 }, 'uid');
  t.doesNotThrow(() => validateSpawn('/bin/true', [], { join: { pid: 1 }, tty: true, uid: 5, env: { A: 'b' }, capAdd: ['ALL'], seccomp: false }));
  t.doesNotThrow(() => validateSpawn('/bin/true', [], { join: { fds: [{ fd: 3, type: 'mnt' }, { fd: 4, type: 'pid' }], cgroup: '/sys/fs/cgroup/x' }, tty: true }));
});
