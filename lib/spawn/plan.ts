// Turns validated spawn options into the plan native/spawn executes: clone
// flags, the ordered filesystem steps, ids, maps, env and execve candidates.
// Pure: unit tests check the plan without a kernel.
import * as path from 'node:path';
import type { FsOp, NativePlan } from '../native/types';
import * as F from '../util/kernel-flags';
import { capNumbers, resolveCaps } from '../security/caps';
import { EmbeddedRoot, realHost, type HostFs } from '../security/embedded';
import { MASKED_PATHS, PROC_GLOBALS, READONLY_PATHS } from '../security/paths';
import { resolveRlimits } from '../security/rlimits';
import { DEFAULT_PATH } from '../util/default-path';
import { toBytes } from '../util/size';
import { mountPointOf, propagationFlags, receivesHostEvents } from './propagation';
import { sysctlOps } from './sysctl';
import { containedTarget, overlayData, type IdMapping, type Namespaces, type SpawnOptions } from './options';


/** stdio 'ignore' inside a mount namespace: the child opens the container's own /dev/null after pivot_root. */
export const NULL_STDIO = -2;

/** Device nodes a container gets (Docker's minimal set), with their major and minor numbers (devices.txt). */
export const DEVICES: Array<[string, number, number]> = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

/** A host device node to make in the container (spawn's `devices`), resolved by stat. */
export interface DeviceNode {
  /** The host's node. */
  source: string;
  /** Its path in the container. */
  target: string;
  type: 'b' | 'c';
  /** st_rdev, already in makedev(3)'s encoding. */
  rdev: number;
  /** Permission bits of the host's node. */
  mode: number;
}
/** makedev(3) for the small numbers above: major in bits 8-19, minor in 0-7. */
const makedev = (major: number, minor: number) => (major << 8) | minor;

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
  // tmpfs(5) takes k, m, g suffixes but no fractions: pass bytes ('1.5g' is valid here).
  return `,size=${toBytes(typeof size === 'number' ? Math.floor(size) : size)}`;
}

/** How each masked path is hidden; decided once from the host's own /proc and /sys (same kernel). */
export type PathKind = (p: string) => 'file' | 'dir' | 'missing';

/**
 * The global entries of /proc (neither a pid nor a symlink into one), and one
 * directory among them to stage a second proc instance on. Read once from the
 * host's /proc: the same kernel shows the container the same entries.
 */
export interface ProcGlobals {
  names: string[];
  stage: string | undefined;
}

/** Steps whose target lies inside root are resolved there by the child (openat2 RESOLVE_IN_ROOT). */
function inRoot(root: string, op: FsOp): FsOp {
  const out: FsOp = { ...op, root };
  if (op.op === 'mkdir' || op.op === 'touch' || op.op === 'symlink' || op.op === 'mknod') {
    const slash = op.target.lastIndexOf('/');
    out.parent = op.target.slice(0, slash) || '/';
    out.name = op.target.slice(slash + 1);
  }
  return out;
}

