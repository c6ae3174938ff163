// One step that writes files (RUN, COPY, ADD): an overlay root of the parent's
// layers with a fresh upper directory (lib/image/overlay/mount.ts, plain-diff
// options), the change made in it, and its upper directory committed as the new
// layer (./diff.ts). The mount is gone when the step ends, whatever happens.
//
// A lease keeps the build's layers alive while it runs: a directory under
// containers/ holding a flock and the list of layers, which is exactly what
// rmi's collection leaves alone for a running container (liveLayers), and what
// the next sweep removes if the build is killed.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../native/load';
import { mountOverlay } from '../../image/overlay/mount';
import type { LayerRecord, Store } from '../../image/store/store';
import { ensureLayer } from '../../image/unpack/layer';
import type { StepState } from '../state';
import { commitUpper } from './diff';

export class Lease {
  private readonly dir: string;
  private readonly fd: number;
  private readonly layers = new Set<string>();

  constructor(readonly store: Store) {
    this.dir = path.join(store.layout.containers, `build-${randomBytes(8).toString('hex')}`);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.fd = fs.openSync(path.join(this.dir, 'lock'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    native().flock(this.fd, true);
  }

  add(diffIds: string[]): void {
    const before = this.layers.size;
    for (const d of diffIds) this.layers.add(d);
    if (this.layers.size !== before) fs.writeFileSync(path.join(this.dir, 'layers'), [...this.layers].join('\n'));
  }

  release(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.closeSync(this.fd);
  }
}

/** Directories spawn() makes as mount points when the image lacks them; not part of a step's diff. */
const MOUNT_POINTS = ['proc', 'dev', 'sys'];

/**
 * transient: files bind-mounted over during the step (RUN's /etc/resolv.conf and
 * /etc/hosts): the mount covered them, so whatever stands at their place in
 * upper is the mount point spawn made (or its copy-up), never the step's work.
 */
export async function layerStep(store: Store, parent: StepState, lease: Lease, mutate: (rootfs: string) => Promise<void>, signal?: AbortSignal, transient: string[] = []): Promise<LayerRecord> {
  for (const l of parent.layers) await ensureLayer(store, l, 'build', signal);
  lease.add(parent.layers.map((l) => l.diffId));
  const root = mountOverlay(store.layout, parent.layers.map((l) => l.diffId), { plainDiff: true });
  try {
    const dirs = [...MOUNT_POINTS, ...new Set(transient.map((f) => path.posix.dirname(f)))];
    const missing = dirs.filter((d) => !fs.existsSync(path.join(root.rootfs, d)));
    // The transient files' directories as the lower layers have them: making a
    // mount point in one copies it up, which is not a change of the step's.
    const before = new Map<string, fs.Stats>();
    for (const d of new Set(transient.map((f) => path.posix.dirname(f)))) {
      try {
        before.set(d, fs.lstatSync(path.join(root.rootfs, d)));
      } catch {
        /* missing: handled above */
      }
    }
    await mutate(root.rootfs);
    signal?.throwIfAborted();
    root.unmount();
    const upper = root.upper as string;
    for (const f of transient) {
      try {
        if (!fs.lstatSync(path.join(upper, f)).isDirectory()) fs.rmSync(path.join(upper, f));
      } catch {
        /* not there */
      }
    }
    for (const [d, st] of before) {
      const p = path.join(upper, d);
      try {
        const now = fs.lstatSync(p);
        const same = now.isDirectory() && now.mode === st.mode && now.uid === st.uid && now.gid === st.gid;
        if (same && fs.readdirSync(p).length === 0 && !native().lgetxattr(p, 'trusted.overlay.opaque')) fs.rmdirSync(p);
      } catch {
        /* not copied up */
      }
    }
    for (const d of missing) {
      try {
        fs.rmdirSync(path.join(upper, d));
      } catch {
        /* the step put something there: it stays */
      }
    }
    const layer = await commitUpper(store, upper, signal);
    lease.add([layer.diffId]);
    return layer;
  } finally {
    root.release();
  }
}
