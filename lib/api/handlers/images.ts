// /images (Engine API v1.43, "Image"), over the ImageSource seam: list and
// inspect answer from it; pull, push, tag, remove, load, save and prune go to
// its image store (lib/image), with Docker's JSON progress lines for pull and push.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageError } from '../../image/errors';
import type { Images } from '../../image/images';
import type { Ctx } from '../context';
import { qfilters } from '../context';
import { goMatch } from '../../build/context/match';
import type { ApiState } from '../state';
import { HttpError } from '../errors';
import { familiarName, noSuchImage, type ImageRecord } from '../images';
import { goArch } from './system';

function summary(i: ImageRecord) {
  return { Id: i.Id, ParentId: '', RepoTags: i.RepoTags, RepoDigests: i.RepoDigests ?? [], Created: i.Created, Size: i.Size, SharedSize: -1, VirtualSize: i.Size, Labels: i.Config.Labels ?? {}, Containers: -1 };
}

/** Go's path.Match, as moby's reference.FamiliarMatch uses it; a malformed pattern matches nothing. */
function match(pattern: string, name: string): boolean {
  try {
    return goMatch(pattern, name);
  } catch {
    return false;
  }
}

/**
 * An image against `docker images` filters (moby daemon/images/images.go):
 * reference (a pattern against each tag's familiar form "app:1" and its name
 * "app"), label (key or key=value), dangling (none here: the store drops an
 * image with its last tag). Any other filter is refused, not ignored.
 */
function filtered(images: ImageRecord[], f: Record<string, string[]>): ImageRecord[] {
  for (const k of Object.keys(f)) if (!['reference', 'label', 'dangling'].includes(k)) throw new HttpError(400, `invalid filter '${k}'`);
  return images.filter((i) => {
    if (f.dangling?.some((v) => v === 'true' || v === '1')) return false;
    if (f.reference && !f.reference.some((p) => i.RepoTags.map(familiarName).some((t) => match(p, t) || match(p, t.replace(/:[^:/]*$/, ''))))) return false;
    const labels = i.Config.Labels ?? {};
    if (f.label && !f.label.every((l) => (l.includes('=') ? labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1) : l in labels))) return false;
    return true;
  });
}

export function list(ctx: Ctx, s: ApiState): void {
  ctx.json(200, filtered(s.images.list(), qfilters(ctx.query)).map(summary));
}

export function inspect(ctx: Ctx, s: ApiState): void {
  const i = s.images.resolve(ctx.params.name!);
  if (!i) throw noSuchImage(ctx.params.name!);
  ctx.json(200, {
    Id: i.Id,
    RepoTags: i.RepoTags,
    RepoDigests: [],
    Parent: '',
    Comment: i.rootfs ? `root filesystem directory ${i.rootfs} (bulkheadd --rootfs-image)` : '',
    Created: new Date(i.Created * 1000).toISOString(),
    DockerVersion: '',
    Author: '',
    Config: { ...i.Config, Labels: i.Config.Labels ?? null },
    Architecture: goArch(),
    Os: 'linux',
    Size: i.Size,
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: { Type: 'layers', Layers: [] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  });
}

// ---- over the image store (lib/image) ---------------------------------------


/** lib/image's errors as dockerd's statuses: unknown 404, malformed 400, in use 409, else 500. */
function httpOf(err: unknown): unknown {
  if (!(err instanceof ImageError)) return err;
  const status = err.code === 'ENOTFOUND' ? 404 : err.code === 'EREFERENCE' ? 400 : err.code === 'EINUSE' ? 409 : 500;
  return new HttpError(status, err.message);
}

function storeOf(s: ApiState, what: string): Images {
  if (!s.images.store) throw new HttpError(501, `image ${what} needs the image store`);
  return s.images.store;
}

async function wrap<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw httpOf(err);
  }
}

/**
 * The client's credentials for the registry: X-Registry-Auth, base64url of
 * {"username","password","serveraddress"} (API "Authentication"). Absent or
 * empty: anonymous. The daemon's own ~/.docker/config.json is never read for a
 * client, as dockerd uses only what the client sends.
 */