/** The filesystem steps: private propagation, the root, /proc, /dev, /sys, the user's mounts, then masks. */
export function fsOps(o: SpawnOptions, ns: Namespaces, isFile: (source: string) => boolean, kind: PathKind = () => 'missing', initBinary?: string, proc?: ProcGlobals, devices: readonly DeviceNode[] = [], host: HostFs = realHost): { ops: FsOp[]; root: string } {
  const ops: FsOp[] = [];
  // Mount events must not propagate back to the host (mount_namespaces(7)): the
  // copied tree is made private, or a slave (host events come in, none go out)
  // for a root that is to receive them. A shared one (runc's way for an OCI
  // rootfsPropagation of rshared) keeps the copies peers of the host's, so that
  // bind mounts stay peers; the mount holding the root is made private first,
  // so the root and all mounted on it stay the container's own, and the child
  // makes the old root a slave before detaching it (native/spawn/child.cc).
  const prop = o.rootPropagation;
  const shared = prop !== undefined && /shared/.test(prop);
  ops.push({ op: 'mount', target: '/', flags: F.MS_REC | (shared ? F.MS_SHARED : receivesHostEvents(prop) ? F.MS_SLAVE : F.MS_PRIVATE) });
  if (shared && o.rootfs !== undefined) {
    ops.push({ op: 'mount', target: mountPointOf(typeof o.rootfs === 'string' ? o.rootfs : o.rootfs.target), flags: F.MS_PRIVATE });
  }
  let root = '';
  const hostView = o.rootfs === undefined;
  if (o.rootfs !== undefined && typeof o.rootfs !== 'string') {
    // An overlay mounted here, in the container's namespace: relative layer paths
    // are resolved from the cwd (the one-page option limit fits more layers), and
    // the mount is itself the mount point pivot_root needs. nodev: a device node
    // shipped in an image opens nothing (the container's /dev is its own tmpfs).
    root = path.posix.normalize(o.rootfs.target).replace(/\/$/, '');
    ops.push({ op: 'chdir', target: o.rootfs.base });
    if (o.rootfs.tmpfsUpper !== undefined) {
      // The upper in memory: a tmpfs on the target, upper and work in it, then the
      // overlay stacked on the same target (its upperdir resolved through the tmpfs).
      ops.push({ op: 'mount', source: 'tmpfs', target: root, fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: `mode=755,size=${o.rootfs.tmpfsUpper}` });
      ops.push({ op: 'mkdir', target: `${root}/upper`, mode: 0o755 });
      ops.push({ op: 'mkdir', target: `${root}/work`, mode: 0o700 });
    }
    ops.push({ op: 'mount', source: 'overlay', target: root, fstype: 'overlay', flags: F.MS_NODEV, data: overlayData(o.rootfs) });
  } else if (!hostView) {
    root = path.posix.normalize(o.rootfs as string).replace(/\/$/, '');
    // pivot_root needs the new root to be a mount point (pivot_root(2)).
    ops.push({ op: 'mount', source: root, target: root, flags: F.MS_BIND | F.MS_REC });
  }
  const add = (op: FsOp) => ops.push(inRoot(root, op));
  // No image: lib/security/embedded.ts builds the root and its policy.
  const embedded = hostView ? new EmbeddedRoot(host, (op) => ops.push(op), add) : undefined;
  if (embedded) {
    root = embedded.root;
    embedded.assemble();
  }
  add({ op: 'mkdir', target: '/proc', mode: 0o555 });
  // procfs keeps one mode and owner per global entry (proc_notify_change in
  // fs/proc/generic.c), shared by every proc mount of the machine: a chmod or
  // chown of /proc/buddyinfo by the container's root (its owner) would persist
  // on the host. A read-only mount refuses both (mnt_want_write: EROFS). By
  // default all of /proc is mounted read-only, at no cost; PROC_GLOBALS covers
  // only the global entries, with those of a second, read-only instance (staged
  // on one of them, it ends under its own entry and shows nowhere else).
  const readonly = o.readonlyPaths ?? READONLY_PATHS;
  const procRo = readonly.includes('/proc');
  add({ op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC | (procRo ? F.MS_RDONLY : 0) });
  const covered = new Set<string>(['/proc', PROC_GLOBALS]);
  if (!procRo && readonly.includes(PROC_GLOBALS) && proc?.stage !== undefined) {
    const stage = proc.stage;
    add({ op: 'mount', source: 'proc', target: `/proc/${stage}`, fstype: 'proc', flags: F.MS_RDONLY | F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC });
    const names = [...proc.names.filter((n) => n !== stage), stage];
    add({ op: 'bindEntries', source: `/proc/${stage}`, target: '/proc', names, optional: true });
    for (const n of names) covered.add(`/proc/${n}`);
  }
  add({ op: 'mkdir', target: '/dev', mode: 0o755 });
  add({ op: 'mount', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: F.MS_NOSUID, data: 'mode=755,size=65536k' });
  for (const [d, major, minor] of DEVICES) {
    if (ns.user) {
      // mknod is refused in a user namespace: bind the host's node instead, as Docker does there.
      add({ op: 'touch', target: `/dev/${d}`, mode: 0o666 });
      add({ op: 'mount', source: `/dev/${d}`, target: `/dev/${d}`, flags: F.MS_BIND });
      // Read-only, so that a chmod or chown inside (mnt_want_write: EROFS) cannot
      // reach the host's inode; reads and writes of a device node do not need a
      // writable mount (open(2) takes no write access on special files).
      add({ op: 'setattr', target: `/dev/${d}`, attrSet: F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID | F.MOUNT_ATTR_NOEXEC });
    } else {
      add({ op: 'mknod', target: `/dev/${d}`, mode: S_IFCHR | 0o666, dev: makedev(major, minor) });
    }
  }
  for (const d of devices) {
    if (ns.user) {
      add({ op: 'touch', target: d.target, mode: d.mode });
      add({ op: 'mount', source: d.source, target: d.target, flags: F.MS_BIND });
    } else {
      add({ op: 'mknod', target: d.target, mode: (d.type === 'b' ? S_IFBLK : S_IFCHR) | d.mode, dev: d.rdev });
    }
  }
  add({ op: 'mkdir', target: '/dev/pts', mode: 0o755 });
  // A devpts instance of its own, so the container sees only its own ptys (devpts in filesystems(5)).
  add({ op: 'mount', source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: F.MS_NOSUID | F.MS_NOEXEC, data: 'newinstance,ptmxmode=0666,mode=0620' });
  add({ op: 'symlink', source: 'pts/ptmx', target: '/dev/ptmx' });
  add({ op: 'mkdir', target: '/dev/shm', mode: 0o1777 });
  add({ op: 'mount', source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC, data: `mode=1777${o.shmSize !== undefined ? tmpfsSize(o.shmSize) : ',size=65536k'}` });
  if (ns.ipc) {
    add({ op: 'mkdir', target: '/dev/mqueue', mode: 0o755 });
    add({ op: 'mount', source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC });
  }
  for (const [name, to] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']]) {
    add({ op: 'symlink', source: to, target: `/dev/${name}` });
  }
  if (initBinary !== undefined) {
    add({ op: 'touch', target: '/dev/init', mode: 0o755 });
    add({ op: 'mount', source: initBinary, target: '/dev/init', flags: F.MS_BIND });
    add({ op: 'setattr', target: '/dev/init', attrSet: F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID | F.MOUNT_ATTR_NODEV });
  }
  add({ op: 'mkdir', target: '/sys', mode: 0o555 });
  if (ns.net) {
    // sysfs shows the network devices of the mounting process's net namespace.
    add({ op: 'mount', source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: F.MS_RDONLY | F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC });
  } else {
    add({ op: 'mount', source: '/sys', target: '/sys', flags: F.MS_BIND | F.MS_REC });
    add({ op: 'setattr', target: '/sys', attrSet: F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID | F.MOUNT_ATTR_NODEV | F.MOUNT_ATTR_NOEXEC, recursive: true });
  }
  if (ns.net && ns.cgroup) {
    // As Docker does: the container's own group as the root of a read-only cgroup2
    // mount, which a cgroup namespace shows it (cgroup_namespaces(7)).
    add({ op: 'mount', source: 'cgroup2', target: '/sys/fs/cgroup', fstype: 'cgroup2', flags: F.MS_RDONLY | F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC, optional: true });
  }
  if (hostView) {
    add({ op: 'mkdir', target: '/tmp', mode: 0o1777 });
    add({ op: 'mkdir', target: '/run', mode: 0o755 });
    add({ op: 'mount', source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=1777' });
    add({ op: 'mount', source: 'tmpfs', target: '/run', fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=755' });
  }
  // Docker makes a mount point's missing parents too (0755, as MkdirAll): one
  // mkdir per component, each resolved in the root, so a symlink in the image
  // leads within it; one already there (EEXIST) is left as it is.
  const parents = (target: string) => {
    const comps = target.split('/').filter(Boolean);
    for (let k = 1; k < comps.length; k++) add({ op: 'mkdir', target: `/${comps.slice(0, k).join('/')}`, mode: 0o755 });
  };
  (o.mounts ?? []).forEach((m, i) => {
    const target = containedTarget(`mounts[${i}].target`, m.target);
    if (m.type === 'bind') {
      const file = isFile(m.source);
      if (embedded) embedded.ensure(target, file);
      else {
        parents(target);
        add(file ? { op: 'touch', target, mode: 0o644 } : { op: 'mkdir', target, mode: 0o755 });
      }
      add({ op: 'mount', source: m.source, target, flags: F.MS_BIND | F.MS_REC });
      const attrs = (m.readonly ? F.MOUNT_ATTR_RDONLY : 0) | (m.nosuid ? F.MOUNT_ATTR_NOSUID : 0) | (m.nodev ? F.MOUNT_ATTR_NODEV : 0) | (m.noexec ? F.MOUNT_ATTR_NOEXEC : 0);
      if (attrs) add({ op: 'setattr', target, attrSet: attrs, recursive: true });
      // Its own propagation (mount_namespaces(7)): a bind of a shared or slave
      // source starts as a peer or slave of it.
      if (m.propagation !== undefined) add({ op: 'mount', target, flags: propagationFlags(m.propagation) });
    } else {
      if (embedded) embedded.ensure(target);
      else {
        parents(target);
        add({ op: 'mkdir', target, mode: 0o755 });
      }
      const mode = (m.mode ?? 0o1777).toString(8);
      add({ op: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV | (m.noexec ? F.MS_NOEXEC : 0) | (m.readonly ? F.MS_RDONLY : 0), data: `mode=${mode}${tmpfsSize(m.size)}` });
    }
  });
  for (const p of readonly) {
    // Already read-only: all of /proc, or an entry from the second instance.
    if (covered.has(p) || (procRo && p.startsWith('/proc/'))) continue;
    add({ op: 'mount', target: p, flags: F.MS_BIND | F.MS_REC, selfBind: true, optional: true });
    add({ op: 'setattr', target: p, attrSet: F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID | F.MOUNT_ATTR_NODEV | F.MOUNT_ATTR_NOEXEC, recursive: true, optional: true });
  }
  for (const p of o.maskedPaths ?? MASKED_PATHS) {
    const k = kind(p);
    // The container's own /dev/null (made above), never the host's: a chmod of a
    // masked path then changes no host inode (runc does the same).
    if (k === 'file') add({ op: 'mount', source: '/dev/null', sourceInRoot: true, target: p, flags: F.MS_BIND, optional: true });
    else if (k === 'dir') add({ op: 'mount', source: 'tmpfs', target: p, fstype: 'tmpfs', flags: F.MS_RDONLY | F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC, data: 'size=0', optional: true });
  }
  // Docker makes the working directory; then the embedded root's tmpfs layers are sealed.
  if (embedded && o.cwd !== undefined) embedded.ensure(o.cwd);
  if (!embedded && o.cwd !== undefined && o.createCwd !== undefined) {
    // One mkdir per component, each resolved in the root (openat2 RESOLVE_IN_ROOT):
    // a symlink in the image leads to its own tree. Only what is made is chowned.
    const comps = path.posix.normalize(o.cwd).split('/').filter(Boolean);
    for (let i = 1; i <= comps.length; i++) add({ op: 'mkdir', target: `/${comps.slice(0, i).join('/')}`, mode: 0o755, uid: o.createCwd.uid, gid: o.createCwd.gid });
  }
  embedded?.seal();
  // Last, so that everything above could still create its mount points.
  if (o.readonlyRootfs) add({ op: 'setattr', target: '/', attrSet: F.MOUNT_ATTR_RDONLY });
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
  /** What each masked path is on this kernel. */
  pathKind?: PathKind;
  /** /proc/sys/kernel/cap_last_cap. */
  capLast?: number;
  /** The capabilities this process can pass on (its bounding set). */
  capAvailable?: ReadonlySet<string>;
  /** The host path of bulkhead-init, for init: true. */
  initBinary?: string;
  /** The global entries of /proc, for PROC_GLOBALS in readonlyPaths. */
  procGlobals?: ProcGlobals;
  /** Host device nodes to make in the container. */
  devices?: readonly DeviceNode[];
  /** The host's files as the embedded default reads them (tests pass their own). */
  host?: HostFs;
  /** The compiled seccomp program for this plan's capabilities, if any. */
  seccomp?: (caps: string[]) => Buffer | undefined;
}

/**
 * The five capability sets the child sets (capabilities(7)). From capAdd and
 * capDrop: one kept set as bounding = permitted = effective, inheritable and
 * ambient empty; a non-root program keeps no effective capabilities, as under
 * Docker (execve clears them for it anyway, "Transformation during execve").
 * From `capabilities` (an OCI process's sets): each as given, within what this
 * process can pass on.
 */
export function capSets(o: SpawnOptions, available?: ReadonlySet<string>): Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]> {
  if (o.capabilities !== undefined) {
    const c = o.capabilities;
    const set = (k: keyof NonNullable<SpawnOptions['capabilities']>) => resolveCaps(c[k] ?? [], ['ALL'], available);
    return { bounding: set('bounding'), effective: set('effective'), permitted: set('permitted'), inheritable: set('inheritable'), ambient: set('ambient') };
  }
  const kept = resolveCaps(o.capAdd, o.capDrop, available);
  return { bounding: kept, effective: (o.uid ?? 0) === 0 ? kept : [], permitted: (o.uid ?? 0) === 0 ? kept : [], inheritable: [], ambient: [] };
}

/** The plan minus what belongs to one call (stdio fds, the cgroup fd). */
export function computePlan(input: PlanInput): Omit<NativePlan, 'stdio'> {
  const { command, options: o, ns } = input;
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOME: '/root', ...(o.hostname ? { HOSTNAME: o.hostname } : {}), ...o.env };
  const sets = capSets(o, input.capAvailable);
  const caps = sets.bounding;
  const init = o.init ? '/dev/init' : undefined;
  const plan: Omit<NativePlan, 'stdio'> = {
    files: init ? [init] : execCandidates(command, env.PATH ?? DEFAULT_PATH),
    argv: init ? [init, '--', command, ...input.args] : [o.argv0 ?? command, ...input.args],
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
    noNewPrivs: o.noNewPrivileges ?? true,
    caps: { bounding: capNumbers(sets.bounding), effective: capNumbers(sets.effective), permitted: capNumbers(sets.permitted), inheritable: capNumbers(sets.inheritable), ambient: capNumbers(sets.ambient), last: input.capLast ?? 40 },
    rlimits: resolveRlimits(o.rlimits),
  };
  if (o.tty) {
    plan.tty = true;
    if (typeof o.tty === 'object') {
      plan.rows = o.tty.rows;
      plan.cols = o.tty.cols;
    }
  }
  const program = o.seccomp === false ? undefined : input.seccomp?.(caps);
  if (program) plan.seccomp = program;
  if (ns.mount) {
    const { ops, root } = fsOps(o, ns, input.isFile, input.pathKind, init ? input.initBinary : undefined, input.procGlobals, input.devices, input.host);
    plan.ops = ops;
    plan.rootfs = root;
  }
  if (o.hostname !== undefined) plan.hostname = o.hostname;
  if (o.netns !== undefined) {
    // network: join the prepared namespace (its lo is already up) instead of a new one.
    plan.netnsFd = o.netns;
    plan.flags &= ~F.CLONE_NEWNET;
    plan.loUp = false;
  }
  if (o.sharedNamespaces !== undefined) {
    // Entered with setns(2) by the child before anything else (ipc, uts,
    // cgroup); a pid namespace by the cloning thread, since setns changes only
    // the caller's children's (pid_namespaces(7)). None of them is made anew.
    const s = o.sharedNamespaces;
    const joins: Array<{ fd: number; nstype: number }> = [];
    for (const [k, flag] of [['ipc', F.CLONE_NEWIPC], ['uts', F.CLONE_NEWUTS], ['cgroup', F.CLONE_NEWCGROUP]] as const) {
      const fd = s[k];
      if (fd === undefined) continue;
      joins.push({ fd, nstype: flag });
      plan.flags &= ~flag;
    }
    if (joins.length) plan.joins = joins;
    if (s.pid !== undefined) {
      plan.joinPidFd = s.pid;
      plan.flags &= ~F.CLONE_NEWPID;
    }
  }
  if (o.startFifo !== undefined) plan.startFifoFd = o.startFifo;
  if (o.umask !== undefined) plan.umask = o.umask;
  // Writes through the host's /proc before any mount (native kWrite): the
  // program's OOM score and its namespaces' sysctls.
  const writes: FsOp[] = [];
  if (o.oomScoreAdj !== undefined) {
    writes.push({ op: 'write', target: '/proc/self/oom_score_adj', data: String(o.oomScoreAdj) });
    // The kernel gives the value to every process sharing the writer's memory
    // (__set_oom_adj in fs/proc/base.c): a child sharing node's would set node's.
    plan.ownMemory = true;
  }
  // The domain name as a sysctl of the UTS namespace (proc_do_uts_string is what
  // setdomainname(2) sets too), so that native needs no step of its own.
  if (o.domainname !== undefined) writes.push({ op: 'write', target: '/proc/sys/kernel/domainname', data: o.domainname });
  if (o.sysctls !== undefined) writes.push(...sysctlOps(o.sysctls));
  if (writes.length) plan.ops = [...writes, ...plan.ops];
  if (o.rootPropagation !== undefined && !/private/.test(o.rootPropagation)) plan.rootPropagation = propagationFlags(o.rootPropagation);
  if (ns.user) {
    plan.uidMap = mapText(o.uidMappings ?? [{ containerId: 0, hostId: input.hostUid, size: 1 }]);
    plan.gidMap = mapText(o.gidMappings ?? [{ containerId: 0, hostId: input.hostGid, size: 1 }]);
  }
  return plan;
}
