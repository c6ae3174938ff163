// /containers/... (Engine API v1.43, "Container"): create, inspect, list,
// start, stop, kill, restart, pause, unpause, rename, remove, wait, top,
// stats, logs, attach, resize, prune.
import type { Duplex } from 'node:stream';
import type { Ctx } from '../context';
import { qbool, qfilters, qint } from '../context';
import type { ApiState } from '../state';
import { HttpError } from '../errors';
import { toEngineConfig } from '../create-config';
import { MULTIPLEXED_STREAM, RAW_STREAM, frame, streamWriter } from '../stream';
import { controllersAt } from './system';
import type { ContainerInspect, ContainerSummary } from '../../engine/index';

const NAME_FILTERS = ['status', 'label', 'name', 'id', 'ancestor', 'exited'];

function imageIdOf(s: ApiState, ref: string | undefined): string {
  return (ref && s.images.resolve(ref)?.Id) || '';
}

/** The engine's inspect with the fields docker's client expects beside them. */
function inspectOut(s: ApiState, c: ContainerInspect): unknown {
  return {
    ...c,
    Image: imageIdOf(s, c.Config.Image),
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    GraphDriver: { Name: 'overlay2', Data: null },
    Config: { ...c.Config, Rootfs: undefined, AttachStdin: false, AttachStdout: false, AttachStderr: false, StdinOnce: c.Config.StdinOnce ?? false, Volumes: c.Config.Volumes ?? null, Entrypoint: c.Config.Entrypoint ?? null },
    NetworkSettings: networkSettingsOut(c),
  };
}

/** Docker's NetworkSettings: the per-network settings, and at the top level the default bridge's address (dockerd fills those for "bridge" only). */
function networkSettingsOut(c: ContainerInspect): unknown {
  const ns = c.NetworkSettings ?? { Networks: {}, Ports: {} };
  const b = ns.Networks.bridge as Partial<NonNullable<ContainerInspect['NetworkSettings']>['Networks'][string]> | undefined;
  return {
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: ns.Ports,
    SandboxKey: '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: b?.EndpointID ?? '',
    Gateway: b?.Gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: b?.IPAddress ?? '',
    IPPrefixLen: b?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: b?.MacAddress ?? '',
    Networks: ns.Networks,
  };
}

function summaryOut(s: ApiState, c: ContainerSummary): unknown {
  return { ...c, ImageID: imageIdOf(s, c.Image) };
}

export async function create(ctx: Ctx, s: ApiState): Promise<void> {
  const body = await ctx.body();
  const name = ctx.query.get('name') ?? undefined;
  const config = toEngineConfig(body, s.images);
  // A limit this host cannot enforce is refused now (400), not at start: dockerd
  // would drop it with a warning; Bulkhead fails closed (/info says which it can).
  const ctl = controllersAt(s.engine.cgroupParent);
  const h = config.HostConfig ?? {};
  const fields = [
    ['Memory', '--memory', 'memory'], ['NanoCpus', '--cpus', 'cpu'], ['PidsLimit', '--pids-limit', 'pids'], ['CpuShares', '--cpu-shares', 'cpu'],
    ['CpusetCpus', '--cpuset-cpus', 'cpuset'], ['MemoryReservation', '--memory-reservation', 'memory'], ['MemorySwap', '--memory-swap', 'memory'],
  ] as const;
  for (const [field, flag, c] of fields) {
    const v = h[field];
    // PidsLimit -1 (and 0) mean no limit; MemorySwap -1 is unlimited swap, still memory.swap.max.
    const set = typeof v === 'string' ? v !== '' : v !== undefined && (field === 'MemorySwap' ? v !== 0 : v > 0);
    if (set && !ctl.includes(c)) {
      throw new HttpError(400, `${flag} (HostConfig.${field}) cannot be enforced on this host: the cgroup v2 hierarchy has no ${c} controller for ${s.engine.cgroupParent} (docker info shows which limits are supported)`);
    }
  }
  // 201 once the create is durable: concurrent creates share one group commit (lib/engine/store/commit.ts).
  const r = await s.engine.containers.create(config, name ? { name } : {});
  ctx.json(201, r);
}

