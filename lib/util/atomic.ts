// Atomic replacement of a small file: write a temp file beside it, fsync it,
// rename(2) over the target (atomic within one filesystem). A reader, or a
// process started after a SIGKILL, sees the old or the new content, never a
// mix. With syncDir the directory is fsynced too, so that the rename itself
// survives a power loss (fsync(2): "Calling fsync() does not necessarily ensure
// that the entry in the directory containing the file has also reached disk");
// without it a power loss may bring back the previous version, whole. With
// fsync: false the data is not flushed either: a SIGKILL of the writer still
// finds the old or the new file whole (both live in the page cache, which the
// kernel keeps), but after a power loss the file may be the old one or, on a
// filesystem that does not flush data before a rename over an existing file
// (ext4's auto_da_alloc and btrfs do), empty. Only for state a power loss makes
// moot anyway.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A writer's temp file: beside the target, named after the writing process. */
export const tempName = (target: string): string => `${target}.tmp-${process.pid}`;
/** Whether a directory entry is such a temp file (what a killed writer leaves). */
export const isTempName = (name: string): boolean => /\.tmp-\d+$/.test(name);

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeFileAtomic(file: string, data: string | Buffer, opts: { mode?: number; syncDir?: boolean; fsync?: boolean } = {}): void {
  const mode = opts.mode ?? 0o600;
  const tmp = tempName(file);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, mode);
  try {
    fs.writeFileSync(fd, data);
    if (opts.fsync !== false) fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  if (opts.syncDir) fsyncDir(path.dirname(file));
}

export const writeJsonAtomic = (file: string, value: unknown, opts: { mode?: number; syncDir?: boolean; fsync?: boolean } = {}): void => writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', opts);

/** Removes temp files a killed writer left in dir (never the target: rename is all or nothing). */
export function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (isTempName(n)) fs.rmSync(path.join(dir, n), { force: true });
}
