// The one door to cgroupfs: every read, write, mkdir and rmdir of a cgroup goes
// through cgfs() so that a failure always says what was attempted, where, and
// with which data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BulkheadError } from '../errors';

export type CgroupOp = 'read' | 'write' | 'mkdir' | 'rmdir' | 'open' | 'bpf';

export interface CgroupErrorFields {
  /** errno code (EINVAL, EBUSY, ...), or ETIMEDOUT for a wait that ran out. */
  code: string;
  op: CgroupOp;
  path: string;
  /** What was written, for op 'write'. */
  data?: string;
}

export class CgroupError extends BulkheadError {
  readonly op: CgroupOp;
  declare readonly path: string;
  readonly data?: string;
  constructor(message: string, fields: CgroupErrorFields & { cause?: unknown }) {
    super(message, { code: fields.code, path: fields.path, ...(fields.cause !== undefined ? { cause: fields.cause } : {}) });
    this.name = 'CgroupError';
    this.op = fields.op;
    if (fields.data !== undefined) this.data = fields.data;
  }
}

/** What an errno means on cgroupfs, beyond strerror (Documentation/admin-guide/cgroup-v2.rst). */
function hint(op: CgroupOp, file: string, code: string): string {
  const base = path.basename(file);
  if (code === 'EINVAL' && op === 'write') return 'the kernel rejected the value';
  if (code === 'EBUSY' && base === 'cgroup.subtree_control') {
    return 'the group has processes of its own, and the no-internal-processes rule lets only groups without processes enable controllers for their children';
  }
  if (code === 'EBUSY' && base === 'cgroup.procs') {
    return 'the group has controllers enabled in its cgroup.subtree_control, and the no-internal-processes rule keeps processes out of such groups';
  }
  if (code === 'EBUSY' && op === 'rmdir') return 'the group still has processes or child groups';
  if (code === 'ESRCH') return 'no such process';
  if ((code === 'ENOTSUP' || code === 'EOPNOTSUPP') && base === 'cgroup.procs') {
    return 'the group is "domain invalid": its parent has processes of its own and a threaded controller (cpu, pids) enabled for its children, so only threads, not processes, may live below it';
  }
  if ((code === 'ENOTSUP' || code === 'EOPNOTSUPP') && base === 'cgroup.subtree_control') return 'the controller cannot be enabled here (a threaded subtree or a v1-bound controller)';
  if (code === 'ENOENT' && op === 'write') return 'this kernel does not provide that file (the controller is not enabled for the group, or the kernel lacks the feature)';
  if (code === 'EEXIST') return 'a group of that name already exists';
  return '';
}

function fail(err: unknown, op: CgroupOp, file: string, data?: string): never {
  let code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  // kernfs answers open(O_CREAT) of a missing interface file with EACCES: say what it is.
  if (code === 'EACCES' && op === 'write' && !fs.existsSync(file)) code = 'ENOENT';
  const why = hint(op, file, code);
  const what = op === 'write' ? `write ${JSON.stringify(data)} to ${file}` : `${op} ${file}`;
  throw new CgroupError(`cgroup: ${what} failed: ${code}${why ? ` (${why})` : ''}`, {
    code,
    op,
    path: file,
    ...(data === undefined ? {} : { data }),
  });
}

/** Read a cgroupfs file (kernfs reports size 0, so read to EOF, never copy_file_range). */
export function readCg(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    fail(err, 'read', file);
  }
}

/** Read a file a kernel may lack (memory.peak before 5.19, *.pressure without PSI): undefined when absent. */
export function readCgOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // EOPNOTSUPP: PSI compiled in but disabled with psi=0 makes *.pressure unreadable.
    if (code === 'ENOENT' || code === 'EOPNOTSUPP') return undefined;
    fail(err, 'read', file);
  }
}

/** One write(2) per call: cgroupfs parses each write as a whole. */
export function writeCg(file: string, data: string): void {
  try {
    fs.writeFileSync(file, data);
  } catch (err) {
    fail(err, 'write', file, data);
  }
}

export function mkdirCg(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    fail(err, 'mkdir', dir);
  }
}

/** rmdir; false when the group was already gone. */
export function rmdirCg(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    fail(err, 'rmdir', dir);
  }
}

/** Child groups of a group: its subdirectories (interface files are regular files). */
export function childGroups(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    fail(err, 'open', dir);
  }
  return entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
}
