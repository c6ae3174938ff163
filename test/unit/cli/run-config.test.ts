import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { parseFlags } from '../../../lib/cli/args';
import { exitStatus } from '../../../lib/cli/run/command';
import { parseBytes, runConfig } from '../../../lib/cli/run/config';
import { RUN_FLAGS } from '../../../lib/cli/run/flags';

const cfg = (...argv: string[]) => {
  const p = parseFlags(argv, RUN_FLAGS, 'run', { stopAtPositional: true });
  return runConfig(p.flags, [...p.positionals, ...(p.rest ?? [])]);
};

t.test('parseBytes follows docker (powers of 1024, optional b)', async (t) => {
  t.equal(parseBytes('memory', '64m'), 64 * 1024 ** 2);
  t.equal(parseBytes('memory', '1.5g'), 1.5 * 1024 ** 3);
  t.equal(parseBytes('memory', '512kb'), 512 * 1024);
  t.equal(parseBytes('memory', '100'), 100);
  t.throws(() => parseBytes('memory', '64q'), { message: 'bulkhead run: --memory must be a size like 64m or 1.5g, got "64q"' });
});

t.test('command after -- or at the first positional; -it clusters', async (t) => {
  const a = cfg('-it', 'sh', '-c', 'x');
  t.equal(a.command, 'sh');
  t.same(a.args, ['-c', 'x']);
  t.equal(a.tty, true);
  t.equal(a.interactive, true);
  t.same(cfg('--', 'ls', '-l').args, ['-l']);
  t.throws(() => cfg('--init'), { message: /no command given/ });
});

t.test('limits with docker meanings', async (t) => {
  const c = cfg('--memory', '64m', '--memory-swap', '96m', '--memory-reservation', '32m', '--cpus', '0.5', '--cpu-shares', '512', '--cpuset-cpus', '0-1', '--pids-limit', '10', '--', 'true');
  t.same(c.limits, {
    memory: { max: 64 * 1024 ** 2, low: 32 * 1024 ** 2, swapMax: 32 * 1024 ** 2 },
    cpu: { max: 0.5, weight: 20 },
    cpuset: { cpus: '0-1' },
    pids: { max: 10 },
  });
  t.same(cfg('--pids-limit', '-1', '--', 'true').limits.pids, { max: 'max' });
  t.same(cfg('--memory', '1g', '--memory-swap', '-1', '--', 'true').limits.memory, { max: 1024 ** 3, swapMax: 'max' });
  t.throws(() => cfg('--memory-swap', '1g', '--', 'true'), { message: /--memory-swap needs --memory as well/ });
  t.throws(() => cfg('--memory', '1g', '--memory-swap', '1m', '--', 'true'), { message: /must be at least --memory/ });
  t.throws(() => cfg('--cpus', '0', '--', 'true'), { message: /--cpus must be a number of at least 0.01, got "0"/ });
  t.throws(() => cfg('--device-read-bps', '/dev/null:1mb', '--', 'true'), { message: /--device-read-bps must name a block device/ });
});

t.test('environment, user, volumes, tmpfs, security options, ulimits', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-cfg-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'env'), 'A=file\n# c\nB=2\n');
  process.env.BULKHEAD_TEST_PASS = 'through';
  const c = cfg('--env-file', path.join(dir, 'env'), '-e', 'A=flag', '-e', 'BULKHEAD_TEST_PASS', '-u', '5:6', '-v', `${dir}:/d:ro`, '--tmpfs', '/t:size=2m',
    '--security-opt', 'seccomp=unconfined', '--security-opt', 'no-new-privileges=false', '--ulimit', 'nofile=10:20', '--cap-add', 'NET_ADMIN', '--network', 'host', '--', 'true');
  t.equal(c.options.env?.A, 'flag');
  t.equal(c.options.env?.B, '2');
  t.equal(c.options.env?.BULKHEAD_TEST_PASS, 'through');
  t.equal(c.options.uid, 5);
  t.equal(c.options.gid, 6);
  t.same(c.options.mounts, [{ type: 'bind', source: dir, target: '/d', readonly: true }, { type: 'tmpfs', target: '/t', size: 2 * 1024 ** 2 }]);
  t.equal(c.options.seccomp, false);
  t.equal(c.options.noNewPrivileges, false);
  t.same(c.options.rlimits, { nofile: { soft: 10, hard: 20 } });
  t.same(c.options.capAdd, ['NET_ADMIN']);
  t.same(c.options.namespaces, { net: false });
  t.match(c.options.hostname, /^[0-9a-f]{12}$/);
  t.throws(() => cfg('-u', 'no-such-user-here', '--', 'true'), { message: /--user names no user of the container's \/etc\/passwd, got "no-such-user-here"/ });
  t.throws(() => cfg('--security-opt', 'apparmor=x', '--', 'true'), { message: /--security-opt supports seccomp= and no-new-privileges/ });
  t.throws(() => cfg('--ulimit', 'nofile', '--', 'true'), { message: /--ulimit must be NAME=SOFT\[:HARD\]/ });
});

t.test('exit statuses', async (t) => {
  t.equal(exitStatus({ exitCode: 3, signal: null }), 3);
  t.equal(exitStatus({ exitCode: null, signal: 'SIGKILL' }), 137);
  t.equal(exitStatus({ exitCode: null, signal: 'SIGTERM' }), 143);
  t.equal(exitStatus({ exitCode: 0, signal: null, oomKilled: true }), 137);
});
