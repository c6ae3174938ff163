// The wire format byte for byte against layouts from the uapi headers, and
// decoding of what the kernel sends back (an ack with an extended-ack message).
import t from 'tap';
import { addressMessage, defaultRouteMessage, newBridgeMessage, newVethMessage, parseLink, setLinkMessage } from '../../../../lib/network/netlink/route';
import { attr, ifinfomsg, message, strAttr, u32Attr } from '../../../../lib/network/netlink/encode';
import { parseAttrs, splitMessages } from '../../../../lib/network/netlink/decode';
import * as C from '../../../../lib/network/netlink/constants';

t.test('attributes are length-prefixed and padded to 4 bytes', async (t) => {
  const a = strAttr(C.IFLA_IFNAME, 'br0');
  // len 8 = 4 header + "br0\0"; no padding needed
  t.same([...a], [8, 0, 3, 0, 0x62, 0x72, 0x30, 0]);
  const b = attr(1, Buffer.from([1, 2, 3, 4, 5]));
  t.equal(b.length, 12, 'padded');
  t.equal(b.readUInt16LE(0), 9, 'length excludes padding');
  t.same([...u32Attr(10, 7)], [8, 0, 10, 0, 7, 0, 0, 0]);
});

t.test('nlmsghdr: length, type, flags, seq, pid 0', async (t) => {
  const m = message(C.RTM_NEWLINK, C.NLM_F_REQUEST | C.NLM_F_ACK, 42, [ifinfomsg({ index: 3 })]);
  t.equal(m.length, 32);
  t.equal(m.readUInt32LE(0), 32);
  t.equal(m.readUInt16LE(4), 16);
  t.equal(m.readUInt16LE(6), 5);
  t.equal(m.readUInt32LE(8), 42);
  t.equal(m.readUInt32LE(12), 0);
  t.equal(m.readInt32LE(16 + 4), 3, 'ifi_index');
});

t.test('a bridge: IFLA_IFNAME and IFLA_LINKINFO { IFLA_INFO_KIND "bridge" }', async (t) => {
  const body = Buffer.concat(newBridgeMessage('bulkhead0'));
  const a = parseAttrs(body.subarray(16));
  t.equal(a.get(C.IFLA_IFNAME)?.toString(), 'bulkhead0\0');
  t.equal(parseAttrs(a.get(C.IFLA_LINKINFO) as Buffer).get(C.IFLA_INFO_KIND)?.toString(), 'bridge\0');
});

t.test('a veth: the peer is an ifinfomsg with its own attributes inside VETH_INFO_PEER', async (t) => {
  const body = Buffer.concat(newVethMessage('vh0', 'eth0', 9));
  const info = parseAttrs(parseAttrs(body.subarray(16)).get(C.IFLA_LINKINFO) as Buffer);
  t.equal(info.get(C.IFLA_INFO_KIND)?.toString(), 'veth\0');
  const peer = parseAttrs(info.get(C.IFLA_INFO_DATA) as Buffer).get(C.VETH_INFO_PEER) as Buffer;
  t.equal(peer.length, 16 + 12 + 8, 'ifinfomsg, name, netns fd');
  const pa = parseAttrs(peer.subarray(16));
  t.equal(pa.get(C.IFLA_IFNAME)?.toString(), 'eth0\0');
  t.equal(pa.get(C.IFLA_NET_NS_FD)?.readInt32LE(0), 9);
});

t.test('set link up changes only IFF_UP; master and name as attributes', async (t) => {
  const body = Buffer.concat(setLinkMessage(5, { up: true, master: 2, name: 'eth0' }));
  t.equal(body.readInt32LE(4), 5);
  t.equal(body.readUInt32LE(8), C.IFF_UP);
  t.equal(body.readUInt32LE(12), C.IFF_UP);
  const a = parseAttrs(body.subarray(16));
  t.equal(a.get(C.IFLA_MASTER)?.readUInt32LE(0), 2);
  const down = Buffer.concat(setLinkMessage(5, { master: 0 }));
  t.equal(down.readUInt32LE(12), 0, 'no change mask when up is not given');
});

t.test('address and default route', async (t) => {
  const addr = Buffer.concat(addressMessage(7, '172.17.0.2', 16));
  t.same([...addr.subarray(0, 8)], [C.AF_INET, 16, 0, 0, 7, 0, 0, 0]);
  t.same([...parseAttrs(addr.subarray(8)).get(C.IFA_LOCAL) as Buffer], [172, 17, 0, 2]);
  const rt = Buffer.concat(defaultRouteMessage('172.17.0.1', 7));
  t.same([...rt.subarray(0, 8)], [C.AF_INET, 0, 0, 0, C.RT_TABLE_MAIN, C.RTPROT_BOOT, C.RT_SCOPE_UNIVERSE, C.RTN_UNICAST]);
  const ra = parseAttrs(rt.subarray(12));
  t.same([...ra.get(C.RTA_GATEWAY) as Buffer], [172, 17, 0, 1]);
  t.equal(ra.get(C.RTA_OIF)?.readUInt32LE(0), 7);
  t.throws(() => addressMessage(1, '300.1.1.1', 8), RangeError);
  t.throws(() => newBridgeMessage('a-name-longer-than-15'), RangeError);
});

t.test('decoding: several messages per datagram, a link, a malformed length refused', async (t) => {
  const link = message(C.RTM_NEWLINK, C.NLM_F_MULTI, 1, [ifinfomsg({ index: 4, flags: C.IFF_UP }), strAttr(C.IFLA_IFNAME, 'eth0'), u32Attr(C.IFLA_MASTER, 2)]);
  const done = message(C.NLMSG_DONE, C.NLM_F_MULTI, 1, [Buffer.alloc(4)]);
  const ms = splitMessages(Buffer.concat([link, done]));
  t.equal(ms.length, 2);
  t.same(parseLink(ms[0].body), { index: 4, name: 'eth0', up: true, master: 2 });
  const bad = Buffer.from(link);
  bad.writeUInt32LE(999, 0);
  t.throws(() => splitMessages(bad), RangeError);
});
