// `bulkhead save`: a docker-archive as `docker save` writes it (manifest.json,
// <config hex>.json, <diff id hex>/layer.tar, repositories), readable by
// `docker load` and `skopeo copy docker-archive:`. Layers are written
// uncompressed, as Docker does: a tar entry needs its size first, so each layer
// is decompressed into a temp file in the store's tmp/ and streamed from there.
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { ImageError } from '../errors';
import { familiarName, parseReference } from '../reference/parse';
import type { ImageRecord, Store } from '../store/store';
import { AutoDecompress } from '../unpack/decompress';

export interface SaveItem {
  image: ImageRecord;
  /** Tags to record, normalised (domain/path:tag). */
  tags: string[];
}

function addBuffer(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve())));
}

async function addFile(pack: tar.Pack, name: string, file: string): Promise<void> {
  const size = fs.statSync(file).size;
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name, size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
    fs.createReadStream(file).on('error', reject).pipe(entry);
  });
}

export async function saveArchive(store: Store, items: SaveItem[], file: string): Promise<void> {
  const tmpOut = `${file}.tmp-${process.pid}`;
  const pack = tar.pack();
  const out = fs.createWriteStream(tmpOut, { mode: 0o644 });
  const written = pipeline(pack as unknown as NodeJS.ReadableStream, out);
  const scratch = store.tempDir('save');
  try {
    const manifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
    const repositories: Record<string, Record<string, string>> = {};
    const seen = new Set<string>();
    for (const { image, tags } of items) {
      const cfgName = `${image.id.slice(7)}.json`;
      if (!seen.has(cfgName)) {
        seen.add(cfgName);
        await addBuffer(pack, cfgName, store.readBlob(image.id));
      }
      const layers: string[] = [];
      for (const l of image.layers) {
        const hex = l.diffId.slice(7);
        const name = `${hex}/layer.tar`;
        if (!seen.has(name)) {
          seen.add(name);
          const tmp = `${scratch.dir}/${hex}`;
          await pipeline(store.blobStream(l.digest), new AutoDecompress(), fs.createWriteStream(tmp));
          await addBuffer(pack, `${hex}/VERSION`, Buffer.from('1.0'));
          await addFile(pack, name, tmp);
          fs.rmSync(tmp);
        }
        layers.push(name);
      }
      const repoTags = tags.map((t) => familiarName(parseReference(t)));
      for (const t of repoTags) {
        const at = t.lastIndexOf(':');
        (repositories[t.slice(0, at)] ??= {})[t.slice(at + 1)] = layers.length ? layers[layers.length - 1].split('/')[0] : '';
      }
      manifest.push({ Config: cfgName, RepoTags: repoTags, Layers: layers });
    }
    await addBuffer(pack, 'manifest.json', Buffer.from(JSON.stringify(manifest)));
    await addBuffer(pack, 'repositories', Buffer.from(JSON.stringify(repositories)));
    pack.finalize();
    await written;
    fs.renameSync(tmpOut, file);
  } catch (err) {
    pack.destroy();
    out.destroy();
    fs.rmSync(tmpOut, { force: true });
    throw err instanceof ImageError ? err : new ImageError('EARCHIVE', `${file}: ${(err as Error).message}`, undefined, undefined, { cause: err });
  } finally {
    fs.rmSync(scratch.dir, { recursive: true, force: true });
    scratch.close();
  }
}
