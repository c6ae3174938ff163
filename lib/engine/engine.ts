// The engine over one data root: containers and volumes as persistent objects.
//
// Layout under the root (default /var/lib/bulkhead):
//   engine.lock                      the owning process (pid + start time); one engine per root
//   containers/<id>/container.json   the record, replaced atomically on every change
//   containers/<id>/<id>-json.log    the json-file log (and .1, .2 ... when rotated)
//   containers/<id>/{upper,work}     the writable layer of a container made from an image, kept until removal
//   volumes/<name>/{volume.json,_data}
// Containers' cgroups go under one group of the engine's own
// (<v2 mount>/bulkhead/engine-<hash of the root>), so that everything a dead
// engine left there can be found and reclaimed.
//
// When the process that owns the engine ends, its containers end too: spawn()'s
// dieWithParent (PR_SET_PDEATHSIG) kills them, as Docker without live-restore.
// The next open() over the same root finds them gone, records them exited with
// 137 (killed), removes their cgroups, and applies their restart policies.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Cgroup } from '../cgroup/cgroup';
import { discoverCgroupCached } from '../cgroup/discover';
import { Containers } from './containers';
import { Networks } from './networks';
import { reclaim as reclaimNetworks } from '../network/index';
import { networksDir } from '../network/state/files';
import { acquireFileLock } from '../util/lock';
import { ContainerStore } from './store/store';
import { removeStaleTemps } from '../util/atomic';
import { nowNano, type ContainerRecord } from './container/record';
import { DirectoryRootfs, type RootfsSource } from './rootfs';
import { VolumeStore } from '../volume/store';
import { EngineError } from '../util/engine-error';

export const DEFAULT_ROOT = '/var/lib/bulkhead';

export interface EngineOptions {
  /** The data root (default /var/lib/bulkhead). */
  root?: string;
  /** The v2 cgroup directory containers' groups go under (default <v2 mount>/bulkhead/engine-<hash of root>). */
  cgroupParent?: string;
  /** Where root filesystems come from (default: the config's Rootfs directory). */
  rootfs?: RootfsSource;
  /**
   * The network of a container whose NetworkMode is absent or "default":
   * "none" (default: a sandbox, as `bulkhead run`) or "bridge" (Docker's,
   * bulkheadd's). Networks themselves live under $BULKHEAD_ROOT/networks.
   */
  defaultNetwork?: 'none' | 'bridge';
}

export interface RecoveryReport {
  /** Containers found running at open whose processes had ended with the previous engine. */
  exited: string[];
  /** Removals cut short, finished now. */
  removed: string[];
  /** Containers started again by their restart policy. */
  restarted: string[];
  /** Creates cut short (a directory with no record, or an empty one), removed with what they held. */
  creates: string[];
  /** cgroups with no owner, removed. */
  cgroups: string[];
}

function defaultCgroupParent(root: string): string {
  const host = discoverCgroupCached();
  if (host.mountpoint === null) throw new EngineError('UNAVAILABLE', `engine: no cgroup v2 hierarchy is mounted (cgroup mode ${host.mode})`);
  const hash = createHash('sha256').update(root).digest('hex').slice(0, 12);
  return path.join(host.mountpoint, 'bulkhead', `engine-${hash}`);
}

export class Engine extends EventEmitter {
  readonly root: string;
  readonly cgroupParent: string;
  readonly containers: Containers;
  readonly volumes: VolumeStore;
  readonly networks: Networks;
  /** What open() found and did. */
  recovery: RecoveryReport = { exited: [], removed: [], creates: [], restarted: [], cgroups: [] };
  private readonly store: ContainerStore;
  private release: (() => void) | null;

