// Typed image errors. Every failure names the image (and the blob or layer digest
// when one is at fault), so that the CLI can print it as one line.

export type ImageErrorCode =
  | 'EREFERENCE' // malformed reference
  | 'ENOTFOUND' // unknown image, locally or in the registry
  | 'EAUTH' // the registry refused our credentials (401/403)
  | 'EREGISTRY' // the registry answered with an error or garbage
  | 'EDIGEST' // content does not match its digest
  | 'EPLATFORM' // no manifest for the wanted platform
  | 'ELAYER' // a layer is corrupt, truncated or hostile
  | 'EABORTED' // cancelled through an AbortSignal
  | 'EARCHIVE' // a docker-archive / OCI layout that cannot be read
  | 'EINUSE'; // an image still used (by a tag or a running container)

export class ImageError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    message: string,
    readonly image?: string,
    readonly digest?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageError';
  }
}

/** Rethrows an abort as EABORTED naming the image. */
export function checkAborted(signal: AbortSignal | undefined, image: string): void {
  if (signal?.aborted) throw new ImageError('EABORTED', `${image}: pull cancelled`, image);
}
