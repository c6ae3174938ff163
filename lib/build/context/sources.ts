// COPY and ADD sources resolved as Docker's classic builder resolves them
// (builder/dockerfile/copier.go calcCopyInfo): a source is relative to the root
// even when written absolute ('/x' is the context's x, '.' the whole context);
// a source with an unescaped '*', '?' or '[' is a Go filepath.Match pattern
// matched against every root-relative path (a match on a directory takes the
// whole directory); a named path follows symlinks, inside the root; a directory
// source stands for its content. In a context, a path .dockerignore leaves out
// is absent, as it is from the tar the docker CLI sends.
import * as fs from 'node:fs';
import * as path from 'node:path/posix';
import { ContextError, errnoOf } from './errors';
import { components } from './fsat';
import { BadPatternError, goMatch, hasWildcards, validatePattern } from './match';
import { isRemoteSource, remoteSourceError } from './remote';
import { entryOf, type Entry, type SourceRoot } from './root';

export interface ResolvedSource {
  /** The source as written in the instruction. */
  source: string;
  /** The canonical root-relative path it resolved to ('' for the root itself), no symlink on it. */
  rel: string;
  /** The name a file source takes inside a directory destination (the base name as written or matched). */
  name: string;
  type: 'file' | 'dir';
  /** A file: one entry (rel ''). A directory: itself (rel '') and then its content, depth first. */
  entries: Entry[];
}

/** What a COPY or ADD reads: the root it reads from and its sources, in order. */
export interface SourceSet {
  root: SourceRoot;
  sources: ResolvedSource[];
}

export interface ResolveOptions {
  /** The instruction, for the messages ("COPY failed: ..."). Default 'COPY'. */
  instruction?: 'COPY' | 'ADD';
}

/** Resolves the sources of one COPY or ADD against a root (the context or another root). */
export function resolveSources(root: SourceRoot, sources: string[], options: ResolveOptions = {}): SourceSet {
  if (!Array.isArray(sources) || sources.length === 0 || sources.some((s) => typeof s !== 'string' || s === '')) {
    throw Object.assign(new TypeError(`sources: expected a non-empty array of non-empty strings, got ${JSON.stringify(sources)}`), { code: 'ERR_INVALID_ARG_VALUE', option: 'sources' });
  }
  const instr = options.instruction ?? 'COPY';
  const out: ResolvedSource[] = [];
  for (const source of sources) {
    if (isRemoteSource(source)) throw remoteSourceError(source, instr);
    // copier.go: a leading '/' and './' are dropped; the rest is relative to the root.
    let p = source.replace(/^\/+/, '');
    if (p.startsWith('./')) p = p.slice(2);
    if (hasWildcards(p)) out.push(...glob(root, source, p, instr));
    else out.push(named(root, source, p, instr));
  }
  return { root, sources: out };
}

const notFound = (root: SourceRoot, instr: string, source: string, cause?: unknown) =>
  new ContextError(
    'ENOTFOUND',
    root.kind === 'context'
      ? `${instr} failed: file not found in build context or excluded by .dockerignore: stat ${source}: file does not exist`
      : `${instr} failed: stat ${source}: file does not exist`,
    source,
    { cause },
  );

const outside = (instr: string, source: string, cause?: unknown) => new ContextError('EOUTSIDE', `${instr} failed: forbidden path outside the build context: ${source} ()`, source, { cause });

/** Whether a path climbs above its start with '..' (lexically, before any symlink). */
function climbsOut(p: string): boolean {
  let depth = 0;
  for (const c of components(p)) {
    depth += c === '..' ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}

function named(root: SourceRoot, source: string, p: string, instr: string, matchedName?: string): ResolvedSource {
  if (climbsOut(p)) throw outside(instr, source);
  const lexical = path.normalize('/' + p).slice(1);
  // An excluded directory with an exception below it is in Docker's context
  // (as the parent of what the exception brings back); anything else excluded is not.
  const partly = (rel: string) => rel !== '' && root.excludes(rel) && root.ignore.mayIncludeUnder(rel);
  if (lexical !== '' && root.excludes(lexical) && !partly(lexical)) throw notFound(root, instr, source);
  let resolved: { rel: string; stat: fs.Stats };
  try {
    resolved = root.canonical(components(p).join('/'));
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EXDEV') throw outside(instr, source, err);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(root, instr, source, err);
    if (code === 'ELOOP') throw new ContextError('ENOTFOUND', `${instr} failed: stat ${source}: too many levels of symbolic links`, source, { cause: err });
    throw new ContextError('EIO', `${instr} failed: stat ${source}: ${(err as Error).message}`, source, { cause: err });
  }
  // A symlink to a file .dockerignore leaves out dangles in the context Docker sees.
  if (resolved.rel !== '' && root.excludes(resolved.rel) && !partly(resolved.rel)) throw notFound(root, instr, source);
  const top = entryOf(resolved.stat, '');
  if (!top || top.type === 'symlink') throw new ContextError('ENOTFOUND', `${instr} failed: ${source}: not a regular file or directory`, source);
  if (top.type === 'file' && (partly(lexical) || partly(resolved.rel))) throw notFound(root, instr, source);
  if (root.excludes(resolved.rel) && resolved.rel !== '') {
    top.implicit = true;
    top.mode = 0o755;
  }
  const name = matchedName ?? path.basename(lexical === '' ? '.' : lexical);
  if (top.type === 'file') return { source, rel: resolved.rel, name, type: 'file', entries: [top] };
  const entries: Entry[] = [top];
  root.walk(resolved.rel, (e) => {
    entries.push(e);
  });
  return { source, rel: resolved.rel, name, type: 'dir', entries: dropEmptyImplicit(entries) };
}

/** Directories walked only for an exception below them, where nothing below was included. */
function dropEmptyImplicit(entries: Entry[]): Entry[] {
  if (!entries.some((e) => e.implicit)) return entries;
  const keep = new Set<string>();
  for (const e of entries) {
    if (e.implicit) continue;
    for (let d = path.dirname(e.rel); d !== '.' && d !== '' && !keep.has(d); d = path.dirname(d)) keep.add(d);
  }
  return entries.filter((e) => !e.implicit || e.rel === '' || keep.has(e.rel));
}

function glob(root: SourceRoot, source: string, pattern: string, instr: string): ResolvedSource[] {
  pattern = path.normalize(pattern).replace(/\/+$/, '');
  try {
    validatePattern(pattern);
  } catch (err) {
    if (err instanceof BadPatternError) throw new ContextError('EPATTERN', `${instr} failed: ${source}: syntax error in pattern`, source, { cause: err });
    throw err;
  }
  if (climbsOut(pattern)) throw outside(instr, source);
  // '*' and '?' never match '/': without a class, deeper paths cannot match.
  const maxDepth = pattern.includes('[') ? Infinity : pattern.split('/').length;
  const matches: string[] = [];
  root.walk('', (e, rootRel) => {
    if (goMatch(pattern, rootRel)) {
      matches.push(rootRel);
      return false; // a matched directory is copied whole
    }
    return rootRel.split('/').length < maxDepth;
  });
  if (matches.length === 0) throw new ContextError('ENOSOURCE', `${instr} failed: no source files were specified`, source);
  return matches.map((m) => named(root, source, m, instr, path.basename(m)));
}
