// A container's network settings in the Engine API's names: HostConfig's
// NetworkMode, PortBindings, PublishAllPorts, ExtraHosts and Dns, the config's
// ExposedPorts, and NetworkingConfig.EndpointsConfig (Aliases,
// IPAMConfig.IPv4Address, MacAddress). Checked at create, before anything exists; turned
// into lib/network's connect options at each start.
import { invalid } from '../../util/engine-error';
import { parseIp } from '../../network/ipam/cidr';
import { checkMac } from '../../network/links/mac';
import { isZero } from '../../util/zero';
import type { ConnectOptions } from '../../network/index';
import type { PortRequest } from '../../network/ports/parse';

export interface PortBindingConfig {
  HostIp?: string;
  HostPort?: string;
}

export interface EndpointConfig {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
  /** The interface's Ethernet address (API 1.44's place for --mac-address). */
  MacAddress?: string;
}

// What a Go client sends of EndpointSettings besides the fields above: each
// must hold its zero value (links, driver options, IPv6, gateway priority are
// not supported here), and a set one is refused rather than dropped.
const ENDPOINT_ZERO = ['Links', 'DriverOpts', 'NetworkID', 'EndpointID', 'Gateway', 'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'DNSNames', 'GwPriority'];

/** Docker's EndpointSettings as docker inspect shows them under NetworkSettings.Networks. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address: string } | null;
  Links: null;
  Aliases: string[] | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  DriverOpts: null;
}

/** The EndpointID docker inspect and network inspect both show: the host veth's name and the container's short id. */
export const endpointId = (hostVeth: string, containerId: string): string => `${hostVeth}-${containerId.slice(0, 12)}`;

/** Modes of NetworkMode that are not networks: none, host, and container:<id> (another container's namespace). */
export const isMode = (m: string): boolean => m === 'none' || m === 'host' || m.startsWith('container:');

const PORT_KEY = /^(\d{1,5})(?:\/(tcp|udp))?$/;

function portKey(k: string, field: string): { port: number; proto: 'tcp' | 'udp' } {
  const m = PORT_KEY.exec(k);
  const port = m ? Number(m[1]) : 0;
  if (!m || port < 1 || port > 65535) throw invalid(`invalid ${field}: ${JSON.stringify(k)} is not PORT[/tcp|udp]`);
  return { port, proto: (m[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

/** PortBindings (and ExposedPorts under PublishAllPorts) as lib/network's port requests. */
export function portRequests(bindings: Record<string, PortBindingConfig[] | null> | undefined, exposed: Record<string, object> | undefined, publishAll: boolean): PortRequest[] {
  const out: PortRequest[] = [];
  const bound = new Set<string>();
  for (const [k, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = portKey(k, 'HostConfig.PortBindings');
    bound.add(`${port}/${proto}`);
    for (const b of list ?? []) {
      const hostIp = b.HostIp && b.HostIp !== '0.0.0.0' ? b.HostIp : '';
      if (hostIp && parseIp(hostIp) === undefined) throw invalid(`invalid HostConfig.PortBindings: host address ${JSON.stringify(b.HostIp)} of ${k} is not an IPv4 address`);
      const hp = b.HostPort ?? '';
      if (hp !== '' && (!/^\d{1,5}$/.test(hp) || Number(hp) < 1 || Number(hp) > 65535)) throw invalid(`invalid HostConfig.PortBindings: host port ${JSON.stringify(hp)} of ${k} must be 1 to 65535 (ranges are not supported through the API yet)`);
      out.push({ hostIp, ...(hp !== '' ? { hostPort: Number(hp) } : {}), containerPort: port, proto });
    }
    // "80/tcp": [] or null publishes nothing, as Docker.
  }
  if (publishAll) {
    for (const k of Object.keys(exposed ?? {})) {
      const { port, proto } = portKey(k, 'ExposedPorts');
      if (!bound.has(`${port}/${proto}`)) out.push({ hostIp: '', containerPort: port, proto });
    }
  }
  return out;
}

export function extraHostsOf(list: string[] | undefined): Array<{ host: string; ip: string }> {
  return (list ?? []).map((h) => {
    const at = h.lastIndexOf(':');
    const ip = h.slice(at + 1);
    if (at <= 0 || parseIp(ip) === undefined) throw invalid(`invalid HostConfig.ExtraHosts: ${JSON.stringify(h)} must be HOST:IPv4`);
    return { host: h.slice(0, at), ip };
  });
}

export function dnsOf(list: string[] | undefined): string[] {
  for (const s of list ?? []) if (parseIp(s) === undefined) throw invalid(`invalid HostConfig.Dns: ${JSON.stringify(s)} is not an IPv4 address`);
  return list ?? [];
}

export function endpointConfig(name: string, e: EndpointConfig | undefined): EndpointConfig {
  if (e === undefined || e === null) return { Aliases: null, IPAMConfig: null };
  if (typeof e !== 'object') throw invalid(`invalid NetworkingConfig.EndpointsConfig.${name}: must be an object`);
  if (e.Aliases != null && (!Array.isArray(e.Aliases) || e.Aliases.some((a) => typeof a !== 'string'))) throw invalid(`invalid NetworkingConfig.EndpointsConfig.${name}.Aliases: must be an array of strings`);
  const ip = e.IPAMConfig?.IPv4Address;
  if (ip !== undefined && ip !== '' && (typeof ip !== 'string' || parseIp(ip) === undefined)) throw invalid(`invalid NetworkingConfig.EndpointsConfig.${name}.IPAMConfig.IPv4Address: ${JSON.stringify(ip)} is not an IPv4 address`);
  for (const [k, v] of Object.entries(e)) {
    if (k === 'Aliases' || k === 'MacAddress') continue;
    const known = k === 'IPAMConfig' ? Object.entries(v ?? {}).every(([ik, iv]) => ik === 'IPv4Address' || isZero(iv)) : ENDPOINT_ZERO.includes(k) && isZero(v);
    if (!known) throw invalid(`NetworkingConfig.EndpointsConfig.${name}.${k} is not supported by bulkheadd (got ${JSON.stringify(v)})`);
  }
  let mac: string | undefined;
  if (e.MacAddress !== undefined && e.MacAddress !== '') {
    try {
      mac = checkMac(e.MacAddress, `NetworkingConfig.EndpointsConfig.${name}.MacAddress`);
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }
  return { Aliases: e.Aliases?.length ? [...e.Aliases] : null, IPAMConfig: ip ? { IPv4Address: ip } : null, ...(mac ? { MacAddress: mac } : {}) };
}

/** Settings before a start: the configured part only. */
export function idleSettings(c: EndpointConfig, networkId: string): EndpointSettings {
  return {
    IPAMConfig: c.IPAMConfig?.IPv4Address ? { IPv4Address: c.IPAMConfig.IPv4Address } : null,
    Links: null,
    Aliases: c.Aliases ?? null,
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: '',
    DriverOpts: null,
  };
}

/** lib/network's connect options for one of a container's networks. */
export function connectOptions(o: { id: string; name: string; hostname: string; settings: EndpointSettings; mac?: string; ports?: PortRequest[]; extraHosts?: Array<{ host: string; ip: string }>; dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[]; netns?: number }): ConnectOptions {
  return {
    id: o.id,
    name: o.name,
    hostname: o.hostname,
    aliases: o.settings.Aliases ?? [],
    ...(o.settings.IPAMConfig?.IPv4Address ? { ip: o.settings.IPAMConfig.IPv4Address } : {}),
    ...(o.mac ? { mac: o.mac } : {}),
    ports: o.ports ?? [],
    extraHosts: o.extraHosts ?? [],
    dns: o.dns ?? [],
    ...(o.dnsSearch?.length ? { dnsSearch: o.dnsSearch } : {}),
    ...(o.dnsOptions?.length ? { dnsOptions: o.dnsOptions } : {}),
    ...(o.netns !== undefined ? { netns: o.netns } : {}),
  };
}
