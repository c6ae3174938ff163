// Records an image whose manifest, config and layer blobs are all in the store:
// unpacks its layers (each once, shared) and then, last, writes the index entry
// and tags. A kill before the index write leaves verified blobs and whole layers
// that the next pull reuses, and no image that is not complete.
import * as fs from 'node:fs';
import { ImageError } from './errors';
import { parseConfig, type ImageConfig, type Manifest } from './manifest';
import { formatReference, type Reference } from './reference/parse';
import type { ImageRecord, Store } from './store/store';
import { ensureLayer } from './unpack/layer';

export interface RegisterInput {
  manifestDigest: string;
  manifestMediaType: string;
  manifest: Manifest;
  tags: Reference[];
  /** domain/path@digest for images pulled from a registry. */
  repoDigests?: string[];
  /** Named in errors. */
  image: string;
  signal?: AbortSignal;
  onLayer?: (digest: string, state: 'extracting' | 'done') => void;
}

export async function registerImage(store: Store, input: RegisterInput): Promise<ImageRecord> {
  const { manifest, image } = input;
  const config: ImageConfig = parseConfig(store.readBlob(manifest.config.digest), image);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new ImageError('EREGISTRY', `${image}: the manifest has ${manifest.layers.length} layers but the config ${diffIds.length} diff ids`, image);
  }
  const layers = manifest.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i], size: l.size, mediaType: l.mediaType }));
  for (const l of layers) {
    input.onLayer?.(l.digest, 'extracting');
    await ensureLayer(store, l, image, input.signal);
    input.onLayer?.(l.digest, 'done');
  }
  input.signal?.throwIfAborted();
  const id = manifest.config.digest;
  return store.updateIndex((idx) => {
    // Under the index lock, which rmi's collection also holds: what was unpacked is still there.
    for (const l of layers) {
      if (!store.hasBlob(l.digest) || !fs.existsSync(store.layout.layer(l.diffId))) {
        throw new ImageError('ENOTFOUND', `${image}: layer ${l.digest} was removed (by rmi) during the pull; pull again`, image, l.digest);
      }
    }
    const prev = idx.images[id];
    const repoDigests = new Set(prev?.repoDigests ?? []);
    for (const d of input.repoDigests ?? []) repoDigests.add(d);
    const rec: ImageRecord = {
      id,
      manifest: input.manifestDigest,
      manifestMediaType: input.manifestMediaType,
      layers,
      platform: { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) },
      repoDigests: [...repoDigests],
      ...(config.created ? { created: config.created } : {}),
      size: layers.reduce((n, l) => n + l.size, 0),
      added: prev?.added ?? new Date().toISOString(),
    };
    idx.images[id] = rec;
    for (const t of input.tags) if (t.tag) idx.tags[formatReference({ ...t, digest: undefined })] = id;
    return rec;
  });
}
