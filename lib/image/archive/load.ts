// `bulkhead load`: docker-archive (what `docker save` writes: manifest.json with
// Config, RepoTags and Layers, layers as tars, shared ones as symlinks) and OCI
// image layouts (oci-layout, index.json, blobs/sha256/<hex>; OCI image-spec
// image-layout.md), as a directory or a tar, plain or gzip. Every blob is
// streamed into the store and verified; nothing is kept in memory but small files.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { ImageError } from '../errors';
import { hostPlatform, INDEX_TYPES, MT, parseManifest, selectPlatform, type Manifest } from '../manifest';
import { formatReference, parseReference, type Reference } from '../reference/parse';
import { registerImage } from '../register';
import type { ImageRecord, Platform, Store } from '../store/store';
import { AutoDecompress, detectCompression } from '../unpack/decompress';

const SMALL = 1 << 20;

interface Member {
  buf?: Buffer;
  digest?: string;
  size: number;
}

/** The files of an archive: small ones in memory, big ones already streamed into the store. */
class Members {
  readonly files = new Map<string, Member>();
  readonly links = new Map<string, string>();
  constructor(
    private readonly store: Store,
    private readonly what: string,
    private readonly dir?: string,
  ) {}

  resolve(name: string): string {
    let n = path.posix.normalize(name).replace(/^(\.\/|\/)+/, '');
    for (let hops = 0; this.links.has(n); hops++) {
      if (hops > 16) throw new ImageError('EARCHIVE', `${this.what}: symlink loop at ${name}`);
      n = this.links.get(n) as string;
    }
    return n;
  }

  has(name: string): boolean {
    const n = this.resolve(name);
    return this.files.has(n) || (!!this.dir && fs.existsSync(path.join(this.dir, n)));
  }

  read(name: string): Buffer {
    const n = this.resolve(name);
    const m = this.files.get(n);
    if (m?.buf) return m.buf;
    if (m?.digest) return this.store.readBlob(m.digest);
    if (this.dir) {
      try {
        return fs.readFileSync(path.join(this.dir, n));
      } catch {
        /* below */
      }
    }
    throw new ImageError('EARCHIVE', `${this.what}: missing ${name}`);
  }

  /** The member as a blob in the store; `expected` (from an OCI blob name or descriptor) must match. */
  async blob(name: string, expected?: string): Promise<{ digest: string; size: number }> {
    const n = this.resolve(name);
    const m = this.files.get(n);
    let got: { digest: string; size: number };
    if (m?.digest) got = { digest: m.digest, size: m.size };
    else if (m?.buf) got = await this.store.putBlob(m.buf);
    else if (this.dir) {
      const file = path.join(this.dir, n);
      if (!fs.existsSync(file)) throw new ImageError('EARCHIVE', `${this.what}: missing ${name}`);
      if (expected) {
        await this.store.ensureBlob(expected, async () => fs.createReadStream(file), { image: this.what });
        got = { digest: expected, size: this.store.blobSize(expected) };
      } else got = await this.store.putBlob(fs.createReadStream(file));
    } else throw new ImageError('EARCHIVE', `${this.what}: missing ${name}`);
    if (expected && got.digest !== expected) throw new ImageError('EDIGEST', `${this.what}: ${name} hashes to ${got.digest}, expected ${expected}`, undefined, expected);
    return got;
  }
}

async function readTar(store: Store, file: string, what: string): Promise<Members> {
  const members = new Members(store, what);
  const extract = tar.extract();
  let pipeErr: Error | undefined;
  const done = new Promise<void>((resolve) =>
    pipeline(fs.createReadStream(file), new AutoDecompress(), extract as unknown as NodeJS.WritableStream, (err) => {
      if (err) pipeErr = err;
      resolve();
    }),
  );
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const name = path.posix.normalize(h.name).replace(/^(\.\/|\/)+/, '').replace(/\/$/, '');
      if (h.type === 'symlink') members.links.set(name, path.posix.normalize(path.posix.join(path.posix.dirname(name), h.linkname ?? '')));
      else if (h.type === 'link') members.links.set(name, path.posix.normalize((h.linkname ?? '').replace(/^(\.\/|\/)+/, '')));
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      const stream = entry as unknown as Readable;
      if ((h.size ?? 0) <= SMALL) {
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        const buf = Buffer.concat(chunks);
        members.files.set(name, { buf, size: buf.length });
      } else {
        const b = await store.putBlob(stream as AsyncIterable<Buffer>);
        members.files.set(name, { digest: b.digest, size: b.size });
      }
    }
    await done;
    if (pipeErr) throw pipeErr;
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError('EARCHIVE', `${what}: cannot read the archive: ${(err as Error).message}`, undefined, undefined, { cause: err });
  }
  return members;
}

