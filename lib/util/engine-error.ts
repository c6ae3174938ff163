// The engine's one error type. `code` says what went wrong the way Docker's API
// classifies it (errdefs), and `statusCode` is the HTTP status that class maps to.

export type EngineErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID_PARAMETER' | 'NOT_IMPLEMENTED' | 'UNAVAILABLE' | 'FORBIDDEN';

const STATUS: Record<EngineErrorCode, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_PARAMETER: 400,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  FORBIDDEN: 403,
};

export class EngineError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
    this.statusCode = STATUS[code];
  }
}

export const notFound = (what: string, ref: string): EngineError => new EngineError('NOT_FOUND', `No such ${what}: ${ref}`);
export const conflict = (message: string): EngineError => new EngineError('CONFLICT', message);
export const invalid = (message: string): EngineError => new EngineError('INVALID_PARAMETER', message);
