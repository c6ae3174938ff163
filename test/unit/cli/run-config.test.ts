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
  t.same(c.options.mounts, [{ type: 'bind', source: dir, target: '/d', readonly: true }, { type: 'tmpfs', target: '/t', noexec: true, size: 2 * 1024 ** 2 }]);
  t.equal(c.options.seccomp, false);
  t.equal(c.options.noNewPrivileges, false);
  t.same(c.options.rlimits, { nofile: { soft: 10, hard: 20 } });
  t.same(c.options.capAdd, ['NET_ADMIN']);
  t.same(c.options.namespaces, { net: false });
  t.match(c.options.hostname, /^[0-9a-f]{12}$/);
  t.throws(() => cfg('-u', 'no-such-user-here', '--', 'true'), { message: /--user names no user of the container's \/etc\/passwd, got "no-such-user-here"/ });
  t.throws(() => cfg('--security-opt', 'apparmor=x', '--', 'true'), { message: /--security-opt supports seccomp=, no-new-privileges and devices=unrestricted/ });
  t.throws(() => cfg('--ulimit', 'nofile', '--', 'true'), { message: /--ulimit must be NAME=SOFT\[:HARD\]/ });
});

t.test('exit statuses', async (t) => {
  t.equal(exitStatus({ exitCode: 3, signal: null }), 3);
  t.equal(exitStatus({ exitCode: null, signal: 'SIGKILL' }), 137);
  t.equal(exitStatus({ exitCode: null, signal: 'SIGTERM' }), 143);
  t.equal(exitStatus({ exitCode: 0, signal: null, oomKilled: true }), 137);
});

t.test('--device HOST[:CONTAINER][:PERMS] and --security-opt devices=unrestricted', async (t) => {
  t.same(cfg('--device', '/dev/null', '--', 'true').options.devices, [{ path: '/dev/null' }]);
  t.same(cfg('--device', '/dev/null:r', '--', 'true').options.devices, [{ path: '/dev/null', permissions: 'r' }]);
  t.same(cfg('--device', '/dev/null:/dev/xnull', '--', 'true').options.devices, [{ path: '/dev/null', containerPath: '/dev/xnull' }]);
  t.same(cfg('--device', '/dev/null:/dev/xnull:rw', '--device', '/dev/zero', '--', 'true').options.devices, [{ path: '/dev/null', containerPath: '/dev/xnull', permissions: 'rw' }, { path: '/dev/zero' }]);
  t.equal(cfg('--security-opt', 'devices=unrestricted', '--', 'true').options.devices, 'unrestricted');
  t.equal(cfg('--', 'true').options.devices, undefined, 'the default list unless asked');
  t.throws(() => cfg('--device', '/dev/null:/x:rwx', '--', 'true'), { message: 'bulkhead run: --device must be HOST[:CONTAINER][:PERMS] with PERMS some of r, w, m, got "/dev/null:/x:rwx"' });
  t.throws(() => cfg('--device', '/dev/bulkhead-nope', '--', 'true'), { message: /--device names a device that does not exist, got "\/dev\/bulkhead-nope"/ });
  t.throws(() => cfg('--device', '/etc/passwd', '--', 'true'), { message: /--device must name a block or character device/ });
  t.throws(() => cfg('--device', 'null', '--', 'true'), { message: /--device needs absolute paths/ });
  t.throws(() => cfg('--security-opt', 'devices=all', '--', 'true'), { message: /devices takes =unrestricted/ });
  t.throws(() => cfg('--security-opt', 'devices=unrestricted', '--device', '/dev/null', '--', 'true'), { message: /cannot be combined/ });
});

t.test('short clusters as docker reads them: booleans, then one value flag', async (t) => {
  const a = cfg('-ie', 'FOO=1', 'sh');
  t.equal(a.interactive, true);
  t.equal(a.options.env?.FOO, '1');
  t.equal(cfg('-ieFOO=2', 'sh').options.env?.FOO, '2');
  t.equal(cfg('-tiw', '/w', 'sh').options.cwd, '/w');
  t.throws(() => cfg('-itd', 'sh'), { message: /^bulkhead run: --detach is not supported/ });
  t.throws(() => cfg('-iq', 'sh'), { message: /^bulkhead run: unknown flag -q / });
  t.throws(() => cfg('-i\n', 'sh'), { message: /^bulkhead run: unknown flag "-\\n" / });
});

