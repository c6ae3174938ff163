import t from 'tap';
import { contains, ipString, isHost, overlaps, parseIp, parseSubnet, subnetString } from '../../../../lib/network/ipam/cidr';
import { defaultPools, pickSubnet } from '../../../../lib/network/ipam/pools';

t.test('addresses and subnets', async (t) => {
  t.equal(parseIp('172.17.0.1'), 0xac110001);
  t.equal(ipString(0xac110001), '172.17.0.1');
  t.equal(parseIp('256.1.1.1'), undefined);
  t.equal(parseIp('1.2.3'), undefined);
  t.same(parseSubnet('10.1.0.0/16'), { base: 0x0a010000, prefix: 16 });
  t.equal(parseSubnet('10.1.2.3/16'), undefined, 'host bits set are refused');
  t.equal(parseSubnet('10.1.0.0/33'), undefined);
  t.equal(subnetString(parseSubnet('0.0.0.0/0')!), '0.0.0.0/0');
});

t.test('containment, overlap, usable hosts', async (t) => {
  const s = parseSubnet('10.1.0.0/24')!;
  t.ok(contains(s, parseIp('10.1.0.200')!));
  t.notOk(contains(s, parseIp('10.1.1.0')!));
  t.ok(overlaps(s, parseSubnet('10.0.0.0/8')!));
  t.ok(overlaps(parseSubnet('10.1.0.128/25')!, s));
  t.notOk(overlaps(s, parseSubnet('10.1.1.0/24')!));
  t.notOk(isHost(s, parseIp('10.1.0.0')!), 'network address');
  t.notOk(isHost(s, parseIp('10.1.0.255')!), 'broadcast address');
  t.ok(isHost(s, parseIp('10.1.0.1')!));
});

t.test("Docker's default pools: 172.17/16 first, the next free when taken", async (t) => {
  const pools = defaultPools();
  t.equal(subnetString(pools[0]), '172.17.0.0/16');
  t.equal(subnetString(pools[14]), '172.31.0.0/16');
  t.equal(subnetString(pools[15]), '192.168.0.0/20');
  t.equal(subnetString(pickSubnet([])!), '172.17.0.0/16');
  t.equal(subnetString(pickSubnet([parseSubnet('172.17.5.0/24')!])!), '172.18.0.0/16', 'a host route inside 172.17/16 moves it on');
  t.equal(subnetString(pickSubnet([parseSubnet('172.16.0.0/12')!])!), '192.168.0.0/20');
  t.equal(pickSubnet([parseSubnet('0.0.0.0/0')!]), undefined);
});
