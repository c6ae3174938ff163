// IPv4 addresses and prefixes as 32-bit numbers (RFC 4632 notation).

export interface Subnet {
  /** The network address, as a number. */
  base: number;
  prefix: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export const ipString = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** "10.1.0.0/16"; host bits set ("10.1.2.3/16") are refused, as Docker does. */
export function parseSubnet(s: string): Subnet | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const base = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (base === undefined || prefix > 32) return undefined;
  if (((base & ~mask(prefix)) >>> 0) !== 0) return undefined;
  return { base, prefix };
}

export const subnetString = (s: Subnet): string => `${ipString(s.base)}/${s.prefix}`;

export const size = (s: Subnet): number => 2 ** (32 - s.prefix);

export const contains = (s: Subnet, ip: number): boolean => ((ip & mask(s.prefix)) >>> 0) === s.base;

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** Usable host addresses exclude the network and broadcast addresses (RFC 919) on prefixes up to /30. */
export function isHost(s: Subnet, ip: number): boolean {
  if (!contains(s, ip)) return false;
  if (s.prefix >= 31) return true;
  return ip !== s.base && ip !== s.base + size(s) - 1;
}
