// POST /build (Engine API v1.43, "Image" > ImageBuild), the classic builder's
// protocol: the body is the context as a tar (plain, gzip or zstd), the options
// are query parameters, and the answer is a stream of JSON messages:
// {"stream": text} as `docker build` prints it, {"aux": {"ID": id}} with the
// image id (API >= 1.30, moby api/server/router/build), and on a failure once
// streaming {"errorDetail": {"code", "message"}, "error"}: the CLI prints the
// message and exits with the code (a RUN's exit status) or 1. As dockerd, an
// error before any output is an HTTP error instead ("Do not write the error in
// the http output if it's still empty"): the CLI prints "Error response from
// daemon: ...". BuildKit (version=2, a gRPC session over /session) is not spoken.
//
// The context is unpacked by lib/build/context's extractContextTar (confined,
// capped) into a flock()ed temp directory of the image store (Store.check
// removes one whose daemon died), removed when the build ends, whatever the
// outcome. A client that goes away aborts the build through its signal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, pipeline, Transform, type Duplex, type TransformCallback } from 'node:stream';
import { build as runBuild, type BuildOptions } from '../../build/build';
import { BuildCache } from '../../build/cache';
import { BuildError } from '../../build/errors';
import { withLock } from '../../image/store/lock';
import { ContextError } from '../../build/context/errors';
import { extractContextTar } from '../../build/context/extract';
import type { Images } from '../../image/images';
import { AutoDecompress } from '../../image/unpack/decompress';
import { parseReference } from '../../image/reference/parse';
import type { Ctx } from '../context';
import { qbool, qint } from '../context';
import { HttpError } from '../errors';
import type { ApiState } from '../state';

/** The largest context unpacked (after decompression), by default. dockerd has none; a daemon must. */
export const DEFAULT_CONTEXT_LIMIT = 4 * 1024 * 1024 * 1024;

function storeOf(s: ApiState): Images {
  if (!s.images.store) throw new HttpError(501, 'docker build needs the image store');
  return s.images.store;
}

/** A JSON object of strings from a query parameter (buildargs, labels); null values dropped (an arg the client had no value for). */
function qmap(q: URLSearchParams, key: string): Record<string, string> | undefined {
  const raw = q.get(key);
  if (raw === null || raw === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new HttpError(400, `invalid ${key}: ${raw}: not JSON`);
  }
  if (v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, `invalid ${key}: ${raw}: not a JSON object`);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === null) continue;
    if (typeof val !== 'string') throw new HttpError(400, `invalid ${key}: the value of ${JSON.stringify(k)} is not a string`);
    out[k] = val;
  }
  return out;
}

/** A query parameter bulkheadd's builder does not implement: refused unless it holds its default (a setting is never dropped silently). */
function refuseSet(q: URLSearchParams, key: string, what: string, isDefault: (v: string) => boolean): void {
  const v = q.get(key);
  if (v !== null && !isDefault(v)) throw new HttpError(400, `bulkheadd's builder does not support ${what} (${key}=${v})`);
}

const emptyList = (v: string) => v === '' || v === '[]' || v === 'null' || v === '{}';
const zero = (v: string) => v === '' || v === '0' || v === '-1';

export interface ParsedBuild {
  options: Omit<BuildOptions, 'context' | 'onProgress' | 'signal' | 'dataRoot'>;
  dockerfile: string;
  quiet: boolean;
}

