// /networks (Engine API v1.43, "Network"): the engine's bridge networks
// (engine.networks, lib/network underneath) beside the two modes that are not
// networks, none and host, which dockerd lists too. Create, inspect, list with
// filters, remove (403 for a predefined one, 409 naming the containers on it),
// prune, and connect/disconnect of running and stopped containers.
import { createHash } from 'node:crypto';
import type { Ctx } from '../context';
import { qfilters } from '../context';
import type { ApiState } from '../state';
import { HttpError } from '../errors';
import type { NetworkInfo } from '../../network/index';
import { isObj } from '../../util/is-obj';
import { endpointId } from '../../engine/network/config';

const BUILTIN = [
  { Name: 'none', Driver: 'null' },
  { Name: 'host', Driver: 'host' },
].map((n) => ({
  ...n,
  Id: createHash('sha256').update(`bulkhead-network-${n.Name}`).digest('hex'),
  Created: '0001-01-01T00:00:00Z',
  Scope: 'local',
  EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [] as Array<Record<string, string>> },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigFrom: { Network: '' },
  ConfigOnly: false,
  Options: {} as Record<string, string>,
  Labels: {} as Record<string, string>,
}));

type NetworkJson = (typeof BUILTIN)[number] & { Containers: Record<string, unknown> };


/** A bridge network as dockerd shows it; Containers are those attached now (running). */
function toJson(n: NetworkInfo): NetworkJson {
  const prefix = n.subnet.split('/')[1];
  const containers: Record<string, unknown> = {};
  for (const c of n.containers) containers[c.id] = { Name: c.name, EndpointID: endpointId(c.hostVeth, c.id), MacAddress: c.mac, IPv4Address: `${c.ip}/${prefix}`, IPv6Address: '' };
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: { 'com.docker.network.bridge.name': n.bridge },
    Labels: { ...n.labels },
  };
}

function builtinJson(s: ApiState, b: (typeof BUILTIN)[number]): NetworkJson {
  const containers: Record<string, unknown> = {};
  for (const c of s.engine.containers.list()) if (c.HostConfig.NetworkMode === b.Name) containers[c.Id] = { Name: c.Names[0]!.slice(1), EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' };
  return { ...b, Containers: containers };
}

function all(s: ApiState): NetworkJson[] {
  return [...s.engine.networks.list().map(toJson), ...BUILTIN.map((b) => builtinJson(s, b))];
}

function find(s: ApiState, ref: string): NetworkJson {
  const b = BUILTIN.find((n) => n.Name === ref || n.Id === ref);
  if (b) return builtinJson(s, b);
  return toJson(s.engine.networks.inspect(ref));
}

const PREDEFINED = ['bridge', 'none', 'host'];

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
}

export function list(ctx: Ctx, s: ApiState): void {
  const f = qfilters(ctx.query);
  for (const k of Object.keys(f)) if (!['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling'].includes(k)) throw new HttpError(400, `invalid filter '${k}'`);
  for (const t of f.type ?? []) if (t !== 'custom' && t !== 'builtin') throw new HttpError(400, `invalid filter: 'type'='${t}'`);
  const out = all(s).filter(
    (n) =>
      (!f.name?.length || f.name.some((v) => n.Name.includes(v))) &&
      (!f.id?.length || f.id.some((v) => n.Id.startsWith(v))) &&
      (!f.driver?.length || f.driver.includes(n.Driver)) &&
      (!f.label?.length || f.label.every((l) => labelMatch(n.Labels, l))) &&
      (!f.type?.length || f.type.includes(PREDEFINED.includes(n.Name) ? 'builtin' : 'custom')) &&
      (!f.scope?.length || f.scope.includes('local')) &&
      (!f.dangling?.length || f.dangling.some((d) => (d === 'true' || d === '1') === (!PREDEFINED.includes(n.Name) && s.engine.containers.usersOfNetwork(n.Name).length === 0))),
  );
  ctx.json(200, out);
}

export function inspect(ctx: Ctx, s: ApiState): void {
  ctx.json(200, find(s, ctx.params.id!));
}

