// Errors of the build context, worded as Docker's classic builder words them so
// that `bulkhead build` prints what `docker build` prints. The message is whole
// (with the instruction's "COPY failed: " prefix where Docker has one); `code`
// says which kind of failure it is, `path` which source or entry is at fault.

export type ContextErrorCode =
  | 'ENOTFOUND' // a source missing from the context, or excluded by .dockerignore
  | 'EOUTSIDE' // a path or symlink leading outside the context (or a tar entry outside its directory)
  | 'ENOSOURCE' // a glob that matched nothing
  | 'EPATTERN' // a malformed .dockerignore or glob pattern
  | 'EDEST' // a destination that cannot take the sources
  | 'EUSER' // --chown naming a user or group the destination root lacks
  | 'ENETWORK' // ADD of a URL that could not be fetched (no network: DNS, refused, unreachable, timeout)
  | 'EHTTP' // ADD of a URL answered with an HTTP error status
  | 'EARCHIVE' // an archive or context tar that cannot be read (or a compression not supported)
  | 'ETOOBIG' // a context tar (or an ADD download) past its size limit
  | 'ECHANGED' // a source replaced (by a symlink, or removed) between resolution and reading
  | 'EIO'; // a system call failed (errno in cause)

export class ContextError extends Error {
  constructor(
    readonly code: ContextErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ContextError';
  }
}

/** The errno name of a system call failure, if it is one. */
export const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;
