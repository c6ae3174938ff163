// What the embedded DNS knows: the endpoints of one network, by container
// name, alias, full id and 12-character short id, and reverse (PTR) for their
// addresses. Read from the network's record at each query, so that every
// Bulkhead process serving a network answers the same, current way.
import type { NetworkRecord } from '../state/records';

export function lookupA(n: NetworkRecord, qname: string): string[] {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const out: string[] = [];
  for (const e of Object.values(n.endpoints)) {
    const names = [e.name, ...e.aliases].map((s) => s.toLowerCase());
    if (names.includes(name) || (name.length >= 12 && e.id.startsWith(name))) out.push(e.ip);
  }
  return out;
}

/** 4.3.2.1.in-addr.arpa (RFC 1035 section 3.5) to the endpoint's name. */
export function lookupPtr(n: NetworkRecord, qname: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa\.?$/i.exec(qname);
  if (!m) return undefined;
  const ip = [m[4], m[3], m[2], m[1]].join('.');
  const e = n.endpoints[ip];
  return e ? e.name : undefined;
}
