import t from 'tap';
import { checkMac, macBytes, macFromIp } from '../../../../lib/network/links/mac';

t.test('macFromIp: 02:42 and the four bytes of the address, as moby', async (t) => {
  t.equal(macFromIp('172.17.0.2'), '02:42:ac:11:00:02');
  t.equal(macFromIp('10.213.10.255'), '02:42:0a:d5:0a:ff');
  t.throws(() => macFromIp('172.17.0'), RangeError);
});

t.test('checkMac: six octets, unicast, not zero; lower-cased', async (t) => {
  t.equal(checkMac('0E:AA:bb:CC:dd:EE'), '0e:aa:bb:cc:dd:ee');
  t.same([...macBytes('02:42:ac:11:00:02')], [2, 0x42, 0xac, 0x11, 0, 2]);
  t.throws(() => checkMac('01:00:5e:00:00:01'), { name: 'RangeError', message: /--mac-address 01:00:5e:00:00:01 is a multicast address/ });
  t.throws(() => checkMac('ff:ff:ff:ff:ff:ff'), /multicast/, 'broadcast is multicast');
  t.throws(() => checkMac('00:00:00:00:00:00'), /all zeros/);
  for (const bad of ['02:42:ac:11:00', '02-42-ac-11-00-02', '0242ac110002', '02:42:ac:11:00:02:03', '2:42:ac:11:0:2', '', 7]) {
    t.throws(() => checkMac(bad), { name: 'RangeError', message: /is not a MAC address/ }, JSON.stringify(bad));
  }
  t.throws(() => checkMac('nope', 'MacAddress'), /^MacAddress "nope"/, 'names the option it was given as');
});
