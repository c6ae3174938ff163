// /networks (Engine API v1.43, "Network"): the two networks that exist without
// a network layer, none (the engine's default) and host. Listing, inspecting
// and their filters work; creating or removing answers as dockerd does for
// what cannot be done (403 for a predefined network, 501 for a new one).
import { createHash } from 'node:crypto';
import type { Ctx } from '../context';
import { qfilters } from '../context';
import type { ApiState } from '../state';
import { HttpError } from '../errors';

const BUILTIN = [
  { Name: 'none', Driver: 'null' },
  { Name: 'host', Driver: 'host' },
].map((n) => ({
  ...n,
  Id: createHash('sha256').update(`bulkhead-network-${n.Name}`).digest('hex'),
  Created: '0001-01-01T00:00:00Z',
  Scope: 'local',
  EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigFrom: { Network: '' },
  ConfigOnly: false,
  Options: {},
  Labels: {},
}));

function find(ref: string) {
  return BUILTIN.find((n) => n.Name === ref || n.Id === ref) ?? BUILTIN.find((n) => ref.length >= 3 && n.Id.startsWith(ref));
}

function containersOn(s: ApiState, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of s.engine.containers.list()) if (c.HostConfig.NetworkMode === name) out[c.Id] = { Name: c.Names[0]!.slice(1), EndpointID: '', MacAddress: '', IPv4Address: '', IPv6Address: '' };
  return out;
}

export function list(ctx: Ctx, s: ApiState): void {
  const f = qfilters(ctx.query);
  for (const k of Object.keys(f)) if (!['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling'].includes(k)) throw new HttpError(400, `invalid filter '${k}'`);
  const out = BUILTIN.filter(
    (n) =>
      (!f.name?.length || f.name.some((v) => n.Name.includes(v))) &&
      (!f.id?.length || f.id.some((v) => n.Id.startsWith(v))) &&
      (!f.driver?.length || f.driver.includes(n.Driver)) &&
      (!f.label?.length) &&
      (!f.type?.length || f.type.includes('builtin')) &&
      (!f.scope?.length || f.scope.includes('local')),
  );
  ctx.json(200, out.map((n) => ({ ...n, Containers: containersOn(s, n.Name) })));
}

export function inspect(ctx: Ctx, s: ApiState): void {
  const n = find(ctx.params.id!);
  if (!n) throw new HttpError(404, `network ${ctx.params.id} not found`);
  ctx.json(200, { ...n, Containers: containersOn(s, n.Name) });
}

export function remove(ctx: Ctx): void {
  const n = find(ctx.params.id!);
  if (!n) throw new HttpError(404, `network ${ctx.params.id} not found`);
  throw new HttpError(403, `${n.Name} is a pre-defined network and cannot be removed`);
}

export function create(): void {
  throw new HttpError(501, 'creating networks is not implemented by bulkheadd yet: containers use network none (the default) or host');
}

export function prune(ctx: Ctx): void {
  ctx.json(200, { NetworksDeleted: null });
}
