// A container's network settings in the Engine API's names, checked and turned
// into lib/network's requests: PortBindings (free ports, addresses, bad keys),
// PublishAllPorts over ExposedPorts, ExtraHosts, Dns, EndpointsConfig.
import t from 'tap';
import { dnsOf, endpointConfig, extraHostsOf, portRequests } from '../../../../lib/engine/network/config';

t.same(portRequests({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }], '81': null }, undefined, false), [
  { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, proto: 'tcp' },
  { hostIp: '', containerPort: 53, proto: 'udp' },
], 'an address, a free port, and an unpublished entry');
t.same(portRequests({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] }, undefined, false)[0].hostIp, '', '0.0.0.0 is every address');
t.same(portRequests({ '80/tcp': [{ HostPort: '8080' }] }, { '80/tcp': {}, '443/tcp': {} }, true), [
  { hostIp: '', hostPort: 8080, containerPort: 80, proto: 'tcp' },
  { hostIp: '', containerPort: 443, proto: 'tcp' },
], 'PublishAllPorts: every exposed port not bound already, on a free port');
t.same(portRequests(undefined, { '443/tcp': {} }, false), [], 'exposed is not published');
t.throws(() => portRequests({ '80/sctp': [] }, undefined, false), { code: 'INVALID_PARAMETER', message: /80\/sctp/ });
t.throws(() => portRequests({ '70000/tcp': [] }, undefined, false), { code: 'INVALID_PARAMETER' });
t.throws(() => portRequests({ '80/tcp': [{ HostPort: '8000-8010' }] }, undefined, false), { message: /ranges are not supported/ });
t.throws(() => portRequests({ '80/tcp': [{ HostIp: 'localhost', HostPort: '1' }] }, undefined, false), { message: /not an IPv4 address/ });

t.same(extraHostsOf(['db:10.0.0.5', 'a.b:1.2.3.4']), [{ host: 'db', ip: '10.0.0.5' }, { host: 'a.b', ip: '1.2.3.4' }]);
t.throws(() => extraHostsOf(['nohost']), { message: /HOST:IPv4/ });
t.throws(() => extraHostsOf(['h:host-gateway']), { message: /HOST:IPv4/ });
t.same(dnsOf(['9.9.9.9']), ['9.9.9.9']);
t.throws(() => dnsOf(['dns.example']), { message: /Dns/ });

t.same(endpointConfig('app', undefined), { Aliases: null, IPAMConfig: null });
t.same(endpointConfig('app', { Aliases: ['www'], IPAMConfig: { IPv4Address: '10.1.0.9' } }), { Aliases: ['www'], IPAMConfig: { IPv4Address: '10.1.0.9' } });
t.same(endpointConfig('app', { Aliases: [], IPAMConfig: { IPv4Address: '' } }), { Aliases: null, IPAMConfig: null }, 'empty is none');
t.throws(() => endpointConfig('app', { Aliases: 'www' as unknown as string[] }), { message: /Aliases/ });
t.throws(() => endpointConfig('app', { IPAMConfig: { IPv4Address: '10.1.0' } }), { message: /IPv4Address/ });
// The docker CLI sends every field of EndpointSettings: its zero values pass, a set one we do not apply is refused.
const cliZero = { IPAMConfig: { IPv4Address: '', IPv6Address: '', LinkLocalIPs: null }, Links: null, Aliases: null, DriverOpts: null, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DNSNames: null };
t.same(endpointConfig('app', cliZero as never), { Aliases: null, IPAMConfig: null }, 'a Go client\'s zero values');
t.same(endpointConfig('app', { MacAddress: '0E:11:22:33:44:55' }), { Aliases: null, IPAMConfig: null, MacAddress: '0e:11:22:33:44:55' }, 'MacAddress, lower-cased');
t.throws(() => endpointConfig('app', { MacAddress: '01:00:5e:00:00:01' }), { message: /EndpointsConfig\.app\.MacAddress 01:00:5e:00:00:01 is a multicast address/ });
for (const [k, v] of [['Links', ['db:db']], ['DriverOpts', { 'com.docker.network.endpoint.sysctls': 'x' }], ['IPAMConfig', { IPv6Address: 'fd00::9' }], ['Whatever', 1]] as const) {
  t.throws(() => endpointConfig('app', { ...cliZero, [k]: v } as never), { message: new RegExp(`EndpointsConfig\\.app\\.${k} is not supported by bulkheadd`) }, `${k} set: refused, not dropped`);
}
