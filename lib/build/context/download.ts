// ADD <URL>: the file is downloaded as Docker's classic builder does
// (moby builder/dockerfile/copy.go downloadSource): on every build (the cache
// key is the hash of the bytes, so the builder cannot know it without them),
// redirects followed, into a private temporary directory as one file named
// from the URL's path, mode 0600, mtime from Last-Modified (the Unix epoch
// without one, as moby's Chtimes of a zero time), never unpacked. The builder
// then copies that file with copyInto from openRoot(dir): the write into the
// image root is the same confined one as COPY's.
// Node's built-in fetch (undici) does the HTTP; a failure before a status
// (DNS, refused, unreachable, the timeout) is ENETWORK with the cause.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextError } from './errors';
import { remoteSourceError } from './remote';

export interface DownloadOptions {
  /** The whole request, headers and body, in ms (default 10 minutes). */
  timeoutMs?: number;
  /** The largest body accepted, in bytes (default 1 GiB). */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface Download {
  /** The temporary directory holding the file: openRoot(dir), then resolveSources(root, [name]). */
  dir: string;
  /** The file's name in dir (the last component of the URL's path). */
  name: string;
  bytes: number;
  /** Removes dir. */
  close(): void;
}

/** Docker's getFilenameForDownload: the last component of the URL's path (decoded). */
export function downloadName(url: string): string {
  let p: string;
  try {
    p = decodeURIComponent(new URL(url).pathname);
  } catch {
    p = '';
  }
  const name = p.endsWith('/') ? '' : path.posix.basename(p);
  if (name === '' || name === '.' || name === '..' || name.includes('\0')) {
    throw new ContextError('ENOTFOUND', `ADD failed: cannot determine filename for source ${url}`, url);
  }
  return name;
}

function networkError(url: string, err: unknown): ContextError {
  const base = remoteSourceError(url, 'ADD');
  const cause = (err as { cause?: unknown }).cause ?? err;
  const c = cause as { code?: string; message?: string; name?: string };
  const why = c.name === 'TimeoutError' ? 'timed out' : [c.code, c.message].filter((x) => x && x !== 'fetch failed').join(' ') || String(cause);
  return new ContextError('ENETWORK', `${base.message}: ${why}`, url, { cause: err });
}

/** Downloads url into a fresh temporary directory (removed on failure). */
export async function downloadSource(url: string, options: DownloadOptions = {}): Promise<Download> {
  const name = downloadName(url);
  const maxBytes = options.maxBytes ?? 1 << 30;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10 * 60_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw networkError(url, err);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new ContextError('EHTTP', `ADD failed: ${url}: HTTP ${res.status}`, url);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new ContextError('ETOOBIG', `ADD failed: ${url}: ${declared} bytes is more than the limit of ${maxBytes}`, url);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-add-'));
  const close = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, name);
    // 0600 as Docker creates it; O_EXCL in a directory only this process knows.
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    let bytes = 0;
    try {
      if (res.body) {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          bytes += chunk.length;
          if (bytes > maxBytes) throw new ContextError('ETOOBIG', `ADD failed: ${url}: more than the limit of ${maxBytes} bytes`, url);
          let off = 0;
          while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
        }
      }
      fs.fchmodSync(fd, 0o600);
      // Last-Modified (RFC 9110 8.8.2, an HTTP-date); the epoch without one.
      const lm = res.headers.get('last-modified');
      const t = lm ? Date.parse(lm) : NaN;
      const mtime = Number.isFinite(t) && t > 0 ? new Date(t) : new Date(0);
      fs.futimesSync(fd, mtime, mtime);
    } finally {
      fs.closeSync(fd);
    }
    return { dir, name, bytes, close };
  } catch (err) {
    close();
    if (err instanceof ContextError || options.signal?.aborted) throw err;
    throw networkError(url, err);
  }
}
