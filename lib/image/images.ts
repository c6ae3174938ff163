// `Images`: the library face of the image store. One instance per data root; any
// number of processes may share a root.
import * as fs from 'node:fs';
import { applyChange, importRootfs } from './archive/import';
import { loadArchive, type LoadedImage, type LoadOptions } from './archive/load';
import { saveArchive } from './archive/save';
import { ImageError } from './errors';
import { parseConfig, type ImageConfig } from './manifest';
import { liveLayers, prepareOverlay, type MountOptions, type OverlayRoot } from './overlay/mount';
import { familiarName, formatReference, looksLikeId, parseReference, repository } from './reference/parse';
import { dataRoot } from './store/layout';
import { Store, type ByteSource, type ImageRecord, type IndexData } from './store/store';
import { pullImage, type PullOptions } from './registry/pull';
import { pushImage, type PushOptions } from './registry/push';
import { ensureLayer } from './unpack/layer';

export interface ImagesOptions {
  /** The data root; default BULKHEAD_ROOT or /var/lib/bulkhead. */
  root?: string;
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created?: string;
  size: number;
  platform: string;
}

export interface ImageRootfs extends OverlayRoot {
  image: ImageRecord;
  config: ImageConfig;
}

export class Images {
  readonly store: Store;

  constructor(opts: ImagesOptions = {}) {
    if (opts.root !== undefined && (typeof opts.root !== 'string' || opts.root === '')) throw new TypeError(`root must be a directory path, got ${JSON.stringify(opts.root)}`);
    this.store = new Store(dataRoot(opts.root));
  }

  private tagsOf(idx: IndexData, id: string): string[] {
    return Object.entries(idx.tags).filter(([, v]) => v === id).map(([k]) => k);
  }

  /** An image by reference (alpine, docker.io/library/alpine:latest, ...@sha256:), id or id prefix; undefined when unknown. */
  resolve(nameOrId: string): ImageRecord | undefined {
    const idx = this.store.readIndex();
    if (looksLikeId(nameOrId)) {
      const hex = nameOrId.replace(/^sha256:/, '');
      const hits = Object.keys(idx.images).filter((id) => id.slice(7).startsWith(hex));
      if (hits.length === 1) return idx.images[hits[0]];
      if (hits.length > 1) throw new ImageError('ENOTFOUND', `${nameOrId}: ambiguous image id prefix`, nameOrId);
    }
    const ref = parseReference(nameOrId);
    if (ref.digest) {
      const repo = repository(ref);
      return Object.values(idx.images).find((img) => img.repoDigests.includes(`${repo}@${ref.digest}`) || (img.manifest === ref.digest && this.tagsOf(idx, img.id).some((t) => t.startsWith(`${repo}:`))));
    }
    const id = idx.tags[formatReference(ref)];
    return id ? idx.images[id] : undefined;
  }

  /** Like resolve, but ENOTFOUND naming the image. */
  get(nameOrId: string): ImageRecord {
    const img = this.resolve(nameOrId);
    if (!img) throw new ImageError('ENOTFOUND', `${nameOrId}: no such image`, nameOrId);
    return img;
  }

  list(): ImageSummary[] {
    const idx = this.store.readIndex();
    return Object.values(idx.images)
      .map((img) => ({
        id: img.id,
        repoTags: this.tagsOf(idx, img.id),
        repoDigests: img.repoDigests,
        ...(img.created ? { created: img.created } : {}),
        size: img.size,
        platform: `${img.platform.os}/${img.platform.architecture}${img.platform.variant ? `/${img.platform.variant}` : ''}`,
      }))
      .sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
  }

  config(image: ImageRecord): ImageConfig {
    return parseConfig(this.store.readBlob(image.id), image.id);
  }

  async tag(source: string, target: string): Promise<void> {
    const img = this.get(source);
    const ref = parseReference(target);
    if (ref.digest) throw new ImageError('EREFERENCE', `${target}: a tag cannot name a digest`, target);
    await this.store.updateIndex((idx) => {
      if (!idx.images[img.id]) throw new ImageError('ENOTFOUND', `${source}: no such image`, source);
      idx.tags[formatReference(ref)] = img.id;
    });
  }

  /**
   * Removes a tag; the image itself goes with its last tag (or when named by id,
   * with force removing every tag), and then every blob and layer no other
   * image uses. Returns what was untagged and deleted, as `docker rmi` prints.
   */
  async remove(nameOrId: string, opts: { force?: boolean } = {}): Promise<{ untagged: string[]; deleted: string[] }> {
    const img = this.get(nameOrId);
    const byId = looksLikeId(nameOrId) && !this.store.readIndex().tags[formatReference(parseReference(nameOrId))];
    const result = await this.store.updateIndex((idx) => {
      const tags = this.tagsOf(idx, img.id);
      const untagged: string[] = [];
      if (byId) {
        if (tags.length > 1 && !opts.force) throw new ImageError('EINUSE', `${nameOrId}: image is referenced in multiple repositories (${tags.map((t) => familiarName(parseReference(t))).join(', ')}); use force`, nameOrId);
        for (const t of tags) {
          delete idx.tags[t];
          untagged.push(t);
        }
      } else {
        const key = formatReference(parseReference(nameOrId));
        if (idx.tags[key] === img.id) {
          delete idx.tags[key];
          untagged.push(key);
        }
      }
      const deleted: string[] = [];
      if (this.tagsOf(idx, img.id).length === 0) {
        delete idx.images[img.id];
        deleted.push(img.id);
      }
      return { untagged, deleted };
      // Under the index lock, after the write: a pull registers its image under the same lock and checks its layers there.
    }, (idx, out) => out.deleted.length && this.collect(idx));
    return result;
  }

