// The embedded DNS of a user-defined network: UDP on the bridge's gateway
// address, port 53, served by the Node process that attached the container
// (the CLI's foreground run lives exactly as long as its container). Several
// processes serving one network bind the same address with SO_REUSEADDR; they
// answer alike since answers come from the network's record on disk. Names it
// does not know go to the host's resolvers, with a timeout (SERVFAIL after it).
// Wire format by dns-packet (RFC 1035 encoding, well kept and small).
import * as dgram from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { allRecords, readRecord, type NetworkRecord } from '../state/records';
import { lookupA, lookupPtr } from './resolve';
import { hostResolvers } from './files';

const FORWARD_TIMEOUT_MS = 2000;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

export interface DnsServer {
  close(): void;
}

export interface DnsOptions {
  network: string;
  address: string;
  port?: number;
  /** Where unknown names go (IP or IP:PORT); default the host's /etc/resolv.conf nameservers. */
  upstream?: string[];
}

function forward(query: Buffer, upstream: string[]): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    if (!upstream.length) return resolve(undefined);
    const s = dgram.createSocket('udp4');
    const done = (b: Buffer | undefined) => {
      clearTimeout(timer);
      s.close();
      resolve(b);
    };
    const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
    s.on('error', () => done(undefined));
    s.on('message', (m) => done(m));
    // The first resolver only; the client's own retry covers a lost datagram.
    const [host, port] = upstream[0].split(':');
    s.send(query, port ? Number(port) : 53, host);
  });
}

/**
 * The other networks the asking container (found by its source address on
 * this one) is attached to, asked when this one does not know a name, as
 * Docker's embedded DNS resolves across a container's networks; an address on
 * another network is reached through the container's own interface there.
 */
function otherNetworksOf(n: NetworkRecord, source: string | undefined): NetworkRecord[] {
  const me = source === undefined ? undefined : n.endpoints[source];
  if (!me) return [];
  return allRecords().filter((o) => o.name !== n.name && Object.values(o.endpoints).some((e) => e.id === me.id));
}

export function answer(networkName: string, query: dnsPacket.Packet, source?: string): dnsPacket.Packet | undefined {
  const n = readRecord(networkName);
  const q = query.questions?.[0];
  if (!n || !q) return undefined;
  const base = { id: query.id, type: 'response' as const, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER, questions: query.questions };
  // The asker's own network first; its other networks only for a name this one does not know.
  if (q.type === 'PTR') {
    const name = lookupPtr(n, q.name) ?? otherNetworksOf(n, source).map((x) => lookupPtr(x, q.name)).find((s) => s !== undefined);
    if (name) return { ...base, answers: [{ type: 'PTR', name: q.name, ttl: 600, data: name }] };
    return undefined;
  }
  let ips = lookupA(n, q.name);
  if (!ips.length) ips = otherNetworksOf(n, source).map((x) => lookupA(x, q.name)).find((a) => a.length) ?? [];
  if (!ips.length) return undefined;
  // A container has no IPv6 address here: AAAA for a known name is an empty answer, not an error.
  if (q.type === 'A') return { ...base, answers: ips.map((ip) => ({ type: 'A' as const, name: q.name, ttl: 600, data: ip })) };
  return { ...base, answers: [] };
}

export function startDnsServer(o: DnsOptions): Promise<DnsServer> {
  const upstream = o.upstream ?? hostResolvers();
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  sock.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: no answer, as a resolver would
    }
    const reply = (p: dnsPacket.Packet | Buffer) => sock.send(Buffer.isBuffer(p) ? p : dnsPacket.encode(p), rinfo.port, rinfo.address);
    let local: dnsPacket.Packet | undefined;
    try {
      local = answer(o.network, query, rinfo.address);
    } catch {
      local = undefined;
    }
    if (local) return reply(local);
    void forward(msg, upstream).then((b) => {
      if (b) return reply(b);
      const q = query.questions?.[0];
      reply({ id: query.id, type: 'response', flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (upstream.length ? RCODE_SERVFAIL : RCODE_NXDOMAIN), questions: q ? [q] : [], answers: [] });
    });
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(o.port ?? 53, o.address, () => {
      sock.off('error', reject);
      sock.on('error', () => undefined);
      sock.unref();
      resolve({ close: () => sock.close() });
    });
  });
}
