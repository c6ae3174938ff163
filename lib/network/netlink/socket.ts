// One NETLINK_ROUTE socket from the addon, used request by request: send a
// message with NLM_F_ACK, read until its ack (or NLMSG_DONE for a dump). Node's
// thread waits for the kernel's answer, which comes within the same system call
// for rtnetlink; the addon bounds the wait at 5 s.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { native } from '../../native/load';
import { NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSGERR_ATTR_MSG } from './constants';
import { message } from './encode';
import { attrString, parseAttrs, splitMessages, type RawMessage } from './decode';

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([k, v]) => [v, k]));

/** A refusal from the kernel: the errno, what was asked and the kernel's own extended-ack text when it gave one. */
export class NetlinkError extends Error {
  readonly code: string;
  constructor(
    readonly errno: number,
    readonly op: string,
    readonly detail?: string,
  ) {
    const code = ERRNO_NAMES.get(errno) ?? `E${errno}`;
    super(`${code}: ${op} failed${detail ? `: ${detail}` : ''}`);
    this.name = 'NetlinkError';
    this.code = code;
  }
}

/** The nlmsgerr payload: a negative errno (0 for an ack), the request's header, then TLVs (netlink(7)). */
function ackOf(m: RawMessage): { errno: number; detail?: string } {
  const errno = -m.body.readInt32LE(0);
  let detail: string | undefined;
  if (m.flags & NLM_F_ACK_TLVS) {
    // With NLM_F_CAPPED only the request's 16-byte header is echoed back.
    const echoed = m.flags & NLM_F_CAPPED ? 16 : m.body.readUInt32LE(4);
    detail = attrString(parseAttrs(m.body.subarray(4 + echoed)).get(NLMSGERR_ATTR_MSG));
  }
  return { errno, detail };
}

export class Netlink {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private constructor(private fd: number) {}

  /** A socket in this process's network namespace, or in the one netnsFd names. */
  static open(netnsFd?: number): Netlink {
    return new Netlink(native().netlinkOpen(netnsFd));
  }

  /** Sends one request with NLM_F_ACK and waits for its ack; throws NetlinkError naming op on a refusal. */
  request(op: string, type: number, flags: number, body: Buffer[]): void {
    this.exchange(op, type, flags | NLM_F_REQUEST | NLM_F_ACK, body);
  }

  /** A get of one object (no dump): its reply message(s), then the ack. */
  get(op: string, type: number, body: Buffer[]): RawMessage[] {
    return this.exchange(op, type, NLM_F_REQUEST | NLM_F_ACK, body);
  }

  /** A dump request: every message up to NLMSG_DONE. */
  dump(op: string, type: number, body: Buffer[]): RawMessage[] {
    return this.exchange(op, type, NLM_F_REQUEST | NLM_F_DUMP, body);
  }

  private exchange(op: string, type: number, flags: number, body: Buffer[]): RawMessage[] {
    if (this.fd < 0) throw new Error(`netlink: ${op} on a closed socket`);
    const seq = ++this.seq;
    native().netlinkSend(this.fd, message(type, flags, seq, body));
    const out: RawMessage[] = [];
    for (;;) {
      for (const m of splitMessages(native().netlinkRecv(this.fd))) {
        // Replies to an earlier request that timed out are not ours.
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_ERROR) {
          const { errno, detail } = ackOf(m);
          if (errno !== 0) throw new NetlinkError(errno, op, detail);
          return out;
        }
        if (m.type === NLMSG_DONE) return out;
        out.push(m);
      }
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
