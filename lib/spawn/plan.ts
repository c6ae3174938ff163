// Turns validated spawn options into the plan native/spawn executes: clone
// flags, the ordered filesystem steps, ids, maps, env and execve candidates.
// Pure: unit tests check the plan without a kernel.
import * as path from 'node:path';
import type { FsOp, NativePlan } from '../native/types';
import * as F from './flags';
import { containedTarget, DEFAULT_PATH, type IdMapping, type Namespaces, type SpawnOptions } from './options';

/** Where the host-view sandbox assembles its root: a tmpfs over /tmp in the child's own mount namespace. */
export const SANDBOX_STAGE = '/tmp';
export const SANDBOX_ROOT = '/tmp/.bulkhead-root';

/** Device nodes a container gets, bound from the host's /dev (Docker's minimal set). */
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

export function cloneFlags(ns: Namespaces): number {
  let f = 0;
  if (ns.mount) f |= F.CLONE_NEWNS;
  if (ns.pid) f |= F.CLONE_NEWPID;
  if (ns.uts) f |= F.CLONE_NEWUTS;
  if (ns.ipc) f |= F.CLONE_NEWIPC;
  if (ns.net) f |= F.CLONE_NEWNET;
  if (ns.cgroup) f |= F.CLONE_NEWCGROUP;
  if (ns.user) f |= F.CLONE_NEWUSER;
  if (ns.time) f |= F.CLONE_NEWTIME;
  return f;
}

/** execve candidates: the path itself, or each absolute PATH entry, as execvp(3) searches. */
export function execCandidates(command: string, pathVar: string): string[] {
  if (command.includes('/')) return [command];
  const out = pathVar
    .split(':')
    .filter((d) => d.startsWith('/'))
    .map((d) => path.posix.join(d, command));
  return out.length ? out : [path.posix.join('/usr/bin', command)];
}

export function mapText(m: IdMapping[]): string {
  return m.map((e) => `${e.containerId} ${e.hostId} ${e.size}\n`).join('');
}

function tmpfsSize(size: string | number | undefined): string {
  if (size === undefined) return '';
  return `,size=${typeof size === 'number' ? Math.floor(size) : size.toLowerCase()}`;
}

