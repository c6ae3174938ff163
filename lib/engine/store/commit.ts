// Group commit of new container records: what makes a create durable against
// a power loss, shared by every create in flight.
//
// A create writes its record synchronously (temp file, rename: whole after a
// SIGKILL of the engine at any moment, since the page cache is the kernel's)
// and then asks for a commit. A commit flushes, for a batch of creates, every
// record's data (fdatasync(2): the data and the size needed to read it back),
// and then every container directory and the containers directory (fsync(2) of
// a directory makes the entries in it durable: "Calling fsync() does not
// necessarily ensure that the entry in the directory containing the file has
// also reached disk"). Data before names: a power loss can then leave a
// directory without its record (a create cut short, removed at the next open)
// or a record whose data never reached the disk (empty: see ContainerStore.load),
// never a record named but torn. The flushes run on libuv's thread pool, so the
// event loop goes on, and the creates that arrive while a batch is flushing
// share the next one: N concurrent creates cost two rounds of flushes, not 3N.
import * as fs from 'node:fs';
import * as path from 'node:path';

async function sync(p: string, data: boolean): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(p, fs.constants.O_RDONLY);
  } catch (err) {
    // Removed before its commit: nothing of it needs to last.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await (data ? fh.datasync() : fh.sync());
  } finally {
    await fh.close();
  }
}

interface Waiter {
  dir: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class GroupCommit {
  private queue: Waiter[] = [];
  private running: Promise<void> | null = null;
  /** Batches flushed and records in them (for the benchmark's report). */
  readonly counts = { batches: 0, records: 0 };

  constructor(
    private readonly parent: string,
    private readonly file: string,
  ) {}

  /** Resolves once dir/file, dir and dir's entry in parent are durable. */
  commit(dir: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ dir, resolve, reject });
      // One microtask later: every create of the same turn of the event loop joins the first batch.
      if (!this.running) this.running = Promise.resolve().then(() => this.run());
    });
  }

  /** Resolves when every commit asked for so far is done (or failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        await Promise.all(batch.map((w) => sync(path.join(w.dir, this.file), true)));
        await Promise.all([...batch.map((w) => sync(w.dir, false)), sync(this.parent, false)]);
        this.counts.batches++;
        this.counts.records += batch.length;
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err as Error);
      }
    }
    this.running = null;
  }
}
