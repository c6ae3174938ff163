// /containers/{id}/exec and /exec/{id}/... (Engine API v1.43, "Exec"). Docker
// splits an exec in two: create records the config under an id, start runs it
// (the engine's containers.exec does both at once, so the config waits here
// until start). start hijacks the connection as attach does: 101 UPGRADED,
// output framed by stdcopy without a tty and raw with one; the client's
// half-close (shutdown(SHUT_WR) on the socket) ends the process's stdin.
import type { Duplex, Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context';
import { qint } from '../context';
import type { ApiState } from '../state';
import { HttpError } from '../errors';
import { conflict, notFound } from '../../util/engine-error';
import type { ExecConfig } from '../../engine/exec/config';
import { RAW_STREAM, MULTIPLEXED_STREAM, streamWriter } from '../stream';

/** An exec created through the API: its config until started, then the engine's id for it. */
export interface ApiExec {
  id: string;
  containerId: string;
  config: ExecConfig;
  engineId: string | null;
}

const FIELDS = ['Cmd', 'Env', 'WorkingDir', 'User', 'Tty', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Privileged'] as const;

function find(s: ApiState, id: string): ApiExec {
  const e = s.execs.get(id);
  if (!e) throw notFound('exec instance', id);
  return e;
}

/** Docker's daemon/exec.go getActiveContainer: only a running, unpaused, not restarting container takes an exec. */
function activeContainer(s: ApiState, ref: string): string {
  const c = s.engine.containers.inspect(ref);
  if (!c.State.Running) throw conflict(`Container ${c.Id} is not running`);
  if (c.State.Paused) throw conflict(`Container ${c.Id} is paused, unpause the container before exec`);
  if (c.State.Restarting) throw conflict(`Container ${c.Id} is restarting, wait until the container is running`);
  return c.Id;
}

export async function create(ctx: Ctx, s: ApiState): Promise<void> {
  const body = await ctx.body();
  const containerId = activeContainer(s, ctx.params.id!);
  const config: Record<string, unknown> = {};
  // The CLI sends every field of ExecOptions; the engine's config takes those it knows.
  for (const k of FIELDS) if (body[k] !== undefined && body[k] !== null) config[k] = body[k];
  if (Array.isArray(body.ConsoleSize) && body.ConsoleSize.every((n) => typeof n === 'number' && n > 0)) config.ConsoleSize = body.ConsoleSize;
  if (!Array.isArray(config.Cmd) || config.Cmd.length === 0) throw new HttpError(400, 'No exec command specified');
  const id = randomBytes(32).toString('hex');
  s.execs.set(id, { id, containerId, config: config as unknown as ExecConfig, engineId: null });
  ctx.json(201, { Id: id });
}

/**
 * The body of an upgraded request: node's 'upgrade' event hands over the
 * socket with whatever followed the headers in `head`, so the JSON body
 * (Content-Length bytes, RFC 9112 section 6.3) is read from there and the
 * socket, and what follows it is the client's stream (given back).
 */
async function upgradedBody(ctx: Ctx, head: Buffer, limit: number): Promise<{ body: Record<string, unknown>; rest: Buffer }> {
  const len = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(len) || len < 0 || len > limit) throw new HttpError(400, `invalid Content-Length for exec start: ${String(ctx.req.headers['content-length'])}`);
  let buf = head;
  const sock = ctx.req.socket;
  while (buf.length < len) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const c = sock.read() as Buffer | null;
      if (c) return resolve(c);
      const done = () => {
        sock.off('readable', on);
        sock.off('end', done);
        sock.off('close', done);
        resolve(null);
      };
      const on = () => {
        const d = sock.read() as Buffer | null;
        if (d) {
          sock.off('readable', on);
          sock.off('end', done);
          sock.off('close', done);
          resolve(d);
        }
      };
      sock.on('readable', on);
      sock.once('end', done);
      sock.once('close', done);
    });
    if (!chunk) throw new HttpError(400, 'exec start: the connection ended inside the body');
    buf = Buffer.concat([buf, chunk]);
  }
  const text = buf.subarray(0, len).toString('utf8').trim();
  let body: unknown = {};
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'exec start: the body is not JSON');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'exec start: the body must be a JSON object');
  return { body: body as Record<string, unknown>, rest: buf.subarray(len) };
}

