// A container's side of a network: a fresh network namespace (held by an fd),
// a veth pair whose peer is created straight inside it as eth0, the host end on
// the bridge, then lo and eth0 up, the address and the default route. All of it
// exists before the program starts: spawn({ netns }) joins it, so the
// program's first connect() already works.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { native } from '../../native/load';
import { Netlink } from '../netlink/socket';
import { Rtnl } from '../netlink/route';
import { macBytes } from './mac';

export interface Plumbing {
  netns: number;
  hostVeth: string;
}

export interface PlumbingInput {
  host: Rtnl;
  bridgeIndex: number;
  ip: string;
  prefix: number;
  /** The container interface's Ethernet address (checked: see mac.ts). */
  mac: string;
  /** Omitted on internal networks: no route out. */
  gateway?: string;
  /**
   * A namespace that exists already (a running container's, for a second
   * network): its fd passes to the plumbing (closed on failure), the interface
   * is the next free ethN and the default route stays the first network's.
   */
  netns?: number;
}

export function plumb(i: PlumbingInput): Plumbing {
  const joined = i.netns !== undefined;
  const netns = i.netns ?? native().netnsCreate();
  let hostVeth: string | undefined;
  let inside: Rtnl | undefined;
  try {
    let ifname = 'eth0';
    if (joined) {
      inside = new Rtnl(Netlink.open(netns));
      const names = new Set(inside.links().map((l) => l.name));
      for (let n = 0; names.has(ifname); n++) ifname = `eth${n}`;
    }
    for (let attempt = 0; ; attempt++) {
      const name = `vb${crypto.randomBytes(4).toString('hex')}`;
      try {
        // The peer is born in the container's namespace (IFLA_NET_NS_FD in
        // VETH_INFO_PEER), so it never appears in the host's, and can take its
        // name (eth0 in a fresh namespace) at once: nothing else there has it.
        // Enslaved to the bridge and up in the same message: no lookup or change of the host end after it.
        i.host.createVeth(name, ifname, netns, { master: i.bridgeIndex, up: true, peerAddress: macBytes(i.mac) });
        hostVeth = name;
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST' || attempt > 3) throw err;
      }
    }
    inside ??= new Rtnl(Netlink.open(netns));
    const lo = joined ? undefined : inside.link('lo');
    const eth = inside.link(ifname);
    if ((!joined && !lo) || !eth) throw new Error(`the container's namespace lacks ${eth ? 'lo' : ifname}`);
    if (lo) inside.setLink(lo.index, { up: true }, 'lo');
    inside.addAddress(eth.index, i.ip, i.prefix);
    inside.setLink(eth.index, { up: true }, ifname);
    if (i.gateway && !joined) inside.addDefaultRoute(i.gateway, eth.index);
    return { netns, hostVeth };
  } catch (err) {
    // Deleting either end removes both; closing the last reference frees the namespace.
    if (hostVeth) unplumbVeth(i.host, hostVeth);
    fs.closeSync(netns);
    throw err;
  } finally {
    inside?.nl.close();
  }
}

/** Removes a host veth if it still exists (it goes by itself when the namespace dies). */
export function unplumbVeth(host: Rtnl, hostVeth: string): void {
  const l = host.link(hostVeth);
  if (!l) return;
  try {
    host.deleteLink(l.index, `veth ${hostVeth}`);
  } catch (err) {
    // Gone in between: the namespace's last user ended.
    if ((err as { code?: string }).code !== 'ENODEV') throw err;
  }
}