export function list(ctx: Ctx, s: ApiState): void {
  const filters = qfilters(ctx.query);
  for (const k of Object.keys(filters)) if (!NAME_FILTERS.includes(k)) throw new HttpError(400, `invalid filter '${k}'`);
  const limit = qint(ctx.query, 'limit');
  const all = qbool(ctx.query, 'all') || (limit !== undefined && limit > 0);
  const out = s.engine.containers.list({ all, filters, ...(limit !== undefined && limit > 0 ? { limit } : {}) });
  ctx.json(200, out.map((c) => summaryOut(s, c)));
}

export function inspect(ctx: Ctx, s: ApiState): void {
  ctx.json(200, inspectOut(s, s.engine.containers.inspect(ctx.params.id!)));
}

export async function start(ctx: Ctx, s: ApiState): Promise<void> {
  const c = s.engine.containers.inspect(ctx.params.id!);
  // Docker answers 304 Not Modified for a container already running.
  if (c.State.Running && !c.State.Restarting) return ctx.noContent(304);
  try {
    await s.engine.containers.start(c.Id);
  } catch (err) {
    // Attachers waiting for this start end now (docker run waits for its attach to close before it reports).
    s.bus.emit('start-failed', c.Id);
    const after = s.engine.containers.inspect(c.Id).State;
    // The CLI turns these words into its exit status: 127 not found, 126 not executable (docker run's contract).
    if (err instanceof Error && after.ExitCode === 127) err.message += `: exec: "${c.Path}": executable file not found in $PATH`;
    else if (err instanceof Error && after.ExitCode === 126) err.message += `: exec: "${c.Path}": permission denied`;
    // As dockerd: a container with AutoRemove that cannot start is removed (docker run --rm waits for that).
    if (c.HostConfig.AutoRemove) await s.engine.containers.remove(c.Id, { force: true, volumes: true }).catch(() => undefined);
    throw err;
  }
  ctx.noContent();
}

function timeoutOf(ctx: Ctx): number | undefined {
  return qint(ctx.query, 't') ?? qint(ctx.query, 'timeout');
}

export async function stop(ctx: Ctx, s: ApiState): Promise<void> {
  const c = s.engine.containers.inspect(ctx.params.id!);
  if (!c.State.Running) return ctx.noContent(304);
  const t = timeoutOf(ctx);
  const signal = ctx.query.get('signal') || undefined;
  await s.engine.containers.stop(c.Id, { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) });
  ctx.noContent();
}

export async function restart(ctx: Ctx, s: ApiState): Promise<void> {
  const t = timeoutOf(ctx);
  await s.engine.containers.restart(ctx.params.id!, t !== undefined ? { timeout: t } : {});
  ctx.noContent();
}

export async function kill(ctx: Ctx, s: ApiState): Promise<void> {
  await s.engine.containers.kill(ctx.params.id!, ctx.query.get('signal') || 'SIGKILL');
  ctx.noContent();
}

export async function pause(ctx: Ctx, s: ApiState): Promise<void> {
  await s.engine.containers.pause(ctx.params.id!);
  ctx.noContent();
}

export async function unpause(ctx: Ctx, s: ApiState): Promise<void> {
  await s.engine.containers.unpause(ctx.params.id!);
  ctx.noContent();
}

export async function rename(ctx: Ctx, s: ApiState): Promise<void> {
  const name = ctx.query.get('name');
  if (!name) throw new HttpError(400, 'name: a new name is required');
  await s.engine.containers.rename(ctx.params.id!, name);
  ctx.noContent();
}

export async function remove(ctx: Ctx, s: ApiState): Promise<void> {
  if (qbool(ctx.query, 'link')) throw new HttpError(400, 'links are not supported by bulkheadd');
  await s.engine.containers.remove(ctx.params.id!, { force: qbool(ctx.query, 'force'), volumes: qbool(ctx.query, 'v') });
  ctx.noContent();
}

/** POST /containers/{id}/wait: the status line goes out at once (the waiter is registered), the body at the exit. */
export async function wait(ctx: Ctx, s: ApiState): Promise<void> {
  const condition = (ctx.query.get('condition') || 'not-running') as 'not-running' | 'next-exit' | 'removed';
  const ac = new AbortController();
  const p = s.engine.containers.wait(ctx.params.id!, condition, { signal: ac.signal });
  const out = ctx.stream(200, 'application/json');
  ctx.req.socket.once('close', () => ac.abort());
  let r;
  try {
    r = await p;
  } catch {
    return; // The client went away: nobody to answer.
  }
  if (!out.destroyed) out.end(JSON.stringify({ StatusCode: r.StatusCode, Error: r.Error ?? null }) + '\n');
}

