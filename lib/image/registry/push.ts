// Push (distribution-spec "Pushing blobs", "Pushing manifests"): each blob is
// skipped when the registry has it (HEAD), mounted from another repository of the
// same registry when the image came from one (POST ?mount=&from=, 201 Created),
// else uploaded: monolithic (POST then PUT ?digest= with the whole body streamed
// from the store) or, above chunkSize, chunked (PATCH with Content-Range, the
// Location of each answer being the next URL, then PUT ?digest=). The manifest
// goes last, so that a registry never holds a manifest without its blobs.
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { ImageError } from '../errors';
import { formatReference, type Reference } from '../reference/parse';
import type { ImageRecord, Store } from '../store/store';
import { RegistryClient, type ClientOptions } from './client';

export interface PushOptions extends Omit<ClientOptions, 'image'> {
  /** Blobs larger than this go up in chunks of this size (default 8 MiB). */
  chunkSize?: number;
  onProgress?: (line: string) => void;
}

export async function pushImage(store: Store, image: ImageRecord, ref: Reference, opts: PushOptions = {}): Promise<string> {
  const name = formatReference(ref);
  const client = new RegistryClient(ref.domain, { ...opts, image: name });
  const repo = ref.path;
  const chunk = opts.chunkSize ?? 8 << 20;
  const say = opts.onProgress ?? (() => undefined);
  const mountFrom = image.repoDigests.map((r) => r.split('@')[0]).filter((r) => r.startsWith(`${ref.domain}/`) && r !== `${ref.domain}/${repo}`).map((r) => r.slice(ref.domain.length + 1));
  const rw = { actions: 'pull,push' as const };
  const abs = (loc: string | null) => {
    if (!loc) throw new ImageError('EREGISTRY', `${name}: upload answered without a Location`, name);
    return new URL(loc, client.base).toString();
  };
  const withDigest = (loc: string, digest: string) => {
    const u = new URL(loc);
    u.searchParams.set('digest', digest);
    return u.toString();
  };

  const pushBlob = async (digest: string, size: number) => {
    const short = digest.slice(7, 19);
    const head = await client.request(repo, `${repo}/blobs/${digest}`, { method: 'HEAD', ok: [404], ...rw });
    if (head.status === 200) return say(`${short}: Layer already exists`);
    let location: string | undefined;
    for (const from of mountFrom) {
      const res = await client.request(repo, `${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { method: 'POST', ok: [201, 202], ...rw, once: true });
      await res.body?.cancel();
      if (res.status === 201) return say(`${short}: Mounted from ${from}`);
      location = abs(res.headers.get('location'));
      break;
    }
    if (!location) {
      const res = await client.request(repo, `${repo}/blobs/uploads/`, { method: 'POST', ok: [202], ...rw, once: true });
      await res.body?.cancel();
      location = abs(res.headers.get('location'));
    }
    const file = store.layout.blob(digest);
    if (size <= chunk) {
      const res = await client.request(repo, withDigest(location, digest), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body: Readable.toWeb(fs.createReadStream(file)) as unknown as ReadableStream,
        ok: [201],
        ...rw,
        once: true,
      });
      await res.body?.cancel();
    } else {
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.alloc(chunk);
        for (let off = 0; off < size; ) {
          const n = fs.readSync(fd, buf, 0, Math.min(chunk, size - off), off);
          const res = await client.request(repo, location, {
            method: 'PATCH',
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(n), 'content-range': `${off}-${off + n - 1}` },
            body: buf.subarray(0, n),
            ok: [202],
            ...rw,
            once: true,
          });
          await res.body?.cancel();
          location = abs(res.headers.get('location'));
          off += n;
          say(`${short}: Pushing ${off}/${size}`);
        }
      } finally {
        fs.closeSync(fd);
      }
      const res = await client.request(repo, withDigest(location, digest), { method: 'PUT', headers: { 'content-length': '0' }, ok: [201], ...rw, once: true });
      await res.body?.cancel();
    }
    say(`${short}: Pushed`);
  };

  for (const l of image.layers) await pushBlob(l.digest, l.size);
  await pushBlob(image.id, store.blobSize(image.id));
  const manifest = store.readBlob(image.manifest);
  const res = await client.request(repo, `${repo}/manifests/${ref.tag ?? ref.digest ?? 'latest'}`, {
    method: 'PUT',
    headers: { 'content-type': image.manifestMediaType },
    body: manifest,
    ok: [201],
    ...rw,
    once: true,
  });
  await res.body?.cancel();
  return image.manifest;
}
