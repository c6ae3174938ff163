// What a network is on disk: <root>/networks/<name>.json holds its settings,
// <name>.leases every endpoint (a container attached to it) with its address
// lease, host veth, published ports and owner. Each is rewritten whole under
// the lock, so that a reader never sees an address given twice.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Owner } from './owner';
import { networksDir, readJson, writeJsonAtomic } from './files';
import { readLeases, writeLeases } from './leases';

export interface PortBinding {
  /** Empty: every local address of the host. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: 'tcp' | 'udp';
}

export interface EndpointRecord {
  /** The container's id (64 hex) and name. */
  id: string;
  name: string;
  aliases: string[];
  ip: string;
  /** The container interface's Ethernet address (absent in records written before it was kept). */
  mac?: string;
  /** The host end of the veth pair. */
  hostVeth: string;
  ports: PortBinding[];
  owner: Owner;
  created: string;
}

export interface NetworkRecord {
  id: string;
  name: string;
  driver: 'bridge';
  /** The bridge interface on the host. */
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  labels: Record<string, string>;
  created: string;
  /** Endpoints by address. */
  endpoints: Record<string, EndpointRecord>;
  /** The address given last: the next one is searched after it, so a released address is not handed out again at once. */
  lastIp?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function recordPath(name: string): string {
  if (!NAME.test(name)) throw new RangeError(`network name ${JSON.stringify(name)} must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 63 characters)`);
  return path.join(networksDir(), `${name}.json`);
}

const leasesPath = (name: string): string => recordPath(name).replace(/\.json$/, '.leases');

type Settings = Omit<NetworkRecord, 'endpoints' | 'lastIp'> & Partial<Pick<NetworkRecord, 'endpoints'>>;
type Leases = Pick<NetworkRecord, 'endpoints' | 'lastIp'>;

/** Settings from <name>.json, endpoints from <name>.leases (./leases.ts). */
function merged(name: string, settings: Settings | undefined): NetworkRecord | undefined {
  if (!settings) return undefined;
  const l = readLeases<Leases>(leasesPath(name));
  return { ...settings, endpoints: l?.endpoints ?? settings.endpoints ?? {}, ...(l?.lastIp ? { lastIp: l.lastIp } : {}) };
}

export const readRecord = (name: string): NetworkRecord | undefined => merged(name, readJson<Settings>(recordPath(name)));

/**
 * Settings (create) are written atomically and durably (`<name>.json`:
 * temp, fsync, rename); endpoint changes (`durable: false`) go only to
 * `<name>.leases`, in place, without a rename or an fsync: a lease means
 * something only while its owner process lives, and a power loss ends every
 * owner, so a lease lost by it is right and one that comes back is reclaimed
 * as a dead owner's.
 */
export function writeRecord(r: NetworkRecord, o: { durable?: boolean } = {}): void {
  fs.mkdirSync(networksDir(), { recursive: true, mode: 0o700 });
  if (o.durable ?? true) {
    const { endpoints: _e, lastIp: _l, ...settings } = r;
    writeJsonAtomic(recordPath(r.name), settings);
  }
  writeLeases(leasesPath(r.name), { endpoints: r.endpoints, ...(r.lastIp ? { lastIp: r.lastIp } : {}) });
}

export function removeRecord(name: string): void {
  fs.rmSync(recordPath(name), { force: true });
  fs.rmSync(leasesPath(name), { force: true });
}

export function allRecords(): NetworkRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(networksDir());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .map((n) => merged(n.slice(0, -5), readJson<Settings>(path.join(networksDir(), n))))
    .filter((r): r is NetworkRecord => r !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}