export function top(ctx: Ctx, s: ApiState): void {
  const args = ctx.query.get('ps_args');
  if (args && args !== '-ef') throw new HttpError(400, `ps_args ${JSON.stringify(args)} is not supported: bulkheadd reads /proc itself and gives ps -ef's columns`);
  ctx.json(200, s.engine.containers.top(ctx.params.id!));
}

/** Docker's stats carry the previous sample as precpu_stats; a first sample has zero there. */
function withPre(cur: Record<string, unknown>, prev: Record<string, unknown> | null): unknown {
  return {
    ...cur,
    preread: prev?.read ?? '0001-01-01T00:00:00Z',
    precpu_stats: prev?.cpu_stats ?? { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0, online_cpus: 0 },
    cpu_stats: cur.cpu_stats ?? { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0, online_cpus: 0 },
    memory_stats: cur.memory_stats ?? {},
    pids_stats: cur.pids_stats ?? {},
    blkio_stats: cur.blkio_stats ?? {},
    name: String(cur.name),
  };
}

export async function stats(ctx: Ctx, s: ApiState): Promise<void> {
  const stream = qbool(ctx.query, 'stream', true);
  const c = s.engine.containers.inspect(ctx.params.id!);
  if (!stream) {
    // A stopped container gives an empty sample, as dockerd's (zero values).
    const cur = c.State.Running ? (s.engine.containers.stats(c.Id) as unknown as Record<string, unknown>) : { read: '0001-01-01T00:00:00Z', id: c.Id, name: c.Name, num_procs: 0 };
    return ctx.json(200, withPre(cur, null));
  }
  const out = ctx.stream(200, 'application/json');
  let prev: Record<string, unknown> | null = null;
  let gone = false;
  ctx.req.socket.once('close', () => (gone = true));
  if (!c.State.Running) {
    out.end(JSON.stringify(withPre({ read: '0001-01-01T00:00:00Z', id: c.Id, name: c.Name, num_procs: 0 }, null)) + '\n');
    return;
  }
  const it = s.engine.containers.stats(c.Id, { stream: true })[Symbol.asyncIterator]();
  try {
    for (;;) {
      const n = await it.next();
      if (n.done || gone) break;
      const cur = n.value as unknown as Record<string, unknown>;
      out.write(JSON.stringify(withPre(cur, prev)) + '\n');
      prev = cur;
    }
  } finally {
    await it.return?.();
    if (!out.destroyed) out.end();
  }
}

export async function logs(ctx: Ctx, s: ApiState): Promise<void> {
  const q = ctx.query;
  const stdout = qbool(q, 'stdout');
  const stderr = qbool(q, 'stderr');
  if (!stdout && !stderr) throw new HttpError(400, 'Bad parameters: you must choose at least one stream');
  const c = s.engine.containers.inspect(ctx.params.id!);
  const tailRaw = q.get('tail');
  let tail: number | 'all' = 'all';
  if (tailRaw && tailRaw !== 'all') {
    if (!/^-?\d+$/.test(tailRaw)) throw new HttpError(400, `invalid value for tail: ${JSON.stringify(tailRaw)}`);
    tail = Number(tailRaw);
  }
  const since = q.get('since');
  const until = q.get('until');
  const timestamps = qbool(q, 'timestamps');
  const ac = new AbortController();
  const it = s.engine.containers
    .logs(c.Id, { stdout, stderr, follow: qbool(q, 'follow'), tail, timestamps, signal: ac.signal, ...(since && since !== '0' ? { since } : {}), ...(until && until !== '0' ? { until } : {}) })
    [Symbol.asyncIterator]();
  const tty = c.Config.Tty ?? false;
  const out = ctx.stream(200, tty ? RAW_STREAM : MULTIPLEXED_STREAM);
  let gone = false;
  ctx.req.socket.once('close', () => {
    gone = true;
    ac.abort();
  });
  try {
    for (;;) {
      const n = await it.next();
      if (n.done || gone) break;
      const e = n.value;
      const text = Buffer.from(timestamps ? `${e.time} ${e.log}` : e.log);
      const ok = out.write(tty ? text : frame(e.stream === 'stderr' ? 2 : 1, text));
      if (!ok && !gone) await new Promise((r) => { out.once('drain', r); out.once('close', r); });
    }
  } finally {
    await it.return?.(undefined);
    if (!out.destroyed) out.end();
  }
}

