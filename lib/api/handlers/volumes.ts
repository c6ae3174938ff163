// /volumes (Engine API v1.43, "Volume"): create, list, inspect, remove, prune.
import type { Ctx } from '../context';
import { qbool, qfilters } from '../context';
import type { ApiState } from '../state';
import { HttpError } from '../errors';
import { compareVersions } from '../version';
import type { Volume } from '../../volume/index';

const out = (v: Volume) => {
  const { Anonymous: _a, ...rest } = v;
  return { ...rest, Labels: rest.Labels ?? {}, Options: rest.Options ?? {} };
};

export async function create(ctx: Ctx, s: ApiState): Promise<void> {
  const b = await ctx.body();
  for (const k of Object.keys(b)) if (!['Name', 'Driver', 'DriverOpts', 'Labels', 'ClusterVolumeSpec'].includes(k)) throw new HttpError(400, `invalid volume config: unknown field ${JSON.stringify(k)}`);
  if (b.ClusterVolumeSpec) throw new HttpError(400, 'cluster volumes are not supported by bulkheadd');
  if (b.Driver !== undefined && b.Driver !== '' && b.Driver !== 'local') throw new HttpError(404, `plugin "${String(b.Driver)}" not found`);
  const opts: Record<string, unknown> = {};
  if (b.Name) opts.Name = b.Name;
  if (b.Labels) opts.Labels = b.Labels;
  if (b.DriverOpts) opts.DriverOpts = b.DriverOpts;
  const existed = typeof b.Name === 'string' && s.engine.volumes.has(b.Name);
  const v = s.engine.volumes.create(opts as Parameters<typeof s.engine.volumes.create>[0]);
  if (!existed) s.engine.emit('event', { Type: 'volume', Action: 'create', Actor: { ID: v.Name, Attributes: { driver: 'local' } }, time: Math.floor(Date.now() / 1000) });
  ctx.json(201, out(v));
}

export function list(ctx: Ctx, s: ApiState): void {
  const vols = s.engine.volumes.list(qfilters(ctx.query));
  ctx.json(200, { Volumes: vols.map(out), Warnings: null });
}

export function inspect(ctx: Ctx, s: ApiState): void {
  ctx.json(200, out(s.engine.volumes.inspect(ctx.params.name!)));
}

export function remove(ctx: Ctx, s: ApiState): void {
  const name = ctx.params.name!;
  s.engine.volumes.inspect(name);
  s.engine.volumes.remove(name, { force: qbool(ctx.query, 'force') });
  s.engine.emit('event', { Type: 'volume', Action: 'destroy', Actor: { ID: name, Attributes: { driver: 'local' } }, time: Math.floor(Date.now() / 1000) });
  ctx.noContent();
}

export function prune(ctx: Ctx, s: ApiState): void {
  const f = qfilters(ctx.query);
  // Before API 1.42 a prune took every unused volume; since, only anonymous ones unless all=true.
  const all = compareVersions(ctx.version, '1.42') < 0 || (f.all?.some((v) => v === 'true' || v === '1') ?? false);
  delete f.all;
  const r = s.engine.volumes.prune({ all, filters: f });
  for (const name of r.VolumesDeleted) s.engine.emit('event', { Type: 'volume', Action: 'destroy', Actor: { ID: name, Attributes: { driver: 'local' } }, time: Math.floor(Date.now() / 1000) });
  ctx.json(200, { VolumesDeleted: r.VolumesDeleted.length ? r.VolumesDeleted : null, SpaceReclaimed: r.SpaceReclaimed });
}
