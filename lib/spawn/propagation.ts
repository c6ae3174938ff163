// Mount propagation (mount_namespaces(7), "Shared subtrees"): the names an OCI
// config uses for the root's and a bind mount's propagation, as mount(2) flags,
// and the mount a path lives on (runc's rootfsParentMountPrivate needs it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMountinfo } from '../cgroup/mountinfo';
import * as F from '../util/kernel-flags';

export const PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'] as const;
export type Propagation = (typeof PROPAGATIONS)[number];

/** 'rslave' → MS_SLAVE | MS_REC (the r- forms apply to the whole subtree). */
export function propagationFlags(p: Propagation): number {
  const base = p.replace(/^r/, '');
  const flag = base === 'private' ? F.MS_PRIVATE : base === 'slave' ? F.MS_SLAVE : base === 'shared' ? F.MS_SHARED : F.MS_UNBINDABLE;
  return flag | (p.startsWith('r') ? F.MS_REC : 0);
}

/** Whether mount events can cross from the host into the container's tree (slave) or both ways (shared). */
export function receivesHostEvents(p: Propagation | undefined): boolean {
  return p !== undefined && /slave|shared/.test(p);
}

/**
 * The mount point of the mount that holds `p` (itself when it is one): the
 * longest mount point that is p or one of its parents, the last such line
 * when mounts are stacked (later lines of mountinfo are mounted over earlier).
 */
export function mountPointOf(p: string, mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string {
  const real = fs.realpathSync(p);
  let best = '/';
  for (const m of parseMountinfo(mountinfo)) {
    const mp = m.mountpoint;
    const under = mp === '/' || real === mp || real.startsWith(mp.endsWith('/') ? mp : mp + path.sep);
    if (under && mp.length >= best.length) best = mp;
  }
  return best;
}
