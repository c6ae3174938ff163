// An exec's config: wrong fields refused as INVALID_PARAMETER naming them; the
// spawn options inherit the container's env, user, cwd and capabilities, and
// Privileged turns into every capability without seccomp.
import t from 'tap';
import { execSpawnOptions, validateExec } from '../../../lib/engine/exec/config';
import { normalizeConfig, validateConfig } from '../../../lib/engine/container/config';
import { freshState, type ContainerRecord } from '../../../lib/engine/container/record';

t.test('bad configs name the field', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /must be an object/],
    [{}, /No exec command specified/],
    [{ Cmd: [] }, /No exec command specified/],
    [{ Cmd: [''] }, /Cmd\[0\]/],
    [{ Cmd: ['x'], Env: ['NOEQ'] }, /Env\[0\]/],
    [{ Cmd: ['x'], WorkingDir: 'rel' }, /needs to be an absolute path/],
    [{ Cmd: ['x'], User: 'alice' }, /User must be root or a numeric/],
    [{ Cmd: ['x'], Tty: 'yes' }, /Tty must be a boolean/],
    [{ Cmd: ['x'], ConsoleSize: [0, 80] }, /ConsoleSize/],
    [{ Cmd: ['x'], Nope: 1 }, /unknown field "Nope"/],
  ];
  for (const [c, msg] of cases) t.throws(() => validateExec(c), { code: 'INVALID_PARAMETER', message: msg }, JSON.stringify(c));
});

function record(): ContainerRecord {
  const { Config, HostConfig } = normalizeConfig(validateConfig({ Rootfs: '/r', Cmd: ['sleep'], Env: ['A=1', 'B=2'], User: '5:6', WorkingDir: '/w', Hostname: 'h', HostConfig: { CapDrop: ['NET_RAW'] } }), 'id');
  return { Id: 'id', Name: '/n', Created: '', Path: 'sleep', Args: [], Config, HostConfig, State: { ...freshState(), Running: true, Pid: 42 }, RestartCount: 0, Mounts: [], LogPath: '', ManuallyStopped: false, Runtime: { startTime: 1, cgroup: '/sys/fs/cgroup/unified/g' } } as unknown as ContainerRecord;
}

t.test('spawn options: the container\'s unless overridden', async (t) => {
  const o = execSpawnOptions(record(), { Cmd: ['sh'], Env: ['B=3'] }, 42);
  t.same(o.join, { pid: 42, cgroup: '/sys/fs/cgroup/unified/g' });
  t.match(o.env, { A: '1', B: '3', HOSTNAME: 'h', HOME: '/' });
  t.equal(o.uid, 5);
  t.equal(o.gid, 6);
  t.equal(o.cwd, '/w');
  t.same(o.capDrop, ['NET_RAW']);
  t.equal(o.seccomp, undefined, 'the default profile');
  t.same(o.stdio, ['ignore', 'pipe', 'pipe']);
  const p = execSpawnOptions(record(), { Cmd: ['sh'], User: 'root', WorkingDir: '/tmp', Privileged: true, Tty: true, AttachStdin: true, ConsoleSize: [10, 20] }, 42);
  t.equal(p.uid, 0);
  t.equal(p.env?.HOME, '/root');
  t.equal(p.cwd, '/tmp');
  t.same(p.capAdd, ['ALL']);
  t.equal(p.capDrop, undefined);
  t.equal(p.seccomp, false);
  t.same(p.tty, { rows: 10, cols: 20 });
  t.same(p.stdio, ['pipe', 'pipe', 'pipe']);
  const d = execSpawnOptions(record(), { Cmd: ['sh'], Detach: true, AttachStdin: true }, 42);
  t.same(d.stdio, ['ignore', 'ignore', 'ignore']);
});
