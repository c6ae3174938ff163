// The build cache: one small JSON file per step under <data root>/build/cache/,
// named by the digest of what decides the step's result (the parent image id,
// the instruction after substitution, the build args in scope, and for COPY/ADD
// the content hash of the sources), holding the config and layers the step
// made. Files are written atomically under a lock; an entry is valid only while
// every layer it names is still in the image store (blob and unpacked
// directory), so removing the images that own its layers (rmi collects what no
// image uses) prunes it: the next lookup, or prune(), drops it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withLock } from '../image/store/lock';
import type { Store } from '../image/store/store';
import { isTempName, writeFileAtomic } from '../util/atomic';
import { stateOf, type BuildConfig, type StepState } from './state';

export interface CacheKeyInput {
  parent: string;
  instruction: string;
  args?: Array<[string, string]>;
  content?: string;
}

interface Entry {
  version: 1;
  config: BuildConfig;
  layers: StepState['layers'];
}

export class BuildCache {
  readonly dir: string;

  constructor(readonly store: Store) {
    this.dir = path.join(store.root, 'build', 'cache');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  key(input: CacheKeyInput): string {
    return createHash('sha256').update(JSON.stringify([input.parent, input.instruction, input.args ?? [], input.content ?? ''])).digest('hex');
  }

  private file(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  private valid(e: Entry): boolean {
    return e.layers.every((l) => this.store.hasBlob(l.digest) && fs.existsSync(this.store.layout.layer(l.diffId)));
  }

  /** The state a step made before, or undefined. */
  get(key: string): StepState | undefined {
    let e: Entry;
    try {
      e = JSON.parse(fs.readFileSync(this.file(key), 'utf8')) as Entry;
    } catch {
      return undefined;
    }
    // A stale entry is a miss; it is removed by prune() (under the lock: a writer may be replacing it now) or overwritten by put().
    if (e.version !== 1 || !e.config || !Array.isArray(e.layers) || !this.valid(e)) return undefined;
    return stateOf(e.config, e.layers);
  }

  async put(key: string, state: StepState): Promise<void> {
    const entry: Entry = { version: 1, config: state.config, layers: state.layers };
    await withLock(this.lock, () => writeFileAtomic(this.file(key), JSON.stringify(entry), { mode: 0o600 }));
  }

  /** One lock for writers (never deleted: see lib/image/store/lock.ts). */
  private get lock(): string {
    return path.join(this.dir, '.lock');
  }

  /** Drops entries whose layers are gone from the store; returns how many. */
  async prune(): Promise<number> {
    return withLock(this.lock, () => {
      let n = 0;
      for (const name of fs.readdirSync(this.dir)) {
        if (!name.endsWith('.json')) {
          // A temp file of a writer killed mid-write (writers hold the lock we hold).
          if (isTempName(name)) fs.rmSync(path.join(this.dir, name), { force: true });
          continue;
        }
        if (this.get(name.slice(0, -5)) === undefined) {
          fs.rmSync(path.join(this.dir, name), { force: true });
          n++;
        }
      }
      return n;
    });
  }
}
