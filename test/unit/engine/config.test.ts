// Config validation: every wrong type is INVALID_PARAMETER naming the field; defaults as docker inspect shows them.
import t from 'tap';
import { normalizeConfig, parseLogSize, parseRestartPolicy, validateConfig } from '../../../lib/engine/container/config';
import { EngineError } from '../../../lib/util/engine-error';
import { parseBind, mountRequests } from '../../../lib/engine/container/mounts';

const base = { Rootfs: '/r', Cmd: ['true'] };

t.test('wrong types are refused with the field named', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /config: must be an object/],
    [{ ...base, Cmd: 'true' }, /Cmd: must be an array of strings/],
    [{ ...base, Env: ['NOEQUALS'] }, /Env: must be entries/],
    [{ ...base, Labels: { a: 1 } }, /Labels.a: must be a string/],
    [{ ...base, Tty: 'yes' }, /Tty: must be a boolean/],
    [{ ...base, StopSignal: 'SIGNOPE' }, /Invalid signal: SIGNOPE/],
    [{ ...base, HostConfig: { Memory: '1g' } }, /HostConfig.Memory: must be an integer/],
    [{ ...base, HostConfig: { Memory: 1024 } }, /Minimum memory limit allowed is 6MB/],
    [{ ...base, HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, /invalid restart policy 'sometimes'/],
    [{ ...base, HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } } }, /maximum retry count cannot be used/],
    [{ ...base, HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, /AutoRemove/],
    [{ ...base, HostConfig: { LogConfig: { Type: 'syslog' } } }, /LogConfig/],
    [{ ...base, HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': 'big' } } } }, /max-size/],
    [{ ...base, HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-file': '3' } } } }, /max-file cannot be set without max-size/],
    [{ ...base, HostConfig: { Nope: 1 } }, /unknown field "Nope"/],
    [{ ...base, Cmdd: [] }, /unknown field "Cmdd"/],
    [{ Rootfs: '/r' }, /No command specified/],
    [{ Cmd: ['x'] }, /Rootfs .* is required/],
    [{ ...base, WorkingDir: 'rel' }, /needs to be an absolute path/],
  ];
  for (const [cfg, re] of cases) {
    try {
      validateConfig(cfg);
      t.fail(`accepted ${JSON.stringify(cfg)}`);
    } catch (err) {
      t.ok(err instanceof EngineError, 'EngineError');
      t.equal((err as EngineError).code, 'INVALID_PARAMETER');
      t.equal((err as EngineError).statusCode, 400);
      t.match((err as Error).message, re);
    }
  }
});

t.test('defaults are explicit after normalization', async (t) => {
  const id = 'a'.repeat(64);
  const n = normalizeConfig(validateConfig(base), id);
  t.equal(n.Config.Hostname, 'aaaaaaaaaaaa');
  t.same(n.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
  t.equal(n.HostConfig.NetworkMode, 'none');
  t.equal(n.HostConfig.LogConfig.Type, 'json-file');
});

t.test('restart policy strings and log sizes', async (t) => {
  t.same(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
  t.same(parseRestartPolicy('always'), { Name: 'always' });
  t.throws(() => parseRestartPolicy('always:2'));
  t.throws(() => parseRestartPolicy('on-failure:-1'));
  t.equal(parseLogSize('10k'), 10240);
  t.equal(parseLogSize('2m'), 2 * 1024 * 1024);
});

t.test('binds: volume names, host paths, modes', async (t) => {
  t.same(parseBind('data:/var/lib/x:ro'), { Type: 'volume', Source: 'data', Destination: '/var/lib/x', RW: false, Mode: 'ro' });
  t.same(parseBind('/srv:/srv'), { Type: 'bind', Source: '/srv', Destination: '/srv', RW: true, Mode: '' });
  t.throws(() => parseBind('data:rel'), /must be absolute/);
  t.throws(() => parseBind('bad name:/x'), /invalid characters/);
  t.throws(() => parseBind('a:/x:rx'), /invalid mode/);
  t.same(parseBind('data:/x:ro,nocopy'), { Type: 'volume', Source: 'data', Destination: '/x', RW: false, Mode: 'ro,nocopy', NoCopy: true }, 'nocopy: a new volume is not filled');
  t.throws(() => parseBind('/srv:/x:nocopy'), /invalid mode: nocopy/, 'nocopy is a volume option, refused on a bind');
  t.throws(() => parseBind('a:/x:ro,rw'), /invalid mode: ro,rw/);
  t.throws(() => mountRequests(['aa:/x', 'bb:/x'], []), /Duplicate mount point/);
  t.same(mountRequests(['aa:/x'], ['/x', '/y']).map((m) => [m.Source, m.Destination]), [['aa', '/x'], [undefined, '/y']]);
});

t.test('NetworkMode container:<id>: what would be the other container\'s is refused (dockerd\'s messages)', async (t) => {
  const c = (h: Record<string, unknown>, extra: Record<string, unknown> = {}) => () => validateConfig({ Rootfs: '/r', Cmd: ['true'], ...extra, HostConfig: { NetworkMode: 'container:web', ...h } } as never);
  t.doesNotThrow(c({}));
  t.throws(c({ PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }), { message: 'conflicting options: port publishing and the container type network mode' });
  t.throws(c({ PublishAllPorts: true }), { message: /port publishing/ });
  t.throws(c({ ExtraHosts: ['db:10.0.0.9'] }), { message: 'conflicting options: custom host-to-IP mapping and the network mode' });
  t.throws(c({ Dns: ['10.0.0.1'] }), { message: 'conflicting options: dns and the network mode' });
  t.throws(c({ DnsSearch: ['corp.example'] }), { message: /dns and the network mode/ });
  t.throws(c({}, { Hostname: 'side' }), { message: 'conflicting options: hostname and the network mode' });
  t.throws(() => validateConfig({ Rootfs: '/r', Cmd: ['true'], HostConfig: { NetworkMode: 'container:' } } as never), { message: /container:<name or id>/ });
});
