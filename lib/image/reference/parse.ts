// Image references as Docker normalises them (distribution/reference, "normalize.go"):
//   alpine                     -> docker.io/library/alpine:latest
//   user/app:1                 -> docker.io/user/app:1
//   localhost:5000/a/b@sha256: -> localhost:5000/a/b@sha256:<hex>
// The first path component is a registry host when it has a '.' or a ':' or is
// 'localhost'. Hand-written (about 60 lines): the grammar is small and fixed, and
// every accepted character ends up in a path or URL we build.
import { ImageError } from '../errors';

export const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:.]+\](?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface Reference {
  /** Registry host[:port], e.g. docker.io, localhost:5000. */
  domain: string;
  /** Repository path inside the registry, e.g. library/alpine. */
  path: string;
  /** The tag; 'latest' when neither tag nor digest was given. */
  tag?: string;
  digest?: string;
}

/** domain/path */
export function repository(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalised form: domain/path:tag, domain/path@digest or both. */
export function formatReference(ref: Reference): string {
  return `${repository(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Docker's short form: alpine:latest, user/app:1, localhost:5000/x:y. */
export function familiarName(ref: Reference): string {
  let r = repository(ref);
  if (ref.domain === DEFAULT_DOMAIN) r = ref.path.startsWith('library/') ? ref.path.slice(8) : ref.path;
  return `${r}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

export function parseReference(text: string, opts: { defaultTag?: boolean } = {}): Reference {
  const bad = (why: string): never => {
    throw new ImageError('EREFERENCE', `invalid reference format ${JSON.stringify(text)}: ${why}`, text);
  };
  if (typeof text !== 'string' || text.length === 0) bad('empty');
  if (text.length > 512) bad('too long');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad('a digest must be sha256: and 64 lowercase hex digits');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad('a tag is up to 128 of [A-Za-z0-9_.-], not starting with . or -');
  }
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    domain = parts.shift() as string;
    if (!DOMAIN.test(domain)) bad(`bad registry host "${domain}"`);
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    bad(/[A-Z]/.test(rest) ? 'repository name must be lowercase' : 'a name is lowercase components of [a-z0-9] joined by ., _, __ or -, separated by /');
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  if (domain.length + 1 + path.length > 255) bad('repository name longer than 255 characters');
  if (!tag && !digest && opts.defaultTag !== false) tag = 'latest';
  return { domain, path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** True for a bare image id or its prefix (hex), as `docker rmi 3f57d9401f8d` takes. */
export function looksLikeId(text: string): boolean {
  return /^(sha256:)?[0-9a-f]{12,64}$/.test(text);
}