  /** Deletes blobs and layers that no image in idx references. */
  private collect(idx: IndexData): void {
    const blobs = new Set<string>();
    const layers = new Set<string>([...liveLayers(this.store.layout)].map((d) => d.slice(7)));
    for (const img of Object.values(idx.images)) {
      blobs.add(img.id).add(img.manifest);
      for (const l of img.layers) {
        blobs.add(l.digest);
        layers.add(l.diffId.slice(7));
      }
    }
    for (const hex of fs.readdirSync(this.store.layout.blobs)) if (!blobs.has(`sha256:${hex}`)) this.store.removeBlob(`sha256:${hex}`);
    for (const hex of fs.readdirSync(this.store.layout.layers)) {
      // Layers of live containers stay until a later removal finds them unused.
      if (layers.has(hex)) continue;
      fs.rmSync(this.store.layout.layer(`sha256:${hex}`), { recursive: true, force: true });
      const link = `${this.store.layout.links}/${hex.slice(0, 20)}`;
      fs.rmSync(link, { force: true });
    }
  }

  /** Pulls ref (Docker's normalisation: alpine is docker.io/library/alpine:latest) from its registry. */
  async pull(ref: string, opts: PullOptions = {}): Promise<ImageRecord> {
    if (typeof ref !== 'string') throw new TypeError(`ref must be a string, got ${typeof ref}`);
    if (opts === null || typeof opts !== 'object') throw new TypeError('options must be an object');
    const p = opts.platform;
    if (p !== undefined && (p === null || typeof p !== 'object' || typeof p.os !== 'string' || typeof p.architecture !== 'string' || (p.variant !== undefined && typeof p.variant !== 'string'))) {
      throw new TypeError(`platform must be { os, architecture, variant? } of strings, got ${JSON.stringify(p)}`);
    }
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') throw new TypeError('onProgress must be a function');
    if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
    if (opts.concurrency !== undefined && (!Number.isInteger(opts.concurrency) || opts.concurrency < 1 || opts.concurrency > 32)) throw new RangeError(`concurrency must be an integer from 1 to 32, got ${opts.concurrency}`);
    return pullImage(this.store, parseReference(ref), opts);
  }

  /** Pushes a local image to the registry its name says; returns the manifest digest. */
  async push(ref: string, opts: PushOptions = {}): Promise<string> {
    const image = this.get(ref);
    return pushImage(this.store, image, parseReference(ref), opts);
  }

  /**
   * docker import: a one-layer image from a root filesystem tarball (plain or
   * gzip), tagged `name` when given, with container settings from Docker's
   * --change instructions (CMD, ENTRYPOINT, ENV, ...). Bad changes are a
   * TypeError before anything is stored.
   */
  async import(source: ByteSource, name?: string, opts: { changes?: string[]; signal?: AbortSignal } = {}): Promise<ImageRecord> {
    const tags = name === undefined ? [] : [parseReference(name)];
    const config: NonNullable<ImageConfig['config']> = {};
    for (const c of opts.changes ?? []) applyChange(config, c);
    return importRootfs(this.store, source, { config, tags, image: name ?? 'import', ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  async load(file: string, opts: LoadOptions = {}): Promise<LoadedImage[]> {
    return loadArchive(this.store, file, opts);
  }

  /** Writes a docker-archive of the named images (by reference or id) to file, atomically. */
  async save(names: string[], file: string): Promise<void> {
    const idx = this.store.readIndex();
    const items = names.map((n) => {
      const image = this.get(n);
      const tags = looksLikeId(n) && !idx.tags[formatReference(parseReference(n))] ? this.tagsOf(idx, image.id) : [formatReference(parseReference(n))];
      return { image, tags };
    });
    await saveArchive(this.store, items, file);
  }

  /** A ready overlay root for spawn({ rootfs }); call release() after the container exits. */
  async rootfsFor(nameOrId: string | ImageRecord, opts: MountOptions = {}): Promise<ImageRootfs> {
    const image = typeof nameOrId === 'string' ? this.get(nameOrId) : nameOrId;
    const config = this.config(image);
    for (const l of image.layers) await ensureLayer(this.store, l, image.id);
    const root = prepareOverlay(this.store.layout, image.layers.map((l) => l.diffId), opts);
    return { ...root, image, config };
  }
}
