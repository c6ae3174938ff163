// `bulkhead-oci exec`: a new process in a running container, as runc exec
// (and containerd's shim through it: `exec --process F --detach --pid-file P
// [--console-socket S] ID`). Built on spawn()'s `join`: the program enters
// the container init's namespaces and cgroup; its own settings (args, env,
// cwd, user, capabilities, rlimits, noNewPrivileges, terminal) come from the
// process spec, and the container's seccomp profile applies to it as to init.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants as osConstants } from 'node:os';
import { spawn } from '../spawn/index';
import { native } from '../native/load';
import type { SpawnOptions } from '../spawn/options';
import { fromOciSpec, OciSpecError } from './spec';
import { OciError, type StateStore } from './state';

export interface ExecOptions {
  /** The process spec (runtime-spec config.md "process"), parsed. */
  process: Record<string, unknown>;
  consoleSocket?: string;
  detach: boolean;
  pidFile?: string;
  warn?: (msg: string) => void;
}

export interface Execed {
  pid: number;
  exited: Promise<number>;
}

/** The container's config.json, parsed, for the parts an exec inherits (seccomp; the base process of exec without --process). */
export function bundleConfig(bundle: string): Record<string, unknown> {
  const file = path.join(bundle, 'config.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new OciError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The program's own spawn options from a process spec, translated as create's (spec.ts), errors named `process.*`. */
function programOptions(config: Record<string, unknown>, proc: Record<string, unknown>, bundle: string, warn?: (m: string) => void): { command: string; args: string[]; options: SpawnOptions } {
  let r;
  try {
    r = fromOciSpec({ ...config, process: proc }, bundle);
  } catch (err) {
    if (err instanceof OciSpecError) throw new OciError(err.message.replace(/^config\.json: /, 'process: '));
    throw err;
  }
  for (const w of r.warnings) if (w.startsWith('process.')) warn?.(w);
  const o = r.options;
  const options: SpawnOptions = { dieWithParent: false, reject: false, buffer: false };
  for (const k of ['env', 'cwd', 'uid', 'gid', 'groups', 'umask', 'capabilities', 'rlimits', 'noNewPrivileges', 'seccomp', 'tty'] as const) {
    if (o[k] !== undefined) (options as Record<string, unknown>)[k] = o[k];
  }
  return { command: r.command, args: r.args, options };
}

export async function exec(store: StateStore, id: string, o: ExecOptions): Promise<Execed> {
  const s = store.read(id);
  if (s === null) throw new OciError(`container ${id} is still being created`);
  const status = store.status(id, s);
  if (status === 'stopped') throw new OciError('cannot exec in a stopped container');
  if (status === 'paused') throw new OciError('cannot exec in a paused container');
  const { command, args, options } = programOptions(bundleConfig(s.bundle), o.process, s.bundle, o.warn);
  if (options.tty && o.consoleSocket === undefined) throw new OciError('cannot allocate tty if runc will detach without setting console socket');
  if (!options.tty && o.consoleSocket !== undefined) throw new OciError('cannot use console socket if runc will not detach or allocate tty');
  // A pidfd first, then the pid's start time again: from here on the pidfd
  // names the container's init or a process that has exited, never a newcomer
  // that was given its pid (pidfd_open(2)).
  let pidfd: number;
  try {
    pidfd = native().pidfdOpen(s.pid);
  } catch {
    throw new OciError('cannot exec in a stopped container');
  }
  try {
    if (store.status(id, s) === 'stopped') throw new OciError('cannot exec in a stopped container');
    options.join = { pidfd, ...(s.cgroup ? { cgroup: s.cgroup } : {}) };
    if (!options.tty) options.stdio = [0, 1, 2];
    const sub = spawn(command, args, options);
    if (sub.pid === undefined) {
      try {
        await sub;
      } catch (err) {
        throw new OciError(`exec failed: ${(err as Error).message}`);
      }
      throw new OciError('exec failed: no process');
    }
    const pid = sub.pid;
    if (sub.pty && o.consoleSocket !== undefined) {
      const fd = (sub.pty as unknown as { _handle?: { fd?: number } })._handle?.fd;
      if (fd === undefined || fd < 0) {
        process.kill(pid, 'SIGKILL');
        throw new OciError('the pty master has no fd to send');
      }
      native().sendFd(o.consoleSocket, fd, '/dev/ptmx');
    }
    if (o.pidFile !== undefined) {
      // As runc: through a temp file and a rename, so the shim never reads half a pid.
      const tmp = path.join(path.dirname(path.resolve(o.pidFile)), `.${path.basename(o.pidFile)}.${process.pid}`);
      fs.writeFileSync(tmp, String(pid));
      fs.renameSync(tmp, o.pidFile);
    }
    const exited = Promise.resolve(sub).then((r) => r.exitCode ?? 128 + signalNumber(r.signal));
    return { pid, exited };
  } finally {
    fs.closeSync(pidfd);
  }
}

function signalNumber(sig: string | null | undefined): number {
  return sig ? (osConstants.signals as Record<string, number>)[sig] ?? 0 : 0;
}

/**
 * exec without --process (runc's flags): the container's own process spec with
 * these args, and --cwd, --env, --user, --additional-gids, --cap, --tty,
 * --no-new-privs over it.
 */
export function processFromFlags(base: Record<string, unknown>, args: string[], f: { cwd?: string; env: string[]; user?: string; additionalGids: string[]; caps: string[]; tty: boolean; noNewPrivs: boolean }): Record<string, unknown> {
  if (args.length === 0) throw new OciError('exec: no command given (ARGS or --process)');
  const p: Record<string, unknown> = { ...base, args, terminal: f.tty };
  delete p.consoleSize;
  if (f.cwd !== undefined) p.cwd = f.cwd;
  if (f.env.length) {
    // Later entries win, as runc's: a variable given again replaces the container's.
    const env = new Map<string, string>();
    for (const e of [...((base.env as string[] | undefined) ?? []), ...f.env]) env.set(e.split('=')[0], e);
    p.env = [...env.values()];
  }
  const user = { ...((base.user as Record<string, unknown> | undefined) ?? { uid: 0, gid: 0 }) };
  if (f.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(f.user);
    if (!m) throw new OciError(`exec: --user ${f.user}: only numeric uid[:gid] is supported`);
    user.uid = Number(m[1]);
    user.gid = m[2] !== undefined ? Number(m[2]) : 0;
  }
  if (f.additionalGids.length) user.additionalGids = f.additionalGids.map((g) => {
    if (!/^\d+$/.test(g)) throw new OciError(`exec: --additional-gids ${g}: must be a number`);
    return Number(g);
  });
  p.user = user;
  if (f.caps.length) {
    const caps = { ...((base.capabilities as Record<string, string[]> | undefined) ?? {}) };
    for (const k of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) caps[k] = [...new Set([...(caps[k] ?? []), ...f.caps])];
    p.capabilities = caps;
  }
  if (f.noNewPrivs) p.noNewPrivileges = true;
  return p;
}
