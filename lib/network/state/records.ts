// What a network is on disk: <root>/networks/<name>.json holds its settings and
// every endpoint (a container attached to it) with its address lease, host veth,
// published ports and owner. One file per network, rewritten whole under the
// lock, so that a reader never sees an address given twice.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Owner } from './owner';
import { networksDir, readJson, writeJsonAtomic } from './files';

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
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function recordPath(name: string): string {
  if (!NAME.test(name)) throw new RangeError(`network name ${JSON.stringify(name)} must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 63 characters)`);
  return path.join(networksDir(), `${name}.json`);
}

export const readRecord = (name: string): NetworkRecord | undefined => readJson<NetworkRecord>(recordPath(name));

export function writeRecord(r: NetworkRecord): void {
  fs.mkdirSync(networksDir(), { recursive: true, mode: 0o700 });
  writeJsonAtomic(recordPath(r.name), r);
}

export function removeRecord(name: string): void {
  fs.rmSync(recordPath(name), { force: true });
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
    .map((n) => readJson<NetworkRecord>(path.join(networksDir(), n)))
    .filter((r): r is NetworkRecord => r !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}
