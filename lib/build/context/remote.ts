// Remote sources (ADD https://..., ADD git@...): resolveSources refuses them
// with one clear line; the builder splits http(s) URLs off first
// (isRemoteSource) and downloads them (download.ts), whose network failures
// carry the same line and their cause. git sources stay refused.
import { ContextError } from './errors';

/** Docker's urlutil.IsURL (http:// and https://), and git sources (BuildKit's ADD of a repository). */
export function isRemoteSource(src: string): boolean {
  return /^https?:\/\//i.test(src) || /^git@[^:]+:/.test(src) || /^git:\/\//i.test(src);
}

/** The error for a remote source where the builder will not fetch it. */
export function remoteSourceError(url: string, instruction: 'ADD' | 'COPY' = 'ADD'): ContextError {
  if (instruction === 'COPY') return new ContextError('ENOTFOUND', `COPY failed: source can't be a URL for COPY`, url);
  return new ContextError('ENETWORK', `ADD from a URL needs network access, which this machine does not have: ${url} (download it into the build context and ADD or COPY the file)`, url);
}

