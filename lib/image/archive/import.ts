// `docker import`: an image of one layer made from a root filesystem tarball
// (plain or gzip), with a config of the caller's: Docker's --change instructions
// (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR) parsed
// here. The tar is stored as a blob as given, its diff id computed while it is
// read back once, and the layer unpacked (safely, lib/image/unpack) and recorded
// as a pulled image is (registerImage).
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { ImageError } from '../errors';
import { hostPlatform, MT, type ImageConfig, type Manifest } from '../manifest';
import type { Reference } from '../reference/parse';
import { registerImage } from '../register';
import type { ByteSource, ImageRecord, Store } from '../store/store';
import { AutoDecompress } from '../unpack/decompress';
import { layerType } from './load';

type Changes = NonNullable<ImageConfig['config']>;

/** JSON array form, or the shell form Docker wraps in /bin/sh -c. */
function command(text: string): string[] {
  if (text.trimStart().startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new TypeError(`not a JSON array of strings: ${text}`);
    return v as string[];
  }
  return ['/bin/sh', '-c', text];
}

/** Applies one Dockerfile-style instruction (docker import --change) to config; a TypeError names what is wrong. */
export function applyChange(config: Changes, change: string): void {
  const m = /^\s*([A-Za-z]+)\s+([\s\S]*\S)\s*$/.exec(change);
  if (!m) throw new TypeError(`expected "INSTRUCTION ARGUMENTS", got ${JSON.stringify(change)}`);
  const [, word, rest] = m;
  switch (word.toUpperCase()) {
    case 'CMD':
      config.Cmd = command(rest);
      break;
    case 'ENTRYPOINT':
      config.Entrypoint = command(rest);
      break;
    case 'ENV': {
      // ENV k=v [k=v...] or the legacy ENV k v.
      const pairs = rest.includes('=') ? rest.split(/\s+/).map((kv) => kv.split(/=(.*)/s).slice(0, 2)) : [rest.split(/\s+(.*)/s).slice(0, 2)];
      const env = [...(config.Env ?? [])];
      for (const [k, v = ''] of pairs) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new TypeError(`ENV: bad variable name ${JSON.stringify(k)}`);
        const i = env.findIndex((e) => e.split('=')[0] === k);
        if (i >= 0) env[i] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      config.Env = env;
      break;
    }
    case 'USER':
      config.User = rest;
      break;
    case 'WORKDIR':
      if (!rest.startsWith('/')) throw new TypeError(`WORKDIR must be an absolute path, got ${JSON.stringify(rest)}`);
      config.WorkingDir = rest;
      break;
    case 'STOPSIGNAL':
      config.StopSignal = rest;
      break;
    case 'VOLUME':
      config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries((rest.startsWith('[') ? command(rest) : rest.split(/\s+/)).map((v) => [v, {}])) };
      break;
    case 'EXPOSE':
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(rest.split(/\s+/).map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) };
      break;
    case 'LABEL': {
      const labels = { ...(config.Labels ?? {}) };
      for (const kv of rest.split(/\s+/)) {
        const [k, v = ''] = kv.split(/=(.*)/s);
        labels[k] = v.replace(/^"(.*)"$/, '$1');
      }
      config.Labels = labels;
      break;
    }
    default:
      throw new TypeError(`${word} is not an instruction docker import takes (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)`);
  }
}

export interface ImportOptions {
  /** The config's container settings (build with applyChange). */
  config?: Changes;
  tags?: Reference[];
  /** Named in errors. */
  image?: string;
  signal?: AbortSignal;
}

/** Stores the rootfs tarball `source` as a one-layer image; returns its record. */
export async function importRootfs(store: Store, source: ByteSource, opts: ImportOptions = {}): Promise<ImageRecord> {
  const what = opts.image ?? 'import';
  const layer = await store.putBlob(source, { signal: opts.signal, image: what });
  // The diff id: the sha256 of the uncompressed tar (image-spec config.md).
  const hash = createHash('sha256');
  try {
    await pipeline(store.blobStream(layer.digest), new AutoDecompress(), new Writable({ write: (c: Buffer, _e, cb) => (hash.update(c), cb()) }));
  } catch (err) {
    throw new ImageError('ELAYER', `${what}: the rootfs tarball is not a tar (plain or gzip): ${(err as Error).message}`, what, layer.digest);
  }
  const diffId = `sha256:${hash.digest('hex')}`;
  const created = new Date().toISOString();
  const platform = hostPlatform();
  const config: ImageConfig = {
    ...platform,
    created,
    config: opts.config ?? {},
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: 'bulkhead import', comment: 'Imported from a rootfs tarball' }],
  } as ImageConfig;
  const cb = await store.putBlob(Buffer.from(JSON.stringify(config)));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: cb.digest, size: cb.size },
    layers: [{ mediaType: layerType(store, layer.digest), digest: layer.digest, size: layer.size }],
  };
  const mb = await store.putBlob(Buffer.from(JSON.stringify(manifest)));
  return registerImage(store, { manifestDigest: mb.digest, manifestMediaType: MT.ociManifest, manifest, tags: opts.tags ?? [], image: what, signal: opts.signal });
}
