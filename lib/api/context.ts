// What a handler gets for one request: the parsed path and query, the body,
// and a way to answer: JSON, no content, a stream, or the connection itself
// (hijacked, for attach and exec start).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpError } from './errors';
import { readJson } from './body';

export interface Ctx {
  req: IncomingMessage;
  method: string;
  path: string;
  version: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body ({} when empty), read under the size cap. */
  body(): Promise<Record<string, unknown>>;
  json(status: number, value: unknown): void;
  noContent(status?: number): void;
  /** Starts a streamed answer (chunked); write to it, end it. */
  stream(status: number, contentType: string): ServerResponse | Duplex;
  /**
   * Takes the connection: writes 101 UPGRADED (the client asked for
   * `Upgrade: tcp`) or 200 OK with the stream's content type, and returns the
   * socket; from then on it carries the raw stream both ways.
   */
  hijack(contentType: string): Duplex;
  /** The client asked for `Upgrade: tcp`: a hijacked connection carries input too. */
  readonly upgraded: boolean;
  /** True once something was sent. */
  readonly answered: boolean;
}

/** Query booleans as Go's strconv.ParseBool and Docker's httputils.BoolValue: 1, true, True... */
export function qbool(q: URLSearchParams, key: string, dflt = false): boolean {
  const v = q.get(key);
  if (v === null || v === '') return dflt;
  return !['0', 'false', 'no', 'off', 'f', 'False', 'FALSE'].includes(v.trim());
}

export function qint(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new HttpError(400, `invalid value for ${key}: ${JSON.stringify(v)}: not an integer`);
  return Number(v);
}

/** The `filters` query parameter: {"key":["v"]} or Docker's older {"key":{"v":true}}. */
export function qfilters(q: URLSearchParams): Record<string, string[]> {
  const raw = q.get('filters');
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new HttpError(400, `invalid filter: ${raw}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, `invalid filter: ${raw}`);
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v)) {
    if (Array.isArray(val)) out[k] = val.map(String);
    else if (typeof val === 'object' && val !== null) out[k] = Object.keys(val).filter((x) => (val as Record<string, unknown>)[x]);
    else throw new HttpError(400, `invalid filter: ${raw}`);
  }
  return out;
}

export function makeCtx(
  req: IncomingMessage,
  res: ServerResponse | null,
  socket: Duplex,
  info: { path: string; version: string; query: URLSearchParams; bodyLimit: number },
): Ctx {
  let answered = false;
  const upgrade = res === null;
  const rawHead = (status: number, reason: string, headers: Record<string, string>) => {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  };
  const ctx: Ctx = {
    req,
    method: req.method ?? 'GET',
    path: info.path,
    version: info.version,
    params: {},
    query: info.query,
    body: () => readJson(req, info.bodyLimit),
    json(status, value) {
      answered = true;
      const body = req.method === 'HEAD' ? '' : JSON.stringify(value) + '\n';
      if (res) {
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      } else {
        rawHead(status, status < 300 ? 'OK' : 'Error', { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' });
        socket.end(body);
      }
    },
    noContent(status = 204) {
      answered = true;
      if (res) {
        res.writeHead(status);
        res.end();
      } else {
        rawHead(status, 'No Content', { Connection: 'close' });
        socket.end();
      }
    },
    stream(status, contentType) {
      answered = true;
      if (res) {
        res.writeHead(status, { 'Content-Type': contentType });
        res.flushHeaders();
        return res;
      }
      rawHead(status, 'OK', { 'Content-Type': contentType, Connection: 'close' });
      return socket;
    },
    hijack(contentType) {
      answered = true;
      if (upgrade) {
        rawHead(101, 'UPGRADED', { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' });
        return socket;
      }
      // An attach without Upgrade: a plain streamed answer, output only (no way for input to come).
      res!.writeHead(200, { 'Content-Type': contentType });
      res!.flushHeaders();
      return res as unknown as Duplex;
    },
    upgraded: upgrade,
    get answered() {
      return answered;
    },
  };
  return ctx;
}
