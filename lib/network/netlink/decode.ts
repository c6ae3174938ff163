// Parsing what the kernel sends back: a datagram holds one or more messages
// (NLMSG_NEXT), each with attributes after its family header (RTA_NEXT).
import { align4 } from './encode';

export interface RawMessage {
  type: number;
  flags: number;
  seq: number;
  /** Everything after the 16-byte header. */
  body: Buffer;
}

export function splitMessages(data: Buffer): RawMessage[] {
  const out: RawMessage[] = [];
  let off = 0;
  while (off + 16 <= data.length) {
    const len = data.readUInt32LE(off);
    // A length shorter than the header or past the datagram is a malformed reply: refuse it.
    if (len < 16 || off + len > data.length) throw new RangeError(`netlink: malformed message length ${len} at offset ${off} of ${data.length}`);
    out.push({ type: data.readUInt16LE(off + 4), flags: data.readUInt16LE(off + 6), seq: data.readUInt32LE(off + 8), body: data.subarray(off + 16, off + len) });
    off += align4(len);
  }
  return out;
}

/** Attributes by type (the last one of a type wins, as the kernel's nla_parse keeps one slot per type). */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    // The top two bits are NLA_F_NESTED and NLA_F_NET_BYTEORDER.
    out.set(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

export const attrString = (b: Buffer | undefined): string | undefined => (b === undefined ? undefined : b.toString('utf8').replace(/\0.*$/s, ''));

export const ipv4String = (b: Buffer | undefined): string | undefined => (b === undefined || b.length !== 4 ? undefined : Array.from(b).join('.'));