export async function create(ctx: Ctx, s: ApiState): Promise<void> {
  const b = await ctx.body();
  const name = b.Name;
  if (typeof name !== 'string' || name === '') throw new HttpError(400, 'network name must not be empty');
  if (PREDEFINED.includes(name)) throw new HttpError(403, `operation is not permitted on predefined ${name} network`);
  if (b.Driver !== undefined && b.Driver !== null && b.Driver !== '' && b.Driver !== 'bridge') throw new HttpError(400, `network driver ${JSON.stringify(b.Driver)} is not supported by bulkheadd (bridge only)`);
  // Settings bulkheadd cannot honour are refused, never dropped (Attachable and CheckDuplicate are meaningless here: one host, names always unique).
  for (const k of ['EnableIPv6', 'Ingress', 'ConfigOnly']) if (b[k] === true) throw new HttpError(400, `bulkheadd does not support ${k} networks`);
  if (isObj(b.ConfigFrom) && b.ConfigFrom.Network) throw new HttpError(400, 'bulkheadd does not support ConfigFrom');
  if (isObj(b.Options) && Object.keys(b.Options).length) throw new HttpError(400, `bulkheadd does not support network driver options yet (got ${JSON.stringify(b.Options)})`);
  let subnet: string | undefined;
  let gateway: string | undefined;
  if (isObj(b.IPAM)) {
    const ipam = b.IPAM;
    if (ipam.Driver && ipam.Driver !== 'default') throw new HttpError(400, `IPAM driver ${JSON.stringify(ipam.Driver)} is not supported (default only)`);
    if (isObj(ipam.Options) && Object.keys(ipam.Options).length) throw new HttpError(400, 'bulkheadd does not support IPAM options');
    const cfg = Array.isArray(ipam.Config) ? ipam.Config : [];
    if (cfg.length > 1) throw new HttpError(400, 'bulkheadd supports one IPAM config (one IPv4 subnet) per network');
    const c = cfg[0] as Record<string, unknown> | undefined;
    if (c) {
      if (c.IPRange) throw new HttpError(400, 'bulkheadd does not support IPAM IPRange yet');
      if (isObj(c.AuxiliaryAddresses) && Object.keys(c.AuxiliaryAddresses).length) throw new HttpError(400, 'bulkheadd does not support IPAM AuxiliaryAddresses');
      if (c.Subnet !== undefined && c.Subnet !== '') subnet = String(c.Subnet);
      if (c.Gateway !== undefined && c.Gateway !== '') gateway = String(c.Gateway);
    }
  }
  const labels = isObj(b.Labels) ? (b.Labels as Record<string, string>) : {};
  const n = s.engine.networks.create({ name, ...(subnet ? { subnet } : {}), ...(gateway ? { gateway } : {}), internal: b.Internal === true, labels });
  s.engine.emit('event', { Type: 'network', Action: 'create', Actor: { ID: n.id, Attributes: { name: n.name, type: 'bridge' } }, time: Math.floor(Date.now() / 1000) });
  ctx.json(201, { Id: n.id, Warning: '' });
}

export function remove(ctx: Ctx, s: ApiState): void {
  const ref = ctx.params.id!;
  const b = BUILTIN.find((n) => n.Name === ref || n.Id === ref);
  if (b) throw new HttpError(403, `${b.Name} is a pre-defined network and cannot be removed`);
  const n = s.engine.networks.inspect(ref);
  s.engine.networks.remove(n.name);
  s.engine.emit('event', { Type: 'network', Action: 'destroy', Actor: { ID: n.id, Attributes: { name: n.name, type: 'bridge' } }, time: Math.floor(Date.now() / 1000) });
  ctx.noContent();
}

export function prune(ctx: Ctx, s: ApiState): void {
  const f = qfilters(ctx.query);
  for (const k of Object.keys(f)) if (!['label', 'until'].includes(k)) throw new HttpError(400, `invalid filter '${k}'`);
  const keep = new Set(
    s.engine.networks
      .list()
      .filter((n) => (f.label?.length && !f.label.every((l) => labelMatch(n.labels, l))) || (f.until?.length && Date.parse(n.created) >= (/^\d+$/.test(f.until[0]) ? Number(f.until[0]) * 1000 : Date.parse(f.until[0]))))
      .map((n) => n.name),
  );
  const gone = s.engine.networks.prune((name) => !keep.has(name));
  ctx.json(200, { NetworksDeleted: gone.length ? gone : null });
}

async function containerAndConfig(ctx: Ctx): Promise<{ container: string; body: Record<string, unknown> }> {
  const body = await ctx.body();
  if (typeof body.Container !== 'string' || body.Container === '') throw new HttpError(400, 'Container must be a container name or id');
  return { container: body.Container, body };
}

export async function connect(ctx: Ctx, s: ApiState): Promise<void> {
  const { container, body } = await containerAndConfig(ctx);
  const net = ctx.params.id!;
  if (BUILTIN.some((b) => b.Name === net || b.Id === net)) throw new HttpError(403, `container cannot be disconnected from host network or connected to host network`.replace(/host/g, BUILTIN.find((b) => b.Name === net || b.Id === net)!.Name));
  s.engine.containers.inspect(container);
  const ec = body.EndpointConfig;
  if (ec !== undefined && ec !== null && !isObj(ec)) throw new HttpError(400, 'EndpointConfig must be an object');
  await s.engine.containers.connectNetwork(container, net, (ec ?? {}) as { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } });
  ctx.noContent(200);
}

export async function disconnect(ctx: Ctx, s: ApiState): Promise<void> {
  const { container, body } = await containerAndConfig(ctx);
  s.engine.containers.inspect(container);
  await s.engine.containers.disconnectNetwork(container, ctx.params.id!, { force: body.Force === true });
  ctx.noContent(200);
}
