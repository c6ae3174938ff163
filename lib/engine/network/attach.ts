// A container's networks over its life: resolved at create (a name, an id or
// an id prefix; "bridge" made on demand), attached at each start (the first
// network's endpoint gives the namespace spawn() joins and the /etc files, the
// others join that namespace as eth1, eth2...), released at each exit. What a
// killed engine held is reclaimed by lib/network (the endpoints' owner is the
// engine's process, gone after a SIGKILL).
import * as fs from 'node:fs';
import { connect, ensureDefaultNetwork, listNetworks, DEFAULT_NETWORK, type Endpoint, type NetworkInfo } from '../../network/index';
import { readRecord } from '../../network/state/records';
import { EngineError } from '../../util/engine-error';
import type { ContainerRecord, NetworkSettings } from '../container/record';
import { connectOptions, dnsOf, endpointId, extraHostsOf, idleSettings, portRequests, type EndpointSettings } from './config';

export const noSuchNetwork = (ref: string): EngineError => new EngineError('NOT_FOUND', `network ${ref} not found`);

/** A network (its id and name) by name, full id or unambiguous id prefix, as dockerd finds one. */
export function findNetwork(ref: string): { id: string; name: string } {
  // The default network exists from its first use (or the daemon's start).
  if (ref === DEFAULT_NETWORK) {
    const r = readRecord(DEFAULT_NETWORK) ?? ensureDefaultNetwork();
    return { id: r.id, name: r.name };
  }
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(ref)) {
    const r = readRecord(ref);
    if (r) return { id: r.id, name: r.name };
  }
  const nets: NetworkInfo[] = listNetworks();
  const exact = nets.find((n) => n.id === ref);
  if (exact) return exact;
  const byPrefix = ref ? nets.filter((n) => n.id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1) throw new EngineError('INVALID_PARAMETER', `network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
  throw noSuchNetwork(ref);
}

export const emptySettings = (): NetworkSettings => ({ Networks: {}, Ports: {} });

/** Docker's NetworkSettings.Ports from the bindings an attach resolved (every container port, bound or not). */
function portsOf(rec: ContainerRecord, eps: Endpoint[]): NetworkSettings['Ports'] {
  const out: NetworkSettings['Ports'] = {};
  for (const k of Object.keys(rec.Config.ExposedPorts ?? {})) out[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const e of eps) {
    for (const p of e.ports) {
      const k = `${p.containerPort}/${p.proto}`;
      (out[k] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
    }
  }
  return out;
}

export function runningSettings(s: EndpointSettings, e: Endpoint): EndpointSettings {
  return { ...s, EndpointID: endpointId(e.hostVeth, e.id), Gateway: e.gateway, IPAddress: e.ip, IPPrefixLen: e.prefixLength, MacAddress: e.mac };
}

export function idle(s: EndpointSettings): EndpointSettings {
  return { ...s, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' };
}

export function connectionOf(rec: ContainerRecord, name: string, s: EndpointSettings, primary: boolean, netns?: number, filesDir?: string) {
  const h = rec.HostConfig;
  return connectOptions({
    id: rec.Id,
    name: rec.Name.slice(1),
    hostname: rec.Config.Hostname ?? rec.Id.slice(0, 12),
    // Docker resolves a container on a user-defined network by its short id too.
    settings: name === DEFAULT_NETWORK ? s : { ...s, Aliases: [...new Set([...(s.Aliases ?? []), rec.Id.slice(0, 12)])] },
    // Config.MacAddress is the address on NetworkMode's network, the first (API 1.43).
    ...(primary && rec.Config.MacAddress ? { mac: rec.Config.MacAddress } : {}),
    ports: primary ? portRequests(h.PortBindings ?? undefined, rec.Config.ExposedPorts, h.PublishAllPorts ?? false) : [],
    extraHosts: extraHostsOf(h.ExtraHosts),
    dns: dnsOf(h.Dns),
    dnsSearch: h.DnsSearch,
    dnsOptions: h.DnsOptions,
    ...(netns !== undefined ? { netns } : {}),
    ...(filesDir !== undefined ? { filesDir } : {}),
  });
}

/**
 * Attaches every network of the record; the first one's endpoint is the
 * namespace, and writes the /etc files into `filesDir` (the container's own
 * directory: rewritten only when they change, removed with the container).
 * Nothing is left attached on failure.
 */
export async function attachAll(rec: ContainerRecord, filesDir: string): Promise<Endpoint[]> {
  const ns = (rec.NetworkSettings ??= emptySettings());
  const names = Object.keys(ns.Networks);
  const primary = rec.HostConfig.NetworkMode;
  // The NetworkMode network first: its gateway is the default route, its endpoint holds the files.
  names.sort((a, b) => (a === primary ? -1 : b === primary ? 1 : 0));
  const eps: Endpoint[] = [];
  try {
    for (const name of names) {
      const first = eps.length === 0;
      // A second network joins the first's namespace through an fd of its own (the endpoint closes it).
      const netns = first ? undefined : fs.openSync(`/proc/self/fd/${eps[0].netns}`, 'r');
      const ep = await connect(name, connectionOf(rec, name, ns.Networks[name], first, netns, first ? filesDir : undefined));
      eps.push(ep);
    }
  } catch (err) {
    for (const e of eps.reverse()) e.release();
    throw err;
  }
  for (const e of eps) ns.Networks[e.network] = runningSettings(ns.Networks[e.network], e);
  ns.Ports = portsOf(rec, eps);
  return eps;
}

/** After the container's exit (or a start that never ran it): no process is left in the namespace. */
export function releaseAll(rec: ContainerRecord, eps: Endpoint[] | undefined): void {
  const ns = rec.NetworkSettings;
  for (const e of [...(eps ?? [])].reverse()) {
    try {
      // Lazy: the kernel removes the veths with the namespace once its last fd
      // is closed, instead of an RTM_DELLINK that waits ~20 ms on RCU.
      e.release({ lazy: true });
    } catch {
      // A failed release is reclaimed by lib/network once this process is gone.
    }
  }
  if (ns) {
    for (const k of Object.keys(ns.Networks)) ns.Networks[k] = idle(ns.Networks[k]);
    ns.Ports = {};
  }
}

export { idleSettings };
