// bulkhead-oci on the host: the lifecycle across separate invocations (create
// exits, the container waits before execve, start releases it), the state a
// later invocation reports, and each bad input's one line, exit 1 and JSON log
// line, with nothing left behind. No cgroup limits here (hybrid host).
import * as child from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { withBusyboxRoot } from '../../helpers/tier';

const BIN = path.resolve(__dirname, '..', '..', '..', '..', 'bin', 'bulkhead-oci');

withBusyboxRoot((rootfs) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-oci-'));
  const root = path.join(work, 'state');
  const log = path.join(work, 'log.json');
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

  const oci = (args: string[], opts: { input?: string } = {}) => {
    const r = child.spawnSync(BIN, ['--root', root, '--log', log, '--log-format', 'json', ...args], { encoding: 'utf8', timeout: 30_000, ...opts });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  let n = 0;
  /** A bundle: `spec`'s config.json with the busybox rootfs, edited. */
  const bundle = (edit: (c: Record<string, any>) => void = () => undefined): string => {
    const dir = path.join(work, `b${++n}`);
    fs.mkdirSync(dir);
    t.equal(child.spawnSync(BIN, ['spec', '--bundle', dir]).status, 0, 'spec');
    fs.symlinkSync(rootfs, path.join(dir, 'rootfs'));
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    c.process.terminal = false;
    edit(c);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
    return dir;
  };
  /** create with its stdio a file (returned as out): the waiting container keeps no pipe of ours open. */
  const createToFile = (b: string, id: string) => {
    const file = path.join(work, `${id}.create.out`);
    const fd = fs.openSync(file, 'w');
    try {
      const r = child.spawnSync(BIN, ['--root', root, '--log', log, '--log-format', 'json', 'create', '--bundle', b, id], { stdio: ['ignore', fd, fd], timeout: 30_000 });
      return { code: r.status, out: fs.readFileSync(file, 'utf8') };
    } finally {
      fs.closeSync(fd);
    }
  };
  const state = (id: string) => JSON.parse(oci(['state', id]).stdout) as { status: string; pid: number; bundle: string };
  const lastLog = () => JSON.parse(fs.readFileSync(log, 'utf8').trim().split('\n').pop() as string) as { level: string; msg: string };

  t.test('spec writes runc\'s default config once', async (t) => {
    const dir = fs.mkdtempSync(path.join(work, 'spec-'));
    t.equal(child.spawnSync(BIN, ['spec', '--bundle', dir]).status, 0);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    t.equal(c.root.path, 'rootfs');
    t.same(c.process.args, ['sh']);
    const again = child.spawnSync(BIN, ['spec', '--bundle', dir], { encoding: 'utf8' });
    t.equal(again.status, 1);
    t.match(again.stderr, /exists\. Remove it first/);
  });

  t.test('run: the program\'s exit status and what it sees', async (t) => {
    const b = bundle((c) => {
      c.process.args = ['sh', '-c', 'echo "$(hostname) $(id -u):$(id -g) $(pwd) $FOO"; touch /x 2>/dev/null || echo ro; exit 7'];
      c.process.env.push('FOO=bar');
      c.process.cwd = '/tmp';
      c.process.user = { uid: 1000, gid: 1000 };
      c.hostname = 'oci-box';
    });
    const r = oci(['run', '--bundle', b, 'run1']);
    t.equal(r.code, 7, 'exit status of the program');
    t.equal(r.stdout, 'oci-box 1000:1000 /tmp bar\nro\n');
    t.notOk(fs.existsSync(path.join(root, 'run1')), 'run deletes its state');
  });

  t.test('create exits, the container waits; start releases it; state is true across invocations', async (t) => {
    const marker = path.join(work, 'started');
    const b = bundle((c) => {
      c.root.readonly = false;
      c.mounts.push({ destination: '/mark', type: 'bind', source: work, options: ['rbind', 'rw'] });
      c.process.args = ['sh', '-c', 'touch /mark/started; exec sleep 60'];
    });
    const pidFile = path.join(work, 'c1.pid');
    const created = oci(['create', '--bundle', b, '--pid-file', pidFile, 'c1']);
    t.equal(created.code, 0, created.stderr);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    t.ok(pid > 0, 'pid file');
    let s = state('c1');
    t.equal(s.status, 'created');
    t.equal(s.pid, pid);
    t.equal(s.bundle, b);
    await new Promise((r) => setTimeout(r, 200));
    t.notOk(fs.existsSync(marker), 'the program has not run before start');
    t.not(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0], 'Z', 'the waiting process lives after create exited');

    const again = oci(['create', '--bundle', b, 'c1']);
    t.equal(again.code, 1);
    t.match(again.stderr, /container with id exists: c1/);
    t.equal(lastLog().level, 'error');
    t.match(lastLog().msg, /container with id exists/);

    t.equal(oci(['start', 'c1']).code, 0);
    for (let i = 0; i < 500 && !fs.existsSync(marker); i++) await new Promise((r) => setTimeout(r, 20));
    t.ok(fs.existsSync(marker), 'the program ran after start');
    t.equal(state('c1').status, 'running');
    const twice = oci(['start', 'c1']);
    t.equal(twice.code, 1);
    t.match(twice.stderr, /cannot start an already running container/);
    const list = oci(['list', '--format', 'json']);
    t.match(JSON.parse(list.stdout), [{ id: 'c1', status: 'running', pid }]);
    const del = oci(['delete', 'c1']);
    t.equal(del.code, 1);
    t.match(del.stderr, /cannot delete container c1 that is not stopped: running/);

    t.equal(oci(['kill', 'c1', 'KILL']).code, 0);
    for (let i = 0; i < 500 && state('c1').status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    s = state('c1');
    t.equal(s.status, 'stopped');
    t.equal(s.pid, 0);
    const k = oci(['kill', 'c1']);
    t.equal(k.code, 1);
    t.match(k.stderr, /container not running/);
    t.equal(oci(['delete', 'c1']).code, 0);
    const gone = oci(['state', 'c1']);
    t.equal(gone.code, 1);
    t.match(gone.stderr, /container does not exist: c1/);
    t.notOk(fs.existsSync(path.join(root, 'c1')));
  });

  t.test('hooks: each gets the state JSON on stdin; a failing or slow prestart fails create and leaves nothing', async (t) => {
    const hook = path.join(work, 'hook.sh');
    fs.writeFileSync(hook, '#!/bin/sh\ncat > "$1.$(date +%s%N)"\n');
    fs.chmodSync(hook, 0o755);
    const out = path.join(work, 'hooks');
    fs.mkdirSync(out);
    const b = bundle((c) => {
      c.process.args = ['true'];
      c.hooks = {
        prestart: [{ path: hook, args: ['hook.sh', `${out}/prestart`] }],
        createRuntime: [{ path: hook, args: ['hook.sh', `${out}/createRuntime`] }],
        poststart: [{ path: hook, args: ['hook.sh', `${out}/poststart`] }],
        poststop: [{ path: hook, args: ['hook.sh', `${out}/poststop`] }],
      };
    });
    t.equal(oci(['create', '--bundle', b, 'h1']).code, 0);
    t.equal(oci(['start', 'h1']).code, 0);
    for (let i = 0; i < 500 && state('h1').status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    t.equal(oci(['delete', 'h1']).code, 0);
    const got = Object.fromEntries(fs.readdirSync(out).map((f) => [f.split('.')[0], JSON.parse(fs.readFileSync(path.join(out, f), 'utf8'))]));
    t.match(got.prestart, { id: 'h1', status: 'created', bundle: b });
    t.match(got.createRuntime, { id: 'h1', status: 'created' });
    t.match(got.poststart, { id: 'h1' });
    t.match(got.poststop, { id: 'h1', status: 'stopped' });
    const failing = bundle((c) => (c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'echo no >&2; exit 3'] }] }));
    const f = oci(['create', '--bundle', failing, 'h2']);
    t.equal(f.code, 1);
    t.match(f.stderr, /prestart hook #0 \(\/bin\/sh\) failed: exit status 3: no/);
    t.notOk(fs.existsSync(path.join(root, 'h2')), 'nothing left');
    const slow = bundle((c) => (c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
    const s = oci(['create', '--bundle', slow, 'h3']);
    t.equal(s.code, 1);
    t.match(s.stderr, /createRuntime hook #0 \(\/bin\/sleep\) failed: timed out after 1s/);
    t.notOk(fs.existsSync(path.join(root, 'h3')), 'nothing left');
  });

  t.test('createContainer and startContainer hooks run in the container\'s namespaces, in order, with the state on stdin', async (t) => {
    // The hook lives only in a directory bind-mounted into the container at /hk:
    // /hk/hook.sh exists in the container's mount namespace, not on the host.
    const hk = path.join(work, 'hk');
    fs.mkdirSync(path.join(hk, 'out'), { recursive: true });
    const NS = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'];
    // $1 the name, $2 the output directory: the sequence number (files already
    // there), this process's namespace links, then its stdin.
    fs.writeFileSync(path.join(hk, 'hook.sh'), `#!/bin/sh\nn=$(ls "$2" | wc -l)\n{ echo $n; for x in ${NS.join(' ')}; do readlink /proc/self/ns/$x; done; cat; } > "$2/$1.tmp"\nmv "$2/$1.tmp" "$2/$1"\n`);
    fs.chmodSync(path.join(hk, 'hook.sh'), 0o755);
    t.notOk(fs.existsSync('/hk/hook.sh'), 'no /hk on the host');
    const b = bundle((c) => {
      c.mounts.push({ destination: '/hk', type: 'bind', source: hk, options: ['rbind', 'rw'] });
      c.process.args = ['/hk/hook.sh', 'program', '/hk/out'];
      c.hooks = {
        createRuntime: [{ path: path.join(hk, 'hook.sh'), args: ['hook.sh', 'createRuntime', path.join(hk, 'out')] }],
        createContainer: [{ path: '/hk/hook.sh', args: ['hook.sh', 'createContainer', '/hk/out'], env: ['PATH=/bin'] }],
        startContainer: [{ path: '/hk/hook.sh', args: ['hook.sh', 'startContainer', '/hk/out'], env: ['PATH=/bin'], timeout: 10 }],
      };
    });
    // create's output to a file: the waiting container would hold a pipe open, and spawnSync wait for its EOF.
    const created = createToFile(b, 'hc1');
    t.equal(created.code, 0, created.out);
    const pid = state('hc1').pid;
    t.notOk(fs.existsSync(path.join(hk, 'out', 'startContainer')), 'startContainer waits for start');
    t.equal(oci(['start', 'hc1']).code, 0);
    for (let i = 0; i < 250 && !fs.existsSync(path.join(hk, 'out', 'program')); i++) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 500 && state('hc1').status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    t.equal(oci(['delete', 'hc1']).code, 0);
    const read = (name: string) => {
      const lines = fs.readFileSync(path.join(hk, 'out', name), 'utf8').split('\n');
      return { seq: Number(lines[0]), ns: lines.slice(1, 1 + NS.length), stdin: lines.slice(1 + NS.length).join('\n') };
    };
    const [rt, cc, sc, prog] = ['createRuntime', 'createContainer', 'startContainer', 'program'].map(read);
    t.same([rt.seq, cc.seq, sc.seq, prog.seq], [0, 1, 2, 3], 'createRuntime, createContainer, startContainer, then the program');
    t.same(cc.ns, prog.ns, 'createContainer in the program\'s namespaces');
    t.same(sc.ns, prog.ns, 'startContainer in the program\'s namespaces');
    NS.forEach((n, i) => {
      t.not(rt.ns[i], prog.ns[i], `createRuntime in the runtime's ${n} namespace, not the container's`);
      t.equal(rt.ns[i], fs.readlinkSync(`/proc/self/ns/${n}`), `createRuntime: the host's ${n} namespace`);
    });
    t.match(JSON.parse(cc.stdin), { id: 'hc1', status: 'creating', pid, bundle: b });
    t.match(JSON.parse(sc.stdin), { id: 'hc1', status: 'created', pid, bundle: b });
    t.equal(prog.stdin, '', 'the program read no state');
    t.notOk(fs.existsSync(path.join(root, 'hc1')));
  });

  t.test('a failing, missing or slow createContainer hook fails create and leaves nothing; a failing startContainer hook fails start and stops the container', async (t) => {
    const hk = path.join(work, 'hk2');
    fs.mkdirSync(hk);
    // Saves its stdin (the state, with the init's pid) and fails.
    fs.writeFileSync(path.join(hk, 'fail.sh'), '#!/bin/sh\ncat > "/hk/$1.json"\necho "no $1" >&2\nexit 4\n');
    fs.chmodSync(path.join(hk, 'fail.sh'), 0o755);
    const withHooks = (hooks: Record<string, unknown>, args = ['true']) => bundle((c) => {
      c.mounts.push({ destination: '/hk', type: 'bind', source: hk, options: ['rbind', 'rw'] });
      c.process.args = args;
      c.hooks = hooks;
    });
    const gone = async (pid: number) => {
      for (let i = 0; i < 500 && fs.existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
      return !fs.existsSync(`/proc/${pid}`);
    };

    const f = oci(['create', '--bundle', withHooks({ createContainer: [{ path: '/hk/fail.sh', args: ['fail.sh', 'cc'] }] }), 'hf1']);
    t.equal(f.code, 1);
    t.match(f.stderr, /createContainer hook #0 \(\/hk\/fail\.sh\) failed: exit status 4: no cc/);
    t.match(lastLog().msg, /createContainer hook #0/);
    t.notOk(fs.existsSync(path.join(root, 'hf1')), 'no state left');
    const ccPid = (JSON.parse(fs.readFileSync(path.join(hk, 'cc.json'), 'utf8')) as { pid: number }).pid;
    t.ok(ccPid > 0);
    t.ok(await gone(ccPid), 'the waiting container process is gone');

    const m = oci(['create', '--bundle', withHooks({ createContainer: [{ path: '/no/such/hook' }] }), 'hf2']);
    t.equal(m.code, 1);
    t.match(m.stderr, /createContainer hook #0 \(\/no\/such\/hook\) failed: .*ENOENT/);
    t.notOk(fs.existsSync(path.join(root, 'hf2')), 'no state left');

    const slow = oci(['create', '--bundle', withHooks({ createContainer: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }), 'hf3']);
    t.equal(slow.code, 1);
    t.match(slow.stderr, /createContainer hook #0 \(\/bin\/sleep\) failed: timed out after 1s/);
    t.notOk(fs.existsSync(path.join(root, 'hf3')), 'no state left');

    const b = withHooks({ startContainer: [{ path: '/hk/fail.sh', args: ['fail.sh', 'sc'] }] }, ['touch', '/hk/ran']);
    t.equal(createToFile(b, 'hf4').code, 0);
    const pid = state('hf4').pid;
    const s = oci(['start', 'hf4']);
    t.equal(s.code, 1);
    t.match(s.stderr, /startContainer hook #0 \(\/hk\/fail\.sh\) failed: exit status 4: no sc/);
    t.ok(await gone(pid), 'the container process was killed');
    t.equal(state('hf4').status, 'stopped');
    await new Promise((r) => setTimeout(r, 100));
    t.notOk(fs.existsSync(path.join(hk, 'ran')), 'the program never ran');
    t.equal(oci(['delete', 'hf4']).code, 0);
    t.notOk(fs.existsSync(path.join(root, 'hf4')));
  });

  t.test('a network namespace by path is joined (spawn\'s netns)', async (t) => {
    const ns = `bhoci${process.pid}`;
    t.equal(child.spawnSync('ip', ['netns', 'add', ns]).status, 0, 'ip netns add');
    t.teardown(() => void child.spawnSync('ip', ['netns', 'del', ns]));
    t.equal(child.spawnSync('ip', ['-n', ns, 'link', 'add', 'oci-dummy0', 'type', 'veth', 'peer', 'name', 'oci-dummy1']).status, 0);
    const b = bundle((c) => {
      c.process.args = ['ls', '/sys/class/net'];
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: `/var/run/netns/${ns}` } : n));
    });
    const r = oci(['run', '--bundle', b, 'net1']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /oci-dummy0/, 'the container sees the namespace\'s link');
  });

  t.test('exec: a process in the running container, with its own settings, as runc exec', async (t) => {
    const b = bundle((c) => {
      c.process.args = ['sh', '-c', 'echo inside > /tmp/mark; exec sleep 60'];
      c.root.readonly = false;
      c.hostname = 'exec-box';
    });
    t.equal(oci(['run', '--detach', '--bundle', b, 'ex1']).code, 0);
    for (let i = 0; i < 500 && oci(['exec', 'ex1', 'cat', '/tmp/mark']).stdout !== 'inside\n'; i++) await new Promise((r) => setTimeout(r, 20));
    // Namespaces: the container's hostname, files and pid namespace (its init is pid 1 there).
    const r = oci(['exec', '--env', 'FOO=bar', '--cwd', '/tmp', '--user', '1000:1000', '--additional-gids', '5', 'ex1', 'sh', '-c', 'echo "$(hostname) $(cat mark) $(id -u):$(id -g) $(id -G) $(pwd) $FOO $(cat /proc/1/comm)"; exit 3']);
    t.equal(r.code, 3, `the program's exit status (${r.stderr})`);
    t.equal(r.stdout, 'exec-box inside 1000:1000 1000 5 /tmp bar sleep\n');
    // --process: a process spec, with capabilities in their five sets.
    const proc = path.join(work, 'process.json');
    fs.writeFileSync(proc, JSON.stringify({
      args: ['sh', '-c', 'grep ^Cap /proc/self/status; cat /proc/self/status | grep NoNewPrivs'], cwd: '/', env: ['PATH=/bin:/usr/bin'], user: { uid: 0, gid: 0 },
      capabilities: { bounding: ['CAP_KILL', 'CAP_CHOWN', 'CAP_NET_RAW'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_CHOWN'], ambient: [] },
      noNewPrivileges: true,
    }));
    const p = oci(['exec', '--process', proc, 'ex1']);
    t.equal(p.code, 0, p.stderr);
    // For root, execve gives permitted = bounding | inheritable, effective = permitted (capabilities(7)).
    t.match(p.stdout, /CapInh:\s+0000000000000001\n/, 'inheritable as given (CHOWN)');
    t.match(p.stdout, /CapBnd:\s+0000000000002021\n/, 'bounding as given (CHOWN, KILL, NET_RAW)');
    t.match(p.stdout, /CapAmb:\s+0000000000000000\n/);
    t.match(p.stdout, /NoNewPrivs:\s+1/);
    // --detach --pid-file: exec returns at once, the process lives on (as the shim drives it).
    const pidFile = path.join(work, 'exec.pid');
    // Its stdio is a file: the detached process would hold a pipe open, and spawnSync waits for its EOF.
    const out = fs.openSync(path.join(work, 'exec-detach.out'), 'w');
    const d = child.spawnSync(BIN, ['--root', root, 'exec', '--detach', '--pid-file', pidFile, 'ex1', 'sleep', '30'], { stdio: ['ignore', out, out], timeout: 30_000 });
    fs.closeSync(out);
    t.equal(d.status, 0, fs.readFileSync(path.join(work, 'exec-detach.out'), 'utf8'));
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    t.ok(pid > 0 && fs.existsSync(`/proc/${pid}`), 'the detached process runs');
    t.match(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${state('ex1').pid}/cgroup`, 'utf8').trim(), 'in the container\'s own group');
    t.equal(oci(['exec', 'ex1', '/no/such']).code, 1, 'a missing program fails exec');
    t.equal(oci(['delete', '--force', 'ex1']).code, 0);
    const e = oci(['exec', 'ex1', 'true']);
    t.equal(e.code, 1);
    t.match(e.stderr, /container does not exist/);
  });

  t.test('namespaces by path: a second container joins the first\'s ipc, uts and pid namespaces', async (t) => {
    const a = bundle((c) => {
      c.process.args = ['sleep', '60'];
      c.hostname = 'pod-a';
    });
    t.equal(oci(['run', '--detach', '--bundle', a, 'ns-a']).code, 0);
    const pid = state('ns-a').pid;
    const b = bundle((c) => {
      c.process.args = ['sh', '-c', 'echo "$(hostname) $(cat /proc/1/comm) $(readlink /proc/self/ns/ipc)"'];
      c.hostname = undefined;
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (['ipc', 'uts', 'pid'].includes(n.type) ? { type: n.type, path: `/proc/${pid}/ns/${n.type}` } : n));
    });
    const r = oci(['run', '--bundle', b, 'ns-b']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, `pod-a sleep ${fs.readlinkSync(`/proc/${pid}/ns/ipc`)}\n`, 'its hostname, its pid 1, its ipc namespace');
    const wrong = oci(['run', '--bundle', bundle((c) => (c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'ipc' ? { type: 'ipc', path: `/proc/${pid}/ns/uts` } : n)))), 'ns-c']);
    t.equal(wrong.code, 1);
    t.match(wrong.stderr, /ipc namespace path \/proc\/\d+\/ns\/uts is not a ipc namespace \(it is a uts namespace\)/);
    const notNs = oci(['run', '--bundle', bundle((c) => (c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'uts' ? { type: 'uts', path: '/etc/hostname' } : n)))), 'ns-d']);
    t.equal(notNs.code, 1);
    t.match(notNs.stderr, /uts namespace path \/etc\/hostname is not a uts namespace/);
    t.equal(oci(['delete', '--force', 'ns-a']).code, 0);
  });

  t.test('delete --force of a created or running container kills it', async (t) => {
    const b = bundle((c) => (c.process.args = ['sleep', '60']));
    t.equal(oci(['create', '--bundle', b, 'c2']).code, 0);
    const pid = state('c2').pid;
    t.equal(oci(['delete', '--force', 'c2']).code, 0);
    const statOf = () => {
      try {
        return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return ''; // reaped by init: gone
      }
    };
    for (let i = 0; i < 250 && !(statOf() === '' || / Z /.test(statOf())); i++) await new Promise((r) => setTimeout(r, 20));
    const stat = statOf();
    t.ok(stat === '' || / Z /.test(stat), 'the waiting process is gone');
    t.equal(oci(['delete', '--force', 'c2']).code, 0, 'delete --force of a missing id is no error, as runc');
  });

  t.test('bad input: one line, exit 1, a JSON log line, and nothing created', async (t) => {
    const cases: Array<[string, string[], RegExp]> = [
      ['no config.json', ['create', '--bundle', path.join(work, 'nowhere'), 'bad1'], /config\.json not found/],
      ['malformed JSON', ['create', '--bundle', (() => { const d = bundle(); fs.writeFileSync(path.join(d, 'config.json'), '{"ociVersion": '); return d; })(), 'bad2'], /invalid JSON/],
      ['unknown namespace', ['create', '--bundle', bundle((c) => c.linux.namespaces.push({ type: 'nope' })), 'bad3'], /linux\.namespaces\[6\]\.type: unknown namespace type "nope"/],
      ['pid namespace by a path that is not one', ['create', '--bundle', bundle((c) => (c.linux.namespaces[0] = { type: 'pid', path: '/proc/self/ns/net' })), 'bad4'], /pid namespace path \/proc\/self\/ns\/net is not a pid namespace \(it is a net namespace\)/],
      ['unknown mount option', ['create', '--bundle', bundle((c) => c.mounts.push({ destination: '/m', type: 'bind', source: '/tmp', options: ['rbind', 'sideways'] })), 'bad5'], /mounts\[7\]\.options\[1\]: unknown mount option "sideways"/],
      ['missing process.args', ['create', '--bundle', bundle((c) => delete c.process.args), 'bad6'], /process\.args: must be an array/],
      ['sysctl', ['create', '--bundle', bundle((c) => (c.linux.sysctl = { 'kernel.pid_max': '4194303' })), 'bad7'], /linux\.sysctl\.kernel\.pid_max: is not namespaced/],
      ['program not found', ['create', '--bundle', bundle((c) => (c.process.args = ['/no/such'])), 'bad8'], /ENOENT: execve failed for \/no\/such/],
      ['state of an unknown id', ['state', 'nope'], /container does not exist: nope/],
      ['start of an unknown id', ['start', 'nope'], /container does not exist: nope/],
      ['an id with a slash', ['state', '../etc'], /invalid id format/],
      ['systemd cgroups', ['--systemd-cgroup', 'create', '--bundle', '.', 'x'], /--systemd-cgroup is not supported/],
      ['exec in an unknown id', ['exec', 'x', 'true'], /container does not exist: x/],
      ['unknown flag', ['create', '--bundel', '.', 'x'], /flag provided but not defined: --bundel/],
      ['unknown signal', ['kill', 'x', 'SIGNOPE'], /unknown signal|does not exist/],
    ];
    for (const [name, args, re] of cases) {
      const r = oci(args);
      t.equal(r.code, 1, `${name}: exit 1`);
      t.match(r.stderr, re, `${name}: stderr`);
      t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
      t.match(lastLog(), { level: 'error', msg: re }, `${name}: JSON log line`);
    }
    const left = fs.readdirSync(root).filter((e) => e.startsWith('bad'));
    t.same(left, [], 'no state for any failed create');
  });

  t.test('--console-socket: the pty master reaches the socket', { skip: !fs.existsSync('/usr/bin/python3') && 'python3 is needed to receive an fd' }, async (t) => {
    const sock = path.join(work, 'console.sock');
    // python3's socket.recv_fds (3.9+) takes the master and reads the program's output through it.
    const receiver = child.spawn('python3', ['-c', `
import socket, os, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
os.write(fds[0], b"")
out = b""
while b"tty-ok" not in out:
    out += os.read(fds[0], 100)
print(msg.decode(), out.decode().strip(), flush=True)
`, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    receiver.stdout.on('data', (d) => (out += d));
    for (let i = 0; i < 500 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
    const b = bundle((c) => {
      c.process.terminal = true;
      c.process.args = ['sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo tty-ok; sleep 1'];
    });
    const created = oci(['create', '--bundle', b, '--console-socket', sock, 'tty1']);
    t.equal(created.code, 0, created.stderr);
    t.equal(oci(['start', 'tty1']).code, 0);
    const code = await new Promise((r) => receiver.on('exit', r));
    t.equal(code, 0);
    t.match(out, /\/dev\/ptmx tty-ok/);
    oci(['delete', '--force', 'tty1']);
  });
});
