// The containers API: create, start, stop, kill, restart, pause, unpause,
// remove, rename, wait, inspect, list, top, stats, logs, attach, prune.
// Every change of a container runs under its in-process lock and is stored
// atomically before the call returns; exits are handled synchronously (no
// await between reading and writing a record).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { spawn } from '../spawn/index';
import type { Mount } from '../spawn/options';
import type { SpawnResult, Subprocess } from '../spawn/subprocess';
import { Cgroup } from '../cgroup/cgroup';
import { EngineError, conflict, invalid, notFound } from '../util/engine-error';
import { newId } from './ids/id';
import { canonicalName, generateName, validName } from './ids/names';
import { normalizeConfig, parseLogSize, signalNumber, validateConfig, type ContainerConfig } from './container/config';
import { freshState, nowNano, type ContainerRecord, type MountPoint, type StoredHostConfig } from './container/record';
import { inspectRecord, summarize, type ContainerInspect, type ContainerSummary } from './container/inspect';
import { compileFilters, type ListFilters } from './container/filters';
import { mountRequests } from './container/mounts';
import { collectContainerStats, type ContainerStats } from './container/stats';
import { topOf, type TopResult } from './container/top';
import { ContainerStore } from './store/store';
import { KeyedMutex } from '../util/lock';
import { processStartTime } from '../util/proc';
import { JsonFileWriter } from './logs/jsonfile';
import { readLogs, type LogEntry, type LogsOptions } from './logs/read';
import { LiveContainer } from './lifecycle/live';
import { attachClient, type AttachIO, type AttachSession } from './attach/attach';
import { commandOf, spawnOptionsOf } from './lifecycle/spawn-options';
import { nextDelay, shouldRestart } from './restart/policy';
import type { RootfsSource } from './rootfs';
import type { VolumeStore } from '../volume/store';
import { fillFromRoot } from '../volume/copy';
import { execSpawnOptions, validateExec, type ExecConfig } from './exec/config';
import { ExecStore, exitCodeOf as execExitCode, type ExecInspect, type ExecSession } from './exec/exec';
import { validateConnect, type Endpoint } from '../network/index';
import { attachAll, connectionOf, emptySettings, findNetwork, releaseAll, runningSettings } from './network/attach';
import { endpointConfig, idleSettings, isMode, type EndpointConfig } from './network/config';
import { connect as connectNetwork } from '../network/index';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';
export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string };
}

/** create()'s answer: { Id, Warnings } at once, and a promise of it once the create is durable. */
export type CreateResult = { Id: string; Warnings: string[] } & PromiseLike<{ Id: string; Warnings: string[] }>;

export interface EngineContext {
  store: ContainerStore;
  volumes: VolumeStore;
  rootfs: RootfsSource;
  cgroupParent: string;
  events: EventEmitter;
  /** What NetworkMode "default" (or none given) means: "none" (the library's default) or "bridge" (bulkheadd's, as Docker's). */
  defaultNetwork: string;
}

const DEFAULT_STOP_TIMEOUT = 10;

