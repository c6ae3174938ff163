// The image a build writes: its config as a blob, a Docker schema 2 manifest
// (what `docker build` makes, and what lib/image save and push handle) naming
// the config and the gzipped layers, then registerImage (lib/image/register.ts)
// writes the index entry and the tags last, under the index lock.
import { MT, type Manifest } from '../image/manifest';
import type { Reference } from '../image/reference/parse';
import { registerImage } from '../image/register';
import type { ImageRecord, Store } from '../image/store/store';
import { configBytes, type StepState } from './state';

export async function commitImage(store: Store, state: StepState, tags: Reference[], signal?: AbortSignal): Promise<ImageRecord> {
  const config = configBytes(state.config);
  const { digest: configDigest, size: configSize } = await store.putBlob(config);
  if (configDigest !== state.id) throw new Error(`internal: config digest ${configDigest} is not the state id ${state.id}`);
  // A base image's layers keep their bytes; their media type follows the manifest's
  // kind (zstd has no Docker media type: such an image gets an OCI manifest).
  const oci = state.layers.some((l) => l.mediaType === MT.ociLayerZstd);
  const layerType = (t: string) => {
    const gzip = t === MT.ociLayerGzip || t === MT.dockerLayerGzip;
    const plain = t === MT.ociLayer || t === MT.dockerLayer;
    if (oci) return gzip ? MT.ociLayerGzip : plain ? MT.ociLayer : t;
    return gzip ? MT.dockerLayerGzip : plain ? MT.dockerLayer : t;
  };
  const manifestType = oci ? MT.ociManifest : MT.dockerManifest;
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: manifestType,
    config: { mediaType: oci ? MT.ociConfig : MT.dockerConfig, size: configSize, digest: configDigest },
    layers: state.layers.map((l) => ({ mediaType: layerType(l.mediaType), size: l.size, digest: l.digest })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  const { digest: manifestDigest } = await store.putBlob(bytes);
  return registerImage(store, { manifestDigest, manifestMediaType: manifestType, manifest, tags, image: tags[0] ? `${tags[0].path}` : state.id, ...(signal ? { signal } : {}) });
}