export function resize(ctx: Ctx, s: ApiState): void {
  const h = qint(ctx.query, 'h') ?? 0;
  const w = qint(ctx.query, 'w') ?? 0;
  s.engine.containers.resize(ctx.params.id!, h, w);
  ctx.json(200, {});
}

export async function prune(ctx: Ctx, s: ApiState): Promise<void> {
  const f = qfilters(ctx.query);
  for (const k of Object.keys(f)) if (k !== 'label' && k !== 'until') throw new HttpError(400, `invalid filter '${k}'`);
  const r = await s.engine.containers.prune({ filters: f });
  ctx.json(200, { ContainersDeleted: r.ContainersDeleted.length ? r.ContainersDeleted : null, SpaceReclaimed: r.SpaceReclaimed });
}

/**
 * POST /containers/{id}/attach: the connection is hijacked (101 UPGRADED);
 * output goes back framed (raw with a tty); with stdin=1, what the client
 * writes goes to the container, and the client's half-close ends the
 * container's stdin when it has StdinOnce. A container not yet running is
 * attached the moment it starts (docker run attaches before it starts).
 */
export function attach(ctx: Ctx, s: ApiState, head: Buffer): void {
  const q = ctx.query;
  const c = s.engine.containers.inspect(ctx.params.id!);
  if (!qbool(q, 'stream')) {
    // logs=1 without stream: the log so far, then the end.
    throw new HttpError(400, 'attach without stream=1 is not supported by bulkheadd: use GET /containers/{id}/logs');
  }
  const tty = c.Config.Tty ?? false;
  const sock = ctx.hijack(tty ? RAW_STREAM : MULTIPLEXED_STREAM) as Duplex;
  if (head.length) sock.unshift(head);
  const stdout = qbool(q, 'stdout') ? streamWriter(sock, 1, !tty) : undefined;
  const stderr = qbool(q, 'stderr') ? streamWriter(sock, 2, !tty) : undefined;
  const wantIn = qbool(q, 'stdin') && ctx.upgraded;
  const detachKeys = q.get('detachKeys') || undefined;
  let session: { detach: () => void; done: Promise<string> } | null = null;
  let closed = false;
  const end = async () => {
    const fin = (w?: import('node:stream').Writable) => (w ? new Promise<void>((r) => { w.end(r); }) : Promise.resolve());
    await Promise.all([fin(stdout), fin(stderr)]);
    if (!sock.destroyed) sock.end();
  };
  const onEvent = (e: { Type: string; Action: string; Actor: { ID: string } }) => {
    if (e.Type !== 'container' || e.Actor.ID !== c.Id) return;
    if (e.Action === 'start') {
      s.engine.off('event', onEvent);
      go();
    } else if (e.Action === 'destroy') {
      s.engine.off('event', onEvent);
      void end();
    }
  };
  const go = () => {
    if (closed) return;
    try {
      session = s.engine.containers.attach(c.Id, { ...(wantIn ? { stdin: sock } : {}), ...(stdout ? { stdout } : {}), ...(stderr ? { stderr } : {}), ...(detachKeys ? { detachKeys } : {}) });
    } catch {
      void end();
      return;
    }
    void session.done.then(end);
  };
  sock.on('error', () => undefined);
  const onStartFailed = (id: string) => {
    if (id !== c.Id || session) return;
    s.engine.off('event', onEvent);
    void end();
  };
  s.bus.on('start-failed', onStartFailed);
  sock.once('close', () => {
    closed = true;
    s.engine.off('event', onEvent);
    s.bus.off('start-failed', onStartFailed);
    session?.detach();
  });
  if (!wantIn) sock.resume();
  const now = s.engine.containers.inspect(c.Id);
  if (now.State.Running && !now.State.Restarting) go();
  // Synchronous with the engine's 'start': attached before the first output chunk is read.
  else s.engine.on('event', onEvent);
}
