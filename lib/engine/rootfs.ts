// The one seam between containers and where their root filesystem comes from:
// a directory given in the config (`Rootfs`, DirectoryRootfs here), or an image
// (lib/api's StoreRootfs: an overlay of the image's layers).
//
// A source that gives each container a writable layer of its own (an overlay's
// upper and work directories) says so with writable(): the engine then makes
// those two directories inside the container's directory at create, records
// them, hands them to every prepare() (each start and restart mounts the same
// layer again, so what a container wrote lasts until it is removed, as in
// Docker), and removes them with the container's directory. A create cut short
// leaves them in a directory without a record, which the next open removes.
import * as fs from 'node:fs';
import type { OverlayRootfs } from '../spawn/options';
import type { ContainerConfig } from './container/config';
import { invalid } from '../util/engine-error';

/** A container's writable layer: overlayfs' upperdir and workdir (same filesystem). */
export interface WritableLayer {
  UpperDir: string;
  WorkDir: string;
}

export interface RootfsSource {
  /** Checks at create time that the config's root filesystem can be had; returns its description. */
  check(config: ContainerConfig): void;
  /** The mount paths the image declares as volumes (its config's Volumes): each container made from it gets an anonymous volume there. */
  volumes?(config: ContainerConfig): string[];
  /** Whether containers with this config get a writable layer kept from create to removal (see above). */
  writable?(config: ContainerConfig): boolean;
  /**
   * Runs fn with a directory holding the image's content (read-only), at
   * create, to fill new volumes from it. Absent: the config's Rootfs is used.
   */
  withContent?(config: ContainerConfig, fn: (root: string) => void): void;
  /** The root for one start of container id (on its writable layer, when it has one): a directory to pivot_root into, or an overlay spawn() mounts. */
  prepare(id: string, config: ContainerConfig, layer?: WritableLayer): string | OverlayRootfs;
  /** Releases what prepare made (an overlay mount, say); called after each exit and at removal. Never removes the writable layer. */
  release(id: string): void;
  /** Unmounts what a killed engine process left mounted; called when an engine opens, before it removes anything. */
  reclaim?(): void;
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
