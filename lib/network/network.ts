// Networks as objects: create, list, inspect, remove, prune, and connect a
// container (an Endpoint: its prepared namespace for spawn({ netns }), its
// address, its published ports, its /etc files and DNS). Every change happens
// under one lock and is written atomically; whatever a dead process owned
// (address leases, ports, veths, files) is reclaimed by the next caller.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Netlink } from './netlink/socket';
import { Rtnl } from './netlink/route';
import { contains, ipString, isHost, overlaps, parseIp, parseSubnet, subnetString, size, type Subnet } from './ipam/cidr';
import { pickSubnet } from './ipam/pools';
import { dataRoot, networksDir, withLock } from './state/files';
import { alive, self } from './state/owner';
import { allRecords, readRecord, recordPath, removeRecord, writeRecord, type EndpointRecord, type NetworkRecord, type PortBinding } from './state/records';
import { ensureBridge, removeBridge } from './links/bridge';
import { plumb, unplumbVeth } from './links/endpoint';
import { checkMac, macFromIp } from './links/mac';
import { readSysctl, writeSysctl } from './links/sysctl';
import { applyBatch } from './nat/nft';
import { renderBatch } from './nat/ruleset';
import type { PortRequest } from './ports/parse';
import { describeHolder, portHolder } from './ports/inuse';
import { checkResolvConf, containerResolvers, fileMounts, hostResolvers, mergeResolvOptions, removeContainerFiles, writeContainerFiles, type ContainerFiles } from './dns/files';
import { startDnsServer, type DnsServer } from './dns/server';

export const DEFAULT_NETWORK = 'bridge';
export const DEFAULT_BRIDGE = 'bulkhead0';

/** bulkhead0 for the default data root; another root's default network has a bridge of its own (as its nftables table), so two roots never share one. */
export function defaultBridge(root = dataRoot()): string {
  return root === '/var/lib/bulkhead' ? DEFAULT_BRIDGE : `bh0-${crypto.createHash('sha256').update(root).digest('hex').slice(0, 8)}`;
}
/** Names that are modes of `--network`, not networks. */
export const RESERVED = ['host', 'none', 'default'];

