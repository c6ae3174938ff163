// Bulkhead's whole nftables table, computed from the network records. It is
// replaced in one transaction (nft -f: "table; delete table; table { ... }" is
// applied atomically, nft(8) "ATOMIC RULE REPLACEMENT"), so a change for one
// network or one port never leaves a half-written state, and no other table is
// ever named.
import * as crypto from 'node:crypto';
import type { NetworkRecord, PortBinding } from '../state/records';
import { dataRoot } from '../state/files';

export const FAMILY = 'ip';

/** `ip bulkhead` for the default data root; another root (BULKHEAD_ROOT) gets a table of its own, so that two never overwrite each other. */
export function tableName(root = dataRoot()): string {
  return root === '/var/lib/bulkhead' ? 'bulkhead' : `bulkhead_${crypto.createHash('sha256').update(root).digest('hex').slice(0, 8)}`;
}

const q = (s: string) => JSON.stringify(s);

function dnat(p: PortBinding, ip: string): string {
  // Without a host address: any address local to the host (fib daddr type local,
  // the nftables form of Docker's "-m addrtype --dst-type LOCAL").
  const match = p.hostIp ? `ip daddr ${p.hostIp}` : 'fib daddr type local';
  return `${match} ${p.proto} dport ${p.hostPort} dnat to ${ip}:${p.containerPort}`;
}

export function renderTable(networks: NetworkRecord[]): string {
  const pre: string[] = [];
  const input: string[] = [];
  const post: string[] = [];
  const fwd: string[] = [];
  const bridges = networks.map((n) => n.bridge);
  for (const n of networks) {
    const br = q(n.bridge);
    // Published ports: from outside (prerouting) and from the host itself (output).
    if (!n.internal) {
      for (const e of Object.values(n.endpoints)) for (const p of e.ports) pre.push(dnat(p, e.ip));
      post.push(`ip saddr ${n.subnet} oifname != ${br} masquerade`);
      // A connection from the host's 127.0.0.1 DNATed onto the bridge keeps its
      // loopback source, which the container could not answer: masquerade it to
      // the bridge address (needs route_localnet on the bridge, ip-sysctl.rst).
      post.push(`oifname ${br} ip saddr 127.0.0.0/8 masquerade`);
      // Hairpin: a container reaching a published port of its own network
      // through a host address is DNATed back onto the bridge; without
      // masquerading, the answer would go straight back, from an address the
      // client never called.
      post.push(`oifname ${br} ip saddr ${n.subnet} ct status dnat masquerade`);
      // route_localnet also lets a container address the host's 127.0.0.0/8
      // itself (a frame crafted with CAP_NET_RAW, CVE-2020-8558): nothing from
      // the bridge may reach a loopback address on the host, save the answers
      // of connections the host made to a port published on 127.0.0.1 (their
      // destination is loopback again once conntrack undoes the NAT).
      input.push(`iifname ${br} ip daddr 127.0.0.0/8 ct state established,related accept`);
      input.push(`iifname ${br} ip daddr 127.0.0.0/8 drop`);
    }
    if (n.internal) {
      // An internal network has no way out and no way in, save its own bridge.
      fwd.push(`iifname ${br} oifname != ${br} drop`);
      fwd.push(`oifname ${br} iifname != ${br} drop`);
    }
  }
  // Containers on different networks cannot reach each other, save through a
  // published port (a DNATed connection). Internal networks' drops come first:
  // they never have published ports.
  for (const n of networks) {
    const others = bridges.filter((b) => b !== n.bridge);
    if (!others.length) continue;
    const set = `{ ${others.map(q).join(', ')} }`;
    fwd.push(`iifname ${q(n.bridge)} oifname ${set} ct status dnat accept`);
    fwd.push(`iifname ${q(n.bridge)} oifname ${set} drop`);
  }
  const chain = (name: string, hook: string, prio: string, type: string, rules: string[]) =>
    `  chain ${name} {\n    type ${type} hook ${hook} priority ${prio}; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`;
  // NAT chains only when a network has a way out: a kernel without nftables NAT
  // (no nft_chain_nat, as Debian's UML kernel) still runs internal networks.
  const nat = networks.some((n) => !n.internal);
  return (
    `table ${FAMILY} ${tableName()} {\n` +
    (nat ? chain('prerouting', 'prerouting', '-100', 'nat', pre) + chain('output', 'output', '-100', 'nat', pre) + chain('postrouting', 'postrouting', '100', 'nat', post) : '') +
    chain('input', 'input', '0', 'filter', input) +
    chain('forward', 'forward', '0', 'filter', fwd) +
    '}\n'
  );
}

/** The batch nft -f applies in one transaction: create (so that delete cannot fail), delete, recreate. */
export function renderBatch(networks: NetworkRecord[]): string {
  const head = `table ${FAMILY} ${tableName()}\ndelete table ${FAMILY} ${tableName()}\n`;
  return networks.length ? head + renderTable(networks) : head;
}
