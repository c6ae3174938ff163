// A layer unpacked once per diff id and shared by every image that has it. It is
// unpacked into a locked temp directory and renamed into image/layers/<hex> only
// when complete, its diff id checked and its blob verified: a layers/ directory
// is always whole, and never made from bytes that failed their digest.
import * as fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { ImageError } from '../errors';
import { fsyncDir } from '../../util/atomic';
import { withLock } from '../store/lock';
import type { ByteSource, LayerRecord, PutOptions, Store } from '../store/store';
import { unpackTar, type UnpackStats } from './unpack';

function layerError(err: unknown, layer: LayerRecord, image: string): ImageError {
  if (err instanceof ImageError) return err;
  if ((err as Error).name === 'AbortError') return new ImageError('EABORTED', `${image}: cancelled while unpacking layer ${layer.digest}`, image, layer.digest);
  return new ImageError('ELAYER', `${image}: layer ${layer.digest}: ${(err as Error).message}`, image, layer.digest, { cause: err });
}

/** Checks the diff id and renames the temp directory into place (under the layer's lock). */
function commitLayer(store: Store, layer: LayerRecord, image: string, dir: string, stats: UnpackStats): string {
  if (stats.diffId !== layer.diffId) {
    throw new ImageError('EDIGEST', `${image}: layer ${layer.digest} unpacks to ${stats.diffId}, but the image config says ${layer.diffId}`, image, layer.digest);
  }
  // A layer without a root entry: the directory made 0700 for unpacking opens up.
  if ((fs.statSync(dir).mode & 0o777) === 0o700) fs.chmodSync(dir, 0o755);
  const target = store.layout.layer(layer.diffId);
  fs.renameSync(dir, target);
  fsyncDir(store.layout.layers);
  return target;
}

async function unpackFrom(store: Store, layer: LayerRecord, image: string, source: Readable, signal?: AbortSignal): Promise<string> {
  const tmp = store.tempDir('layer');
  try {
    return commitLayer(store, layer, image, tmp.dir, await unpackTar(source, tmp.dir, signal));
  } catch (err) {
    fs.rmSync(tmp.dir, { recursive: true, force: true });
    throw layerError(err, layer, image);
  } finally {
    tmp.close();
  }
}

export async function ensureLayer(store: Store, layer: LayerRecord, image: string, signal?: AbortSignal): Promise<string> {
  const target = store.layout.layer(layer.diffId);
  if (fs.existsSync(target)) return target;
  return withLock(store.layout.layerLock(layer.diffId), async () => {
    if (fs.existsSync(target)) return target;
    return unpackFrom(store, layer, image, store.blobStream(layer.digest), signal);
  }, signal);
}

/**
 * Downloads a layer's blob and unpacks it at once: each chunk goes to the blob's
 * temp file (hashed) and into the unpacker (into a temp directory). The layer is
 * committed only after the blob's digest matched and was committed itself, and
 * the diff id matched. The layer's lock is taken before the blob's (as nowhere
 * else both are held), so two pulls cannot wait on each other.
 */
export async function pullLayer(store: Store, layer: LayerRecord, image: string, open: () => Promise<ByteSource>, opts: PutOptions = {}): Promise<{ fetched: boolean }> {
  const target = store.layout.layer(layer.diffId);
  const signal = opts.signal;
  if (fs.existsSync(target)) return store.ensureBlob(layer.digest, open, opts);
  return withLock(store.layout.layerLock(layer.diffId), async () => {
    if (fs.existsSync(target)) return store.ensureBlob(layer.digest, open, opts);
    const tmp = store.tempDir('layer');
    // Up to 4 MiB queued between the download and the unpacker.
    const pass = new PassThrough({ highWaterMark: 4 << 20 });
    let unpackErr: unknown;
    const unpacking = unpackTar(pass, tmp.dir, signal).catch((err: unknown) => {
      unpackErr = err;
      return null;
    });
    const tee = async (chunk: Buffer) => {
      if (unpackErr !== undefined || pass.destroyed) return;
      if (!pass.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            pass.off('drain', done);
            pass.off('close', done);
            resolve();
          };
          pass.on('drain', done);
          pass.on('close', done);
        });
      }
    };
    try {
      let r: { fetched: boolean };
      try {
        r = await store.ensureBlob(layer.digest, open, { ...opts, tee });
      } catch (err) {
        pass.destroy();
        await unpacking;
        throw err;
      }
      if (!r.fetched) {
        // Another process stored the blob meanwhile: nothing went through the tee.
        pass.destroy();
        await unpacking;
        fs.rmSync(tmp.dir, { recursive: true, force: true });
        await unpackFrom(store, layer, image, store.blobStream(layer.digest), signal);
        return r;
      }
      pass.end();
      const stats = await unpacking;
      if (stats === null) throw layerError(unpackErr, layer, image);
      commitLayer(store, layer, image, tmp.dir, stats);
      return r;
    } catch (err) {
      fs.rmSync(tmp.dir, { recursive: true, force: true });
      throw layerError(err, layer, image);
    } finally {
      tmp.close();
    }
  }, signal);
}
