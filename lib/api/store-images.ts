// The image seam over lib/image's store: `docker images`, inspect and create
// answer from Images; containers made from a store image get an overlay root
// (Images' layers below a fresh upper) through the engine's RootfsSource, one
// mount per start, released at each exit and at removal. A config with a
// Rootfs directory (bulkheadd --rootfs-image) still runs from that directory.
import * as fs from 'node:fs';
import type { Images } from '../image/images';
import { mountOverlay, type OverlayRoot } from '../image/overlay/mount';
import type { ImageRecord as StoreRecord } from '../image/store/store';
import type { ContainerConfig } from '../engine/container/config';
import type { RootfsSource } from '../engine/rootfs';
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

  prepare(id: string, config: ContainerConfig): string {
    if (config.Rootfs !== undefined) return this.dir.prepare(id, config);
    this.release(id);
    const img = this.image(config);
    // Pull and load unpack every layer before the image is recorded (register.ts), so the mount needs no I/O wait.
    for (const l of img.layers) if (!fs.existsSync(this.images.store.layout.layer(l.diffId))) throw invalid(`image ${config.Image}: layer ${l.diffId} is not unpacked`);
    const root = mountOverlay(this.images.store.layout, img.layers.map((l) => l.diffId), { readonly: false });
    this.mounts.set(id, root);
    return root.rootfs;
  }

  release(id: string): void {
    const m = this.mounts.get(id);
    if (!m) return;
    this.mounts.delete(id);
    m.release();
  }
}
