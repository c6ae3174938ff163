// A container interface's Ethernet address. Docker's bridge driver derives it
// from the IPv4 address (moby libnetwork netutils.GenerateMACFromIP): 02:42
// then the address's four bytes. 0x02 is the locally administered bit and the
// multicast bit (0x01) is clear (IEEE 802, as is_valid_ether_addr checks), so
// such an address never collides with a vendor's and is unique on a subnet.
import { parseIp } from '../ipam/cidr';

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

/** 02:42:a:b:c:d for the address a.b.c.d. */
export function macFromIp(ip: string): string {
  const n = parseIp(ip);
  if (n === undefined) throw new RangeError(`${JSON.stringify(ip)} is not an IPv4 address`);
  return ['02', '42', ...[24, 16, 8, 0].map((s) => ((n >>> s) & 0xff).toString(16).padStart(2, '0'))].join(':');
}

/**
 * Checks an address given by the user (--mac-address): six colon-separated
 * hex octets, unicast and not all zeros, which veth_validate would refuse
 * with EADDRNOTAVAIL after the namespace exists. Lower case, as the kernel shows it.
 */
export function checkMac(mac: unknown, option = '--mac-address'): string {
  if (typeof mac !== 'string' || !MAC.test(mac)) throw new RangeError(`${option} ${JSON.stringify(mac)} is not a MAC address (six hex octets separated by ':')`);
  const bytes = macBytes(mac);
  if (bytes[0]! & 1) throw new RangeError(`${option} ${mac} is a multicast address: a container's interface needs a unicast one (first octet even)`);
  if (bytes.every((b) => b === 0)) throw new RangeError(`${option} ${mac} is all zeros`);
  return mac.toLowerCase();
}

/** The six bytes of a checked address, for IFLA_ADDRESS. */
export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}
