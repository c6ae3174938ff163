// The Docker Engine API over HTTP/1.1 (node:http): versioned routing, JSON
// errors worded as dockerd's, streamed answers, and hijacked connections for
// attach (the client sends `Connection: Upgrade`, `Upgrade: tcp`; node hands
// such a request to the 'upgrade' event with the raw socket).
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { Engine } from '../engine/index';
import { Router } from './router';
import { makeCtx, type Ctx } from './context';
import { stripVersion, API_VERSION } from './version';
import { HttpError, statusOf } from './errors';
import { DEFAULT_BODY_LIMIT } from './body';
import type { ImageSource } from './images';
import type { ApiState, DockerEvent } from './state';
import * as sys from './handlers/system';
import * as ctr from './handlers/containers';
import * as vol from './handlers/volumes';
import * as img from './handlers/images';
import * as exec from './handlers/exec';
import * as net from './handlers/networks';
import * as bld from './handlers/build';
import { DEFAULT_CONTEXT_LIMIT } from './handlers/build';

type Handler = (ctx: Ctx, s: ApiState, head: Buffer) => void | Promise<void>;

export interface ApiServerOptions {
  engine: Engine;
  images: ImageSource;
  version?: string;
  bodyLimit?: number;
  /** The largest build context unpacked by POST /build (default 4 GiB, counted after decompression). */
  buildContextLimit?: number;
  /** Called with one line for each failure answered 500 and, when set, each request. */
  log?: (line: string) => void;
  logRequests?: boolean;
  /** Lines for /info's Warnings (the daemon's own, such as a default network it could not make). */
  warnings?: string[];
}

const MAX_EVENTS = 1024;

function routes(): Router<Handler> {
  const r = new Router<Handler>();
  r.add('GET', '/version', sys.version)
    .add('GET', '/info', sys.info)
    .add('GET', '/events', sys.events)
    .add('GET', '/system/df', sys.df)
    .add('GET', '/containers/json', ctr.list)
    .add('POST', '/containers/create', ctr.create)
    .add('POST', '/containers/prune', ctr.prune)
    .add('GET', '/containers/{id}/json', ctr.inspect)
    .add('GET', '/containers/{id}/top', ctr.top)
    .add('GET', '/containers/{id}/logs', ctr.logs)
    .add('GET', '/containers/{id}/stats', ctr.stats)
    .add('POST', '/containers/{id}/start', ctr.start)
    .add('POST', '/containers/{id}/stop', ctr.stop)
    .add('POST', '/containers/{id}/restart', ctr.restart)
    .add('POST', '/containers/{id}/kill', ctr.kill)
    .add('POST', '/containers/{id}/pause', ctr.pause)
    .add('POST', '/containers/{id}/unpause', ctr.unpause)
    .add('POST', '/containers/{id}/rename', ctr.rename)
    .add('POST', '/containers/{id}/wait', ctr.wait)
    .add('POST', '/containers/{id}/attach', ctr.attach)
    .add('POST', '/containers/{id}/resize', ctr.resize)
    .add('DELETE', '/containers/{id}', ctr.remove)
    .add('POST', '/containers/{id}/exec', exec.create)
    .add('POST', '/exec/{id}/start', exec.start)
    .add('POST', '/exec/{id}/resize', exec.resize)
    .add('GET', '/exec/{id}/json', exec.inspect)
    .add('GET', '/volumes', vol.list)
    .add('POST', '/volumes/create', vol.create)
    .add('POST', '/volumes/prune', vol.prune)
    .add('GET', '/volumes/{name}', vol.inspect)
    .add('DELETE', '/volumes/{name}', vol.remove)
    .add('GET', '/networks', net.list)
    .add('POST', '/networks/create', net.create)
    .add('POST', '/networks/prune', net.prune)
    .add('GET', '/networks/{id}', net.inspect)
    .add('DELETE', '/networks/{id}', net.remove)
    .add('POST', '/networks/{id}/connect', net.connect)
    .add('POST', '/networks/{id}/disconnect', net.disconnect)
    .add('GET', '/images/json', img.list)
    .add('POST', '/images/create', img.pull)
    .add('POST', '/images/load', img.load)
    .add('POST', '/images/prune', img.prune)
    .add('GET', '/images/get', img.save)
    .add('POST', '/build', bld.build)
    .add('POST', '/build/prune', bld.prune)
    .add('GET', '/images/{name*}/json', img.inspect)
    .add('GET', '/images/{name*}/history', img.history)
    .add('GET', '/images/{name*}/get', img.save)
    .add('POST', '/images/{name*}/push', img.push)
    .add('POST', '/images/{name*}/tag', img.tag)
    .add('DELETE', '/images/{name*}', img.remove);
  return r;
}

