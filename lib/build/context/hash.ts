// The content hash of a COPY/ADD's sources, for the build cache: sha256 over,
// for each source in order, its kind and the name it takes, then for each entry
// its relative path, type, permission bits, size and content (a file's bytes,
// a symlink's target). Not hashed: mtimes (a touch without a change keeps the
// cache, as Docker's content-based cache does), atimes, inode numbers, and
// owners (a copy is owned by 0:0 or by --chown, which is part of the
// instruction's own cache key). Files .dockerignore leaves out were never
// resolved, so they cannot change the hash. Each field is length-prefixed, so
// no two different sets share an encoding.
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { withFd } from './fsat';
import type { SourceSet } from './sources';

const field = (h: Hash, s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  h.update(`${b.length}:`);
  h.update(b);
};

/** `sha256:<hex>` of the sources' content; reads every file through a confined fd. */
export async function hashSources(set: SourceSet): Promise<string> {
  const h = createHash('sha256');
  field(h, 'bulkhead-copy-v1');
  const buf = Buffer.allocUnsafe(1 << 16);
  let sinceYield = 0;
  for (const src of set.sources) {
    field(h, src.type);
    field(h, src.type === 'file' ? src.name : '');
    field(h, String(src.entries.length));
    for (const e of src.entries) {
      field(h, e.rel);
      field(h, e.type);
      field(h, e.mode.toString(8));
      if (e.type === 'symlink') field(h, e.linkTarget ?? '');
      else if (e.type === 'file') {
        const rel = e.rel === '' ? src.rel : src.rel === '' ? e.rel : `${src.rel}/${e.rel}`;
        const fd = set.root.openCanonical(rel, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        const content = createHash('sha256');
        let size = 0;
        await withFdAsync(fd, async () => {
          for (;;) {
            // Small files synchronously (a thread-pool round trip costs more
            // than the read), large ones off the event loop.
            const bytesRead = e.size < SMALL ? fs.readSync(fd, buf, 0, buf.length, null) : (await readAsync(fd, buf)).bytesRead;
            if (bytesRead === 0) break;
            content.update(buf.subarray(0, bytesRead));
            size += bytesRead;
          }
        });
        field(h, String(size));
        field(h, content.digest());
        // Small files are read synchronously: let the event loop breathe between batches.
        if (++sinceYield >= 64) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    }
  }
  return `sha256:${h.digest('hex')}`;
}

const SMALL = 1 << 20;

const readAsync = (fd: number, buf: Buffer) =>
  new Promise<{ bytesRead: number }>((resolve, reject) => fs.read(fd, buf, 0, buf.length, null, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead }))));

async function withFdAsync(fd: number, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    withFd(fd, () => undefined);
  }
}
