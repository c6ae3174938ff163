// The container store: one directory per container under <root>/containers,
// its record in container.json replaced atomically on every change, and an
// in-memory index (by id, by name) so that lookups and lists never scan disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerRecord } from '../container/record';
import { removeStaleTemps, writeJsonAtomic } from '../../util/atomic';
import { GroupCommit } from './commit';
import { conflict, invalid, notFound } from '../../util/engine-error';
import { ID_RE } from '../ids/id';

export const RECORD = 'container.json';

export class ContainerStore {
  readonly dir: string;
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();
  readonly commits: GroupCommit;

  constructor(root: string) {
    this.dir = path.join(root, 'containers');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o710 });
    this.commits = new GroupCommit(this.dir, RECORD);
  }

  /**
   * Loads every record. A directory without a record is a create that was cut
   * short (the record is written last): it is removed, with what it held. So is
   * one whose record is empty: a create whose commit a power loss cut (its
   * record was named before its data reached the disk, see commit.ts; a create
   * is acknowledged as durable only after the commit), when the container
   * never started (no log). A record that is neither empty nor JSON, or empty
   * beside a log, is refused: that is not a create cut short.
   */
  load(): { removed: string[] } {
    const removed: string[] = [];
    for (const id of fs.readdirSync(this.dir)) {
      const dir = path.join(this.dir, id);
      if (!ID_RE.test(id)) continue;
      removeStaleTemps(dir);
      let rec: ContainerRecord;
      let text: string | null;
      try {
        text = fs.readFileSync(path.join(dir, RECORD), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        text = null;
      }
      if (text === null || text === '') {
        // A log means the container was started: an empty record there is a later, unflushed change a power loss cut (see save), not a create.
        if (text === '' && fs.readdirSync(dir).some((n) => n.endsWith('-json.log'))) throw new Error(`container store: ${path.join(dir, RECORD)} is empty after its container ran (a power loss on a filesystem that does not flush a renamed file); refusing to guess`);
        fs.rmSync(dir, { recursive: true, force: true });
        removed.push(id);
        continue;
      }
      try {
        rec = JSON.parse(text as string) as ContainerRecord;
      } catch (err) {
        throw new Error(`container store: ${path.join(dir, RECORD)} is not a record (${(err as Error).message}); refusing to guess`, { cause: err });
      }
      this.byId.set(rec.Id, rec);
      this.byName.set(rec.Name, rec.Id);
    }
    return { removed };
  }

  containerDir(id: string): string {
    return path.join(this.dir, id);
  }

  all(): IterableIterator<ContainerRecord> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  /** By full id, name (with or without "/") or unambiguous id prefix, as Docker's GetContainer. */
  find(ref: string): ContainerRecord {
    if (typeof ref !== 'string' || ref === '') throw invalid('No container name or ID specified');
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const named = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (named) return this.byId.get(named)!;
    if (/^[0-9a-f]+$/.test(ref)) {
      let hit: ContainerRecord | undefined;
      for (const [id, rec] of this.byId) {
        if (id.startsWith(ref)) {
          if (hit) throw invalid(`multiple IDs found with provided prefix: ${ref}`);
          hit = rec;
        }
      }
      if (hit) return hit;
    }
    throw notFound('container', ref);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  nameOwner(name: string): string | undefined {
    return this.byName.get(name);
  }

  /** Refuses a name held by another container, with Docker's message. */
  checkName(name: string, self?: string): void {
    const owner = this.byName.get(name);
    if (owner !== undefined && owner !== self) {
      throw conflict(`Conflict. The container name "${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
  }

  /**
   * Creates the directory and writes the first record (last: a record means a
   * complete create), whole after a SIGKILL from the moment this returns. The
   * promise resolves once the create is durable against a power loss too (the
   * group commit, shared with the creates in flight); it never rejects unheard.
   */
  insert(rec: ContainerRecord, prepare: (dir: string) => void): Promise<void> {
    this.checkName(rec.Name);
    const dir = this.containerDir(rec.Id);
    fs.mkdirSync(dir, { mode: 0o710 });
    try {
      prepare(dir);
      writeJsonAtomic(path.join(dir, RECORD), rec, { fsync: false });
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.byId.set(rec.Id, rec);
    this.byName.set(rec.Name, rec.Id);
    const durable = this.commits.commit(dir);
    durable.catch(() => undefined);
    return durable;
  }

  /**
   * Persists a changed record (same object), atomically. durable: false skips
   * the fsync, for changes a power loss makes moot (see writeFileAtomic): the
   * record still survives a SIGKILL of the engine whole, old or new.
   */
  save(rec: ContainerRecord, opts: { durable?: boolean } = {}): void {
    writeJsonAtomic(path.join(this.containerDir(rec.Id), RECORD), rec, { fsync: opts.durable ?? true });
  }

  rename(rec: ContainerRecord, name: string): void {
    this.checkName(name, rec.Id);
    const old = rec.Name;
    rec.Name = name;
    try {
      this.save(rec);
    } catch (err) {
      rec.Name = old;
      throw err;
    }
    this.byName.delete(old);
    this.byName.set(name, rec.Id);
  }

  /**
   * Removes the record first: that is the removal (a directory without one is
   * removed at the next load, so a SIGKILL at any moment after it loses
   * nothing). The directory itself (logs, a writable layer) goes in the
   * background, on libuv's thread pool: unlink(2) and rmdir(2) wait on the
   * filesystem's journal, a millisecond or more each on a busy disk, which no
   * caller needs to wait for. flush() waits for them (close does).
   */
  delete(rec: ContainerRecord): void {
    const dir = this.containerDir(rec.Id);
    try {
      fs.unlinkSync(path.join(dir, RECORD));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.byId.delete(rec.Id);
    if (this.byName.get(rec.Name) === rec.Id) this.byName.delete(rec.Name);
    const gone = fs.promises.rm(dir, { recursive: true, force: true }).catch(() => {
      // Left for the next load, which removes a directory without a record.
    });
    this.removals.add(gone);
    void gone.finally(() => this.removals.delete(gone));
  }

  private readonly removals = new Set<Promise<void>>();

  /** Resolves when every create is committed and every removed directory is gone. */
  async flush(): Promise<void> {
    await this.commits.flush();
    await Promise.all(this.removals);
  }
}