export async function start(ctx: Ctx, s: ApiState, head: Buffer): Promise<void> {
  const e = find(s, ctx.params.id!);
  let body: Record<string, unknown>;
  if (ctx.upgraded) ({ body, rest: head } = await upgradedBody(ctx, head, s.bodyLimit));
  else body = await ctx.body();
  if (e.engineId) throw conflict(`Error: Exec command ${e.id} has already run`);
  const detach = body.Detach === true;
  const config: ExecConfig = { ...e.config, ...(typeof body.Tty === 'boolean' ? { Tty: body.Tty } : {}), ...(detach ? { Detach: true } : {}) };
  if (Array.isArray(body.ConsoleSize) && body.ConsoleSize.every((n) => typeof n === 'number' && n > 0)) config.ConsoleSize = body.ConsoleSize as [number, number];
  // Checked (409 paused / not running) before anything is answered.
  const session = s.engine.containers.exec(e.containerId, config);
  e.engineId = session.Id;
  if (detach) {
    ctx.noContent(200);
    return;
  }
  const tty = config.Tty ?? false;
  const sock = ctx.hijack(tty ? RAW_STREAM : MULTIPLEXED_STREAM) as Duplex;
  sock.on('error', () => undefined);
  if (head.length && ctx.upgraded) sock.unshift(head);
  const writers: Writable[] = [];
  const out = (r: NodeJS.ReadableStream | null, n: 1 | 2) => {
    if (!r) return;
    const w = streamWriter(sock, n, !tty);
    writers.push(w);
    (r as NodeJS.ReadableStream & { on(ev: 'error', f: () => void): unknown }).on('error', () => undefined);
    r.pipe(w);
  };
  out(session.stdout, 1);
  out(session.stderr, 2);
  const stdin = session.stdin;
  if (stdin && ctx.upgraded) {
    stdin.on('error', () => undefined);
    // Without a tty the half-close is the process's EOF; a tty stays open (its EOF is ^D in the stream).
    sock.pipe(stdin, { end: !tty });
  } else if (ctx.upgraded) {
    sock.resume();
  }
  sock.once('close', () => {
    if (stdin && !tty && !stdin.destroyed) stdin.end();
  });
  await session.done;
  await Promise.all(writers.map((w) => new Promise<void>((r) => (w.writableFinished ? r() : w.end(r)))));
  if (stdin && ctx.upgraded) sock.unpipe(stdin);
  if (!sock.destroyed) sock.end();
}

export function inspect(ctx: Ctx, s: ApiState): void {
  const e = find(s, ctx.params.id!);
  if (e.engineId) {
    ctx.json(200, { ...s.engine.containers.execInspect(e.engineId), ID: e.id });
    return;
  }
  const c = e.config;
  ctx.json(200, {
    ID: e.id,
    Running: false,
    ExitCode: null,
    ProcessConfig: { tty: c.Tty ?? false, entrypoint: c.Cmd[0], arguments: c.Cmd.slice(1), privileged: c.Privileged ?? false, user: c.User ?? '' },
    OpenStdin: c.AttachStdin ?? false,
    OpenStderr: c.AttachStderr ?? false,
    OpenStdout: c.AttachStdout ?? false,
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: '',
    Pid: 0,
  });
}

export function resize(ctx: Ctx, s: ApiState): void {
  const e = find(s, ctx.params.id!);
  const h = qint(ctx.query, 'h') ?? 0;
  const w = qint(ctx.query, 'w') ?? 0;
  if (!e.engineId) throw conflict(`Exec ${e.id} is not running`);
  s.engine.containers.execResize(e.engineId, { h, w });
  ctx.json(200, {});
}

/** Forgets the execs of containers that are gone (called on each container destroy). */
export function dropContainer(s: ApiState, containerId: string): void {
  for (const [id, e] of s.execs) if (e.containerId === containerId) s.execs.delete(id);
}