/** The engine's events in Docker's shape (the old status/id/from fields too), kept and fanned out. */
function wireEvents(state: ApiState): void {
  const image = new Map<string, string>();
  state.engine.on('event', (e: { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; time: number }) => {
    const ns = BigInt(Date.now()) * 1_000_000n;
    const attrs = { ...e.Actor.Attributes };
    if (e.Type === 'container') {
      try {
        const c = state.engine.containers.inspect(e.Actor.ID);
        image.set(e.Actor.ID, c.Config.Image ?? '');
        Object.assign(attrs, c.Config.Labels ?? {});
      } catch {
        // Gone (destroy): the image remembered from its earlier events.
      }
      attrs.image = image.get(e.Actor.ID) ?? '';
      if (e.Action === 'destroy') {
        image.delete(e.Actor.ID);
        exec.dropContainer(state, e.Actor.ID);
      }
    }
    const ev: DockerEvent = {
      ...(e.Type === 'container' ? { status: e.Action, id: e.Actor.ID, from: attrs.image } : {}),
      Type: e.Type,
      Action: e.Action,
      Actor: { ID: e.Actor.ID, Attributes: attrs },
      scope: 'local',
      time: Number(ns / 1_000_000_000n),
      timeNano: Number(ns),
    };
    state.events.push(ev);
    if (state.events.length > MAX_EVENTS) state.events.shift();
    state.bus.emit('event', ev);
  });
}

export interface ApiServer extends http.Server {
  /**
   * Cancels the builds in progress and resolves once each has unwound (its RUN
   * killed, its overlay unmounted, its context removed): call at shutdown,
   * before destroying the connections and exiting.
   */
  abortBuilds(): Promise<void>;
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const state: ApiState = {
    engine: opts.engine,
    images: opts.images,
    name: 'Bulkhead Engine',
    version: opts.version ?? '0.1.0',
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    buildContextLimit: opts.buildContextLimit ?? DEFAULT_CONTEXT_LIMIT,
    events: [],
    execs: new Map(),
    builds: new Set(),
    bus: new EventEmitter().setMaxListeners(0),
    warnings: opts.warnings ?? [],
  };
  wireEvents(state);
  const router = routes();
  const log = opts.log ?? (() => undefined);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse | null, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://bulkhead');
    let ctx: Ctx | null = null;
    const fail = (err: unknown) => {
      const { status, message, internal } = statusOf(err);
      if (internal) log(`error: ${req.method} ${url.pathname}: ${err instanceof Error ? (err.stack ?? err.message) : message}`);
      if (ctx && ctx.answered) {
        socket.destroy();
        return;
      }
      const body = JSON.stringify({ message }) + '\n';
      if (res) {
        if (res.headersSent) return res.destroy();
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      } else {
        socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }
    };
    try {
      if (opts.logRequests) {
        log(`${req.method} ${req.url}`);
        // dockerd's debug log gives each request; the answer's status and size
        // with it tell an empty or cut answer apart from a client's misreading.
        res?.once('close', () => log(`${req.method} ${req.url} -> ${res.statusCode} ${res.getHeader('content-length') ?? (res.writableFinished ? 'streamed' : 'cut off')}`));
      }
      res?.setHeader('Api-Version', API_VERSION);
      res?.setHeader('Server', `Docker/${state.version} (linux)`);
      const { version, path } = stripVersion(url.pathname);
      if (path === '/_ping' && (req.method === 'GET' || req.method === 'HEAD') && res) {
        // HEAD: all of GET's headers and an empty body, Content-Length: 0 (dockerd since API 1.40).
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': req.method === 'HEAD' ? 0 : 2, 'API-Version': API_VERSION, 'Ostype': 'linux', 'Docker-Experimental': 'false', 'Builder-Version': '1', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' });
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      const m = router.match(req.method ?? 'GET', path);
      if ('miss' in m) throw new HttpError(m.miss === 404 ? 404 : 405, m.miss === 404 ? 'page not found' : `method ${req.method} not allowed for ${path}`);
      ctx = makeCtx(req, res, socket, { path, version, query: url.searchParams, bodyLimit: state.bodyLimit });
      ctx.params = m.params;
      await m.handler(ctx, state, head);
    } catch (err) {
      fail(err);
    }
  };

  const server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, maxHeaderSize: 64 * 1024 });
  server.on('request', (req, res) => void handle(req, res, req.socket, Buffer.alloc(0)));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    void handle(req, null, socket, head);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  return Object.assign(server, {
    abortBuilds: async () => {
      const running = [...state.builds];
      for (const b of running) b.abort();
      await Promise.all(running.map((b) => b.done));
    },
  });
}
