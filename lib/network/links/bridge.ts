// The bridge of a network on the host: created with its gateway address and up,
// or found as it is (after a reboot the record exists but the bridge does not).
import type { Rtnl } from '../netlink/route';
import { parseSubnet } from '../ipam/cidr';
import type { NetworkRecord } from '../state/records';
import { writeIfSysctl } from './sysctl';

/** The bridge's index, and whether it was made now. */
export function ensureBridge(rt: Rtnl, n: NetworkRecord): { index: number; created: boolean } {
  let link = rt.link(n.bridge);
  const created = !link;
  if (!link) {
    rt.createBridge(n.bridge);
    link = rt.link(n.bridge);
    if (!link) throw new Error(`bridge ${n.bridge} was created but is not listed`);
    try {
      const prefix = (parseSubnet(n.subnet) as { prefix: number }).prefix;
      rt.addAddress(link.index, n.gateway, prefix);
      rt.setLink(link.index, { up: true }, `bridge ${n.bridge}`);
      // DNAT from the host's 127.0.0.1 onto the bridge is routed only with
      // route_localnet on the outgoing interface (ip-sysctl.rst).
      if (!n.internal) writeIfSysctl(n.bridge, 'route_localnet', '1');
    } catch (err) {
      rt.deleteLink(link.index, `bridge ${n.bridge}`);
      throw err;
    }
  }
  return { index: link.index, created };
}

export function removeBridge(rt: Rtnl, name: string): void {
  const link = rt.link(name);
  if (link) rt.deleteLink(link.index, `bridge ${name}`);
}
