// Host inodes reached from inside through what the child holds at execve or
// through the host's /dev/null. Each a real attempt, each with a control that
// shows the attempt reaches the host when the path to it is given on purpose.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { IsolationError, spawn, type SpawnOptions } from '../../../lib/index';
import { withBusyboxRoot } from '../../helpers/tier';

withBusyboxRoot(main);

/** A v2 directory this process may create groups in, or undefined. */
function v2Dir(): string | undefined {
  return ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => fs.existsSync(path.join(d, 'cgroup.procs')));
}

function main(rootDir: string) {
  const base: SpawnOptions = { rootfs: rootDir, env: { PATH: '/bin' }, reject: false };
  // From any directory of the host, enough ".." reach its root; then a static host binary.
  const up = '/..'.repeat(12);
  const hostBusybox = fs.realpathSync('/bin/busybox');

  /** Runs the host's busybox through /proc/self/fd/N inside; 'escaped' when it ran. */
  const attempt = async (fd: number, opts: SpawnOptions = {}): Promise<string> => {
    try {
      const r = await spawn(`/proc/self/fd/${fd}${up}${hostBusybox}`, ['echo', 'escaped'], { ...base, ...opts });
      return (r.stdout ?? '').trim() || `exit ${r.exitCode}`;
    } catch (e) {
      return e instanceof IsolationError ? `${e.step} ${e.code}` : String(e);
    }
  };

  t.test('an fd of a host directory held by this process does not reach execve (CVE-2024-21626 family)', async (t) => {
    const dir = fs.openSync(path.dirname(hostBusybox), 'r');
    t.teardown(() => fs.closeSync(dir));
    const r = await attempt(dir);
    t.match(r, /^execve E(NOENT|NOTDIR)$/, `fd ${dir} is closed before execve looks the path up`);
    t.equal(await attempt(0, { stdio: [dir, 'pipe', 'pipe'] }), 'escaped', 'control: passed on purpose as stdin, the directory does lead to the host binary');
  });

  t.test('nor through a #! line of a file in the image', async (t) => {
    const dir = fs.openSync(path.dirname(hostBusybox), 'r');
    t.teardown(() => fs.closeSync(dir));
    const script = (fd: number) => {
      fs.writeFileSync(path.join(rootDir, 'evil'), `#!/proc/self/fd/${fd}/${path.basename(hostBusybox)} sh\necho escaped\n`, { mode: 0o755 });
    };
    t.teardown(() => fs.rmSync(path.join(rootDir, 'evil'), { force: true }));
    script(dir);
    const e = await spawn('/evil', [], base).catch((x: unknown) => x);
    t.match(e instanceof IsolationError ? `${e.step} ${e.code}` : 'ran', /^execve E(NOENT|NOTDIR)$/, 'the interpreter path finds no fd');
    script(0);
    const r = await spawn('/evil', [], { ...base, stdio: [dir, 'pipe', 'pipe'] });
    t.equal(r.stdout, 'escaped\n', 'control: through stdin the #! line runs the host\'s busybox');
  });

  t.test('no fd the child held (the cgroup directory, the error pipe, ...) leads out', async (t) => {
    const v2 = v2Dir();
    const group = v2 ? fs.mkdtempSync(path.join(v2, 'bulkhead-fds-')) : undefined;
    t.teardown(() => group && fs.rmdirSync(group));
    if (!group) t.comment('no v2 hierarchy here: only fds without a cgroup');
    for (const legacyClone of [false, true]) {
      const seen = new Set<string>();
      for (let fd = 3; fd < 40; fd++) {
        const r = await attempt(fd, { ...(group ? { cgroup: group } : {}), legacyClone });
        seen.add(r);
        if (r === 'escaped') t.fail(`fd ${fd} led to the host's busybox (${legacyClone ? 'clone' : 'clone3'})`);
      }
      t.notOk(seen.has('escaped'), `${legacyClone ? 'clone' : 'clone3'}: fds 3-39 all refused (${[...seen].join(', ')})`);
    }
    if (group) {
      // Control: the same directory, given on purpose, is a way out.
      const fd = fs.openSync(group, 'r');
      t.teardown(() => fs.closeSync(fd));
      t.equal(await attempt(0, { stdio: [fd, 'pipe', 'pipe'] }), 'escaped', 'control: the cgroup directory passed as stdin reaches the host');
    }
  });

  t.test('chmod inside never reaches the host\'s /dev/null (masked paths, stdio ignore)', async (t) => {
    const before = fs.statSync('/dev/null');
    const restore = () => {
      if ((fs.statSync('/dev/null').mode & 0o7777) !== (before.mode & 0o7777)) fs.chmodSync('/dev/null', before.mode & 0o7777);
    };
    t.teardown(restore);
    const script = 'chmod 0667 /proc/keys 2>&1; chmod 0667 /proc/self/fd/0 2>&1; chmod 0667 /dev/null 2>&1; stat -L -c %a /proc/self/fd/0; echo done';
    const r = await spawn('/bin/sh', ['-c', script], { ...base, stdio: ['ignore', 'pipe', 'pipe'] });
    t.match(r.stdout, /667\ndone/, 'inside, the chmods worked: on the container\'s own /dev/null');
    t.equal(fs.statSync('/dev/null').mode, before.mode, 'the host\'s /dev/null kept its mode');
    t.equal(fs.statSync('/dev/null').ino, before.ino);

    const u = await spawn('/bin/sh', ['-c', script], { ...base, stdio: ['ignore', 'pipe', 'pipe'], namespaces: { user: true } });
    t.match(u.stdout, /Read-only file system[\s\S]*Read-only file system[\s\S]*Read-only file system/, 'with a user namespace (binds of the host\'s nodes) every chmod is refused');
    t.equal(fs.statSync('/dev/null').mode, before.mode, 'the host\'s /dev/null kept its mode');

    // Control: the host's /dev/null bound in plainly is the host's inode.
    try {
      const c = await spawn('/bin/sh', ['-c', 'chmod 0667 /mnt/null && echo changed'], { ...base, mounts: [{ type: 'bind', source: '/dev/null', target: '/mnt/null' }] });
      t.equal(c.stdout, 'changed\n');
      t.equal(fs.statSync('/dev/null').mode & 0o777, 0o667, 'control: a plain bind of the host\'s /dev/null lets the chmod through to the host');
    } finally {
      restore();
    }
    t.equal(fs.statSync('/dev/null').mode, before.mode, 'restored');
  });
}
