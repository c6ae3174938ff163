// Pull (distribution-spec "Pulling manifests", "Pulling blobs"): the manifest by
// tag or digest (an index or manifest list narrowed to one platform), then the
// config and the layers, each blob streamed into the store and verified while
// written and unpacked at once, a few layers at a time; the image recorded last.
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { ImageError } from '../errors';
import { formatPlatform, hostPlatform, INDEX_TYPES, MANIFEST_TYPES, MT, parseConfig, parseManifest, selectPlatform } from '../manifest';
import { formatReference, repository, type Reference } from '../reference/parse';
import { registerImage } from '../register';
import { digestOf } from '../archive/load';
import type { ImageRecord, Platform, Store } from '../store/store';
import { ensureLayer, pullLayer } from '../unpack/layer';
import { RegistryClient, type ClientOptions } from './client';

export interface PullProgress {
  /** The layer's short id (12 hex), as Docker prints it; or the image for whole-image states. */
  id: string;
  status: 'Resolving' | 'Waiting' | 'Downloading' | 'Download complete' | 'Already exists' | 'Extracting' | 'Pull complete' | 'Digest' | 'Status';
  current?: number;
  total?: number;
  detail?: string;
}

export interface PullOptions extends Omit<ClientOptions, 'image'> {
  platform?: Platform;
  onProgress?: (p: PullProgress) => void;
  /** Layers downloaded at once (default 3, as dockerd's max-concurrent-downloads). */
  concurrency?: number;
}

const ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');
const MAX_MANIFEST = 4 << 20;

async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream)) {
    n += (c as Buffer).length;
    if (n > limit) throw new Error(`${what} larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function fetchManifest(client: RegistryClient, ref: Reference, reference: string, image: string): Promise<{ bytes: Buffer; digest: string; type?: string }> {
  const res = await client.request(ref.path, `${ref.path}/manifests/${reference}`, { headers: { accept: ACCEPT } });
  let bytes: Buffer;
  try {
    bytes = await readLimited(res, MAX_MANIFEST, 'manifest');
  } catch (err) {
    throw new ImageError('EREGISTRY', `${image}: ${(err as Error).message}`, image);
  }
  const digest = digestOf(bytes);
  if (reference.startsWith('sha256:') && digest !== reference) throw new ImageError('EDIGEST', `${image}: manifest ${reference} failed verification: its content hashes to ${digest}`, image, reference);
  const type = res.headers.get('content-type')?.split(';')[0].trim();
  return { bytes, digest, ...(type ? { type } : {}) };
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

export async function pullImage(store: Store, ref: Reference, opts: PullOptions = {}): Promise<ImageRecord> {
  try {
    return await pull(store, ref, opts);
  } catch (err) {
    // However deep the cancellation surfaced (a body stream, a lock wait), it is one typed error.
    if (opts.signal?.aborted && !(err instanceof ImageError && err.code === 'EABORTED')) {
      throw new ImageError('EABORTED', `${formatReference(ref)}: pull cancelled`, formatReference(ref), undefined, { cause: err });
    }
    throw err;
  }
}

async function pull(store: Store, ref: Reference, opts: PullOptions): Promise<ImageRecord> {
  const image = formatReference(ref);
  const want = opts.platform ?? hostPlatform();
  const progress = opts.onProgress ?? (() => undefined);
  const client = new RegistryClient(ref.domain, { ...opts, image });
  const signal = opts.signal;
  const short = (d: string) => d.slice(7, 19);

  progress({ id: image, status: 'Resolving' });
  let m = await fetchManifest(client, ref, ref.digest ?? ref.tag ?? 'latest', image);
  // What the name resolved to (an index's digest for a multi-platform image), as Docker records RepoDigests.
  const topDigest = m.digest;
  let parsed = parseManifest(m.bytes, image, m.type);
  if (parsed.kind === 'index') {
    if (!INDEX_TYPES.includes(parsed.mediaType)) throw new ImageError('EREGISTRY', `${image}: unsupported index type ${parsed.mediaType}`, image);
    const d = selectPlatform(parsed.index, want, image);
    m = await fetchManifest(client, ref, d.digest, image);
    if (m.digest !== d.digest) throw new ImageError('EDIGEST', `${image}: manifest ${d.digest} failed verification`, image, d.digest);
    parsed = parseManifest(m.bytes, image, m.type ?? d.mediaType);
    if (parsed.kind !== 'manifest') throw new ImageError('EREGISTRY', `${image}: an index inside an index`, image);
  }
  if (!MANIFEST_TYPES.includes(parsed.mediaType)) throw new ImageError('EREGISTRY', `${image}: unsupported manifest type ${parsed.mediaType} (schema 2 and OCI only)`, image);
  const manifest = parsed.manifest;

  const blob = (digest: string, onBytes?: (n: number) => void) =>
    store.ensureBlob(
      digest,
      async () => {
        const res = await client.request(ref.path, `${ref.path}/blobs/${digest}`);
        return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) as AsyncIterable<Buffer>;
      },
      { signal, image, ...(onBytes ? { onBytes } : {}) },
    );

  await blob(manifest.config.digest);
  const config = parseConfig(store.readBlob(manifest.config.digest), image);
  if (config.os !== want.os || config.architecture !== want.architecture) {
    throw new ImageError('EPLATFORM', `${image}: the image is for ${formatPlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })}, not ${formatPlatform(want)}`, image);
  }
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new ImageError('EREGISTRY', `${image}: the manifest has ${manifest.layers.length} layers but the config ${diffIds.length} diff ids`, image);
  }
  const layers = manifest.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i], size: l.size, mediaType: l.mediaType }));
  const present = (l: (typeof layers)[number]) => store.hasBlob(l.digest) && fs.existsSync(store.layout.layer(l.diffId));
  for (const l of layers) progress({ id: short(l.digest), status: present(l) ? 'Already exists' : 'Waiting', total: l.size });
  // Each layer is downloaded and unpacked at once (pullLayer), a few layers at a
  // time: one layer's unpacking overlaps the others' downloads.
  await pool(layers.filter((l) => !present(l)), opts.concurrency ?? 3, async (l) => {
    const onBytes = (n: number) => progress({ id: short(l.digest), status: 'Downloading', current: n, total: l.size });
    const open = async () => {
      const res = await client.request(ref.path, `${ref.path}/blobs/${l.digest}`);
      return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) as AsyncIterable<Buffer>;
    };
    const r = store.hasBlob(l.digest) ? { fetched: false } : await pullLayer(store, l, image, open, { signal, image, onBytes });
    progress({ id: short(l.digest), status: r.fetched ? 'Download complete' : 'Already exists', total: l.size });
    progress({ id: short(l.digest), status: 'Extracting', total: l.size });
    await ensureLayer(store, l, image, signal);
    progress({ id: short(l.digest), status: 'Pull complete' });
  });
  // The manifest goes in last: its presence says nothing about the layers, but it is what push and save read.
  const mb = store.hasBlob(m.digest) ? { digest: m.digest } : await store.putBlob(m.bytes, { signal });
  const rec = await registerImage(store, {
    manifestDigest: mb.digest,
    manifestMediaType: parsed.mediaType,
    manifest,
    tags: ref.tag ? [ref] : [],
    repoDigests: [`${repository(ref)}@${topDigest}`],
    image,
    signal,
  });
  progress({ id: image, status: 'Digest', detail: topDigest });
  return rec;
}