t.test('the embedded default: nobody, no unix sockets; -u or --rootfs change it', async (t) => {
  const e = cfg('true');
  t.equal(e.options.uid, 65534);
  t.equal(e.options.gid, 65534);
  t.same(e.options.groups, []);
  t.equal(typeof e.options.seccomp, 'object', 'the embedded seccomp profile');
  t.equal(cfg('-u', '0', 'true').options.uid, 0);
  t.equal(cfg('--security-opt', 'seccomp=unconfined', 'true').options.seccomp, false);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-root-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:App:/srv/app:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\napp:x:2345:\nwheel:x:10:app,other\nstaff:x:50:\n');
  const r = cfg('--rootfs', dir, 'true');
  t.equal(r.options.uid, undefined, 'root in an image, as docker');
  t.equal(r.options.seccomp, undefined, 'Docker\'s profile in an image');
  t.equal(r.options.env?.HOME, '/root');
  const u = cfg('--rootfs', dir, '-u', 'app', 'true');
  t.same([u.options.uid, u.options.gid, u.options.groups, u.options.env?.HOME], [1234, 2345, [10], '/srv/app'], 'names from the rootfs\'s passwd and group, HOME from passwd');
  t.same([cfg('--rootfs', dir, '-u', 'app:staff', 'true').options.gid], [50]);
  t.equal(cfg('--rootfs', dir, '-u', 'app', '-e', 'HOME=/h', 'true').options.env?.HOME, '/h', '-e HOME wins');
  t.same([cfg('--rootfs', dir, '-u', '777', 'true').options.gid, cfg('--rootfs', dir, '-u', '777', 'true').options.env?.HOME], [0, '/'], 'a uid without an entry: gid 0, HOME=/');
  t.throws(() => cfg('--rootfs', dir, '-u', 'nobody', 'true'), { message: /--user names no user of the container's \/etc\/passwd, got "nobody"/ }, 'the host\'s names are not the image\'s');
  t.throws(() => cfg('--rootfs', dir, '-u', 'app:nogroup', 'true'), { message: /names no group/ });
  const cwd = process.cwd();
  process.chdir(path.dirname(dir));
  t.teardown(() => process.chdir(cwd));
  t.equal(cfg('--rootfs', path.basename(dir), 'true').options.rootfs, dir, 'a relative --rootfs is the cwd\'s');
});

t.test('-t: TERM=xterm unless given; stdio are pipes, never the caller\'s', async (t) => {
  t.equal(cfg('-t', 'sh').options.env?.TERM, 'xterm');
  t.equal(cfg('-t', '-e', 'TERM=vt100', 'sh').options.env?.TERM, 'vt100');
  t.equal(cfg('sh').options.env?.TERM, undefined);
  t.same(cfg('sh').options.stdio, ['ignore', 'pipe', 'pipe']);
  t.same(cfg('-i', 'sh').options.stdio, ['pipe', 'pipe', 'pipe']);
});

t.test('--report checked before the run; --rm and --name accepted', async (t) => {
  t.throws(() => cfg('--report', '/nonexistent-dir/r.json', 'true'), { message: /^bulkhead run: --report cannot be written \(ENOENT\), got "\/nonexistent-dir\/r.json"$/ });
  t.throws(() => cfg('--report', '/', 'true'), { message: /--report must name a file/ });
  t.equal(cfg('--rm', '--name', 'web_1', 'true').command, 'true');
  t.throws(() => cfg('--name', '-x', 'true'), { message: /--name must be letters/ });
});

t.test('errors name flags, never library option paths', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--cap-add', 'BOGUS'], /^bulkhead run: --cap-add has an unknown capability "BOGUS"/],
    [['--cap-drop', 'NOPE'], /^bulkhead run: --cap-drop has an unknown capability/],
    [['--ulimit', 'bogus=1'], /^bulkhead run: --ulimit has an unknown limit "bogus"/],
    [['--ulimit', 'nofile=20:10'], /^bulkhead run: --ulimit/],
    [['--tmpfs', '/..'], /^bulkhead run: --tmpfs must/],
    [['-v', '/tmp:/..'], /^bulkhead run: --volume must/],
    [['-h', 'bad_name!'], /^bulkhead run: --hostname must/],
  ];
  for (const [flags, re] of cases) {
    const err = (() => {
      try {
        cfg(...flags, 'true');
      } catch (e) {
        return e as Error;
      }
    })();
    t.match(err?.message, re, flags.join(' '));
    t.notMatch(err?.message, /capAdd|capDrop|rlimits|mounts\[|spawn: option/, 'no option path');
  }
});

t.test('device numbers: glibc\'s layout, majors above 16 too', async (t) => {
  const { splitRdev } = await import('../../../lib/cli/run/config');
  // makedev(3) of glibc: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-43.
  const makedev = (major: bigint, minor: bigint) => ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
  for (const [ma, mi] of [[8, 0], [7, 3], [254, 0], [253, 16], [259, 1], [4095, 255], [4096, 256], [0xfffff, 0xfffff], [65535, 1048575]]) {
    t.same(splitRdev(makedev(BigInt(ma), BigInt(mi))), { major: ma, minor: mi }, `${ma}:${mi}`);
  }
});

t.test('-u reads the container\'s passwd only inside its root', async (t) => {
  const { lookupUser } = await import('../../../lib/cli/run/user');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-user-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const outside = path.join(dir, 'host-passwd');
  fs.writeFileSync(outside, 'evil:x:0:0::/:/bin/sh\n');
  fs.mkdirSync(path.join(dir, 'root', 'etc'), { recursive: true });
  fs.symlinkSync(outside, path.join(dir, 'root', 'etc', 'passwd'));
  t.equal(lookupUser('evil', path.join(dir, 'root')), 'names no user of the container\'s /etc/passwd', 'a symlink out of the rootfs is not followed');
  t.same(lookupUser('5:6', path.join(dir, 'root')), { uid: 5, gid: 6, groups: [], home: '/' });
  t.equal(lookupUser('a:b:c', '/'), 'must be USER, UID, USER:GROUP or UID:GID');
  t.equal(lookupUser('4294967295', '/'), 'must be an id from 0 to 4294967294');
});
