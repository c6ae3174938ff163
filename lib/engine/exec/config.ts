// An exec's configuration (POST /containers/{id}/exec): validated like the
// container's, and turned into spawn() options that join the running container.
// Pure: the caller gives the record and the container's init pid.
import type { SpawnOptions } from '../../spawn/options';
import type { ContainerRecord } from '../container/record';
import { invalid } from '../../util/engine-error';
import { envOf, idsOf } from '../lifecycle/spawn-options';

export interface ExecConfig {
  /** The command and its arguments (Docker's Cmd). */
  Cmd: string[];
  /** KEY=value entries added to the container's environment. */
  Env?: string[];
  /** Default: the container's WorkingDir. */
  WorkingDir?: string;
  /** Numeric "uid[:gid]" or "root"; default: the container's User. */
  User?: string;
  Tty?: boolean;
  /** [rows, cols] of the tty. */
  ConsoleSize?: [number, number];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  /** Every capability, no seccomp filter (docker exec --privileged). */
  Privileged?: boolean;
  /** Start and return: no stdio (docker exec -d). */
  Detach?: boolean;
}

const KEYS = ['Cmd', 'Env', 'WorkingDir', 'User', 'Tty', 'ConsoleSize', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Privileged', 'Detach'];

/** Throws INVALID_PARAMETER naming the field, with Docker's messages where it has one. */
export function validateExec(c: unknown): ExecConfig {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw invalid('exec: config must be an object');
  const o = c as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw invalid(`exec: unknown field ${JSON.stringify(k)}`);
  if (!Array.isArray(o.Cmd) || o.Cmd.length === 0) throw invalid('No exec command specified');
  o.Cmd.forEach((a, i) => {
    if (typeof a !== 'string' || a.includes('\0') || (i === 0 && a === '')) throw invalid(`exec: Cmd[${i}] must be a string without NUL bytes (the first non-empty)`);
  });
  if (o.Env !== undefined) {
    if (!Array.isArray(o.Env)) throw invalid('exec: Env must be an array of "KEY=value" strings');
    o.Env.forEach((e, i) => {
      if (typeof e !== 'string' || e.indexOf('=') < 1 || e.includes('\0')) throw invalid(`exec: Env[${i}] must be "KEY=value"`);
    });
  }
  if (o.WorkingDir !== undefined && o.WorkingDir !== '' && (typeof o.WorkingDir !== 'string' || !o.WorkingDir.startsWith('/') || o.WorkingDir.includes('\0'))) {
    throw invalid(`the working directory '${String(o.WorkingDir)}' is invalid, it needs to be an absolute path`);
  }
  if (o.User !== undefined && (typeof o.User !== 'string' || (o.User !== '' && !/^(root|\d+)(:\d+)?$/.test(o.User)))) throw invalid(`exec: User must be root or a numeric uid[:gid], got ${JSON.stringify(o.User)}`);
  for (const k of ['Tty', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Privileged', 'Detach']) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw invalid(`exec: ${k} must be a boolean`);
  }
  if (o.ConsoleSize !== undefined) {
    const s = o.ConsoleSize;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((n) => Number.isInteger(n) && n >= 1 && n <= 65535)) throw invalid('exec: ConsoleSize must be [rows, cols], each from 1 to 65535');
  }
  return o as unknown as ExecConfig;
}

/**
 * spawn() options for an exec: the container's environment, user, working
 * directory and capabilities unless the exec overrides them; its namespaces
 * and cgroup through join. Privileged adds every capability and drops the
 * seccomp filter; the container's device program stays in force (it belongs to
 * the container's group, which the exec shares).
 */
export function execSpawnOptions(rec: ContainerRecord, c: ExecConfig, pid: number): SpawnOptions {
  const env = envOf(rec.Config, c.Env);
  const { uid, gid } = idsOf(c.User || rec.Config.User);
  env.HOME ??= uid === 0 ? '/root' : '/';
  const h = rec.HostConfig;
  return {
    join: { pid, cgroup: rec.Runtime!.cgroup },
    env,
    cwd: c.WorkingDir || rec.Config.WorkingDir || '/',
    uid,
    gid,
    stdio: [c.AttachStdin && !c.Detach ? 'pipe' : 'ignore', c.Detach || c.AttachStdout === false ? 'ignore' : 'pipe', c.Detach || c.AttachStderr === false ? 'ignore' : 'pipe'],
    ...(c.Tty ? { tty: c.ConsoleSize ? { rows: c.ConsoleSize[0], cols: c.ConsoleSize[1] } : true } : {}),
    ...(c.Privileged ? { capAdd: ['ALL'], seccomp: false as const } : { ...(h.CapAdd ? { capAdd: h.CapAdd } : {}), ...(h.CapDrop ? { capDrop: h.CapDrop } : {}) }),
    buffer: false,
    reject: false,
    dieWithParent: true,
  };
}