/** The query as build() options; every problem a 400 before the body is read. */
export function parseBuildQuery(q: URLSearchParams, headers: Record<string, string | string[] | undefined>): ParsedBuild {
  const remote = q.get('remote');
  if (remote) throw new HttpError(501, `bulkheadd does not build from a remote context (remote=${remote}): send the context as the request body (docker build DIR, or a tar on stdin)`);
  const version = q.get('version');
  if (version !== null && version !== '' && version !== '1') throw new HttpError(400, `bulkheadd has only the classic builder (version=1), not BuildKit (version=${version}): build with DOCKER_BUILDKIT=0`);
  if (q.get('session')) throw new HttpError(400, 'bulkheadd does not speak BuildKit sessions: build with DOCKER_BUILDKIT=0');
  refuseSet(q, 'squash', '--squash', (v) => !qbool(new URLSearchParams({ v }), 'v'));
  refuseSet(q, 'cachefrom', '--cache-from', emptyList);
  refuseSet(q, 'extrahosts', '--add-host', emptyList);
  refuseSet(q, 'ulimits', '--ulimit', emptyList);
  refuseSet(q, 'outputs', '--output', emptyList);
  refuseSet(q, 'isolation', '--isolation', (v) => v === '' || v === 'default');
  refuseSet(q, 'cgroupparent', '--cgroup-parent', (v) => v === '');
  refuseSet(q, 'cpusetcpus', '--cpuset-cpus', (v) => v === '');
  refuseSet(q, 'cpusetmems', '--cpuset-mems', (v) => v === '');
  for (const [key, flag] of [['memory', '--memory'], ['memswap', '--memory-swap'], ['cpushares', '--cpu-shares'], ['cpuquota', '--cpu-quota'], ['cpuperiod', '--cpu-period'], ['shmsize', '--shm-size']] as const) {
    qint(q, key);
    refuseSet(q, key, flag, zero);
  }
  const net = q.get('networkmode') ?? '';
  let network: 'host' | 'none' | undefined;
  if (net === 'none' || net === 'host') network = net;
  else if (net !== '' && net !== 'default') throw new HttpError(400, `bulkheadd's builder runs RUN on the host's network or none: network mode ${JSON.stringify(net)} is not supported (--network default, host or none)`);
  const dockerfile = q.get('dockerfile') || 'Dockerfile';
  if (dockerfile.includes('\0')) throw new HttpError(400, 'invalid dockerfile: a NUL byte');
  const tags = q.getAll('t').filter((t) => t !== '');
  for (const t of tags) {
    let ref;
    try {
      ref = parseReference(t);
    } catch (err) {
      throw new HttpError(400, `invalid tag ${JSON.stringify(t)}: ${(err as Error).message}`);
    }
    if (ref.digest) throw new HttpError(400, `invalid tag ${JSON.stringify(t)}: a tag cannot hold a digest`);
  }
  const options: ParsedBuild['options'] = { tags, noCache: qbool(q, 'nocache'), pull: qbool(q, 'pull') };
  const buildArgs = qmap(q, 'buildargs');
  if (buildArgs) options.buildArgs = buildArgs;
  const labels = qmap(q, 'labels');
  if (labels) options.labels = labels;
  const target = q.get('target');
  if (target) options.target = target;
  const platform = q.get('platform');
  if (platform) options.platform = platform;
  if (network) options.network = network;
  // X-Registry-Config (base64url JSON: registry -> credentials) is what the CLI
  // sends for FROM pulls; checked for form, but build() pulls anonymously.
  const reg = headers['x-registry-config'];
  if (typeof reg === 'string' && reg !== '') {
    try {
      const v: unknown = JSON.parse(Buffer.from(reg, 'base64url').toString('utf8'));
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    } catch {
      throw new HttpError(400, 'X-Registry-Config: not base64url-encoded JSON');
    }
  }
  return { options, dockerfile, quiet: qbool(q, 'q') };
}

/**
 * The Dockerfile as a path inside the unpacked context: dockerd resolves the
 * dockerfile parameter in the context's scope, so "../x" or a symlink out can
 * never name a host file. The context directory is the daemon's own 0700 temp
 * directory, so the answer cannot change before build() reads it.
 */
function dockerfileIn(dir: string, name: string): string {
  const rel = path.posix.normalize(`/${name}`).slice(1);
  const p = path.join(dir, rel);
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    throw new HttpError(400, `Cannot locate specified Dockerfile: ${name}`);
  }
  const root = fs.realpathSync(dir);
  if (!real.startsWith(root + path.sep) || !fs.statSync(real).isFile()) throw new HttpError(400, `Cannot locate specified Dockerfile: ${name}`);
  return path.relative(root, real);
}

/**
 * Completes a tar cut short at its end. The docker CLI sends one when -f names
 * a Dockerfile outside the context: moby's pkg/archive ReplaceFileTarWrapper
 * (which adds it as .dockerfile.<random>) closes its pipe before its deferred
 * tar writer Close, so the last entry's padding and the two end-of-archive
 * blocks are never sent. Go's tar reader takes that end for a clean EOF
 * (tryReadFull), tar-stream calls it "Unexpected end of data". Here the padding
 * to 512 bytes and two zero blocks are appended to the decompressed stream;
 * after a complete archive they are only more end-of-archive blocks.
 */
class TarEnd extends Transform {
  private n = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.n += chunk.length;
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    this.push(Buffer.alloc(((512 - (this.n % 512)) % 512) + 1024));
    cb();
  }
}

function statusOfBuild(err: unknown): unknown {
  if (err instanceof ContextError) return new HttpError(err.code === 'ETOOBIG' ? 413 : 400, err.message);
  if (err instanceof BuildError) return new HttpError(err.code === 'ERUN' ? 500 : err.code === 'EABORTED' ? 503 : 400, err.message);
  return err;
}

