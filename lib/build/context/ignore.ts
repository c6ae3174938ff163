// .dockerignore with Docker's rules. Parsing follows moby's dockerignore.ReadAll:
// a UTF-8 BOM is dropped, a line whose first character is '#' is a comment (one
// with leading blanks is a pattern), blanks around a pattern and after '!' are
// trimmed, each pattern is filepath.Clean'ed and a leading '/' removed. Matching
// (moby/patternmatcher: '*' and '?' within one path element, '**' across any
// number, '[...]' classes, '\' escapes, '!' exceptions where the last matching
// pattern wins, and a path excluded when one of its parent directories is) is
// @balena/dockerignore's, a port of Docker's Go matcher tested against `docker
// build` itself, given case-sensitive matching as on Linux.
//
// As the docker CLI does, the Dockerfile and .dockerignore are always read by
// the builder even when ignored; COPY and ADD still do not see them.
import * as path from 'node:path/posix';
import ignore, { type Ignore } from '@balena/dockerignore';
import { ContextError } from './errors';

export interface IgnorePattern {
  /** The cleaned pattern, without its '!'. */
  pattern: string;
  /** A '!' exception: matching paths are included again. */
  exclusion: boolean;
}

/** The patterns of a .dockerignore text, in order. A lone '!' is refused as Docker refuses it. */
export function parseDockerignore(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const exclusion = p[0] === '!';
    if (exclusion) p = p.slice(1).trim();
    if (p.length > 0) {
      p = path.normalize(p);
      if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1); // filepath.Clean drops a trailing '/'
      if (p.length > 1 && p[0] === '/') p = p.slice(1);
    }
    if (p === '') {
      if (exclusion) throw new ContextError('EPATTERN', 'failed to parse .dockerignore: illegal exclusion pattern: "!"');
      continue;
    }
    out.push({ pattern: p, exclusion });
  }
  return out;
}

/**
 * The package (a port of moby 19.03) passes '+', '(', ')', '|', '{' and '}'
 * into its regular expression as operators; moby/patternmatcher has since
 * escaped them (its shouldEscape), so 'a(b)c' and 'x+y.whl' match themselves.
 * A backslash before them does the same through the package's own escaping.
 */
function quoteMeta(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      out += c + pattern[++i];
    } else out += '+()|{}'.includes(c) ? `\\${c}` : c;
  }
  return out;
}

/**
 * moby/patternmatcher treats a pattern that starts with '**' and has no other
 * wildcard as a suffix ("**.log" excludes a.log and x/b.log; "**file" myfile):
 * its suffixMatch. The port compiles it as "(.*\/)?" + the rest instead, which
 * needs a whole path element; "**" + "/*" + the rest says what Docker does.
 */
function suffixForm(pattern: string): string {
  if (!pattern.startsWith('**') || pattern.length < 3 || pattern[2] === '/') return pattern;
  return /[*?[\]\\]/.test(pattern.slice(2)) ? pattern : `**/*${pattern.slice(2)}`;
}

export class IgnoreMatcher {
  private readonly ig: Ignore;
  private readonly cache = new Map<string, boolean>();

  constructor(readonly patterns: IgnorePattern[]) {
    this.ig = ignore({ ignorecase: false }).add(patterns.map((p) => (p.exclusion ? '!' : '') + quoteMeta(suffixForm(p.pattern))));
    // The package caches answers in a plain object, where a path named
    // "constructor" or "__proto__" would find Object.prototype's members; a
    // prototype-less object has none (tested in test/unit/build/context/ignore).
    (this.ig as unknown as { _cache: object })._cache = Object.create(null);
    try {
      // Every pattern is compiled to a regular expression on first use: a bad
      // one ('[a-') fails here rather than in the middle of a walk.
      this.ig.ignores('a/b/c/d/e/f/g/h');
    } catch (err) {
      throw new ContextError('EPATTERN', `failed to parse .dockerignore: syntax error in pattern: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  static empty(): IgnoreMatcher {
    return new IgnoreMatcher([]);
  }

  /** Whether the context-relative path (no leading '/', '/'-separated) is left out of the context. */
  excludes(rel: string): boolean {
    rel = path.normalize(rel).replace(/^\/+/, '').replace(/\/+$/, '');
    if (rel === '.' || rel === '' || this.patterns.length === 0) return false;
    let hit = this.cache.get(rel);
    if (hit === undefined) {
      hit = this.ig.ignores(rel);
      this.cache.set(rel, hit);
    }
    return hit;
  }

  /**
   * Whether an excluded directory must still be walked because an exception
   * may re-include something below it: the docker CLI's rule, an exception
   * pattern that begins with the directory's path followed by '/'.
   */
  mayIncludeUnder(dirRel: string): boolean {
    const prefix = dirRel.replace(/\/+$/, '') + '/';
    return this.patterns.some((p) => p.exclusion && (p.pattern + '/').startsWith(prefix));
  }
}