export interface CreateOptions {
  name: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

export class NetworkError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

function withRtnl<T>(fn: (rt: Rtnl) => T): T {
  const rt = new Rtnl(Netlink.open());
  try {
    return fn(rt);
  } finally {
    rt.nl.close();
  }
}

function syncRules(): void {
  applyBatch(renderBatch(allRecords()));
}

/** Subnets in use on the host: its routes in the main table, minus those on Bulkhead's own bridges. */
function hostSubnets(rt: Rtnl, ours: string[]): Array<{ subnet: Subnet; where: string }> {
  const names = new Map(rt.links().map((l) => [l.index, l.name]));
  return rt
    .routes()
    .filter((r) => r.table === 254 && r.dstLength > 0 && !ours.includes(names.get(r.oif ?? -1) ?? ''))
    .map((r) => ({ subnet: { base: parseIp(r.dst) as number, prefix: r.dstLength }, where: `a host route on ${names.get(r.oif ?? -1) ?? 'another interface'}` }));
}

function takenSubnets(rt: Rtnl, except?: string): Array<{ subnet: Subnet; where: string }> {
  const recs = allRecords().filter((r) => r.name !== except);
  return [...recs.map((r) => ({ subnet: parseSubnet(r.subnet) as Subnet, where: `network ${r.name}` })), ...hostSubnets(rt, recs.map((r) => r.bridge))];
}

/** Every check first, so that bad input leaves nothing behind. */
function validateCreate(o: CreateOptions): void {
  if (typeof o.name !== 'string') throw new TypeError(`network name must be a string, got ${typeof o.name}`);
  recordPath(o.name);
  if (RESERVED.includes(o.name)) throw new RangeError(`network name ${JSON.stringify(o.name)} is reserved`);
  if (o.subnet !== undefined && !parseSubnet(o.subnet)) throw new RangeError(`--subnet ${JSON.stringify(o.subnet)} is not an IPv4 CIDR with no host bits (like 10.1.0.0/16)`);
  if (o.subnet !== undefined && (parseSubnet(o.subnet) as Subnet).prefix > 30) throw new RangeError(`--subnet ${o.subnet} is too small: at most /30`);
  if (o.gateway !== undefined && parseIp(o.gateway) === undefined) throw new RangeError(`--gateway ${JSON.stringify(o.gateway)} is not an IPv4 address`);
  if (o.gateway !== undefined && o.subnet === undefined) throw new RangeError(`--gateway ${o.gateway} needs --subnet`);
  for (const [k, v] of Object.entries(o.labels ?? {})) if (typeof v !== 'string' || !k) throw new TypeError(`--label ${k}: value must be a string`);
}

export interface NetworkInfo {
  id: string;
  name: string;
  driver: 'bridge';
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  labels: Record<string, string>;
  created: string;
  containers: Array<{ id: string; name: string; ip: string; mac: string; hostVeth: string; aliases: string[]; ports: PortBinding[] }>;
}

const info = (r: NetworkRecord): NetworkInfo => ({
  id: r.id,
  name: r.name,
  driver: r.driver,
  bridge: r.bridge,
  subnet: r.subnet,
  gateway: r.gateway,
  internal: r.internal,
  labels: r.labels,
  created: r.created,
  containers: Object.values(r.endpoints).map((e) => ({ id: e.id, name: e.name, ip: e.ip, mac: e.mac ?? '', hostVeth: e.hostVeth, aliases: e.aliases, ports: e.ports })),
});

function createLocked(rt: Rtnl, o: CreateOptions, bridgeName?: string, preferred?: string): NetworkRecord {
  if (readRecord(o.name)) throw new NetworkError(`network ${o.name} already exists`, 'EEXIST');
  const taken = takenSubnets(rt);
  let subnet: Subnet | undefined;
  if (o.subnet !== undefined) {
    subnet = parseSubnet(o.subnet) as Subnet;
    const clash = taken.find((t) => overlaps(t.subnet, subnet as Subnet));
    if (clash) throw new RangeError(`--subnet ${o.subnet} overlaps ${subnetString(clash.subnet)} of ${clash.where}`);
  } else {
    const pref = preferred ? parseSubnet(preferred) : undefined;
    subnet = pref && !taken.some((t) => overlaps(t.subnet, pref)) ? pref : pickSubnet(taken.map((t) => t.subnet));
    if (!subnet) throw new NetworkError('no free subnet left in the default pools (172.17-31.0.0/16, 192.168.0.0/16 in /20s): give --subnet', 'ENOSPC');
  }
  let gateway = subnet.base + 1;
  if (o.gateway !== undefined) {
    gateway = parseIp(o.gateway) as number;
    if (!isHost(subnet, gateway)) throw new RangeError(`--gateway ${o.gateway} is outside --subnet ${subnetString(subnet)} (or its network or broadcast address)`);
  }
  const id = crypto.randomBytes(32).toString('hex');
  const r: NetworkRecord = {
    id,
    name: o.name,
    driver: 'bridge',
    bridge: bridgeName ?? `bh-${id.slice(0, 12)}`,
    subnet: subnetString(subnet),
    gateway: ipString(gateway),
    internal: o.internal ?? false,
    labels: o.labels ?? {},
    created: new Date().toISOString(),
    endpoints: {},
  };
  if (rt.link(r.bridge)) throw new NetworkError(`interface ${r.bridge} already exists on the host`, 'EEXIST');
  ensureBridge(rt, r);
  try {
    writeRecord(r);
    syncRules();
  } catch (err) {
    removeRecord(r.name);
    removeBridge(rt, r.bridge);
    throw err;
  }
  return r;
}

export function createNetwork(o: CreateOptions): NetworkInfo {
  validateCreate(o);
  return withLock(() => withRtnl((rt) => info(createLocked(rt, o))));
}

/** The default network: bulkhead0 (defaultBridge()) on Docker's 172.17.0.0/16, or the next free default pool. */
export function ensureDefaultNetwork(): NetworkInfo {
  return withLock(() => withRtnl((rt) => info(readRecord(DEFAULT_NETWORK) ?? createLocked(rt, { name: DEFAULT_NETWORK }, defaultBridge(), '172.17.0.0/16'))));
}

/** Drops endpoints whose owner died: their veth, their ports' rules, their files. Call under the lock. */
function reclaimLocked(rt: Rtnl): void {
  let changed = false;
  // A writer killed between its temp file and the rename leaves <name>.json.tmp-<pid>.
  for (const f of fs.readdirSync(networksDir())) {
    const m = /\.tmp-(\d+)$/.exec(f);
    if (m && !fs.existsSync(`/proc/${m[1]}`)) fs.rmSync(path.join(networksDir(), f), { force: true });
  }
  for (const r of allRecords()) {
    const dead = Object.values(r.endpoints).filter((e) => !alive(e.owner));
    if (!dead.length) continue;
    for (const e of dead) {
      unplumbVeth(rt, e.hostVeth);
      removeContainerFiles(e.id);
      delete r.endpoints[e.ip];
    }
    writeRecord(r, { durable: false });
    changed = true;
  }
  if (changed) syncRules();
}

/** Rewrites Bulkhead's nftables table from the records (after someone else changed it). */
export function resyncRules(): void {
  withLock(syncRules);
}

export function reclaim(): void {
  withLock(() => withRtnl(reclaimLocked));
}

export function listNetworks(): NetworkInfo[] {
  return withLock(() => withRtnl((rt) => {
    reclaimLocked(rt);
    return allRecords().map(info);
  }));
}

export function inspectNetwork(name: string): NetworkInfo {
  recordPath(name);
  return withLock(() => withRtnl((rt) => {
    reclaimLocked(rt);
    const r = readRecord(name);
    if (!r) throw new NetworkError(`network ${name} not found`, 'ENOENT');
    return info(r);
  }));
}

export function removeNetwork(name: string): void {
  recordPath(name);
  if (name === DEFAULT_NETWORK) throw new NetworkError(`${name} is a pre-defined network and cannot be removed`, 'EPERM');
  withLock(() => withRtnl((rt) => {
    reclaimLocked(rt);
    const r = readRecord(name);
    if (!r) throw new NetworkError(`network ${name} not found`, 'ENOENT');
    const eps = Object.values(r.endpoints);
    if (eps.length) throw new NetworkError(`network ${name} has containers attached: ${eps.map((e) => e.name).join(', ')}`, 'EBUSY');
    removeRecord(name);
    syncRules();
    removeBridge(rt, r.bridge);
  }));
}

/** Removes every user-defined network with no container; returns their names. */
export function pruneNetworks(): string[] {
  return withLock(() => {
    const gone: string[] = [];
    withRtnl(reclaimLocked);
    for (const r of allRecords()) {
      if (r.name === DEFAULT_NETWORK || Object.keys(r.endpoints).length) continue;
      removeNetwork(r.name);
      gone.push(r.name);
    }
    return gone;
  });
}

export interface ConnectOptions {
  /** The container's id (default: 64 random hex digits) and name (default: its 12-digit short id). */
  id?: string;
  name?: string;
  hostname?: string;
  aliases?: string[];
  ip?: string;
  /** The interface's Ethernet address (--mac-address); default 02:42 and the IPv4 address's bytes, as Docker. */
  mac?: string;
  ports?: PortRequest[];
  extraHosts?: Array<{ host: string; ip: string }>;
  /** Nameservers for the container (--dns); on user-defined networks the embedded DNS forwards to them. */
  dns?: string[];
  /** resolv.conf's search domains (--dns-search; "." alone: none). */
  dnsSearch?: string[];
  /** resolv.conf's options (--dns-option), each over the default of the same name. */
  dnsOptions?: string[];
  /** Serve the embedded DNS from this process (default true on user-defined networks). */
  serveDns?: boolean;
  /**
   * Attach an existing namespace (an fd of a running container's, which passes
   * to the endpoint) instead of a new one: a second network. No /etc files are
   * written for it (the container has its first network's).
   */
  netns?: number;
  /**
   * Write the container's /etc files (hosts, resolv.conf, hostname) into this
   * existing directory, the caller's (the engine gives the container's own),
   * and leave them at release; without it they go under
   * <root>/run/endpoints/<id>/ and are removed at release.
   */
  filesDir?: string;
}

/** A container's attachment: hand `netns` to spawn() and `mounts` with it; release() when it ends. */
export interface Endpoint {
  network: string;
  id: string;
  name: string;
  ip: string;
  mac: string;
  gateway: string;
  prefixLength: number;
  netns: number;
  hostVeth: string;
  ports: PortBinding[];
  /** Absent for an endpoint joined to an existing namespace (ConnectOptions.netns). */
  files?: ContainerFiles;
  mounts: ReturnType<typeof fileMounts>;
  release(o?: ReleaseOptions): void;
}

export interface ReleaseOptions {
  /**
   * No process is left in the namespace (the container ended): its veth is
   * left to the kernel's teardown of the namespace instead of being deleted
   * (faster by the ~20 ms an RTM_DELLINK waits; the interface disappears a
   * moment after release() returns). Leave it false while a process may still
   * be in the namespace: the veth would live on with it.
   */
  lazy?: boolean;
}

interface Published {
  binding: PortBinding;
  owner: string;
}

/** Two bindings of one port and protocol clash when their addresses are equal or either is "every address". */
const clashes = (a: PortBinding, proto: string, hostIp: string, port: number) =>
  a.proto === proto && a.hostPort === port && (a.hostIp === '' || hostIp === '' || a.hostIp === hostIp);

function freePort(proto: 'tcp' | 'udp', hostIp: string, published: Published[]): number {
  // The kernel's ephemeral range (ip_local_port_range), from a random point.
  const [lo, hi] = (readSysctl('net.ipv4.ip_local_port_range') ?? '32768 60999').split(/\s+/).map(Number);
  const span = hi - lo + 1;
  const start = crypto.randomInt(span);
  for (let i = 0; i < span; i++) {
    const p = lo + ((start + i) % span);
    if (published.some((u) => clashes(u.binding, proto, hostIp, p))) continue;
    if (!portHolder(hostIp, p, proto)) return p;
  }
  throw new NetworkError(`no free host port for ${proto}`, 'EADDRINUSE');
}

function resolvePorts(reqs: PortRequest[]): PortBinding[] {
  const published: Published[] = allRecords().flatMap((r) => Object.values(r.endpoints).flatMap((e) => e.ports.map((binding) => ({ binding, owner: `container ${e.name}` }))));
  const out: PortBinding[] = [];
  for (const q of reqs) {
    const hostPort = q.hostPort ?? freePort(q.proto, q.hostIp, published);
    const spec = `${q.hostIp ? `${q.hostIp}:` : ''}${hostPort}/${q.proto}`;
    const other = published.find((u) => clashes(u.binding, q.proto, q.hostIp, hostPort));
    if (other) throw new RangeError(`-p ${spec}: host port ${hostPort} is already published by ${other.owner}`);
    const holder = portHolder(q.hostIp, hostPort, q.proto);
    if (holder) throw new RangeError(`-p ${spec}: host port ${hostPort} is in use${describeHolder(holder)}`);
    const binding = { hostIp: q.hostIp, hostPort, containerPort: q.containerPort, proto: q.proto };
    published.push({ binding, owner: 'another -p of this container' });
    out.push(binding);
  }
  return out;
}

function pickIp(r: NetworkRecord, want: string | undefined): string {
  const subnet = parseSubnet(r.subnet) as Subnet;
  if (want !== undefined) {
    const n = parseIp(want);
    if (n === undefined) throw new RangeError(`--ip ${JSON.stringify(want)} is not an IPv4 address`);
    if (!contains(subnet, n) || !isHost(subnet, n)) throw new RangeError(`--ip ${want} is outside network ${r.name}'s subnet ${r.subnet}`);
    if (want === r.gateway) throw new RangeError(`--ip ${want} is network ${r.name}'s gateway`);
    const e = r.endpoints[want];
    if (e) throw new RangeError(`--ip ${want} is taken on network ${r.name} by container ${e.name}`);
    return want;
  }
  // From the address after the last one given, wrapping (as Docker's IPAM
  // allocates serially): an address just released is not given again at once,
  // while its namespace (torn down by the kernel after the release) may still
  // hold it for a moment.
  const n = size(subnet);
  const last = r.lastIp !== undefined ? parseIp(r.lastIp) : undefined;
  const from = last !== undefined && contains(subnet, last) ? last - subnet.base : 0;
  for (let k = 1; k < n; k++) {
    const ip = subnet.base + ((from + k) % n);
    const s = ipString(ip);
    if (isHost(subnet, ip) && s !== r.gateway && !r.endpoints[s]) return s;
  }
  throw new NetworkError(`network ${r.name} has no free address left in ${r.subnet}`, 'ENOSPC');
}

/** Checks a container's network request against the records before anything is made. */
export function validateConnect(network: string, o: ConnectOptions): void {
  recordPath(network);
  if (o.ip !== undefined && parseIp(o.ip) === undefined) throw new RangeError(`--ip ${JSON.stringify(o.ip)} is not an IPv4 address`);
  if (o.mac !== undefined) checkMac(o.mac);
  for (const h of o.extraHosts ?? []) if (parseIp(h.ip) === undefined) throw new RangeError(`--add-host ${h.host}:${h.ip}: ${JSON.stringify(h.ip)} is not an IPv4 address`);
  for (const s of o.dns ?? []) if (parseIp(s) === undefined) throw new RangeError(`--dns ${JSON.stringify(s)} is not an IPv4 address`);
  checkResolvConf(o.dnsSearch ?? [], o.dnsOptions ?? []);
  if (network !== DEFAULT_NETWORK && !readRecord(network)) throw new RangeError(`--network ${network}: no such network`);
  if (network === DEFAULT_NETWORK && o.aliases?.length) throw new RangeError(`--network-alias ${o.aliases[0]}: aliases need a user-defined network (the default bridge has no name resolution)`);
  if (network === DEFAULT_NETWORK && o.ip !== undefined) throw new RangeError(`--ip ${o.ip}: a fixed address needs a user-defined network`);
}

export async function connect(network: string, o: ConnectOptions = {}): Promise<Endpoint> {
  // A given namespace fd is the endpoint's: closed here on a failure before plumb() took it over.
  let handedOver = false;
  try {
    return await connectOwned(network, o, () => (handedOver = true));
  } catch (err) {
    if (o.netns !== undefined && !handedOver) fs.closeSync(o.netns);
    throw err;
  }
}

async function connectOwned(network: string, o: ConnectOptions, handOver: () => void): Promise<Endpoint> {
  validateConnect(network, o);
  if (network === DEFAULT_NETWORK) ensureDefaultNetwork();
  const id = o.id ?? crypto.randomBytes(32).toString('hex');
  const name = o.name ?? id.slice(0, 12);
  const made = withLock(() => withRtnl((rt) => {
    reclaimLocked(rt);
    const r = readRecord(network);
    if (!r) throw new RangeError(`--network ${network}: no such network`);
    for (const e of Object.values(r.endpoints)) if (e.name === name) throw new RangeError(`container name ${name} is already on network ${network}`);
    const ip = pickIp(r, o.ip);
    const ports = r.internal ? [] : resolvePorts(o.ports ?? []);
    if (r.internal && o.ports?.length) throw new RangeError(`-p: network ${network} is internal: nothing can be published from it`);
    const { index: bridgeIndex, created: newBridge } = ensureBridge(rt, r);
    // Forwarding between interfaces is one switch for all of IPv4 (ip-sysctl.rst
    // ip_forward); like Docker, a network with a way out turns it on.
    if (!r.internal && readSysctl('net.ipv4.ip_forward') === '0') writeSysctl('net.ipv4.ip_forward', '1');
    const prefix = (parseSubnet(r.subnet) as Subnet).prefix;
    handOver();
    const mac = o.mac !== undefined ? checkMac(o.mac) : macFromIp(ip);
    const p = plumb({ host: rt, bridgeIndex, ip, prefix, mac, gateway: r.internal ? undefined : r.gateway, netns: o.netns });
    const e: EndpointRecord = { id, name, aliases: o.aliases ?? [], ip, mac, hostVeth: p.hostVeth, ports, owner: self(), created: new Date().toISOString() };
    try {
      r.endpoints[ip] = e;
      r.lastIp = ip;
      writeRecord(r, { durable: false });
      if (ports.length || newBridge) syncRules();
    } catch (err) {
      unplumbVeth(rt, p.hostVeth);
      fs.closeSync(p.netns);
      delete r.endpoints[ip];
      writeRecord(r, { durable: false });
      throw err;
    }
    return { r, e, p, prefix };
  }));
  const userDefined = network !== DEFAULT_NETWORK;
  let dns: DnsServer | undefined;
  let released = false;
  const release = (ro: ReleaseOptions = {}) => {
    if (released) return;
    released = true;
    dns?.close();
    // The veth is this endpoint's alone. Deleted here, it goes before the lock
    // is taken, so that the kernel's slow unregistering (RTM_DELLINK waits out
    // RCU grace periods: ~20 ms) holds up no other process. With `lazy` (the
    // namespace has no process left) it is not deleted at all: closing the
    // last fd of the namespace lets the kernel tear it down, veth pair
    // included, in its own workqueue (cleanup_net), after this returns.
    if (!ro.lazy) withRtnl((rt) => unplumbVeth(rt, made.p.hostVeth));
    fs.closeSync(made.p.netns);
    withLock(() => {
      const r = readRecord(network);
      if (r && r.endpoints[made.e.ip]?.id === id) {
        delete r.endpoints[made.e.ip];
        writeRecord(r, { durable: false });
        if (made.e.ports.length) syncRules();
      }
      if (o.netns === undefined && o.filesDir === undefined) removeContainerFiles(id);
    });
  };
  try {
    const upstream = o.dns?.length ? o.dns : hostResolvers();
    const files = o.netns !== undefined ? undefined : writeContainerFiles({
      id,
      hostname: o.hostname ?? name,
      ip: made.e.ip,
      aliases: o.aliases,
      extraHosts: o.extraHosts,
      // User-defined networks: the embedded DNS on the gateway; the default bridge: the host's resolvers as Docker rewrites them.
      nameservers: userDefined ? [made.r.gateway] : containerResolvers(upstream),
      // "." alone means no search domain (moby's --dns-search=.).
      search: (o.dnsSearch ?? []).filter((s) => s !== '.'),
      options: mergeResolvOptions(userDefined ? ['ndots:0'] : [], o.dnsOptions ?? []),
    }, o.filesDir);
    if (userDefined && (o.serveDns ?? true)) dns = await startDnsServer({ network, address: made.r.gateway, upstream });
    return {
      network,
      id,
      name,
      ip: made.e.ip,
      mac: made.e.mac!,
      gateway: made.r.gateway,
      prefixLength: made.prefix,
      netns: made.p.netns,
      hostVeth: made.p.hostVeth,
      ports: made.e.ports,
      files,
      mounts: files ? fileMounts(files) : [],
      release,
    };
  } catch (err) {
    release();
    throw err;
  }
}
