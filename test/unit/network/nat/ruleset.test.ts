// The nftables table rendered from records: masquerade per network, DNAT per
// published port (prerouting and output), isolation, internal networks; the
// batch replaces only Bulkhead's table.
import t from 'tap';
import { renderBatch, renderTable, tableName } from '../../../../lib/network/nat/ruleset';
import type { NetworkRecord } from '../../../../lib/network/state/records';

const net = (name: string, bridge: string, subnet: string, internal = false): NetworkRecord => ({
  id: name, name, driver: 'bridge', bridge, subnet, gateway: subnet.replace(/0\/\d+$/, '1'), internal, labels: {}, created: '', endpoints: {},
});

t.test('table name per data root', async (t) => {
  t.equal(tableName('/var/lib/bulkhead'), 'bulkhead');
  t.match(tableName('/var/tmp/x'), /^bulkhead_[0-9a-f]{8}$/);
});

t.test('rules', async (t) => {
  const a = net('a', 'bh-a', '10.9.1.0/24');
  a.endpoints['10.9.1.2'] = { id: 'x', name: 'web', aliases: [], ip: '10.9.1.2', hostVeth: 'vb1', owner: { pid: 1, startTime: '1' }, created: '', ports: [
    { hostIp: '', hostPort: 8080, containerPort: 80, proto: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, proto: 'udp' },
  ] };
  const b = net('b', 'bh-b', '10.9.2.0/24', true);
  const text = renderTable([a, b]);
  t.match(text, 'fib daddr type local tcp dport 8080 dnat to 10.9.1.2:80');
  t.match(text, 'ip daddr 127.0.0.1 udp dport 5353 dnat to 10.9.1.2:53');
  t.equal(text.split('dnat to').length - 1, 4, 'each port in prerouting and output');
  t.match(text, 'ip saddr 10.9.1.0/24 oifname != "bh-a" masquerade');
  t.notMatch(text, 'ip saddr 10.9.2.0/24', 'an internal network is not masqueraded');
  t.match(text, 'iifname "bh-b" oifname != "bh-b" drop');
  t.match(text, /chain input \{[^}]*iifname "bh-a" ip daddr 127\.0\.0\.0\/8 drop/, 'the host\'s loopback is closed to the bridge');
  t.match(text, 'iifname "bh-a" oifname { "bh-b" } drop');
  t.match(text, 'iifname "bh-b" oifname { "bh-a" } drop');
  const batch = renderBatch([]);
  t.match(batch, /^table ip bulkhead\S*\ndelete table ip bulkhead\S*\n$/, 'no networks: the table is removed');
});
