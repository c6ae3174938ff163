// The one seam between containers and where their root filesystem comes from.
// Today a directory given in the config (`Rootfs`); the image store will add
// a source that prepares an overlay of an image's layers for `Image`.
import * as fs from 'node:fs';
import type { OverlayRootfs } from '../spawn/options';
import type { ContainerConfig } from './container/config';
import { invalid } from '../util/engine-error';

export interface RootfsSource {
  /** Checks at create time that the config's root filesystem can be had; returns its description. */
  check(config: ContainerConfig): void;
  /** The root for one start of container id: a directory to pivot_root into, or an overlay spawn() mounts. */
  prepare(id: string, config: ContainerConfig): string | OverlayRootfs;
  /** Releases what prepare made (an overlay, say); called after each exit and at removal. */
  release(id: string): void;
}

export class DirectoryRootfs implements RootfsSource {
  check(config: ContainerConfig): void {
    if (config.Rootfs === undefined) throw invalid('invalid Image: this engine has no image store; give Rootfs (a root filesystem directory)');
    const st = fs.statSync(config.Rootfs as string, { throwIfNoEntry: false });
    if (!st) throw invalid(`invalid Rootfs: ${config.Rootfs} does not exist`);
    if (!st.isDirectory()) throw invalid(`invalid Rootfs: ${config.Rootfs} is not a directory`);
  }
  prepare(_id: string, config: ContainerConfig): string {
    return config.Rootfs as string;
  }
  release(): void {}
}
