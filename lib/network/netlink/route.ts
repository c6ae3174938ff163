// rtnetlink operations Bulkhead needs (rtnetlink(7)): bridges, veth pairs,
// moving and renaming links, addresses, routes. Each is one request; callers
// compose them and undo what they made on failure.
import * as C from './constants';
import { attr, ifaddrmsg, ifinfomsg, ipv4Bytes, nest, rtmsg, s32Attr, strAttr, u32Attr } from './encode';
import { attrString, ipv4String, parseAttrs } from './decode';
import type { Netlink } from './socket';

export interface LinkInfo {
  index: number;
  name: string;
  up: boolean;
  master?: number;
  kind?: string;
  mtu?: number;
}

/** IFNAMSIZ is 16 with the NUL: at most 15 bytes (netdevice(7)). */
export function checkIfname(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new RangeError(`interface name ${JSON.stringify(name)} must be 1 to 15 letters, digits, '_', '.' or '-'`);
  return name;
}

export function newBridgeMessage(name: string): Buffer[] {
  return [ifinfomsg(), strAttr(C.IFLA_IFNAME, checkIfname(name)), nest(C.IFLA_LINKINFO, [strAttr(C.IFLA_INFO_KIND, 'bridge')])];
}

/** A veth pair: the peer is described by its own ifinfomsg and attributes inside VETH_INFO_PEER (linux/veth.h); peerNetnsFd puts it straight into that namespace. */
export interface VethOptions {
  /** The host end's bridge (IFLA_MASTER at creation: rtnl_newlink enslaves the new link before answering). */
  master?: number;
  /**
   * The host end up at creation (ifi_flags/ifi_change, applied by
   * rtnl_configure_link once the pair exists). Not the peer: veth_newlink
   * configures it before the two are linked, and opening a veth without its
   * peer fails with ENOTCONN.
   */
  up?: boolean;
  /** The peer's Ethernet address (IFLA_ADDRESS, 6 bytes); veth_newlink gives it a random one without. */
  peerAddress?: Buffer;
}

export function newVethMessage(name: string, peer: string, peerNetnsFd?: number, o: VethOptions = {}): Buffer[] {
  const flags = o.up ? { flags: C.IFF_UP, change: C.IFF_UP } : {};
  const peerAttrs = [strAttr(C.IFLA_IFNAME, checkIfname(peer))];
  if (peerNetnsFd !== undefined) peerAttrs.push(s32Attr(C.IFLA_NET_NS_FD, peerNetnsFd));
  if (o.peerAddress !== undefined) peerAttrs.push(attr(C.IFLA_ADDRESS, o.peerAddress));
  const body = [
    ifinfomsg(flags),
    strAttr(C.IFLA_IFNAME, checkIfname(name)),
    nest(C.IFLA_LINKINFO, [strAttr(C.IFLA_INFO_KIND, 'veth'), nest(C.IFLA_INFO_DATA, [attr(C.VETH_INFO_PEER, Buffer.concat([ifinfomsg(), ...peerAttrs]))])]),
  ];
  if (o.master !== undefined) body.push(u32Attr(C.IFLA_MASTER, o.master));
  return body;
}

export interface LinkChange {
  up?: boolean;
  master?: number;
  name?: string;
  mtu?: number;
}

/** RTM_NEWLINK on an existing index changes it (the kernel's rtnl_newlink falls through to do_setlink). */
export function setLinkMessage(index: number, c: LinkChange): Buffer[] {
  const body = [ifinfomsg({ index, flags: c.up ? C.IFF_UP : 0, change: c.up === undefined ? 0 : C.IFF_UP })];
  if (c.master !== undefined) body.push(u32Attr(C.IFLA_MASTER, c.master));
  if (c.name !== undefined) body.push(strAttr(C.IFLA_IFNAME, checkIfname(c.name)));
  if (c.mtu !== undefined) body.push(u32Attr(C.IFLA_MTU, c.mtu));
  return body;
}

export function addressMessage(index: number, ip: string, prefixLength: number): Buffer[] {
  const a = ipv4Bytes(ip);
  // IFA_LOCAL is the address itself; IFA_ADDRESS the same on a broadcast link (rtnetlink(7)).
  return [ifaddrmsg({ family: C.AF_INET, prefixLength, index }), attr(C.IFA_LOCAL, a), attr(C.IFA_ADDRESS, a)];
}

export function defaultRouteMessage(gateway: string, oif: number): Buffer[] {
  return [
    rtmsg({ family: C.AF_INET, dstLength: 0, table: C.RT_TABLE_MAIN, protocol: C.RTPROT_BOOT, scope: C.RT_SCOPE_UNIVERSE, type: C.RTN_UNICAST }),
    attr(C.RTA_GATEWAY, ipv4Bytes(gateway)),
    u32Attr(C.RTA_OIF, oif),
  ];
}

