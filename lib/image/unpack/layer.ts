// A layer unpacked once per diff id and shared by every image that has it. It is
// unpacked into a locked temp directory and renamed into image/layers/<hex> only
// when complete and its diff id checked: a layers/ directory is always whole.
import * as fs from 'node:fs';
import { ImageError } from '../errors';
import { fsyncDir } from '../../util/atomic';
import { withLock } from '../store/lock';
import type { LayerRecord, Store } from '../store/store';
import { unpackTar } from './unpack';

export async function ensureLayer(store: Store, layer: LayerRecord, image: string, signal?: AbortSignal): Promise<string> {
  const target = store.layout.layer(layer.diffId);
  if (fs.existsSync(target)) return target;
  return withLock(store.layout.layerLock(layer.diffId), async () => {
    if (fs.existsSync(target)) return target;
    const tmp = store.tempDir('layer');
    try {
      const stats = await unpackTar(store.blobStream(layer.digest), tmp.dir, signal);
      if (stats.diffId !== layer.diffId) {
        throw new ImageError('EDIGEST', `${image}: layer ${layer.digest} unpacks to ${stats.diffId}, but the image config says ${layer.diffId}`, image, layer.digest);
      }
      // A layer without a root entry: the directory made 0700 for unpacking opens up.
      if ((fs.statSync(tmp.dir).mode & 0o777) === 0o700) fs.chmodSync(tmp.dir, 0o755);
      fs.renameSync(tmp.dir, target);
      fsyncDir(store.layout.layers);
      return target;
    } catch (err) {
      fs.rmSync(tmp.dir, { recursive: true, force: true });
      if (err instanceof ImageError) throw err;
      if ((err as Error).name === 'AbortError') throw new ImageError('EABORTED', `${image}: cancelled while unpacking layer ${layer.digest}`, image, layer.digest);
      throw new ImageError('ELAYER', `${image}: layer ${layer.digest}: ${(err as Error).message}`, image, layer.digest, { cause: err });
    } finally {
      tmp.close();
    }
  }, signal);
}