function registryAuth(ctx: Ctx): { username: string; password: string } | null {
  const h = ctx.req.headers['x-registry-auth'];
  if (typeof h !== 'string' || h === '') return null;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  } catch {
    throw new HttpError(400, 'X-Registry-Auth: not base64url-encoded JSON');
  }
  if (typeof v !== 'object' || v === null) throw new HttpError(400, 'X-Registry-Auth: not a JSON object');
  const { username, password } = v as { username?: unknown; password?: unknown };
  if (typeof username === 'string' && username !== '' && typeof password === 'string') return { username, password };
  return null;
}

/** POST /images/create?fromImage=&tag=: a pull, answered with Docker's JSON progress lines (errors too, once streaming). */
export async function pull(ctx: Ctx, s: ApiState): Promise<void> {
  const store = storeOf(s, 'pull');
  const from = ctx.query.get('fromImage') ?? '';
  if (ctx.query.get('fromSrc')) throw new HttpError(501, 'docker import is not implemented by bulkheadd');
  if (!from) throw new HttpError(400, 'fromImage is required');
  const tag = ctx.query.get('tag') ?? '';
  const ref = tag ? (tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`) : from;
  const auth = registryAuth(ctx);
  const out = ctx.stream(200, 'application/json');
  const line = (o: object) => out.write(JSON.stringify(o) + '\r\n');
  line({ status: `Pulling from ${from.replace(/:[^/]*$/, '')}`, id: tag || 'latest' });
  try {
    const before = store.resolve(ref);
    const img = await store.pull(ref, {
      credentials: auth,
      onProgress: (p) => {
        if (p.status === 'Digest' || p.status === 'Status') return;
        line({ status: p.status, ...(p.current !== undefined ? { progressDetail: { current: p.current, total: p.total } } : { progressDetail: {} }), id: p.id });
      },
    });
    line({ status: `Digest: ${img.manifest}` });
    line({ status: before?.id === img.id ? `Status: Image is up to date for ${ref}` : `Status: Downloaded newer image for ${ref}` });
  } catch (err) {
    const msg = (err as Error).message;
    line({ errorDetail: { message: msg }, error: msg });
  }
  out.end();
}

export async function tag(ctx: Ctx, s: ApiState): Promise<void> {
  const store = storeOf(s, 'tag');
  const repo = ctx.query.get('repo') ?? '';
  if (!repo) throw new HttpError(400, 'repository name (repo) is required');
  const t = ctx.query.get('tag') || 'latest';
  await wrap(() => store.tag(ctx.params.name!, `${repo}:${t}`));
  ctx.noContent(201);
}

export async function remove(ctx: Ctx, s: ApiState): Promise<void> {
  const store = storeOf(s, 'remove');
  const name = ctx.params.name!;
  if (!s.images.resolve(name)) throw noSuchImage(name);
  const img = s.images.resolve(name)!;
  // Docker refuses to remove an image a container uses (409) unless forced; only a container by that name here.
  const users = (s.engine.containers.list({ all: true }) as Array<{ Id: string; Image: string }>).filter((c) => { const r = s.images.resolve(c.Image); return r?.Id === img.Id; });
  if (users.length && !qboolParam(ctx, 'force')) throw new HttpError(409, `conflict: unable to remove repository reference "${name}" (must force) - container ${users[0]!.Id.slice(0, 12)} is using its referenced image ${img.Id.slice(7, 19)}`);
  const r = await wrap(() => store.remove(name, { force: qboolParam(ctx, 'force') }));
  ctx.json(200, [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))]);
}

function qboolParam(ctx: Ctx, k: string): boolean {
  const v = ctx.query.get(k);
  return v === '1' || v === 'true' || v === 'True';
}

/** POST /images/load: the archive is the body (docker save's tar); JSON lines of what was loaded. */
export async function load(ctx: Ctx, s: ApiState): Promise<void> {
  const store = storeOf(s, 'load');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkheadd-load-'));
  try {
    const file = path.join(dir, 'archive.tar');
    await new Promise<void>((resolve, reject) => {
      const w = fs.createWriteStream(file, { mode: 0o600 });
      ctx.req.pipe(w);
      w.on('finish', resolve);
      w.on('error', reject);
      ctx.req.on('error', reject);
    });
    const loaded = await wrap(() => store.load(file));
    const out = ctx.stream(200, 'application/json');
    for (const l of loaded) {
      if (l.tags.length) for (const t of l.tags) out.write(JSON.stringify({ stream: `Loaded image: ${t}\n` }) + '\r\n');
      else out.write(JSON.stringify({ stream: `Loaded image ID: ${l.image.id}\n` }) + '\r\n');
    }
    out.end();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** GET /images/get?names=a&names=b and /images/{name}/get: a docker-archive tar. */
export async function save(ctx: Ctx, s: ApiState): Promise<void> {
  const store = storeOf(s, 'save');
  const names = ctx.params.name ? [ctx.params.name] : ctx.query.getAll('names');
  if (!names.length) throw new HttpError(400, 'names is required');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkheadd-save-'));
  try {
    const file = path.join(dir, 'archive.tar');
    await wrap(() => store.save(names, file));
    const out = ctx.stream(200, 'application/x-tar');
    await new Promise<void>((resolve, reject) => {
      const r = fs.createReadStream(file);
      r.on('error', reject);
      r.on('end', resolve);
      r.pipe(out as NodeJS.WritableStream, { end: false });
    });
    out.end();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** POST /images/{name}/push?tag=: progress lines, then the digest line docker push prints. */
export async function push(ctx: Ctx, s: ApiState): Promise<void> {
  const store = storeOf(s, 'push');
  const t = ctx.query.get('tag');
  const ref = t ? `${ctx.params.name}:${t}` : ctx.params.name!;
  if (!s.images.resolve(ref)) throw noSuchImage(ref);
  const auth = registryAuth(ctx);
  const out = ctx.stream(200, 'application/json');
  const line = (o: object) => out.write(JSON.stringify(o) + '\r\n');
  line({ status: `The push refers to repository [${ctx.params.name}]` });
  try {
    const digest = await store.push(ref, { credentials: auth, onProgress: (l) => line({ status: l }) });
    const img = s.images.resolve(ref)!;
    line({ status: `${t || 'latest'}: digest: ${digest} size: ${img.Size}` });
    line({ progressDetail: {}, aux: { Tag: t || 'latest', Digest: digest, Size: img.Size } });
  } catch (err) {
    const msg = (err as Error).message;
    line({ errorDetail: { message: msg }, error: msg });
  }
  out.end();
}

/** POST /images/prune: the store keeps no untagged image (an image goes with its last tag), so nothing dangles. */
export function prune(ctx: Ctx, s: ApiState): void {
  storeOf(s, 'prune');
  ctx.json(200, { ImagesDeleted: null, SpaceReclaimed: 0 });
}

/**
 * GET /images/{name}/history (docker image history): the config's history,
 * newest first, each layer-making step with its layer's size (the stored
 * blob's) and the metadata steps (empty_layer) with 0. As dockerd answers for
 * a pulled image, only the top entry has an id; the others are "<missing>"
 * (the classic builder's intermediate images are not kept as images here).
 */
export function history(ctx: Ctx, s: ApiState): void {
  const name = ctx.params.name!;
  const i = s.images.resolve(name);
  if (!i) throw noSuchImage(name);
  const store = s.images.store;
  const record = store && !i.rootfs ? store.resolve(i.Id) : undefined;
  if (!store || !record) {
    ctx.json(200, [{ Id: i.Id, Created: i.Created, CreatedBy: '', Tags: i.RepoTags, Size: i.Size, Comment: i.rootfs ? `root filesystem directory ${i.rootfs} (bulkheadd --rootfs-image)` : '' }]);
    return;
  }
  const raw = (store.config(record).history ?? []) as Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
  // Layers pair with the non-empty entries from the end: a base image written
  // without history (or with less) leaves its first layers unnamed.
  let layer = record.layers.length - raw.filter((h) => !h.empty_layer).length;
  const rows = raw.map((h) => ({
    Id: '<missing>',
    Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
    CreatedBy: h.created_by ?? '',
    Tags: null as string[] | null,
    Size: h.empty_layer ? 0 : (record.layers[layer++]?.size ?? 0),
    Comment: h.comment ?? '',
  }));
  rows.reverse();
  if (rows.length === 0) rows.push({ Id: i.Id, Created: i.Created, CreatedBy: '', Tags: null, Size: i.Size, Comment: '' });
  rows[0]!.Id = i.Id;
  rows[0]!.Tags = i.RepoTags;
  ctx.json(200, rows);
}
