// Manifests, indexes and configs: the OCI image spec (manifest.md, image-index.md,
// config.md) and Docker's schema 2 (manifest v2, manifest list), which have the
// same shapes under other media types. Validated before use: registries and
// archives are untrusted.
import * as os from 'node:os';
import { ImageError } from './errors';
import type { Platform } from './store/store';

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

export const MANIFEST_TYPES: string[] = [MT.ociManifest, MT.dockerManifest];
export const INDEX_TYPES: string[] = [MT.ociIndex, MT.dockerList];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform & { 'os.version'?: string };
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The `config` of an image config (image-spec config.md "Properties"): what a container made from it runs with. */
export interface ImageRunConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Volumes?: Record<string, object> | null;
  ExposedPorts?: Record<string, object> | null;
  StopSignal?: string;
  Labels?: Record<string, string> | null;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: ImageRunConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: unknown[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function isDescriptor(d: unknown): d is Descriptor {
  const x = d as Descriptor;
  return !!x && typeof x === 'object' && typeof x.mediaType === 'string' && typeof x.digest === 'string' && DIGEST.test(x.digest) && Number.isSafeInteger(x.size) && x.size >= 0;
}

/** Parses a manifest or an index; the media type comes from the document, else from the transport. */
export function parseManifest(bytes: Buffer, image: string, transportType?: string): { kind: 'manifest'; manifest: Manifest; mediaType: string } | { kind: 'index'; index: Index; mediaType: string } {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ImageError('EREGISTRY', `${image}: manifest is not JSON`, image);
  }
  if (!doc || typeof doc !== 'object') throw new ImageError('EREGISTRY', `${image}: manifest is not an object`, image);
  const mediaType = (typeof doc.mediaType === 'string' ? doc.mediaType : undefined) ?? transportType ?? (Array.isArray(doc.manifests) ? MT.ociIndex : MT.ociManifest);
  if (doc.schemaVersion !== 2) throw new ImageError('EREGISTRY', `${image}: unsupported manifest schemaVersion ${JSON.stringify(doc.schemaVersion)} (only schema 2 and OCI)`, image);
  if (INDEX_TYPES.includes(mediaType) || (Array.isArray(doc.manifests) && !doc.config)) {
    if (!Array.isArray(doc.manifests) || !doc.manifests.every(isDescriptor)) throw new ImageError('EREGISTRY', `${image}: malformed image index`, image);
    return { kind: 'index', index: doc as unknown as Index, mediaType };
  }
  if (!isDescriptor(doc.config) || !Array.isArray(doc.layers) || !doc.layers.every(isDescriptor)) throw new ImageError('EREGISTRY', `${image}: malformed manifest`, image);
  return { kind: 'manifest', manifest: doc as unknown as Manifest, mediaType };
}

export function parseConfig(bytes: Buffer, image: string): ImageConfig {
  let c: ImageConfig;
  try {
    c = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ImageError('EREGISTRY', `${image}: image config is not JSON`, image);
  }
  if (!c || typeof c !== 'object' || !c.rootfs || !Array.isArray(c.rootfs.diff_ids) || !c.rootfs.diff_ids.every((d) => typeof d === 'string' && DIGEST.test(d))) {
    throw new ImageError('EREGISTRY', `${image}: image config has no valid rootfs.diff_ids`, image);
  }
  return c;
}

/** This machine's platform as OCI names it (GOARCH names). */
export function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[os.arch()] ?? os.arch();
  return { os: 'linux', architecture: arch, ...(arch === 'arm64' ? { variant: 'v8' } : {}) };
}

export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new TypeError(`platform must be OS/ARCH[/VARIANT], got ${JSON.stringify(text)}`);
  }
  return { os: parts[0], architecture: parts[1], ...(parts[2] ? { variant: parts[2] } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function matches(want: Platform, got: Platform | undefined): boolean {
  if (!got || got.os !== want.os || got.architecture !== want.architecture) return false;
  // arm64 without a variant is v8; a wanted variant must match when both name one.
  const norm = (p: Platform) => p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined);
  return !want.variant || !got.variant || norm(want) === norm(got);
}

/** The index entry for the platform, or EPLATFORM listing what the index offers. */
export function selectPlatform(index: Index, want: Platform, image: string): Descriptor {
  const found = index.manifests.find((d) => MANIFEST_TYPES.includes(d.mediaType) && matches(want, d.platform));
  if (found) return found;
  const offered = index.manifests.filter((d) => d.platform && d.platform.architecture !== 'unknown').map((d) => formatPlatform(d.platform as Platform));
  throw new ImageError('EPLATFORM', `${image}: no manifest for ${formatPlatform(want)} (the image has ${offered.join(', ') || 'no platform entries'})`, image);
}
