// Errors as dockerd answers them (api/server/httpstatus, errdefs): a status by
// the error's class and a JSON body {"message": ...}. The engine's EngineError
// carries its class; TypeError/RangeError from a library's argument checks are
// bad parameters (400); anything else is a real internal failure (500).
import { EngineError } from '../util/engine-error';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const notFoundHttp = (message: string): HttpError => new HttpError(404, message);

export function statusOf(err: unknown): { status: number; message: string; internal: boolean } {
  if (err instanceof HttpError || err instanceof EngineError) return { status: err.statusCode, message: err.message, internal: false };
  if (err instanceof TypeError || err instanceof RangeError) return { status: 400, message: err.message, internal: false };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, message, internal: true };
}
