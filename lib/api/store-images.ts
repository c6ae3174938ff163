// The image seam over lib/image's store: `docker images`, inspect and create
// answer from Images; containers made from a store image get an overlay root
// (Images' layers below the container's own writable layer, which the engine
// keeps in the container's directory until removal) through the engine's
// RootfsSource, one overlay per start (spawn() mounts it in the container's
// namespace), released at each exit and at removal. The
// image's Volumes become the container's anonymous volumes, and new volumes
// are filled from a read-only overlay of the image at create. A config with a
// Rootfs directory (bulkheadd --rootfs-image) still runs from that directory.
import * as fs from 'node:fs';
import type { Images } from '../image/images';
import { mountOnHost, prepareOverlay, sweep, type OverlayRoot } from '../image/overlay/mount';
import type { ImageRecord as StoreRecord } from '../image/store/store';
import type { ContainerConfig } from '../engine/container/config';
import type { OverlayRootfs } from '../spawn/options';
import type { RootfsSource, WritableLayer } from '../engine/rootfs';
import { DirectoryRootfs } from '../engine/rootfs';
import { invalid } from '../util/engine-error';
import type { ImageRecord, ImageSource } from './images';

export class StoreImages implements ImageSource {
  constructor(
    readonly store: Images,
    private readonly dirs: ImageSource | null = null,
  ) {}

  private record(r: StoreRecord): ImageRecord {
    const tags = this.store.list().find((s) => s.id === r.id)?.repoTags ?? [];
    const cfg = this.store.config(r).config ?? {};
    const Config: ImageRecord['Config'] = {};
    if (cfg.Cmd) Config.Cmd = cfg.Cmd;
    if (cfg.Entrypoint) Config.Entrypoint = cfg.Entrypoint;
    if (cfg.Env) Config.Env = cfg.Env;
    if (cfg.WorkingDir) Config.WorkingDir = cfg.WorkingDir;
    if (cfg.User) Config.User = cfg.User;
    if (cfg.Volumes) Config.Volumes = cfg.Volumes;
    if (cfg.Labels && Object.keys(cfg.Labels).length) Config.Labels = cfg.Labels;
    return { Id: r.id, RepoTags: tags, RepoDigests: r.repoDigests, Created: r.created ? Math.floor(Date.parse(r.created) / 1000) : 0, Size: r.size, Config, rootfs: '' };
  }

  resolve(ref: string): ImageRecord | null {
    if (typeof ref !== 'string' || ref === '') return null;
    const fromDir = this.dirs?.resolve(ref);
    if (fromDir) return fromDir;
    let r: StoreRecord | undefined;
    try {
      r = this.store.resolve(ref);
    } catch {
      return null;
    }
    return r ? this.record(r) : null;
  }

  list(): ImageRecord[] {
    const idx = this.store.store.readIndex();
    return [...(this.dirs?.list() ?? []), ...Object.values(idx.images).map((r) => this.record(r))];
  }
}

/** Roots for containers: a Rootfs directory as DirectoryRootfs does, else an overlay of the image named by Image. */
export class StoreRootfs implements RootfsSource {
  private readonly dir = new DirectoryRootfs();
  private readonly mounts = new Map<string, OverlayRoot>();

  constructor(private readonly images: Images) {}

  private image(config: ContainerConfig): StoreRecord {
    let r: StoreRecord | undefined;
    try {
      r = this.images.resolve(config.Image as string);
    } catch {
      r = undefined;
    }
    if (!r) throw invalid(`No such image: ${config.Image}`);
    return r;
  }

  check(config: ContainerConfig): void {
    if (config.Rootfs !== undefined) return this.dir.check(config);
    this.image(config);
  }

  volumes(config: ContainerConfig): string[] {
    if (config.Rootfs !== undefined) return [];
    return Object.keys(this.images.config(this.image(config)).config?.Volumes ?? {});
  }

  writable(config: ContainerConfig): boolean {
    return config.Rootfs === undefined;
  }

  withContent(config: ContainerConfig, fn: (root: string) => void): void {
    if (config.Rootfs !== undefined) return fn(config.Rootfs);
    const root = mountOnHost(this.images.store.layout, this.layers(config));
    try {
      fn(root.rootfs);
    } finally {
      root.release();
    }
  }

  private layers(config: ContainerConfig): string[] {
    const img = this.image(config);
    // Pull and load unpack every layer before the image is recorded (register.ts), so the mount needs no I/O wait.
    for (const l of img.layers) if (!fs.existsSync(this.images.store.layout.layer(l.diffId))) throw invalid(`image ${config.Image}: layer ${l.diffId} is not unpacked`);
    return img.layers.map((l) => l.diffId);
  }

  prepare(id: string, config: ContainerConfig, layer?: WritableLayer): string | OverlayRootfs {
    if (config.Rootfs !== undefined) return this.dir.prepare(id, config);
    this.release(id);
    const root = prepareOverlay(this.images.store.layout, this.layers(config), layer ? { layer: { upper: layer.UpperDir, work: layer.WorkDir } } : { readonly: false });
    this.mounts.set(id, root);
    return root.rootfs;
  }

  reclaim(): void {
    sweep(this.images.store.layout);
  }

  release(id: string): void {
    const m = this.mounts.get(id);
    if (!m) return;
    this.mounts.delete(id);
    m.release();
  }
}