/** The filesystem steps: private propagation, the root, /proc, /dev, /sys, then the user's mounts. */
export function fsOps(o: SpawnOptions, ns: Namespaces, isFile: (source: string) => boolean): { ops: FsOp[]; root: string } {
  const ops: FsOp[] = [];
  // Mount events must not propagate back to the host (mount_namespaces(7)).
  ops.push({ op: 'mount', target: '/', flags: F.MS_REC | F.MS_PRIVATE });
  let root: string;
  const hostView = o.rootfs === undefined;
  if (!hostView) {
    root = path.posix.normalize(o.rootfs as string).replace(/\/$/, '');
    // pivot_root needs the new root to be a mount point (pivot_root(2)).
    ops.push({ op: 'mount', source: root, target: root, flags: F.MS_BIND | F.MS_REC });
  } else {
    root = SANDBOX_ROOT;
    ops.push({ op: 'mount', source: 'tmpfs', target: SANDBOX_STAGE, fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=755,size=64k' });
    ops.push({ op: 'mkdir', target: root, mode: 0o755 });
    ops.push({ op: 'mount', source: '/', target: root, flags: F.MS_BIND | F.MS_REC });
    // The host's /proc, /sys, /dev, /run and /tmp leave the copy altogether: mounting
    // fresh ones on top would leave the host's underneath, one umount away.
    for (const p of ['/proc', '/sys', '/dev', '/run', '/tmp']) ops.push({ op: 'umount', target: root + p });
    ops.push({ op: 'setattr', target: root, attrSet: F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID, recursive: true });
  }
  const at = (p: string) => root + p;
  ops.push({ op: 'mkdir', target: at('/proc'), mode: 0o555 });
  ops.push({ op: 'mount', source: 'proc', target: at('/proc'), fstype: 'proc', flags: F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC });
  ops.push({ op: 'mkdir', target: at('/dev'), mode: 0o755 });
  ops.push({ op: 'mount', source: 'tmpfs', target: at('/dev'), fstype: 'tmpfs', flags: F.MS_NOSUID, data: 'mode=755,size=65536k' });
  for (const d of DEVICES) {
    ops.push({ op: 'touch', target: at(`/dev/${d}`), mode: 0o666 });
    ops.push({ op: 'mount', source: `/dev/${d}`, target: at(`/dev/${d}`), flags: F.MS_BIND });
  }
  ops.push({ op: 'mkdir', target: at('/dev/pts'), mode: 0o755 });
  // A devpts instance of its own, so the container sees only its own ptys (devpts in filesystems(5)).
  ops.push({ op: 'mount', source: 'devpts', target: at('/dev/pts'), fstype: 'devpts', flags: F.MS_NOSUID | F.MS_NOEXEC, data: 'newinstance,ptmxmode=0666,mode=0620' });
  ops.push({ op: 'symlink', source: 'pts/ptmx', target: at('/dev/ptmx') });
  ops.push({ op: 'mkdir', target: at('/dev/shm'), mode: 0o1777 });
  ops.push({ op: 'mount', source: 'shm', target: at('/dev/shm'), fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC, data: 'mode=1777,size=65536k' });
  if (ns.ipc) {
    ops.push({ op: 'mkdir', target: at('/dev/mqueue'), mode: 0o755 });
    ops.push({ op: 'mount', source: 'mqueue', target: at('/dev/mqueue'), fstype: 'mqueue', flags: F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC });
  }
  for (const [name, to] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']]) {
    ops.push({ op: 'symlink', source: to, target: at(`/dev/${name}`) });
  }
  ops.push({ op: 'mkdir', target: at('/sys'), mode: 0o555 });
  if (ns.net) {
    // sysfs shows the network devices of the mounting process's net namespace.
    ops.push({ op: 'mount', source: 'sysfs', target: at('/sys'), fstype: 'sysfs', flags: F.MS_RDONLY | F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC });
  } else {
    ops.push({ op: 'mount', source: '/sys', target: at('/sys'), flags: F.MS_BIND | F.MS_REC });
    ops.push({ op: 'setattr', target: at('/sys'), attrSet: F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID | F.MOUNT_ATTR_NODEV | F.MOUNT_ATTR_NOEXEC, recursive: true });
  }
  if (hostView) {
    ops.push({ op: 'mount', source: 'tmpfs', target: at('/tmp'), fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=1777' });
    ops.push({ op: 'mount', source: 'tmpfs', target: at('/run'), fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=755' });
  }
  (o.mounts ?? []).forEach((m, i) => {
    const target = at(containedTarget(`mounts[${i}].target`, m.target));
    if (m.type === 'bind') {
      const file = isFile(m.source);
      if (!hostView) ops.push(file ? { op: 'touch', target, mode: 0o644 } : { op: 'mkdir', target, mode: 0o755 });
      ops.push({ op: 'mount', source: m.source, target, flags: F.MS_BIND | F.MS_REC });
      if (m.readonly) ops.push({ op: 'setattr', target, attrSet: F.MOUNT_ATTR_RDONLY, recursive: true });
    } else {
      if (!hostView) ops.push({ op: 'mkdir', target, mode: 0o755 });
      const mode = (m.mode ?? 0o1777).toString(8);
      ops.push({ op: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: `mode=${mode}${tmpfsSize(m.size)}` });
    }
  });
  return { ops, root };
}

export interface PlanInput {
  command: string;
  args: string[];
  options: SpawnOptions;
  ns: Namespaces;
  isFile: (source: string) => boolean;
  hostUid: number;
  hostGid: number;
}

/** The plan minus what belongs to one call (stdio fds, the cgroup fd). */
export function computePlan(input: PlanInput): Omit<NativePlan, 'stdio'> {
  const { command, args, options: o, ns } = input;
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOME: '/root', ...(o.hostname ? { HOSTNAME: o.hostname } : {}), ...o.env };
  const plan: Omit<NativePlan, 'stdio'> = {
    files: execCandidates(command, env.PATH ?? DEFAULT_PATH),
    argv: [command, ...input.args],
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    flags: cloneFlags(ns),
    ops: [],
    uid: o.uid ?? 0,
    gid: o.gid ?? 0,
    groups: o.groups ?? [],
    cwd: o.cwd ?? '/',
    loUp: ns.net,
    dieWithParent: o.dieWithParent ?? true,
    setsid: true,
    legacyClone: o.legacyClone ?? false,
  };
  void args;
  if (ns.mount) {
    const { ops, root } = fsOps(o, ns, input.isFile);
    plan.ops = ops;
    plan.rootfs = root;
  }
  if (o.hostname !== undefined) plan.hostname = o.hostname;
  if (ns.user) {
    plan.uidMap = mapText(o.uidMappings ?? [{ containerId: 0, hostId: input.hostUid, size: 1 }]);
    plan.gidMap = mapText(o.gidMappings ?? [{ containerId: 0, hostId: input.hostGid, size: 1 }]);
  }
  return plan;
}