export function layerType(store: Store, digest: string): string {
  const fd = fs.openSync(store.layout.blob(digest), 'r');
  const head = Buffer.alloc(4);
  try {
    fs.readSync(fd, head, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  const c = detectCompression(head);
  return c === 'gzip' ? MT.ociLayerGzip : c === 'zstd' ? MT.ociLayerZstd : MT.ociLayer;
}

function tagsOf(names: string[] | null | undefined, what: string): Reference[] {
  const out: Reference[] = [];
  for (const n of names ?? []) {
    try {
      out.push(parseReference(n));
    } catch {
      throw new ImageError('EARCHIVE', `${what}: bad RepoTags entry ${JSON.stringify(n)}`);
    }
  }
  return out;
}

export interface LoadedImage {
  image: ImageRecord;
  /** The names the archive gave it, normalised. */
  tags: string[];
}

async function loadDockerArchive(store: Store, m: Members, what: string, signal?: AbortSignal): Promise<LoadedImage[]> {
  let entries: Array<{ Config: string; RepoTags?: string[] | null; Layers: string[] }>;
  try {
    entries = JSON.parse(m.read('manifest.json').toString('utf8'));
    if (!Array.isArray(entries)) throw new Error('not a list');
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError('EARCHIVE', `${what}: manifest.json is not a docker-archive manifest`);
  }
  const out: LoadedImage[] = [];
  for (const e of entries) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new ImageError('EARCHIVE', `${what}: manifest.json entry without Config and Layers`);
    const config = await m.blob(e.Config);
    const layers = [];
    for (const l of e.Layers) {
      const b = await m.blob(l);
      layers.push({ mediaType: layerType(store, b.digest), digest: b.digest, size: b.size });
    }
    const manifest: Manifest = { schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: config.digest, size: config.size }, layers };
    const mb = await store.putBlob(Buffer.from(JSON.stringify(manifest)));
    const tags = tagsOf(e.RepoTags, what);
    out.push({ image: await registerImage(store, { manifestDigest: mb.digest, manifestMediaType: MT.ociManifest, manifest, tags, image: e.RepoTags?.[0] ?? what, signal }), tags: tags.map((t) => formatReference(t)) });
  }
  return out;
}

async function loadOciLayout(store: Store, m: Members, what: string, platform: Platform, signal?: AbortSignal): Promise<LoadedImage[]> {
  const blobName = (d: string) => `blobs/${d.replace(':', '/')}`;
  const index = parseManifest(m.read('index.json'), what, MT.ociIndex);
  if (index.kind !== 'index') throw new ImageError('EARCHIVE', `${what}: index.json is not an image index`);
  const out: LoadedImage[] = [];
  for (const top of index.index.manifests) {
    const ann = top.annotations ?? {};
    const name = ann['io.containerd.image.name'] ?? ann['org.opencontainers.image.ref.name'];
    let tags: Reference[] = [];
    if (name) {
      try {
        // A bare tag ("latest", as skopeo writes for oci:DIR:TAG) names no repository: loaded untagged.
        if (name.includes('/') || !/^[\w][\w.-]*$/.test(name)) tags = [parseReference(name)];
      } catch {
        throw new ImageError('EARCHIVE', `${what}: bad image name annotation ${JSON.stringify(name)}`);
      }
    }
    let desc = top;
    const image = name ?? what;
    if (INDEX_TYPES.includes(desc.mediaType)) {
      await m.blob(blobName(desc.digest), desc.digest);
      const inner = parseManifest(m.read(blobName(desc.digest)), image, desc.mediaType);
      if (inner.kind !== 'index') throw new ImageError('EARCHIVE', `${image}: ${desc.digest} is not an index`);
      desc = selectPlatform(inner.index, platform, image);
    }
    const mb = await m.blob(blobName(desc.digest), desc.digest);
    const parsed = parseManifest(m.read(blobName(desc.digest)), image, desc.mediaType);
    if (parsed.kind !== 'manifest') throw new ImageError('EARCHIVE', `${image}: nested indexes deeper than one level`);
    await m.blob(blobName(parsed.manifest.config.digest), parsed.manifest.config.digest);
    for (const l of parsed.manifest.layers) await m.blob(blobName(l.digest), l.digest);
    out.push({ image: await registerImage(store, { manifestDigest: mb.digest, manifestMediaType: parsed.mediaType, manifest: parsed.manifest, tags, image, signal }), tags: tags.map((t) => formatReference(t)) });
  }
  return out;
}

export interface LoadOptions {
  platform?: Platform;
  signal?: AbortSignal;
}

/** Loads every image of a docker-archive or an OCI layout (directory, tar, tar.gz). */
export async function loadArchive(store: Store, file: string, opts: LoadOptions = {}): Promise<LoadedImage[]> {
  const what = path.basename(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw new ImageError('EARCHIVE', `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const members = st.isDirectory() ? new Members(store, what, file) : await readTar(store, file, what);
  if (members.has('manifest.json')) return loadDockerArchive(store, members, what, opts.signal);
  if (members.has('index.json') && members.has('oci-layout')) return loadOciLayout(store, members, what, opts.platform ?? hostPlatform(), opts.signal);
  throw new ImageError('EARCHIVE', `${file}: neither a docker-archive (manifest.json) nor an OCI layout (oci-layout, index.json)`);
}

/** sha256 of a buffer as a digest string. */
export function digestOf(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}
