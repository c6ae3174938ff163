// The seam for images. Until lib/image lands, an "image" is a name mapped to a
// root filesystem directory (bulkheadd --rootfs-image NAME=DIR); the API asks
// this interface only, so the image store replaces DirectoryImages without
// touching a handler. Every lookup that finds nothing answers "No such image".
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { EngineError } from '../util/engine-error';

export interface ImageRecord {
  /** "sha256:<hex>" */
  Id: string;
  RepoTags: string[];
  RepoDigests?: string[];
  Created: number;
  Size: number;
  /** The image's default config (Cmd, Entrypoint, Env, WorkingDir, User), as an image's config holds it. */
  Config: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; WorkingDir?: string; User?: string; Volumes?: Record<string, object>; Labels?: Record<string, string> };
  /** Where the root filesystem is, for the engine's Rootfs; '' for a store image (an overlay made at start). */
  rootfs: string;
}

export interface ImageSource {
  /** The image a reference names (name, name:tag, docker.io/library/name:tag, an id or id prefix), or null. */
  resolve(ref: string): ImageRecord | null;
  list(): ImageRecord[];
  /** The image store behind pull, push, tag, remove, load, save and prune; absent: those answer 501. */
  readonly store?: import('../image/images').Images;
}

export const noSuchImage = (ref: string): EngineError => new EngineError('NOT_FOUND', `No such image: ${ref}`);

/** "busybox" -> "busybox:latest"; "docker.io/library/busybox" -> "busybox:latest" (Docker's familiar form). */
export function familiarName(ref: string): string {
  let r = ref.replace(/^(docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
  const lastSlash = r.lastIndexOf('/');
  if (!r.includes('@') && !r.slice(lastSlash + 1).includes(':')) r += ':latest';
  return r;
}

/** Parses "NAME=DIR" (the daemon option). */
export function parseRootfsImage(v: string): { name: string; dir: string } {
  const i = v.indexOf('=');
  if (i <= 0) throw new RangeError(`--rootfs-image: expected NAME=DIR, got ${JSON.stringify(v)}`);
  const name = v.slice(0, i);
  const dir = v.slice(i + 1);
  if (!/^[a-z0-9][a-z0-9._\-/:]*$/.test(name)) throw new RangeError(`--rootfs-image: invalid image name ${JSON.stringify(name)} (lowercase letters, digits, . _ - / :)`);
  if (!path.isAbsolute(dir)) throw new RangeError(`--rootfs-image: ${JSON.stringify(dir)} is not an absolute path`);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new RangeError(`--rootfs-image: ${dir} is not a directory`);
  return { name, dir };
}

export class DirectoryImages implements ImageSource {
  private readonly images: ImageRecord[];

  constructor(map: Array<{ name: string; dir: string }>) {
    this.images = map.map(({ name, dir }) => {
      const tag = familiarName(name);
      const st = fs.statSync(dir);
      // A rootfs with a shell gets the shell as its default command, as busybox's image does.
      const sh = fs.existsSync(path.join(dir, 'bin', 'sh'));
      return {
        Id: `sha256:${createHash('sha256').update(`${tag}\0${dir}`).digest('hex')}`,
        RepoTags: [tag],
        Created: Math.floor(st.mtimeMs / 1000),
        Size: 0,
        Config: { ...(sh ? { Cmd: ['sh'] } : {}), Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
        rootfs: dir,
      };
    });
  }

  resolve(ref: string): ImageRecord | null {
    if (typeof ref !== 'string' || ref === '') return null;
    const tag = familiarName(ref);
    const byTag = this.images.find((i) => i.RepoTags.includes(tag));
    if (byTag) return byTag;
    const hex = ref.replace(/^sha256:/, '');
    if (/^[0-9a-f]{4,64}$/.test(hex)) {
      const hits = this.images.filter((i) => i.Id.slice(7).startsWith(hex));
      if (hits.length === 1) return hits[0]!;
    }
    return null;
  }

  list(): ImageRecord[] {
    return [...this.images];
  }
}
