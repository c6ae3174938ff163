// The create body as the engine's config: the image's defaults, mapped fields,
// zero values ignored, unsupported settings refused (never dropped), no such image.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { toEngineConfig } from '../../../lib/api/create-config';
import { DirectoryImages, familiarName } from '../../../lib/api/images';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-api-unit-'));
fs.mkdirSync(path.join(dir, 'bin'));
fs.writeFileSync(path.join(dir, 'bin', 'sh'), '');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const images = new DirectoryImages([{ name: 'busybox', dir }]);

t.equal(familiarName('docker.io/library/busybox'), 'busybox:latest');
t.equal(familiarName('localhost:5000/x'), 'localhost:5000/x:latest');
t.equal(familiarName('a/b:1'), 'a/b:1');
t.ok(images.resolve('busybox:latest'));
t.ok(images.resolve(images.list()[0]!.Id.slice(7, 19)), 'by id prefix');
t.equal(images.resolve('alpine'), null);

// What docker run -d --name x -e A=1 -v /h:/c busybox sends, in part: every field, mostly zero.
const cli = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
  Env: ['A=1'], Cmd: null, Image: 'busybox', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
  HostConfig: { Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, BlkioWeight: 0, MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: null, Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576 } }], MaskedPaths: null, ReadonlyPaths: null, Init: null },
  NetworkingConfig: { EndpointsConfig: {} },
};
const c = toEngineConfig(cli, images);
t.equal(c.Rootfs, dir, 'the image gives the root filesystem');
t.same(c.Cmd, ['sh'], 'and its default command');
t.same(c.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1']);
t.same(c.HostConfig?.Tmpfs, { '/t': 'size=1048576' }, '--mount type=tmpfs');
t.equal(c.HostConfig?.NetworkMode, 'default', 'NetworkMode passed on as given: the engine resolves "default" (bulkheadd: bridge)');
t.same(c.HostConfig?.PortBindings, undefined, 'empty PortBindings, Dns and ExtraHosts are not passed on');
t.same(toEngineConfig({ Image: 'busybox', Entrypoint: ['echo'], Cmd: ['a'] }, images).Cmd, ['a']);
t.same(toEngineConfig({ Image: 'busybox', Entrypoint: ['echo'] }, images).Cmd, undefined, 'an entrypoint given replaces the image\'s command');
t.throws(() => toEngineConfig({ Image: 'alpine' }, images), { code: 'NOT_FOUND', message: 'No such image: alpine' });
t.throws(() => toEngineConfig({ Image: 'busybox', HostConfig: { Privileged: true } }, images), { statusCode: 400, message: /HostConfig.Privileged/ });
{
  const n = toEngineConfig({ Image: 'busybox', ExposedPorts: { '80/tcp': {} }, HostConfig: { NetworkMode: 'app', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, PublishAllPorts: true, ExtraHosts: ['h:1.2.3.4'], Dns: ['9.9.9.9'] }, NetworkingConfig: { EndpointsConfig: { app: { Aliases: ['www'], IPAMConfig: { IPv4Address: '10.1.0.5' } } } } }, images);
  t.same(n.HostConfig, { NetworkMode: 'app', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, PublishAllPorts: true, ExtraHosts: ['h:1.2.3.4'], Dns: ['9.9.9.9'] }, 'network settings passed on to the engine');
  t.same(n.ExposedPorts, { '80/tcp': {} });
  t.same(n.NetworkingConfig, { EndpointsConfig: { app: { Aliases: ['www'], IPAMConfig: { IPv4Address: '10.1.0.5' } } } });
}
t.throws(() => toEngineConfig({ Image: 'busybox', HostConfig: { NetworkMode: 7 } }, images), { statusCode: 400, message: /NetworkMode/ });
t.throws(() => toEngineConfig({ Image: 'busybox', NetworkingConfig: { EndpointsConfig: [] } }, images), { statusCode: 400, message: /EndpointsConfig/ });
t.throws(() => toEngineConfig({ Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind', Source: '/no/such/dir', Target: '/x' }] } }, images), { statusCode: 400, message: 'invalid mount config for type "bind": bind source path does not exist: /no/such/dir' });
const made = path.join(dir, 'made-by-bind');
toEngineConfig({ Image: 'busybox', HostConfig: { Binds: [`${made}:/m`] } }, images);
t.ok(fs.statSync(made).isDirectory(), '-v creates a missing host directory, as dockerd');
t.throws(() => toEngineConfig({ Image: 'busybox', HostConfig: { Binds: ['rel/path:/m'] } }, images), { statusCode: 400, message: /must be absolute/ });
t.throws(() => toEngineConfig({ Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'] } }, images), { statusCode: 400, message: /Healthcheck/ });