/** POST /build */
export async function build(ctx: Ctx, s: ApiState): Promise<void> {
  const store = storeOf(s);
  let parsed: ParsedBuild;
  try {
    parsed = parseBuildQuery(ctx.query, ctx.req.headers);
  } catch (err) {
    // Drained unread, so that the client finishes its upload and reads the answer.
    ctx.req.resume();
    throw err;
  }
  const ac = new AbortController();
  let finished = false;
  let clientGone = false;
  const gone = () => {
    if (finished) return;
    clientGone = true;
    ac.abort(new Error('the client closed the connection'));
  };
  const socket = ctx.req.socket;
  socket.once('close', gone);
  ctx.req.once('aborted', gone);
  let settle = () => undefined as void;
  const entry = { abort: () => ac.abort(new Error('the daemon is shutting down')), done: new Promise<void>((r) => (settle = r)) };
  const tmp = store.store.tempDir('build-context');
  s.builds.add(entry);
  let out: Duplex | NodeJS.WritableStream | null = null;
  const quietBuf: string[] = [];
  const line = (o: object) => {
    if (clientGone) return;
    out ??= ctx.stream(200, 'application/json');
    out.write(JSON.stringify(o) + '\r\n');
  };
  const progress = (text: string) => {
    if (parsed.quiet) quietBuf.push(text);
    else line({ stream: text });
  };
  try {
    // Through a PassThrough: extractContextTar destroys its source on a failure,
    // and destroying the request would reset the connection before the answer.
    const body = new PassThrough();
    ctx.req.on('aborted', () => body.destroy(new Error('the client closed the connection')));
    ctx.req.on('error', (e) => body.destroy(e));
    ctx.req.pipe(body);
    // Decompressed here (gzip or zstd; plain passes) so that TarEnd sees the tar itself;
    // the cap still applies inside extractContextTar, to the decompressed bytes.
    const tarStream = new TarEnd();
    pipeline(body, new AutoDecompress(), tarStream, () => undefined);
    try {
      await extractContextTar(tarStream, tmp.dir, { maxBytes: s.buildContextLimit ?? DEFAULT_CONTEXT_LIMIT, signal: ac.signal });
    } catch (err) {
      ctx.req.unpipe(body);
      ctx.req.resume();
      throw err;
    }
    const dockerfile = dockerfileIn(tmp.dir, parsed.dockerfile);
    const result = await runBuild({ ...parsed.options, context: tmp.dir, dockerfile, dataRoot: store.store.root, onProgress: progress, signal: ac.signal });
    if (parsed.quiet) line({ stream: `${result.id}\n` });
    else line({ aux: { ID: result.id } });
  } catch (err) {
    if (clientGone) return;
    // Cancelled by the daemon's shutdown: the client must not take an ended stream for a success.
    if (ac.signal.aborted) err = new BuildError('EABORTED', 'build cancelled: the daemon is shutting down');
    const mapped = statusOfBuild(err);
    if (out === null && !(parsed.quiet && quietBuf.length)) throw mapped;
    if (parsed.quiet) line({ stream: quietBuf.join('') });
    // A RUN's message carries its last lines, already streamed: Docker's one line suffices.
    const message = err instanceof BuildError && err.code === 'ERUN' ? err.message.split('\n')[0]! : (err as Error).message;
    const code = err instanceof BuildError && err.exitCode ? err.exitCode : undefined;
    line({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
  } finally {
    finished = true;
    socket.off('close', gone);
    tmp.close();
    fs.rmSync(tmp.dir, { recursive: true, force: true });
    if (out !== null) (out as NodeJS.WritableStream).end();
    s.builds.delete(entry);
    settle();
  }
}

/**
 * POST /build/prune (docker builder prune): every entry of the build cache
 * (lib/build/cache: one JSON file per step, written under the cache's lock,
 * taken here too so no writer is cut in half). The layers entries named stay
 * while an image owns them; the others go at the store's next collection (rmi),
 * so SpaceReclaimed counts the entries' own bytes only.
 */
export async function prune(ctx: Ctx, s: ApiState): Promise<void> {
  const store = storeOf(s);
  const filters = ctx.query.get('filters');
  if (filters && !emptyList(filters)) throw new HttpError(400, `bulkheadd's build cache prune takes no filters (got ${filters})`);
  refuseSet(ctx.query, 'keep-storage', '--keep-storage', zero);
  const cache = new BuildCache(store.store);
  const deleted: string[] = [];
  let bytes = 0;
  await withLock(path.join(cache.dir, '.lock'), () => {
    for (const name of fs.readdirSync(cache.dir)) {
      if (!name.endsWith('.json')) continue;
      const p = path.join(cache.dir, name);
      bytes += fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0;
      fs.rmSync(p, { force: true });
      deleted.push(name.slice(0, -5));
    }
  });
  ctx.json(200, { CachesDeleted: deleted, SpaceReclaimed: bytes });
}
