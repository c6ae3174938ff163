// Netlink wire format (netlink(7), rtnetlink(7)): a 16-byte nlmsghdr, a fixed
// family header (ifinfomsg, ifaddrmsg, rtmsg), then type-length-value attributes
// (struct rtattr), each padded to 4 bytes. Host byte order (little-endian here)
// for every integer: netlink is a local protocol.

/** NLMSG_ALIGN / RTA_ALIGN. */
export const align4 = (n: number): number => (n + 3) & ~3;

export type Attr = Buffer;

/** One rtattr: u16 length (header + payload, unpadded), u16 type, payload, padding. */
export function attr(type: number, payload: Buffer): Attr {
  const len = 4 + payload.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}

export const u32Attr = (type: number, v: number): Attr => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return attr(type, b);
};

export const s32Attr = (type: number, v: number): Attr => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return attr(type, b);
};

/** A NUL-terminated string, as the kernel's nla_strscpy expects for IFLA_IFNAME and IFLA_INFO_KIND. */
export const strAttr = (type: number, s: string): Attr => attr(type, Buffer.from(`${s}\0`, 'utf8'));

/** An attribute whose payload is other attributes (NLA_F_NESTED is not required by rtnetlink). */
export const nest = (type: number, attrs: Attr[]): Attr => attr(type, Buffer.concat(attrs));

/** struct ifinfomsg: family, pad, type, index, flags, change (16 bytes). */
export function ifinfomsg(o: { family?: number; index?: number; flags?: number; change?: number } = {}): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(o.family ?? 0, 0);
  b.writeInt32LE(o.index ?? 0, 4);
  b.writeUInt32LE((o.flags ?? 0) >>> 0, 8);
  b.writeUInt32LE((o.change ?? 0) >>> 0, 12);
  return b;
}

/** struct ifaddrmsg: family, prefixlen, flags, scope, index (8 bytes). */
export function ifaddrmsg(o: { family: number; prefixLength: number; scope?: number; index: number }): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(o.family, 0);
  b.writeUInt8(o.prefixLength, 1);
  b.writeUInt8(o.scope ?? 0, 3);
  b.writeUInt32LE(o.index, 4);
  return b;
}

/** struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags (12 bytes). */
export function rtmsg(o: { family: number; dstLength: number; table: number; protocol: number; scope: number; type: number }): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(o.family, 0);
  b.writeUInt8(o.dstLength, 1);
  b.writeUInt8(o.table, 4);
  b.writeUInt8(o.protocol, 5);
  b.writeUInt8(o.scope, 6);
  b.writeUInt8(o.type, 7);
  return b;
}

/** A whole message: struct nlmsghdr (len, type, flags, seq, pid 0) before the body. */
export function message(type: number, flags: number, seq: number, body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  const out = Buffer.alloc(16 + align4(payload.length));
  out.writeUInt32LE(16 + payload.length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq >>> 0, 8);
  out.writeUInt32LE(0, 12);
  payload.copy(out, 16);
  return out;
}

/** IPv4 dotted quad to its 4 network-order bytes. */
export function ipv4Bytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`netlink: not an IPv4 address: ${JSON.stringify(ip)}`);
  return Buffer.from(parts);
}