  private constructor(root: string, opts: EngineOptions) {
    super();
    this.root = root;
    fs.mkdirSync(root, { recursive: true, mode: 0o711 });
    this.release = acquireFileLock(path.join(root, 'engine.lock'), `engine root ${root}`);
    try {
      // Only now: a live engine's temp files are its own business.
      removeStaleTemps(root);
      this.cgroupParent = opts.cgroupParent ?? defaultCgroupParent(root);
      fs.mkdirSync(this.cgroupParent, { recursive: true });
      this.store = new ContainerStore(root);
      this.volumes = new VolumeStore(root, (name) => this.containers.usersOfVolume(name));
      this.containers = new Containers({ store: this.store, volumes: this.volumes, rootfs: opts.rootfs ?? new DirectoryRootfs(), cgroupParent: this.cgroupParent, events: this, defaultNetwork: opts.defaultNetwork ?? 'none' });
      this.networks = new Networks(this.containers);
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Opens the engine over a root, recovering what a previous engine process left. */
  static async open(opts: EngineOptions = {}): Promise<Engine> {
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`Engine.open: options must be an object, got ${JSON.stringify(opts)}`);
    const root = path.resolve(opts.root ?? DEFAULT_ROOT);
    const engine = new Engine(root, opts);
    try {
      await engine.recover();
    } catch (err) {
      // Nothing half-made: the engine's cgroup parent goes too when it is empty (rmdir(2) refuses otherwise).
      try {
        fs.rmdirSync(engine.cgroupParent);
      } catch {
        // Holding groups recovery could not reclaim: kept for the next open.
      }
      engine.release?.();
      throw err;
    }
    return engine;
  }

  private async recover(): Promise<void> {
    const rep = this.recovery;
    // Overlays a killed engine left mounted come down first: nothing below is removed under a mount.
    this.containers.reclaimRootfs();
    this.volumes.load();
    rep.creates.push(...this.store.load().removed);
    const wasRunning: ContainerRecord[] = [];
    // Endpoints a killed engine held (veths, leases, published ports, DNS names): their owner is gone.
    // Only when its containers use networks: an engine without them never touches the networks' root.
    const usesNetworks = [...this.store.all()].some((r) => Object.keys(r.NetworkSettings?.Networks ?? {}).some((n) => n !== 'none' && n !== 'host'));
    if (usesNetworks && fs.existsSync(networksDir())) reclaimNetworks();
    for (const rec of [...this.store.all()]) {
      if (rec.Runtime?.cgroup) await this.reclaimGroup(rec.Runtime.cgroup);
      if (rec.State.Status === 'removing') {
        this.containers.finishRemove(rec, false);
        rep.removed.push(rec.Id);
        continue;
      }
      if (rec.State.Running || rec.State.Restarting || rec.Runtime) {
        // Its process ended with the engine that started it (PR_SET_PDEATHSIG sends SIGKILL).
        const st = rec.State;
        const wasRestarting = st.Restarting;
        Object.assign(st, { Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, FinishedAt: nowNano() });
        if (!wasRestarting) st.ExitCode = 137;
        rec.Runtime = null;
        this.store.save(rec);
        rep.exited.push(rec.Id);
        wasRunning.push(rec);
      }
    }
    // Groups nobody owns: a start cut between spawn and its record, or left by a dead engine.
    for (const e of fs.readdirSync(this.cgroupParent, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      await this.reclaimGroup(path.join(this.cgroupParent, e.name));
      rep.cgroups.push(e.name);
    }
    // Restart policies, as a daemon start applies them: always restarts every
    // stopped container, even a manually stopped one; unless-stopped every one
    // not stopped by hand; on-failure one that was running when the engine went
    // away, while retries are left.
    for (const rec of this.store.all()) {
      const p = rec.HostConfig.RestartPolicy.Name;
      const ran = wasRunning.includes(rec);
      let go = false;
      if (p === 'always') go = ran || rec.State.Status === 'exited';
      else if (p === 'unless-stopped') go = (ran || rec.State.Status === 'exited') && !rec.ManuallyStopped;
      else if (p === 'on-failure') go = ran && !rec.ManuallyStopped && rec.State.ExitCode !== 0 && (rec.HostConfig.RestartPolicy.MaximumRetryCount === 0 || rec.RestartCount < rec.HostConfig.RestartPolicy.MaximumRetryCount);
      if (ran && !go && rec.HostConfig.AutoRemove) {
        this.containers.finishRemove(rec, true);
        rep.removed.push(rec.Id);
        continue;
      }
      if (!go) continue;
      rec.ManuallyStopped = false;
      if (ran && p !== 'always') rec.RestartCount++;
      await this.containers.startRecovered(rec);
      rep.restarted.push(rec.Id);
    }
    // The directories of removals finished above are gone when open() returns.
    await this.containers.flush();
  }

  /** What NetworkMode "default" means from now on (bulkheadd falls back to "none" where the bridge cannot be made). */
  setDefaultNetwork(n: 'none' | 'bridge'): void {
    this.containers.setDefaultNetwork(n);
  }

  /** Kills what is left in a group (cgroup.kill: pids cannot be recycled under it) and removes it. */
  private async reclaimGroup(dir: string): Promise<void> {
    if (!fs.existsSync(dir)) return;
    await Cgroup.open(dir).destroy();
  }

  /**
   * Stops every running container (StopSignal, then SIGKILL after timeout
   * seconds, default 10) and releases the root. Their restart policies apply at
   * the next open, as after a daemon restart.
   */
  async close(opts: { timeout?: number } = {}): Promise<void> {
    if (!this.release) return;
    await this.containers.shutdown(opts.timeout ?? 10);
    await this.containers.flush().catch(() => undefined);
    try {
      fs.rmdirSync(this.cgroupParent);
    } catch {
      // Still holding groups of containers being torn down, or already gone.
    }
    this.release();
    this.release = null;
  }
}
