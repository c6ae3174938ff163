// /_ping, /version, /info, /events, /system/df (Engine API v1.43, "System").
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Ctx } from '../context';
import { qfilters } from '../context';
import { API_VERSION, MIN_API_VERSION } from '../version';
import type { ApiState, DockerEvent } from '../state';
import { discoverCgroupCached } from '../../cgroup/discover';
import { HttpError } from '../errors';
import { parseTimeNs } from '../../engine/container/record';

export function version(ctx: Ctx, s: ApiState): void {
  ctx.json(200, {
    Platform: { Name: s.name },
    Components: [{ Name: 'Engine', Version: s.version, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: goArch(), KernelVersion: os.release() } }],
    Version: s.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: '',
  });
}

export function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' } as Record<string, string>)[os.arch()] ?? os.arch();
}

/**
 * The controllers the engine can hand its containers' groups: those the v2
 * root offers (its cgroup.controllers; the engine enables them down its own
 * subtree as it creates groups). A hybrid host keeps memory, cpu and pids in
 * v1, so none of them is offered there.
 */
export function controllersAt(_dir: string): string[] {
  return discoverCgroupCached().controllers;
}

export function info(ctx: Ctx, s: ApiState): void {
  const all = s.engine.containers.list({ all: true });
  const count = (st: string) => all.filter((c) => c.State === st).length;
  const cg = discoverCgroupCached();
  // Enforceable only where the v2 hierarchy offers the controller.
  const ctl = controllersAt(s.engine.cgroupParent);
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
    } catch {
      return 'Linux';
    }
  })();
  ctx.json(200, {
    ID: s.engine.root,
    Containers: all.length,
    ContainersRunning: count('running') + count('restarting'),
    ContainersPaused: count('paused'),
    ContainersStopped: all.length - count('running') - count('restarting') - count('paused'),
    Images: s.images.list().length,
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']],
    Plugins: { Volume: ['local'], Network: ['host', 'none'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: ctl.includes('memory'),
    SwapLimit: ctl.includes('memory'),
    CpuCfsPeriod: ctl.includes('cpu'),
    CpuCfsQuota: ctl.includes('cpu'),
    CPUShares: ctl.includes('cpu'),
    CPUSet: ctl.includes('cpuset'),
    PidsLimit: ctl.includes('pids'),
    IPv4Forwarding: false,
    Debug: false,
    NFd: fs.readdirSync('/proc/self/fd').length,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cg.mode === 'unified' ? '2' : cg.mode === 'none' ? '' : '1',
    NEventsListener: s.bus.listenerCount('event'),
    KernelVersion: os.release(),
    OperatingSystem: osRelease,
    OSVersion: '',
    OSType: 'linux',
    Architecture: os.arch() === 'x64' ? 'x86_64' : os.arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: null,
    NCPU: os.availableParallelism(),
    MemTotal: os.totalmem(),
    DockerRootDir: s.engine.root,
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: s.version,
    Runtimes: { bulkhead: { path: 'in-process' } },
    DefaultRuntime: 'bulkhead',
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: 'bulkhead-init',
    SecurityOptions: ['name=seccomp,profile=builtin', 'name=cgroupns'],
    Warnings: [
      ...(ctl.includes('memory') ? [] : ['WARNING: No memory limit support']),
      ...(ctl.includes('cpu') ? [] : ['WARNING: No cpu cfs quota support', 'WARNING: No cpu cfs period support']),
      ...(ctl.includes('pids') ? [] : ['WARNING: No pids limit support']),
      ...s.warnings,
    ],
  });
}

// ---- events -----------------------------------------------------------------

const EVENT_FILTERS = ['type', 'event', 'container', 'label', 'volume', 'image'];

function eventMatcher(f: Record<string, string[]>): (e: DockerEvent) => boolean {
  for (const k of Object.keys(f)) if (!EVENT_FILTERS.includes(k)) throw new HttpError(400, `invalid filter '${k}'`);
  return (e) => {
    const a = e.Actor.Attributes;
    if (f.type?.length && !f.type.includes(e.Type)) return false;
    if (f.event?.length && !f.event.includes(e.Action)) return false;
    if (f.container?.length && (e.Type !== 'container' || !f.container.some((c) => e.Actor.ID.startsWith(c) || a.name === c))) return false;
    if (f.volume?.length && (e.Type !== 'volume' || !f.volume.includes(e.Actor.ID))) return false;
    if (f.image?.length && !f.image.includes(a.image ?? '')) return false;
    if (f.label?.length && !f.label.every((l) => (l.includes('=') ? a[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1) : l in a))) return false;
    return true;
  };
}

function timeArg(v: string | null): bigint | undefined {
  if (v === null || v === '') return undefined;
  try {
    return parseTimeNs(v);
  } catch {
    throw new HttpError(400, `invalid time ${JSON.stringify(v)}: use RFC 3339 or unix seconds`);
  }
}

/** GET /events: past events since `since`, then live ones until `until` (or until the client goes). */
export function events(ctx: Ctx, s: ApiState): void {
  const match = eventMatcher(qfilters(ctx.query));
  const since = timeArg(ctx.query.get('since'));
  const until = timeArg(ctx.query.get('until'));
  const out = ctx.stream(200, 'application/json');
  const send = (e: DockerEvent) => {
    if (until !== undefined && BigInt(e.timeNano) > until) return false;
    if (match(e)) out.write(JSON.stringify(e) + '\n');
    return true;
  };
  if (since !== undefined) for (const e of s.events) if (BigInt(e.timeNano) >= since) send(e);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  if (until !== undefined && until <= nowNs) {
    out.end();
    return;
  }
  const onEvent = (e: DockerEvent) => {
    if (!send(e)) finish();
  };
  let timer: NodeJS.Timeout | undefined;
  const finish = () => {
    s.bus.off('event', onEvent);
    clearTimeout(timer);
    if (!out.destroyed) out.end();
  };
  s.bus.on('event', onEvent);
  if (until !== undefined) timer = setTimeout(finish, Number((until - nowNs) / 1_000_000n));
  ctx.req.socket.once('close', finish);
}

/** GET /system/df: containers, volumes with their size and use count; images from the image seam. */
export function df(ctx: Ctx, s: ApiState): void {
  const containers = s.engine.containers.list({ all: true });
  const volumes = s.engine.volumes.list();
  ctx.json(200, {
    LayersSize: 0,
    Images: s.images.list().map((i) => ({ Id: i.Id, ParentId: '', RepoTags: i.RepoTags, RepoDigests: [], Created: i.Created, Size: i.Size, SharedSize: -1, VirtualSize: i.Size, Labels: {}, Containers: containers.filter((c) => s.images.resolve(c.Image)?.Id === i.Id).length })),
    Containers: containers.map((c) => ({ ...c, ImageID: s.images.resolve(c.Image)?.Id ?? '', SizeRw: 0, SizeRootFs: 0, Ports: [], NetworkSettings: { Networks: {} } })),
    Volumes: volumes.map((v) => ({ ...v, UsageData: { Size: duSafe(v.Mountpoint), RefCount: s.engine.containers.usersOfVolume(v.Name).length } })),
    BuildCache: [],
  });
}

function duSafe(p: string): number {
  let n = 0;
  const walk = (d: string) => {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(d);
    } catch {
      return;
    }
    if (!st.isDirectory()) {
      n += st.size;
      return;
    }
    for (const c of fs.readdirSync(d)) walk(path.join(d, c));
  };
  walk(p);
  return n;
}
