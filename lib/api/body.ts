// Request bodies: read up to a cap (a larger body is refused with 400 as soon
// as the cap is passed, and the rest is never buffered), parsed as JSON.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    // Drained without buffering, so that the client finishes its write and reads
    // the answer instead of meeting a reset (EPIPE) mid-body.
    req.resume();
    return Promise.reject(new HttpError(400, `request body too large: ${declared} bytes, the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        req.off('data', onData);
        // Keep draining without buffering, so the answer can still be read by the client.
        req.resume();
        reject(new HttpError(400, `request body too large: more than ${limit} bytes`));
        return;
      }
      parts.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** The body as a JSON object ({} when empty); 400 naming the problem otherwise. */
export async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const buf = await readBody(req, limit);
  if (buf.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `invalid JSON: ${(err as Error).message}`);
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'invalid JSON: the body must be an object');
  return v as Record<string, unknown>;
}
