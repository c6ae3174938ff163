// A container's stored config as spawn() options: the command, environment,
// user, namespaces, mounts and cgroup limits. Pure: the caller gives the root
// filesystem and the resolved mounts.
import type { SpawnOptions, Mount, OverlayRootfs } from '../../spawn/options';
import { DEFAULT_PATH } from '../../util/default-path';
import type { ContainerRecord } from '../container/record';
import { parseSecurityOpt, parseTmpfsOptions } from '../container/config';
import { limitsOf, resourceSpawnOptions } from '../container/resources';

export function commandOf(c: ContainerRecord['Config']): [string, string[]] {
  const argv = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  return [argv[0], argv.slice(1)];
}

/** The container's environment: PATH and HOSTNAME, then its Env, then `extra` (an exec's Env) over them. */
export function envOf(c: ContainerRecord['Config'], extra: string[] = []): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: c.Hostname ?? '' };
  for (const e of [...(c.Env ?? []), ...extra]) {
    const i = e.indexOf('=');
    env[e.slice(0, i)] = e.slice(i + 1);
  }
  return env;
}

/** A numeric User ("uid" or "uid:gid"; "" and "root" are 0) as ids. */
export function idsOf(user: string | undefined): { uid: number; gid: number } {
  if (!user || user === 'root') return { uid: 0, gid: 0 };
  const [u, g] = user.split(':');
  const uid = Number(u);
  return { uid, gid: g !== undefined ? Number(g) : uid };
}

export function spawnOptionsOf(r: ContainerRecord, rootfs: string | OverlayRootfs, mounts: Mount[], cgroupParent: string): SpawnOptions {
  const c = r.Config;
  const h = r.HostConfig;
  const env = envOf(c);
  const { uid, gid } = idsOf(c.User);
  env.HOME ??= uid === 0 ? '/root' : '/';
  return {
    rootfs,
    env,
    hostname: c.Hostname,
    ...(c.Domainname ? { domainname: c.Domainname } : {}),
    cwd: c.WorkingDir || '/',
    uid,
    gid,
    namespaces: { net: h.NetworkMode !== 'host' },
    mounts: [...mounts, ...Object.entries(h.Tmpfs ?? {}).map(([target, o]): Mount => ({ type: 'tmpfs', target, ...parseTmpfsOptions(target, o) }))],
    ...parseSecurityOpt(h.SecurityOpt ?? []),
    stdio: [c.OpenStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    // The size is the pty's before the program's first instruction (a resize after the start would race it).
    ...(c.Tty ? { tty: h.ConsoleSize && h.ConsoleSize[0] > 0 && h.ConsoleSize[1] > 0 ? { rows: h.ConsoleSize[0], cols: h.ConsoleSize[1] } : true } : {}),
    cgroup: cgroupParent,
    limits: limitsOf(h),
    readonlyRootfs: h.ReadonlyRootfs ?? false,
    init: h.Init ?? false,
    ...resourceSpawnOptions(h),
    ...(h.Sysctls && Object.keys(h.Sysctls).length ? { sysctls: h.Sysctls } : {}),
    ...(h.OomScoreAdj ? { oomScoreAdj: h.OomScoreAdj } : {}),
    ...(h.CapAdd ? { capAdd: h.CapAdd } : {}),
    ...(h.CapDrop ? { capDrop: h.CapDrop } : {}),
    buffer: false,
    reject: false,
    // The container dies with the engine's process (PR_SET_PDEATHSIG): Docker without live-restore.
    dieWithParent: true,
  };
}
