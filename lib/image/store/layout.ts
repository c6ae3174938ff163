// Where everything lives under the data root (default /var/lib/bulkhead,
// BULKHEAD_ROOT, or --data-root). One file system, so that every rename is atomic.
//   image/blobs/sha256/<hex>   content, addressed by its sha256, verified on write
//   image/layers/<hex>         a layer unpacked, named by its diff id (uncompressed digest)
//   image/l/<short>            short links to layers, for the overlay lowerdir option
//   image/locks/<hex>.lock     one flock(2) lock per blob and per layer
//   image/tmp/                 partial blobs and layers, each flock()ed by its writer
//   image/index.json           images and tags (small, replaced atomically)
//   containers/<id>/           upper, work and merged directories of a running container
import * as path from 'node:path';

export const DEFAULT_ROOT = '/var/lib/bulkhead';

export function dataRoot(explicit?: string): string {
  return path.resolve(explicit ?? process.env.BULKHEAD_ROOT ?? DEFAULT_ROOT);
}

export function hexOf(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return m[1];
}

export class Layout {
  readonly image: string;
  constructor(readonly root: string) {
    this.image = path.join(root, 'image');
  }
  get blobs() { return path.join(this.image, 'blobs', 'sha256'); }
  get layers() { return path.join(this.image, 'layers'); }
  get links() { return path.join(this.image, 'l'); }
  get locks() { return path.join(this.image, 'locks'); }
  get tmp() { return path.join(this.image, 'tmp'); }
  get index() { return path.join(this.image, 'index.json'); }
  get indexLock() { return path.join(this.locks, 'index.lock'); }
  get containers() { return path.join(this.root, 'containers'); }
  blob(digest: string) { return path.join(this.blobs, hexOf(digest)); }
  blobLock(digest: string) { return path.join(this.locks, `${hexOf(digest)}.lock`); }
  layer(diffId: string) { return path.join(this.layers, hexOf(diffId)); }
  layerLock(diffId: string) { return path.join(this.locks, `layer-${hexOf(diffId)}.lock`); }
}