export function parseLink(body: Buffer): LinkInfo {
  const index = body.readInt32LE(4);
  const flags = body.readUInt32LE(8);
  const a = parseAttrs(body.subarray(16));
  const info = a.get(C.IFLA_LINKINFO);
  const link: LinkInfo = { index, name: attrString(a.get(C.IFLA_IFNAME)) ?? '', up: (flags & C.IFF_UP) !== 0 };
  const master = a.get(C.IFLA_MASTER);
  if (master) link.master = master.readUInt32LE(0);
  const mtu = a.get(C.IFLA_MTU);
  if (mtu) link.mtu = mtu.readUInt32LE(0);
  if (info) link.kind = attrString(parseAttrs(info).get(C.IFLA_INFO_KIND));
  return link;
}

export interface AddressInfo {
  index: number;
  address: string;
  prefixLength: number;
}

export interface RouteInfo {
  dst: string;
  dstLength: number;
  oif?: number;
  gateway?: string;
  table: number;
}

/** The operations, on one socket (in the namespace it was opened in). */
export class Rtnl {
  constructor(readonly nl: Netlink) {}

  links(): LinkInfo[] {
    return this.nl.dump('list links', C.RTM_GETLINK, [ifinfomsg()]).map((m) => parseLink(m.body));
  }

  /** One link by name: RTM_GETLINK with IFLA_IFNAME (rtnl_getlink), no dump of every link. */
  link(name: string): LinkInfo | undefined {
    if (!name || Buffer.byteLength(name) > 15 || name.includes('/') || name.includes('\0')) return this.links().find((l) => l.name === name);
    try {
      const [m] = this.nl.get(`get link ${name}`, C.RTM_GETLINK, [ifinfomsg(), strAttr(C.IFLA_IFNAME, name)]);
      return m ? parseLink(m.body) : undefined;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENODEV') return undefined;
      throw err;
    }
  }

  createBridge(name: string): void {
    this.nl.request(`create bridge ${name}`, C.RTM_NEWLINK, C.NLM_F_CREATE | C.NLM_F_EXCL, newBridgeMessage(name));
  }

  createVeth(name: string, peer: string, peerNetnsFd?: number, o: VethOptions = {}): void {
    this.nl.request(`create veth ${name}/${peer}`, C.RTM_NEWLINK, C.NLM_F_CREATE | C.NLM_F_EXCL, newVethMessage(name, peer, peerNetnsFd, o));
  }

  setLink(index: number, change: LinkChange, what = `link ${index}`): void {
    this.nl.request(`set ${what}`, C.RTM_NEWLINK, 0, setLinkMessage(index, change));
  }

  deleteLink(index: number, what = `link ${index}`): void {
    this.nl.request(`delete ${what}`, C.RTM_DELLINK, 0, [ifinfomsg({ index })]);
  }

  addAddress(index: number, ip: string, prefixLength: number): void {
    this.nl.request(`add address ${ip}/${prefixLength}`, C.RTM_NEWADDR, C.NLM_F_CREATE | C.NLM_F_EXCL, addressMessage(index, ip, prefixLength));
  }

  addresses(): AddressInfo[] {
    return this.nl.dump('list addresses', C.RTM_GETADDR, [ifaddrmsg({ family: C.AF_INET, prefixLength: 0, index: 0 })]).map((m) => {
      const a = parseAttrs(m.body.subarray(8));
      return { index: m.body.readUInt32LE(4), prefixLength: m.body.readUInt8(1), address: ipv4String(a.get(C.IFA_LOCAL) ?? a.get(C.IFA_ADDRESS)) ?? '' };
    });
  }

  addDefaultRoute(gateway: string, oif: number): void {
    this.nl.request(`add default route via ${gateway}`, C.RTM_NEWROUTE, C.NLM_F_CREATE | C.NLM_F_EXCL, defaultRouteMessage(gateway, oif));
  }

  routes(): RouteInfo[] {
    return this.nl.dump('list routes', C.RTM_GETROUTE, [rtmsg({ family: C.AF_INET, dstLength: 0, table: 0, protocol: 0, scope: 0, type: 0 })]).map((m) => {
      const a = parseAttrs(m.body.subarray(12));
      const table = a.get(C.RTA_TABLE)?.readUInt32LE(0) ?? m.body.readUInt8(4);
      const r: RouteInfo = { dst: ipv4String(a.get(C.RTA_DST)) ?? '0.0.0.0', dstLength: m.body.readUInt8(1), table };
      const oif = a.get(C.RTA_OIF);
      if (oif) r.oif = oif.readUInt32LE(0);
      const gw = ipv4String(a.get(C.RTA_GATEWAY));
      if (gw) r.gateway = gw;
      return r;
    });
  }
}
