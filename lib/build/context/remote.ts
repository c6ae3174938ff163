// Remote sources (ADD https://..., ADD git@...): this machine has no network,
// so the builder refuses them with one clear line; where a network exists the
// builder may fetch instead (isRemoteSource tells it which sources those are).
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

