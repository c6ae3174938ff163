// The build context of `bulkhead build` (issue #17): what COPY and ADD read and
// how they write. Layer 5 (uses util, native, image).
//
// Exported API (all paths '/'-separated; every failure a ContextError with
// `code` and Docker's wording, bad arguments a TypeError/RangeError):
//   openContext(dir, { dockerfile?, ignoreFile? }) -> BuildContext
//       .dir (realpath), .fd, .kind 'context', .dockerfile { path, content: Buffer },
//       .ignore (IgnoreMatcher), .excludes(rel), .walk(base, visit), .close()
//     The context directory, its .dockerignore parsed (BuildKit's
//     <Dockerfile>.dockerignore first) and its Dockerfile read (even when
//     .dockerignore names it, as Docker does; COPY then does not see it). Every
//     later lookup is openat2 RESOLVE_BENEATH: a path or symlink leading out is refused.
//   openRoot(dir) -> SourceRoot: another root for COPY --from=stage|image (a
//     merged directory; absolute symlinks resolve inside it: RESOLVE_IN_ROOT). close() it.
//   resolveSources(root, ['a', 'src/*.js', 'dir/'], { instruction?: 'COPY'|'ADD' }) -> SourceSet
//     { root, sources: ResolvedSource[] { source, rel, name, type: 'file'|'dir', entries: Entry[] } }
//     codes ENOTFOUND, EOUTSIDE, ENOSOURCE, EPATTERN, ENETWORK (a URL; split URLs off first
//     with isRemoteSource when the builder can fetch):
//     "COPY failed: file not found in build context or excluded by .dockerignore: stat x: file does not exist",
//     "COPY failed: forbidden path outside the build context: ../x ()", "COPY failed: no source files were specified".
//   hashSources(set) -> Promise<'sha256:...'>: the cache key of the content (no mtimes, no owners).
//   copyInto(mergedDir, set, dest, { chown?, chmod?, workdir? }) -> Promise<CopyStats
//     { files, dirs, symlinks, bytes, hardlinksCopiedAsFiles }>: Docker's COPY rules into
//     a layer's merged directory, writes confined with RESOLVE_IN_ROOT (codes EUSER, EIO, ECHANGED).
//   addInto(mergedDir, set, dest, options) -> Promise<AddStats (CopyStats & { archives })>:
//     ADD: local tar, tar.gz, tar.zst unpacked at dest (lib/image/unpack), other files
//     copied as COPY; bzip2/xz archives refused (EARCHIVE).
//   isRemoteSource(src) -> boolean; remoteSourceError(url, instruction?) -> ContextError
//     (ENETWORK: "ADD from a URL needs network access, which this machine does not have: URL ...").
//   downloadSource(url, { timeoutMs?, maxBytes?, signal? }) -> Promise<Download { dir, name, bytes, close() }>:
//     ADD <URL>: fetched (redirects followed) into a temporary dir as one 0600 file named from
//     the URL path, mtime from Last-Modified; copy it with openRoot(dir) + copyInto (never unpacked).
//     codes ENETWORK (no answer: remoteSourceError's text + ": cause"), EHTTP ("ADD failed: URL: HTTP 404"), ETOOBIG.
//   archiveKind(root, rel) -> Promise<'tar'|'gzip'|'zstd'|'bzip2'|'xz'|null>; isTarHeader(block).
//   extractContextTar(stream, emptyDir, { maxBytes?, signal? }) -> Promise<{ entries, bytes, skipped }>:
//     the daemon's POST /build body (plain, gzip or zstd) into an empty directory,
//     confined (codes EOUTSIDE, ETOOBIG, EARCHIVE, EDEST); then openContext(emptyDir, ...).
//   parseDockerignore(text) -> IgnorePattern[]; new IgnoreMatcher(patterns).excludes(rel).
//   goMatch(pattern, name), hasWildcards(name): Go filepath.Match as Docker's COPY uses it.
//   resolveChown(rootDir, 'user[:group]') -> { uid, gid }; parseChmod('755') -> 0o755;
//   destination(dest, workdir?, forceDir?) -> { comps, dirLike }.
//   ContextError { code, message, path }.
export { ContextError, type ContextErrorCode } from './errors';
export { IgnoreMatcher, parseDockerignore, type IgnorePattern } from './ignore';
export { BadPatternError, goMatch, hasWildcards } from './match';
export { BuildContext, SourceRoot, openContext, openRoot, type Entry, type EntryType, type OpenContextOptions } from './root';
export { resolveSources, type ResolvedSource, type ResolveOptions, type SourceSet } from './sources';
export { hashSources } from './hash';
export { copyInto, destination, parseChmod, type CopyOptions, type CopyStats } from './copy';
export { resolveChown } from './chown';
export { addInto, archiveKind, isTarHeader, type AddStats, type ArchiveKind } from './add';
export { isRemoteSource, remoteSourceError } from './remote';
export { downloadName, downloadSource, type Download, type DownloadOptions } from './download';
export { extractContextTar, type ExtractOptions, type ExtractStats } from './extract';
