// Named volumes, `local` driver: one directory per volume under
// <root>/volumes/<name> holding _data (the content) and volume.json (its
// record, written atomically and last, so a directory without one is a create
// cut short and is removed at load).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { removeStaleTemps, writeJsonAtomic } from '../util/atomic';
import { conflict, invalid, notFound } from './errors';
import { parseDriverOpts } from './options';

export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface Volume {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
  /** Docker's com.docker.volume.anonymous label marks these too; kept as a field here. */
  Anonymous?: boolean;
}

export interface VolumeCreateOptions {
  Name?: string;
  Driver?: string;
  Labels?: Record<string, string>;
  DriverOpts?: Record<string, string>;
}

export type VolumeFilters = Partial<Record<'name' | 'label' | 'dangling' | 'driver', string[]>>;

export class VolumeStore {
  readonly dir: string;
  private readonly byName = new Map<string, Volume>();

  /** usedBy(name) gives the ids of containers that mount the volume. */
  constructor(
    root: string,
    private readonly usedBy: (name: string) => string[],
  ) {
    this.dir = path.join(root, 'volumes');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o701 });
  }

  load(): void {
    for (const name of fs.readdirSync(this.dir)) {
      if (!VOLUME_NAME_RE.test(name)) continue;
      const d = path.join(this.dir, name);
      removeStaleTemps(d);
      try {
        this.byName.set(name, JSON.parse(fs.readFileSync(path.join(d, 'volume.json'), 'utf8')) as Volume);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        fs.rmSync(d, { recursive: true, force: true });
      }
    }
  }

  /** Creates a volume; an existing name with the same driver is returned as is (Docker's idempotent create). */
  create(opts: VolumeCreateOptions = {}, anonymous = false): Volume {
    if (typeof opts !== 'object' || opts === null) throw invalid(`invalid volume options: ${JSON.stringify(opts)}`);
    for (const k of Object.keys(opts)) if (!['Name', 'Driver', 'Labels', 'DriverOpts'].includes(k)) throw invalid(`invalid volume option: unknown field "${k}"`);
    if (opts.Driver !== undefined && opts.Driver !== 'local') throw invalid(`volume driver ${JSON.stringify(opts.Driver)} is not supported: only "local"`);
    const name = opts.Name ?? randomBytes(32).toString('hex');
    if (typeof name !== 'string' || !VOLUME_NAME_RE.test(name)) {
      throw invalid(`${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    }
    if (opts.Labels !== undefined && (typeof opts.Labels !== 'object' || opts.Labels === null || Object.values(opts.Labels).some((v) => typeof v !== 'string'))) {
      throw invalid(`invalid volume Labels: must be an object of strings, got ${JSON.stringify(opts.Labels)}`);
    }
    parseDriverOpts(opts.DriverOpts);
    const existing = this.byName.get(name);
    if (existing) return existing;
    const d = path.join(this.dir, name);
    const vol: Volume = {
      Name: name,
      Driver: 'local',
      Mountpoint: path.join(d, '_data'),
      CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      Labels: { ...(opts.Labels ?? {}) },
      Options: { ...(opts.DriverOpts ?? {}) },
      Scope: 'local',
      ...(anonymous ? { Anonymous: true } : {}),
    };
    fs.mkdirSync(d, { mode: 0o701 });
    try {
      fs.mkdirSync(vol.Mountpoint, { mode: 0o755 });
      writeJsonAtomic(path.join(d, 'volume.json'), vol, { syncDir: true });
    } catch (err) {
      fs.rmSync(d, { recursive: true, force: true });
      throw err;
    }
    this.byName.set(name, vol);
    return vol;
  }

  inspect(name: string): Volume {
    const v = this.byName.get(name);
    if (!v) throw notFound('volume', name);
    return structuredClone(v);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  list(filters: VolumeFilters = {}): Volume[] {
    const out: Volume[] = [];
    for (const [k, vals] of Object.entries(filters)) {
      if (!['name', 'label', 'dangling', 'driver'].includes(k)) throw invalid(`invalid filter '${k}'`);
      if (k === 'dangling') for (const v of vals ?? []) if (!['true', 'false', '1', '0'].includes(v)) throw invalid(`invalid filter 'dangling=${v}'`);
    }
    for (const v of this.byName.values()) {
      if (filters.name?.length && !filters.name.some((n) => v.Name.includes(n))) continue;
      if (filters.driver?.length && !filters.driver.includes(v.Driver)) continue;
      if (filters.label?.length && !filters.label.every((l) => {
        const i = l.indexOf('=');
        return i < 0 ? l in v.Labels : v.Labels[l.slice(0, i)] === l.slice(i + 1);
      })) continue;
      if (filters.dangling?.length) {
        const dangling = this.usedBy(v.Name).length === 0;
        if (!filters.dangling.some((d) => (d === 'true' || d === '1') === dangling)) continue;
      }
      out.push(structuredClone(v));
    }
    return out;
  }

  /** Refused while containers use it (even stopped ones), naming them, as Docker. force only ignores a missing volume. */
  remove(name: string, opts: { force?: boolean } = {}): void {
    const v = this.byName.get(name);
    if (!v) {
      if (opts.force) return;
      throw notFound('volume', name);
    }
    const users = this.usedBy(name);
    if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    const d = path.join(this.dir, name);
    // The record goes first: a volume without it is gone, and load() finishes the removal.
    fs.rmSync(path.join(d, 'volume.json'), { force: true });
    this.byName.delete(name);
    fs.rmSync(d, { recursive: true, force: true });
  }

  /** Removes unused volumes: anonymous ones only, unless all (docker volume prune --all). */
  prune(opts: { all?: boolean; filters?: VolumeFilters } = {}): { VolumesDeleted: string[]; SpaceReclaimed: number } {
    const deleted: string[] = [];
    let space = 0;
    for (const v of this.list({ ...(opts.filters ?? {}), dangling: ['true'] })) {
      if (!opts.all && !v.Anonymous) continue;
      space += du(v.Mountpoint);
      this.remove(v.Name);
      deleted.push(v.Name);
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space };
  }

  tmpfsOptions(name: string): ReturnType<typeof parseDriverOpts> {
    return parseDriverOpts(this.inspect(name).Options);
  }
}

function du(p: string): number {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const c of fs.readdirSync(p)) n += du(path.join(p, c));
  return n;
}
