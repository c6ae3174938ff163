import t from 'tap';
import { lookupA, lookupPtr } from '../../../../lib/network/dns/resolve';
import { checkResolvConf, containerResolvers, hostsText, mergeResolvOptions, resolvText } from '../../../../lib/network/dns/files';
import type { NetworkRecord } from '../../../../lib/network/state/records';

const id = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const rec: NetworkRecord = {
  id: 'n', name: 'n', driver: 'bridge', bridge: 'bh-n', subnet: '10.9.0.0/24', gateway: '10.9.0.1', internal: false, labels: {}, created: '',
  endpoints: { '10.9.0.2': { id, name: 'web', aliases: ['www'], ip: '10.9.0.2', hostVeth: 'v', ports: [], owner: { pid: 1, startTime: '1' }, created: '' } },
};

t.test('A by name, alias, short and full id; PTR', async (t) => {
  t.same(lookupA(rec, 'web'), ['10.9.0.2']);
  t.same(lookupA(rec, 'WWW.'), ['10.9.0.2']);
  t.same(lookupA(rec, id.slice(0, 12)), ['10.9.0.2']);
  t.same(lookupA(rec, id), ['10.9.0.2']);
  t.same(lookupA(rec, id.slice(0, 5)), [], 'too short a prefix');
  t.same(lookupA(rec, 'other'), []);
  t.equal(lookupPtr(rec, '2.0.9.10.in-addr.arpa'), 'web');
  t.equal(lookupPtr(rec, '3.0.9.10.in-addr.arpa'), undefined);
});

t.test('files', async (t) => {
  t.same(containerResolvers(['127.0.0.53']), ['8.8.8.8', '8.8.4.4'], 'loopback resolvers replaced as Docker does');
  t.same(containerResolvers(['127.0.0.53', '10.0.0.2']), ['10.0.0.2']);
  const h = hostsText({ id, hostname: 'box', ip: '10.9.0.2', aliases: ['www'], extraHosts: [{ host: 'db', ip: '10.0.0.9' }], nameservers: [] });
  t.match(h, /^127\.0\.0\.1\tlocalhost$/m);
  t.match(h, /^10\.0\.0\.9\tdb$/m);
  t.match(h, /^10\.9\.0\.2\tbox www$/m);
  t.equal(resolvText({ id, hostname: 'box', nameservers: ['10.9.0.1'], options: ['ndots:0'] }), 'nameserver 10.9.0.1\noptions ndots:0\n');
  t.equal(resolvText({ id, hostname: 'box', nameservers: ['10.9.0.1'], search: ['a.example', 'b.example'], options: ['ndots:2', 'edns0'] }), 'nameserver 10.9.0.1\nsearch a.example b.example\noptions ndots:2 edns0\n');
});

t.test('--dns-search and --dns-option: merged over the defaults, checked', async (t) => {
  t.same(mergeResolvOptions(['ndots:0'], ['ndots:2', 'edns0']), ['ndots:2', 'edns0'], 'a given ndots replaces the embedded DNS\'s ndots:0');
  t.same(mergeResolvOptions(['ndots:0'], ['rotate']), ['ndots:0', 'rotate']);
  t.doesNotThrow(() => checkResolvConf(['example.org', '.'], ['ndots:5', 'timeout:2', 'edns0', 'use-vc']));
  t.throws(() => checkResolvConf(['bad domain'], []), /--dns-search "bad domain" is not a domain name/);
  t.throws(() => checkResolvConf(['a', 'b', 'c', 'd', 'e', 'f', 'g'], []), /at most 6 domains/);
  t.throws(() => checkResolvConf([], ['ndots 2']), /--dns-option "ndots 2"/);
  t.throws(() => checkResolvConf([], ['options\nnameserver 1.2.3.4']), /--dns-option/, 'no line of its own can be smuggled in');
});