/** Whether a group's freeze is requested (cgroup.freeze reads 1); false where there is no freezer. */
function readFreeze(dir: string): boolean {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function exitCodeOf(res: SpawnResult): number {
  if (res.exitCode !== null) return res.exitCode;
  return 128 + ((res.signal && os.constants.signals[res.signal]) || 9);
}

export class Containers {
  private readonly mutex = new KeyedMutex();
  private readonly live = new Map<string, LiveContainer>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();
  private readonly waiters = new EventEmitter();
  private readonly execs = new ExecStore();
  /** Each running container's network endpoints, its NetworkMode network's first. */
  private readonly endpoints = new Map<string, Endpoint[]>();
  private closing = false;

  constructor(private readonly ctx: EngineContext) {
    this.waiters.setMaxListeners(0);
  }

  private get store(): ContainerStore {
    return this.ctx.store;
  }

  private emit(Action: string, rec: ContainerRecord, extra: Record<string, string> = {}): void {
    this.ctx.events.emit('event', { Type: 'container', Action, Actor: { ID: rec.Id, Attributes: { name: rec.Name.slice(1), ...extra } }, time: Math.floor(Date.now() / 1000) });
  }

  // ---- create ----------------------------------------------------------------

  /**
   * Creates a container (not started). Returns its id and warnings, as POST
   * /containers/create, at once: the container is stored whole from then on
   * (a SIGKILL of the engine finds it). The result is also a promise of itself
   * that resolves once the create is durable against a power loss (a group
   * commit shared by the creates in flight, off the event loop; see
   * store/commit.ts): `await create(...)` where that matters, as the API does.
   */
  create(config: ContainerConfig, opts: { name?: string } = {}): CreateResult {
    if (this.closing) throw new EngineError('UNAVAILABLE', 'the engine is closing');
    const c = validateConfig(config);
    if (opts.name !== undefined && (typeof opts.name !== 'string' || !validName(opts.name))) {
      throw invalid(`Invalid container name (${String(opts.name)}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    const id = newId();
    const networks = this.resolveNetworks(c);
    const { Config, HostConfig } = normalizeConfig(c, id);
    HostConfig.NetworkMode = networks.mode;
    if (networks.mac) Config.MacAddress = networks.mac;
    // As dockerd: a container in another's network namespace takes its host and domain name.
    if (networks.joined) {
      Config.Hostname = networks.joined.Config.Hostname;
      if (networks.joined.Config.Domainname) Config.Domainname = networks.joined.Config.Domainname;
    }
    this.ctx.rootfs.check(Config);
    // The image's Volumes become anonymous volumes, as in Docker (the config's own add to them).
    const imageVolumes = this.ctx.rootfs.volumes?.(Config) ?? [];
    if (imageVolumes.length > 0 || c.Volumes) Config.Volumes = { ...Object.fromEntries(imageVolumes.map((v) => [v, {}])), ...(c.Volumes ?? {}) };
    const requests = mountRequests(HostConfig.Binds, Object.keys(Config.Volumes ?? {}));
    const name = opts.name !== undefined ? canonicalName(opts.name) : `/${generateName((n) => this.store.nameOwner(n) !== undefined)}`;
    this.store.checkName(name);
    for (const m of requests) {
      if (m.Type === 'bind' && !fs.existsSync(m.Source as string)) throw invalid(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
    }
    // Volumes this create makes are undone if it fails, so nothing is left half-created.
    const made: string[] = [];
    const mounts: MountPoint[] = [];
    try {
      const fills: Array<{ target: string; data: string }> = [];
      for (const m of requests) {
        if (m.Type === 'bind') {
          mounts.push({ Type: 'bind', Source: m.Source as string, Destination: m.Destination, Mode: m.Mode, RW: m.RW });
          continue;
        }
        const anonymous = m.Source === undefined;
        const existed = m.Source !== undefined && this.ctx.volumes.has(m.Source);
        const vol = this.ctx.volumes.create(anonymous ? {} : { Name: m.Source }, anonymous);
        if (!existed) made.push(vol.Name);
        // A new volume is filled from the image's content at its path (Docker's copy-up), unless nocopy.
        if (!existed && !m.NoCopy && Object.keys(vol.Options).length === 0) fills.push({ target: m.Destination, data: vol.Mountpoint });
        mounts.push({ Type: 'volume', Name: vol.Name, Source: vol.Mountpoint, Destination: m.Destination, Driver: 'local', Mode: m.Mode, RW: m.RW, ...(anonymous ? { Anonymous: true } : {}) });
      }
      if (fills.length > 0) {
        const fill = (root: string) => {
          for (const f of fills) fillFromRoot(root, f.target, f.data);
        };
        if (this.ctx.rootfs.withContent) this.ctx.rootfs.withContent(Config, fill);
        else if (Config.Rootfs) fill(Config.Rootfs);
      }
      const [cmd, args] = commandOf(Config);
      const dir = this.store.containerDir(id);
      const rec: ContainerRecord = {
        Id: id,
        Name: name,
        Created: nowNano(),
        Path: cmd,
        Args: args,
        Config,
        HostConfig: HostConfig as StoredHostConfig,
        State: freshState(),
        RestartCount: 0,
        Mounts: mounts,
        NetworkSettings: { Networks: networks.settings, Ports: {} },
        LogPath: path.join(dir, `${id}-json.log`),
        ManuallyStopped: false,
        Runtime: null,
        ...(this.ctx.rootfs.writable?.(Config) ? { Layer: { UpperDir: path.join(dir, 'upper'), WorkDir: path.join(dir, 'work') } } : {}),
      };
      // The writable layer is made before the record: a create cut short leaves it in a directory the next open removes.
      const durable = this.store.insert(rec, () => {
        if (!rec.Layer) return;
        fs.mkdirSync(rec.Layer.UpperDir, { mode: 0o755 });
        fs.mkdirSync(rec.Layer.WorkDir, { mode: 0o700 });
      });
      this.emit('create', rec);
      const result = { Id: id, Warnings: [] as string[] };
      const done = durable.then(() => ({ Id: id, Warnings: [] as string[] }));
      done.catch(() => undefined);
      Object.defineProperty(result, 'then', { value: done.then.bind(done), enumerable: false });
      return result as CreateResult;
    } catch (err) {
      for (const v of made) this.ctx.volumes.remove(v, { force: true });
      throw err;
    }
  }

  /** Unmounts root filesystems a killed engine process left (recovery, before anything is removed). */
  reclaimRootfs(): void {
    this.ctx.rootfs.reclaim?.();
  }

  /** Resolves when every create so far is durable (see create) and every removed container's directory is gone. */
  flush(): Promise<void> {
    return this.store.flush();
  }

  setDefaultNetwork(n: 'none' | 'bridge'): void {
    this.ctx.defaultNetwork = n;
  }

  /** NetworkMode and NetworkingConfig checked and resolved (a network by name, id or prefix) before anything is made. */
  private resolveNetworks(c: ContainerConfig): { mode: string; settings: Record<string, ReturnType<typeof idleSettings>>; joined?: ContainerRecord; mac?: string } {
    const h = c.HostConfig ?? {};
    const given = h.NetworkMode;
    const mode = !given || given === 'default' ? this.ctx.defaultNetwork : given;
    const eps = c.NetworkingConfig?.EndpointsConfig ?? {};
    if (typeof eps !== 'object') throw invalid('invalid NetworkingConfig.EndpointsConfig: must be an object');
    if (mode.startsWith('container:')) {
      // The target must exist now (dockerd's create checks it); kept by full id.
      if (Object.keys(eps).length) throw invalid('conflicting options: network endpoints and the container type network mode');
      let target: ContainerRecord;
      try {
        target = this.store.find(mode.slice('container:'.length));
      } catch (err) {
        // 400, not 404: the docker CLI takes a 404 from create for a missing image.
        if ((err as EngineError).code === 'NOT_FOUND') throw invalid((err as Error).message);
        throw err;
      }
      return { mode: `container:${target.Id}`, settings: {}, joined: target };
    }
    if (isMode(mode)) {
      const published = Object.values(h.PortBindings ?? {}).some((l) => (l ?? []).length > 0) || h.PublishAllPorts;
      if (mode === 'none' && published) throw invalid('conflicting options: port publishing and the container type network mode');
      if (Object.values(eps).some((e) => e?.Aliases?.length)) throw invalid('network-scoped aliases are supported only for containers in user defined networks');
      if (Object.values(eps).some((e) => e?.MacAddress)) throw invalid('conflicting options: mac-address and the network mode');
      return { mode, settings: { [mode]: idleSettings(endpointConfig(mode, undefined), '') } };
    }
    let net: { id: string; name: string };
    try {
      net = findNetwork(mode);
    } catch (err) {
      // 400, not 404: the docker CLI takes a 404 from create for a missing image and would try to pull it.
      if ((err as EngineError).code === 'NOT_FOUND') throw invalid((err as Error).message);
      throw err;
    }
    // The CLI keys the settings by what it was given ("default" when nothing was).
    const keys = [given ?? 'default', mode, net.name, net.id];
    const others = Object.keys(eps).filter((k) => !keys.includes(k));
    // API 1.43 takes one network at create (dockerd's message); more come with connect.
    if (others.length) throw invalid(`Container cannot be connected to network endpoints: ${[net.name, ...others].join(', ')}`);
    const key = Object.keys(eps).find((k) => keys.includes(k));
    const cfg = endpointConfig(net.name, (key !== undefined ? eps[key] : undefined) as EndpointConfig | undefined);
    try {
      validateConnect(net.name, { ip: cfg.IPAMConfig?.IPv4Address, aliases: cfg.Aliases ?? [] });
    } catch (err) {
      throw invalid((err as Error).message);
    }
    // API 1.44's --mac-address is the endpoint's: kept as Config.MacAddress, the address on NetworkMode's network.
    if (cfg.MacAddress && c.MacAddress && cfg.MacAddress !== c.MacAddress.toLowerCase()) throw invalid(`conflicting options: MacAddress ${c.MacAddress} and the endpoint's ${cfg.MacAddress}`);
    return { mode: net.name, settings: { [net.name]: idleSettings(cfg, net.id) }, ...(cfg.MacAddress ? { mac: cfg.MacAddress } : {}) };
  }

  /** The ids of containers configured on a network (running or not). */
  usersOfNetwork(name: string): string[] {
    return [...this.store.all()].filter((r) => r.NetworkSettings?.Networks[name] !== undefined && !isMode(name)).map((r) => r.Id);
  }

  /**
   * docker network connect: the network is added to the container's settings
   * and, when it runs, attached to its namespace at once (the next free ethN).
   */
  connectNetwork(ref: string, network: string, cfg: EndpointConfig = {}): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, async () => {
      this.assertPresent(rec);
      const mode = rec.HostConfig.NetworkMode;
      if (mode.startsWith('container:')) throw new EngineError('FORBIDDEN', 'container sharing network namespace with another container or host cannot be connected to any other network');
      if (isMode(mode)) throw new EngineError('FORBIDDEN', `container cannot be disconnected from ${mode} network or connected to ${mode} network`);
      if (isMode(network)) throw invalid(`container cannot be connected to network ${network}: it is a network mode`);
      const net = findNetwork(network);
      const ns = (rec.NetworkSettings ??= emptySettings());
      if (ns.Networks[net.name]) throw new EngineError('FORBIDDEN', `endpoint with name ${rec.Name.slice(1)} already exists in network ${net.name}`);
      const c = endpointConfig(net.name, cfg);
      // Kept for its start, a second network's own address would need a place in the record first.
      if (c.MacAddress) throw invalid(`EndpointConfig.MacAddress on network connect is not supported by bulkheadd yet (got ${c.MacAddress})`);
      try {
        validateConnect(net.name, { ip: c.IPAMConfig?.IPv4Address, aliases: c.Aliases ?? [] });
      } catch (err) {
        throw invalid((err as Error).message);
      }
      let settings = idleSettings(c, net.id);
      const live = this.live.get(rec.Id);
      const eps = this.endpoints.get(rec.Id);
      if (live && eps?.length && rec.State.Running && !rec.State.Restarting) {
        const ep = await connectNetwork(net.name, connectionOf(rec, net.name, settings, false, fs.openSync(`/proc/self/fd/${eps[0].netns}`, 'r')));
        eps.push(ep);
        settings = runningSettings(settings, ep);
      }
      ns.Networks[net.name] = settings;
      this.store.save(rec);
      this.ctx.events.emit('event', { Type: 'network', Action: 'connect', Actor: { ID: net.id, Attributes: { container: rec.Id, name: net.name, type: 'bridge' } }, time: Math.floor(Date.now() / 1000) });
    });
  }

  /** docker network disconnect: detached at once when running, and gone from its settings. */
  disconnectNetwork(ref: string, network: string, opts: { force?: boolean } = {}): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, async () => {
      this.assertPresent(rec);
      const ns = (rec.NetworkSettings ??= emptySettings());
      let name = network;
      if (!ns.Networks[name]) {
        try {
          name = findNetwork(network).name;
        } catch (err) {
          if (!opts.force) throw err;
        }
      }
      if (isMode(name)) throw new EngineError('FORBIDDEN', `container cannot be disconnected from ${name} network or connected to ${name} network`);
      if (!ns.Networks[name]) throw new EngineError('FORBIDDEN', `container ${rec.Id} is not connected to network ${network}`);
      const eps = this.endpoints.get(rec.Id);
      const i = eps?.findIndex((e) => e.network === name) ?? -1;
      if (eps && i >= 0) {
        // The namespace is the first endpoint's fd: the others hold their own, so releasing any one keeps it.
        eps[i].release();
        eps.splice(i, 1);
      }
      delete ns.Networks[name];
      this.store.save(rec);
      this.ctx.events.emit('event', { Type: 'network', Action: 'disconnect', Actor: { ID: name, Attributes: { container: rec.Id, name, type: 'bridge' } }, time: Math.floor(Date.now() / 1000) });
    });
  }

  // ---- queries ---------------------------------------------------------------

  inspect(ref: string): ContainerInspect {
    return inspectRecord(this.store.find(ref));
  }

  /** docker ps: running containers, or all with { all: true }; newest first. */
  list(opts: { all?: boolean; filters?: ListFilters; limit?: number } = {}): ContainerSummary[] {
    const match = compileFilters(opts.filters);
    const out: ContainerRecord[] = [];
    // Without all (and no status filter) only running containers: those the engine holds a process or a restart timer for.
    const source = opts.all || opts.filters?.status?.length ? this.store.all() : this.runningRecords();
    for (const r of source) {
      if (!opts.all && !r.State.Running && !(opts.filters?.status?.length)) continue;
      if (match(r)) out.push(r);
    }
    out.sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
    return (opts.limit && opts.limit > 0 ? out.slice(0, opts.limit) : out).map(summarize);
  }

  private *runningRecords(): Generator<ContainerRecord> {
    for (const id of new Set([...this.live.keys(), ...this.restartTimers.keys()])) if (this.store.has(id)) yield this.store.find(id);
  }

  /** The ids of containers that mount the volume (for the volume store's in-use check). */
  usersOfVolume(name: string): string[] {
    const out: string[] = [];
    for (const r of this.store.all()) if (r.Mounts.some((m) => m.Type === 'volume' && m.Name === name)) out.push(r.Id);
    return out;
  }

  private running(ref: string): { rec: ContainerRecord; live: LiveContainer } {
    const rec = this.store.find(ref);
    const live = this.live.get(rec.Id);
    if (!live || !rec.State.Running || rec.State.Restarting) throw conflict(`Container ${rec.Id} is not running`);
    return { rec, live };
  }

  top(ref: string): TopResult {
    const { rec } = this.running(ref);
    return topOf(rec.Runtime!.cgroup);
  }

  /** One sample (stream: false) or an async iterable of one sample a second while it runs. */
  stats(ref: string): ContainerStats;
  stats(ref: string, opts: { stream: true; intervalMs?: number }): AsyncIterable<ContainerStats>;
  stats(ref: string, opts: { stream?: boolean; intervalMs?: number } = {}): ContainerStats | AsyncIterable<ContainerStats> {
    const sample = (): ContainerStats | null => {
      const rec = this.store.find(ref);
      if (!rec.State.Running || !rec.Runtime) return null;
      try {
        return collectContainerStats(rec.Id, rec.Name, rec.Runtime.cgroup);
      } catch {
        return null;
      }
    };
    if (!opts.stream) {
      const { rec } = this.running(ref);
      return collectContainerStats(rec.Id, rec.Name, rec.Runtime!.cgroup);
    }
    this.store.find(ref);
    const interval = opts.intervalMs ?? 1000;
    return (async function* () {
      for (;;) {
        const s = sample();
        if (!s) return;
        yield s;
        await new Promise((r) => setTimeout(r, interval));
      }
    })();
  }

  logs(ref: string, opts: LogsOptions = {}): AsyncIterable<LogEntry> {
    const rec = this.store.find(ref);
    const maxFile = Number(rec.HostConfig.LogConfig.Config?.['max-file'] ?? 1);
    return readLogs(rec.LogPath, maxFile, opts, () => !opts.signal?.aborted && (this.live.has(rec.Id) || this.restartTimers.has(rec.Id)));
  }

  // ---- start -----------------------------------------------------------------

  start(ref: string): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, async () => {
      this.assertPresent(rec);
      if (rec.State.Paused) throw conflict('cannot start a paused container, try unpause instead');
      if (rec.State.Running && !rec.State.Restarting) throw new EngineError('CONFLICT', `container ${rec.Id} is already running`);
      this.cancelRestart(rec);
      rec.ManuallyStopped = false;
      this.delays.delete(rec.Id);
      await this.startLocked(rec);
    });
  }

  private assertPresent(rec: ContainerRecord): void {
    if (!this.store.has(rec.Id) || rec.State.Status === 'removing') throw notFound('container', rec.Id);
  }

  private mountsFor(rec: ContainerRecord): Mount[] {
    const out: Mount[] = [];
    for (const m of rec.Mounts) {
      const tmpfs = m.Type === 'volume' && m.Name ? this.ctx.volumes.tmpfsOptions(m.Name) : null;
      if (tmpfs) {
        // A tmpfs volume is mounted in the container itself (spawn's tmpfs mount): one container at a time.
        for (const [id, l] of this.live) {
          const other = this.store.has(id) ? this.store.find(id) : undefined;
          if (l && other && other.Id !== rec.Id && other.Mounts.some((o) => o.Name === m.Name)) {
            throw conflict(`volume ${m.Name} (tmpfs) is in use by running container ${other.Id}: a tmpfs volume is mounted in one container at a time here`);
          }
        }
        out.push({ type: 'tmpfs', target: m.Destination, ...(tmpfs.size ? { size: tmpfs.size } : {}), ...(tmpfs.mode !== undefined ? { mode: tmpfs.mode } : {}) });
      } else out.push({ type: 'bind', source: m.Source, target: m.Destination, readonly: !m.RW });
    }
    return out;
  }

  /**
   * NetworkMode container:<id>: an fd of the running target's network
   * namespace (its process is this engine's child, unreaped while it is live,
   * so the pid is its own), and its /etc/hosts and /etc/resolv.conf to bind.
   */
  private joinedNetwork(targetId: string): { fd: number; mounts: Mount[] } {
    const target = this.store.find(targetId);
    const live = this.live.get(target.Id);
    const pid = live?.sub.pid;
    if (!live || pid === undefined || !target.State.Running || target.State.Restarting) throw new EngineError('CONFLICT', `cannot join network of a non running container: ${target.Id}`);
    const fd = fs.openSync(`/proc/${pid}/ns/net`, 'r');
    const files = (this.endpoints.get(target.Id)?.[0]?.mounts ?? []).filter((m) => m.target === '/etc/hosts' || m.target === '/etc/resolv.conf');
    return { fd, mounts: files };
  }

  /** Spawns the process and records it running. Throws (state unchanged but Error set) when it cannot run. */
  private async startLocked(rec: ContainerRecord): Promise<void> {
    const rootfs = this.ctx.rootfs.prepare(rec.Id, rec.Config, rec.Layer);
    const lc = rec.HostConfig.LogConfig.Config ?? {};
    let writer: JsonFileWriter | undefined;
    let sub;
    let eps: Endpoint[] = [];
    let joinedFd: number | undefined;
    try {
      const opts = spawnOptionsOf(rec, rootfs, this.mountsFor(rec), this.ctx.cgroupParent);
      // The namespace and its interfaces exist before the program runs: its first connect() works.
      if (rec.HostConfig.NetworkMode.startsWith('container:')) {
        const j = this.joinedNetwork(rec.HostConfig.NetworkMode.slice('container:'.length));
        joinedFd = j.fd;
        opts.netns = j.fd;
        opts.mounts = [...(opts.mounts ?? []), ...j.mounts];
      } else if (!isMode(rec.HostConfig.NetworkMode)) {
        eps = await attachAll(rec, this.store.containerDir(rec.Id));
        opts.netns = eps[0].netns;
        opts.mounts = [...(opts.mounts ?? []), ...eps[0].mounts];
      }
      writer = new JsonFileWriter(rec.LogPath, { maxSize: lc['max-size'] ? parseLogSize(lc['max-size']) : 0, maxFile: Number(lc['max-file'] ?? 1) });
      sub = spawn(rec.Path, rec.Args, opts);
    } catch (err) {
      if (joinedFd !== undefined) fs.closeSync(joinedFd);
      writer?.close();
      releaseAll(rec, eps);
      this.ctx.rootfs.release(rec.Id);
      throw err;
    }
    // The child joined the namespace before spawn() returned (setns in the child).
    if (joinedFd !== undefined) fs.closeSync(joinedFd);
    if (sub.pid === undefined) {
      // It never ran: spawn's promise says why. Docker keeps the record, with the error and 127 (not found) or 126.
      writer.close();
      releaseAll(rec, eps);
      this.ctx.rootfs.release(rec.Id);
      const err = (await sub.then(() => new Error('spawn failed'), (e: unknown) => e)) as Error & { code?: string };
      rec.State.Error = err.message;
      rec.State.ExitCode = err.code === 'ENOENT' ? 127 : err.code === 'EACCES' ? 126 : 128;
      if (rec.State.Restarting) {
        rec.State.Restarting = false;
        rec.State.Running = false;
        rec.State.Status = 'exited';
      }
      this.store.save(rec);
      throw new EngineError('INVALID_PARAMETER', `failed to start container ${rec.Id}: ${err.message}`, { cause: err });
    }
    const live = new LiveContainer(sub, writer, rec.Config.Tty ?? false);
    this.live.set(rec.Id, live);
    if (eps.length) this.endpoints.set(rec.Id, eps);
    const st = rec.State;
    st.Status = 'running';
    st.Running = true;
    st.Paused = false;
    st.Restarting = false;
    st.OOMKilled = false;
    st.Dead = false;
    st.Pid = sub.pid;
    st.ExitCode = 0;
    st.Error = '';
    st.StartedAt = nowNano();
    rec.Runtime = { startTime: processStartTime(sub.pid) ?? 0, cgroup: sub.cgroup?.path ?? '' };
    // Not fsynced: a power loss kills the container with the machine, and a
    // record that lost this change (still created or exited) is as true then;
    // its group, owned by no record, is removed at the next open. A SIGKILL of
    // the engine finds it whole either way (rename(2) is atomic).
    this.store.save(rec, { durable: false });
    this.emit('start', rec);
    // The exit is recorded once the output read so far is in the log: the pipes
    // close with the last process of the container's pid namespace (pid_namespaces(7)),
    // so the wait is short; a bound keeps a pipe passed elsewhere from holding it.
    const drained = (): Promise<void> => Promise.race([live.drained, new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    sub.then(
      (res) => drained().then(() => this.onExit(rec, live, res)),
      (err) => drained().then(() => this.onExit(rec, live, { exitCode: 128 + 9, signal: null, error: err } as unknown as SpawnResult)),
    );
  }

  private onExit(rec: ContainerRecord, live: LiveContainer, res: SpawnResult): void {
    live.writer.close();
    this.live.delete(rec.Id);
    // Its veths, addresses, published ports and DNS names go with the process.
    releaseAll(rec, this.endpoints.get(rec.Id));
    this.endpoints.delete(rec.Id);
    this.ctx.rootfs.release(rec.Id);
    const code = exitCodeOf(res);
    const st = rec.State;
    st.Running = false;
    st.Paused = false;
    st.Pid = 0;
    st.ExitCode = code;
    st.OOMKilled = res.oomKilled ?? false;
    st.FinishedAt = nowNano();
    rec.Runtime = null;
    const gone = !this.store.has(rec.Id);
    const restart = !gone && !live.ending && !this.closing && st.Status !== 'removing' && shouldRestart(rec, code);
    if (st.Status !== 'removing') st.Status = 'exited';
    if (restart) {
      const delay = nextDelay(this.delays.get(rec.Id) ?? 0, Date.now() - live.startedMs);
      this.delays.set(rec.Id, delay);
      st.Status = 'restarting';
      st.Restarting = true;
      st.Running = true;
      this.restartTimers.set(
        rec.Id,
        setTimeout(() => {
          this.restartTimers.delete(rec.Id);
          void this.mutex
            .run(rec.Id, async () => {
              if (!this.store.has(rec.Id) || !rec.State.Restarting || this.closing) return;
              rec.RestartCount++;
              try {
                await this.startLocked(rec);
              } catch (err) {
                rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false, Error: (err as Error).message, ExitCode: 128 };
                this.store.save(rec);
              }
              this.emit('restart', rec);
            })
            .catch(() => undefined);
        }, delay),
      );
    }
    // Not fsynced either: after a power loss a record still "running" is
    // recovered as exited (137) with its restart policy applied, which is what
    // the machine's crash did to it; only the exit code may be lost.
    if (!gone) this.store.save(rec, { durable: false });
    this.emit('die', rec, { exitCode: String(code) });
    this.waiters.emit(`exit:${rec.Id}`, { StatusCode: code });
    if (!gone && !restart && !live.ending && rec.HostConfig.AutoRemove && st.Status !== 'removing') {
      void this.remove(rec.Id, { volumes: true }).catch(() => undefined);
    }
  }

  private cancelRestart(rec: ContainerRecord): void {
    const t = this.restartTimers.get(rec.Id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(rec.Id);
    if (rec.State.Restarting) {
      rec.State.Restarting = false;
      rec.State.Running = false;
      rec.State.Status = 'exited';
    }
  }

  private exited(id: string): Promise<WaitResult> {
    return new Promise((r) => this.waiters.once(`exit:${id}`, r));
  }

  // ---- stop, kill, restart ---------------------------------------------------

  /** Sends StopSignal (default SIGTERM), then SIGKILL after the timeout in seconds (default StopTimeout or 10). */
  stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, () => this.stopLocked(rec, opts, true));
  }

  private async stopLocked(rec: ContainerRecord, opts: { timeout?: number; signal?: string }, manual: boolean): Promise<void> {
    if (manual) rec.ManuallyStopped = true;
    if (rec.State.Restarting) {
      this.cancelRestart(rec);
      this.store.save(rec);
      return;
    }
    const live = this.live.get(rec.Id);
    if (!live) {
      if (manual) this.store.save(rec);
      return;
    }
    const sig = opts.signal ?? rec.Config.StopSignal ?? 'SIGTERM';
    const num = signalNumber(sig);
    if (num === undefined) throw invalid(`Invalid signal: ${sig}`);
    const timeout = opts.timeout ?? rec.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
    const done = this.exited(rec.Id);
    if (manual) this.store.save(rec);
    live.sub.kill(num);
    // A frozen process cannot act on the signal: thaw it.
    if (rec.State.Paused && rec.Runtime) await Cgroup.open(rec.Runtime.cgroup).thaw().catch(() => undefined);
    if (timeout >= 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([done.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeout * 1000)))]);
      clearTimeout(timer);
      if (!timedOut) return;
    } else {
      await done;
      return;
    }
    await this.killAll(rec, live);
    await done;
  }

  /** SIGKILL to every process of the container's group (cgroup.kill: no pid can be recycled under it). */
  private async killAll(rec: ContainerRecord, live: LiveContainer): Promise<void> {
    live.sub.kill('SIGKILL');
    if (rec.Runtime?.cgroup) await Cgroup.open(rec.Runtime.cgroup).kill().catch(() => undefined);
  }

  kill(ref: string, signal: string = 'SIGKILL'): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, async () => {
      const num = signalNumber(signal);
      if (num === undefined) throw invalid(`Invalid signal: ${signal}`);
      const live = this.live.get(rec.Id);
      if (!live || rec.State.Restarting) throw conflict(`Container ${rec.Id} is not running`);
      // Docker's kill marks the container manually stopped: its restart policy waits.
      rec.ManuallyStopped = true;
      this.store.save(rec);
      const done = this.exited(rec.Id);
      live.sub.kill(num);
      if (rec.State.Paused && rec.Runtime) await Cgroup.open(rec.Runtime.cgroup).thaw().catch(() => undefined);
      if (num === 9) await done;
    });
  }

  restart(ref: string, opts: { timeout?: number } = {}): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, async () => {
      await this.stopLocked(rec, opts, true);
      this.assertPresent(rec);
      rec.ManuallyStopped = false;
      this.delays.delete(rec.Id);
      await this.startLocked(rec);
      this.emit('restart', rec);
    });
  }

  // ---- pause -----------------------------------------------------------------

  pause(ref: string): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, async () => {
      const { live } = this.running(rec.Id);
      if (rec.State.Paused) throw conflict(`Container ${rec.Id} is already paused`);
      const dir = rec.Runtime!.cgroup;
      if (!fs.existsSync(path.join(dir, 'cgroup.freeze'))) {
        throw new EngineError('NOT_IMPLEMENTED', `Cannot pause container ${rec.Id}: its cgroup ${dir} has no cgroup.freeze (the cgroup v2 freezer needs Linux 5.2)`);
      }
      void live;
      await Cgroup.open(dir).freeze();
      rec.State.Paused = true;
      rec.State.Status = 'paused';
      this.store.save(rec);
      this.emit('pause', rec);
    });
  }

  unpause(ref: string): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, async () => {
      if (!rec.State.Paused) throw conflict(`Container ${rec.Id} is not paused`);
      await Cgroup.open(rec.Runtime!.cgroup).thaw();
      rec.State.Paused = false;
      rec.State.Status = 'running';
      this.store.save(rec);
      this.emit('unpause', rec);
    });
  }

  // ---- remove, rename, wait, prune -------------------------------------------

  remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, async () => {
      if (!this.store.has(rec.Id)) throw notFound('container', ref);
      if (rec.State.Paused && !opts.force) throw conflict(`You cannot remove a paused container ${rec.Id}. Unpause and then stop the container before attempting removal or force remove`);
      if (rec.State.Running && !rec.State.Restarting && !opts.force) {
        throw conflict(`You cannot remove a running container ${rec.Id}. Stop the container before attempting removal or force remove`);
      }
      if (rec.State.Status === 'removing') throw conflict(`removal of container ${rec.Id} is already in progress`);
      this.cancelRestart(rec);
      const live = this.live.get(rec.Id);
      // "removing" is stored only when there is a process to kill first: recovery finishes such a removal.
      rec.State.Status = 'removing';
      if (live) this.store.save(rec);
      if (live) {
        live.ending = true;
        const done = this.exited(rec.Id);
        if (rec.State.Paused && rec.Runtime) await Cgroup.open(rec.Runtime.cgroup).thaw().catch(() => undefined);
        await this.killAll(rec, live);
        await done;
      }
      this.finishRemove(rec, opts.volumes ?? false);
    });
  }

  /** The last step of a removal (also run by recovery for a removal cut short). */
  finishRemove(rec: ContainerRecord, volumes: boolean): void {
    this.ctx.rootfs.release(rec.Id);
    this.store.delete(rec);
    this.delays.delete(rec.Id);
    this.execs.dropContainer(rec.Id);
    if (volumes) {
      for (const m of rec.Mounts) {
        if (m.Anonymous && m.Name && this.usersOfVolume(m.Name).length === 0) this.ctx.volumes.remove(m.Name, { force: true });
      }
    }
    this.emit('destroy', rec);
    this.waiters.emit(`removed:${rec.Id}`, { StatusCode: rec.State.ExitCode });
    this.waiters.emit(`exit:${rec.Id}`, { StatusCode: rec.State.ExitCode });
  }

  rename(ref: string, newName: string): Promise<void> {
    const rec = this.store.find(ref);
    return this.mutex.run(rec.Id, () => {
      if (typeof newName !== 'string' || !validName(newName)) throw invalid(`Invalid container name (${String(newName)}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      const name = canonicalName(newName);
      if (name === rec.Name) throw conflict(`Renaming a container with the same name as its current name`);
      this.store.rename(rec, name);
      this.emit('rename', rec);
    });
  }

  /** Docker's wait: 'not-running' (default) resolves at once for a stopped container, 'next-exit' at the next exit, 'removed' when it is removed. */
  wait(ref: string, condition: WaitCondition = 'not-running', opts: { signal?: AbortSignal } = {}): Promise<WaitResult> {
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw invalid(`invalid condition: "${condition}"`);
    const rec = this.store.find(ref);
    if (condition === 'not-running' && (!rec.State.Running || rec.State.Restarting)) return Promise.resolve({ StatusCode: rec.State.ExitCode });
    const ev = condition === 'removed' ? `removed:${rec.Id}` : `exit:${rec.Id}`;
    return new Promise((resolve, reject) => {
      // An abort (a client that went away) takes the listener off: a waiter never outlives its caller.
      const onAbort = () => {
        this.waiters.off(ev, done);
        reject(opts.signal!.reason ?? new Error('aborted'));
      };
      const done = (r: WaitResult) => {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      if (opts.signal?.aborted) return onAbort();
      this.waiters.once(ev, done);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Listeners waiting on containers' exits and removals (for leak checks). */
  waiterCount(): number {
    return this.waiters.eventNames().reduce((n, e) => n + this.waiters.listenerCount(e), 0);
  }

  /** Removes every stopped container (created, exited, dead), with label and until filters. */
  async prune(opts: { filters?: { label?: string[]; until?: string[] } } = {}): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const match = compileFilters(opts.filters?.label ? { label: opts.filters.label } : undefined);
    const until = opts.filters?.until?.[0];
    const deleted: string[] = [];
    for (const r of [...this.store.all()]) {
      if (r.State.Running || r.State.Status === 'removing' || !match(r)) continue;
      if (until !== undefined && Date.parse(r.Created) >= (/^\d+$/.test(until) ? Number(until) * 1000 : Date.parse(until))) continue;
      await this.remove(r.Id).then(() => deleted.push(r.Id), () => undefined);
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: 0 };
  }

  // ---- attach ----------------------------------------------------------------

  /**
   * Attaches to a running container's stdio: its output from now on goes to
   * `stdout`/`stderr` (with a tty, all of it to stdout), and `stdin` (with
   * OpenStdin) goes to the container until the detach keys (default
   * ctrl-p,ctrl-q) are read, or the container exits.
   */
  attach(ref: string, io: AttachIO): AttachSession {
    const { rec, live } = this.running(ref);
    return attachClient(live, rec.Config.Tty ? live.sub.pty : live.sub.stdin, rec.Config.OpenStdin ?? false, { closeStdin: rec.Config.StdinOnce ?? false, ...io }, (onExit) => {
      this.waiters.once(`exit:${rec.Id}`, onExit);
      return () => this.waiters.off(`exit:${rec.Id}`, onExit);
    });
  }

  // ---- exec ------------------------------------------------------------------

  /**
   * Runs a new process in a running container (docker exec): in its
   * namespaces and cgroup, as its user with its capabilities and seccomp filter
   * unless the config says otherwise. It dies with the container: it is in the
   * container's pid namespace (whose init's death kills it) and group.
   */
  exec(ref: string, config: ExecConfig): ExecSession {
    const c = validateExec(config);
    const rec = this.store.find(ref);
    const live = this.live.get(rec.Id);
    // Docker's checks and messages, in its order (daemon/exec.go getActiveContainer).
    if (!live || !rec.State.Running || !rec.Runtime) throw conflict(`Container ${rec.Id} is not running`);
    // Paused, or being paused (pause() has written cgroup.freeze and waits for the kernel).
    if (rec.State.Paused || readFreeze(rec.Runtime.cgroup)) throw conflict(`Container ${rec.Id} is paused, unpause the container before exec`);
    if (rec.State.Restarting) throw conflict(`Container ${rec.Id} is restarting, wait until the container is running`);
    // The init's pid is still the container's while its start time matches: a
    // reaped pid could have been reused, and reaping happens on this thread, so
    // nothing can reap it between this check and spawn's pidfd_open below.
    if (live.sub.exitCode !== null || processStartTime(rec.State.Pid) !== rec.Runtime.startTime) throw conflict(`Container ${rec.Id} is not running`);
    const id = newId();
    const entry = { id, containerId: rec.Id, config: c, sub: null as Subprocess | null, running: false, exitCode: null as number | null };
    const sub = spawn(c.Cmd[0], c.Cmd.slice(1), execSpawnOptions(rec, c, rec.State.Pid));
    const done = sub.then(
      (res) => ({ ExitCode: execExitCode(res) }),
      (err: unknown) => {
        // It never ran: a missing program is 127 as in Docker, anything else 126 (cannot invoke).
        const code = (err as { code?: string }).code === 'ENOENT' ? 127 : 126;
        return { ExitCode: code, Error: { Message: (err as Error).message } };
      },
    );
    entry.sub = sub;
    entry.running = sub.pid !== undefined;
    this.execs.add(entry);
    if (entry.running) this.emit('exec_start', rec, { execID: id });
    // Settled once the output is read to its end (as the container's exit waits
    // for its log), bounded: an unread stream holds it 2 s at most.
    const outputs = (c.Tty ? [sub.pty] : [sub.stdout, sub.stderr]).filter((x) => x !== null);
    const ended = Promise.all(outputs.map((x) => new Promise<void>((r) => (x.readableEnded || x.destroyed ? r() : (x.once('end', () => r()), x.once('close', () => r()))))));
    const drained = () => Promise.race([ended, new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    const settled = done.then(async (r) => {
      entry.running = false;
      entry.exitCode = r.ExitCode;
      this.emit('exec_die', rec, { execID: id, exitCode: String(r.ExitCode) });
      await drained();
      return r;
    });
    // Detached, or nobody reads the tty: drain it so that the program never blocks on output.
    if (c.Detach && sub.pty) sub.pty.resume();
    return {
      Id: id,
      stdin: c.Tty ? (c.AttachStdin && !c.Detach ? sub.pty : null) : sub.stdin,
      stdout: c.Tty ? (c.Detach ? null : sub.pty) : sub.stdout,
      stderr: c.Tty ? null : sub.stderr,
      resize: (rows, cols) => this.execResize(id, { h: rows, w: cols }),
      done: settled,
    };
  }

  /** Docker's ExecInspect: running or not, the exit code once it has exited, the process config. */
  execInspect(execId: string): ExecInspect {
    return this.execs.inspect(execId);
  }

  /** Resizes an exec's tty (POST /exec/{id}/resize); the kernel sends its process group SIGWINCH. */
  execResize(execId: string, size: { h: number; w: number }): void {
    const e = this.execs.get(execId);
    if (!Number.isInteger(size.h) || !Number.isInteger(size.w) || size.h < 1 || size.w < 1 || size.h > 65535 || size.w > 65535) throw invalid('exec resize: h and w must be integers from 1 to 65535');
    if (!e.config.Tty) throw conflict(`exec ${execId} has no tty`);
    if (!e.running || !e.sub) throw conflict(`Exec ${execId} is not running`);
    e.sub.resize(size.h, size.w);
  }

  /** Sets a tty container's window size (TIOCSWINSZ on its pty; the program gets SIGWINCH). */
  resize(ref: string, rows: number, cols: number): void {
    const { rec, live } = this.running(ref);
    if (!rec.Config.Tty) throw conflict(`Container ${rec.Id} has no tty to resize`);
    for (const [k, v] of [['h', rows], ['w', cols]] as const) if (!Number.isInteger(v) || v < 0 || v > 65535) throw invalid(`invalid ${k}: must be an integer from 0 to 65535, got ${v}`);
    live.sub.resize(rows, cols);
  }

  // ---- engine lifecycle ------------------------------------------------------

  /** Takes every running container down (no restart now, the policy applies at the next open), as a daemon shutdown. */
  async shutdown(timeoutSec: number): Promise<void> {
    this.closing = true;
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
    await Promise.all(
      [...this.live.keys()].map((id) => {
        const rec = this.store.find(id);
        return this.mutex.run(id, async () => {
          const live = this.live.get(id);
          if (!live) return;
          live.ending = true;
          await this.stopLocked(rec, { timeout: timeoutSec }, false);
        });
      }),
    );
    // Containers left "restarting" are stored as such: the next open restarts them.
  }

  /** Recovery's start of a container whose policy says so (after an engine restart). */
  startRecovered(rec: ContainerRecord): Promise<void> {
    return this.mutex.run(rec.Id, async () => {
      try {
        await this.startLocked(rec);
      } catch (err) {
        rec.State.Error = (err as Error).message;
        this.store.save(rec);
      }
    });
  }
}
