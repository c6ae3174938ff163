// `bulkhead run`'s network flags: --network NAME|bridge|host|none, -p, -P,
// --expose, --ip, --mac-address, --dns, --add-host, --network-alias, --name. The container's
// namespace is prepared and attached before spawn() joins it, and released
// when the run ends.
import type { FlagSpec, ParsedFlags } from '../args';
import { UsageError } from '../args';
import type { SpawnOptions } from '../../spawn/options';
import { connect, DEFAULT_NETWORK, parsePublish, validateConnect, type Endpoint } from '../../network/index';
import type { PortRequest } from '../../network/ports/parse';

export const NETWORK_RUN_FLAGS: FlagSpec[] = [
  { name: 'name', type: 'string', value: 'NAME', help: 'the container\'s name (its DNS name on user-defined networks)' },
  { name: 'publish', short: 'p', type: 'list', value: '[IP:][HOST:]PORT[/tcp|udp]', help: 'publish a container port on the host (no HOST: a free port)' },
  { name: 'publish-all', short: 'P', type: 'boolean', help: 'publish every --expose port on a free host port' },
  { name: 'expose', type: 'list', value: 'PORT[/tcp|udp]', help: 'a port the container offers (for -P)' },
  { name: 'ip', type: 'string', value: 'IP', help: 'the container\'s address on a user-defined network' },
  { name: 'mac-address', type: 'string', value: 'MAC', help: 'the container interface\'s Ethernet address (default 02:42 and its IPv4 address)' },
  { name: 'dns', type: 'list', value: 'IP', help: 'a nameserver for the container' },
  { name: 'dns-search', type: 'list', value: 'DOMAIN', help: 'a search domain for the container\'s resolv.conf' },
  { name: 'dns-option', type: 'list', value: 'OPT', help: 'a resolv.conf option, e.g. ndots:2' },
  { name: 'add-host', type: 'list', value: 'HOST:IP', help: 'a line in the container\'s /etc/hosts' },
  { name: 'network-alias', type: 'list', value: 'NAME', help: 'another DNS name on a user-defined network' },
];

const fail = (flag: string, msg: string): never => {
  throw new UsageError(`bulkhead run: --${flag} ${msg}`, 125);
};

/** Which network run attaches to: none and host are namespaces modes, anything else a network. */
export function networkMode(flags: ParsedFlags): string {
  const net = flags.network as string | undefined;
  const publishes = ((flags.publish as string[] | undefined) ?? []).length > 0 || Boolean(flags['publish-all']);
  // Bulkhead keeps `none` as run's default (a sandbox); publishing a port needs a network, so -p alone means bridge.
  return net ?? (publishes ? DEFAULT_NETWORK : 'none');
}

export function networkRequest(flags: ParsedFlags, hostname: string) {
  const list = (k: string) => (flags[k] as string[] | undefined) ?? [];
  const mode = networkMode(flags);
  const ports: PortRequest[] = [];
  try {
    for (const p of list('publish')) ports.push(...parsePublish(p));
    if (flags['publish-all']) for (const e of list('expose')) ports.push(...parsePublish(e, '--expose'));
    else for (const e of list('expose')) parsePublish(e, '--expose');
  } catch (err) {
    throw new UsageError(`bulkhead run: ${(err as Error).message}`, 125);
  }
  const extraHosts = list('add-host').map((h) => {
    const at = h.lastIndexOf(':');
    if (at <= 0) fail('add-host', `${JSON.stringify(h)} must be HOST:IP`);
    return { host: h.slice(0, at), ip: h.slice(at + 1) };
  });
  if (mode === 'none' || mode === 'host') {
    // The container's resolv.conf is written only for a network: a --dns* flag would be dropped.
    for (const k of ['publish', 'ip', 'mac-address', 'network-alias', 'dns', 'dns-search', 'dns-option']) if (list(k).length || ((k === 'ip' || k === 'mac-address') && flags[k])) fail(k, `needs a network, not --network ${mode}`);
    return { mode, connect: undefined };
  }
  const opts = {
    name: flags.name as string | undefined,
    hostname,
    aliases: list('network-alias'),
    ip: flags.ip as string | undefined,
    mac: flags['mac-address'] as string | undefined,
    ports,
    extraHosts,
    dns: list('dns'),
    dnsSearch: list('dns-search'),
    dnsOptions: list('dns-option'),
  };
  try {
    validateConnect(mode, opts);
  } catch (err) {
    throw new UsageError(`bulkhead run: ${(err as Error).message}`, 125);
  }
  return { mode, connect: opts };
}

/** Prepares the container's namespace and files, sets the spawn options; the caller releases it when the container ends. */
export async function attachNetwork(flags: ParsedFlags, o: SpawnOptions): Promise<Endpoint | undefined> {
  const req = networkRequest(flags, o.hostname ?? '');
  if (!req.connect) return undefined;
  let ep: Endpoint;
  try {
    ep = await connect(req.mode, req.connect);
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(`bulkhead run: ${err.message}`, 125);
    throw err;
  }
  o.netns = ep.netns;
  o.mounts = [...(o.mounts ?? []), ...ep.mounts];
  if (ep.ports.length) process.stderr.write(ep.ports.map((p) => `bulkhead: published ${p.containerPort}/${p.proto} -> ${p.hostIp || '0.0.0.0'}:${p.hostPort}\n`).join(''));
  return ep;
}
