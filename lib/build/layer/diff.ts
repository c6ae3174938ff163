// A build step's layer from the overlay upper directory it wrote: the upper
// directory is the diff (kernel Documentation/filesystems/overlayfs.rst "whiteouts
// and opaque directories"), so it is walked once and written as a tar with the
// OCI whiteouts (image-spec layer.md "Whiteouts"): a 0/0 character device NAME
// becomes an empty file .wh.NAME, a directory with trusted.overlay.opaque=y gets
// a .wh..wh..opq entry. The tar is hashed (the diff id) and gzipped, and the gzip
// hashed (the blob digest) by the store while it is spooled: one streaming pass.
// The upper directory is then renamed in as the layer's unpacked directory (it
// already holds overlay whiteouts, which is how lib/image/unpack stores layers),
// so the layer is not unpacked again.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { native } from '../../native/load';
import { MT } from '../../image/manifest';
import { withLock } from '../../image/store/lock';
import type { LayerRecord, Store } from '../../image/store/store';
import { fsyncDir } from '../../util/atomic';
import { patchTarStreamEncode } from './pax';

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;

/** Header fields common to every entry. */
function base(name: string, st: fs.BigIntStats | fs.Stats) {
  return { name, mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid), mtime: new Date(Number(st.mtimeMs)) };
}

const major = (rdev: number) => ((rdev >>> 8) & 0xfff) | ((Math.floor(rdev / 2 ** 32) & 0xfffff000) >>> 0);
const minor = (rdev: number) => (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body?: fs.ReadStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!body) {
      // An empty buffer: without one tar-stream waits for a body to be written.
      pack.entry(header as tar.Header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
      return;
    }
    const sink = pack.entry(header as tar.Header, (err) => (err ? reject(err) : resolve()));
    body.on('error', reject);
    body.pipe(sink);
  });
}

/** Writes the tar of dir (sorted, so the same tree gives the same diff id). */
async function writeTar(pack: tar.Pack, dir: string, signal?: AbortSignal): Promise<void> {
  const links = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const names = fs.readdirSync(path.join(dir, rel)).sort();
    for (const n of names) {
      signal?.throwIfAborted();
      const relName = rel ? `${rel}/${n}` : n;
      const full = path.join(dir, relName);
      const st = fs.lstatSync(full);
      const type = st.mode & S_IFMT;
      if (type === S_IFCHR && st.rdev === 0) {
        // An overlay whiteout: NAME was deleted.
        await entry(pack, { ...base(rel ? `${rel}/.wh.${n}` : `.wh.${n}`, st), mode: 0o644, type: 'file', size: 0 });
        continue;
      }
      if (st.isDirectory()) {
        await entry(pack, { ...base(`${relName}/`, st), type: 'directory' });
        const opaque = native().lgetxattr(full, 'trusted.overlay.opaque');
        // An opaque directory: nothing of the lower layers' directory shows.
        if (opaque && opaque.toString() === 'y') await entry(pack, { ...base(`${relName}/.wh..wh..opq`, st), mode: 0o644, type: 'file', size: 0 });
        await walk(relName);
        continue;
      }
      if (type === S_IFSOCK) continue; // sockets are not archived (tar(5) has no type for them)
      if (st.isFile() && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first !== undefined) {
          await entry(pack, { ...base(relName, st), type: 'link', linkname: first, size: 0 });
          continue;
        }
        links.set(key, relName);
      }
      if (st.isFile()) {
        // File capabilities (setcap in a RUN), kept as Docker keeps them; other xattrs are not listed (no listxattr in the addon).
        const cap = native().lgetxattr(full, 'security.capability');
        const pax = cap ? { pax: { 'SCHILY.xattr.security.capability': cap.toString('latin1') } } : {};
        await entry(pack, { ...base(relName, st), type: 'file', size: st.size, ...pax }, fs.createReadStream(full));
      }
      else if (st.isSymbolicLink()) await entry(pack, { ...base(relName, st), type: 'symlink', linkname: fs.readlinkSync(full) });
      else if (type === S_IFCHR || type === S_IFBLK) await entry(pack, { ...base(relName, st), type: type === S_IFCHR ? 'character-device' : 'block-device', devmajor: major(st.rdev), devminor: minor(st.rdev) });
      else if (type === S_IFIFO) await entry(pack, { ...base(relName, st), type: 'fifo' });
    }
  };
  await walk('');
  pack.finalize();
}

/**
 * Archives upper (the diff of one step) into the store and installs it as the
 * layer's directory. upper is consumed: renamed into image/layers, or removed
 * when that layer already exists. Returns the layer as a manifest names it.
 */
export async function commitUpper(store: Store, upper: string, signal?: AbortSignal): Promise<LayerRecord> {
  patchTarStreamEncode();
  const pack = tar.pack();
  const diff = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      diff.update(chunk);
      cb(null, chunk);
    },
  });
  const gzip = zlib.createGzip();
  const writing = writeTar(pack, upper, signal).catch((err) => {
    pack.destroy(err);
    throw err;
  });
  const piping = pipeline(pack, tap, gzip).catch(() => undefined);
  let blob: { digest: string; size: number };
  try {
    [blob] = await Promise.all([store.putBlob(gzip, signal ? { signal } : {}), writing, piping]);
  } catch (err) {
    gzip.destroy();
    throw err;
  }
  const diffId = `sha256:${diff.digest('hex')}`;
  const target = store.layout.layer(diffId);
  await withLock(store.layout.layerLock(diffId), () => {
    if (fs.existsSync(target)) return;
    // The layer's root: the mode lib/image/unpack gives a layer with no root entry.
    fs.chmodSync(upper, 0o755);
    fs.renameSync(upper, target);
    fsyncDir(store.layout.layers);
  });
  fs.rmSync(upper, { recursive: true, force: true });
  return { digest: blob.digest, diffId, size: blob.size, mediaType: MT.dockerLayerGzip };
}
