// The addon's surface, as native/addon.cc registers it.

/** true when the feature worked, else the errno code that refused it. */
export type ProbeOutcome = true | string;

export interface CloneProbe {
  clone3: ProbeOutcome;
  pidfdOpen: ProbeOutcome;
  /** null when no cgroup directory was given to probe with. */
  intoCgroup: ProbeOutcome | null;
}

export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** One filesystem step of the child, run in order before pivot_root. */
export interface FsOp {
  op: 'mount' | 'mkdir' | 'setattr' | 'symlink' | 'touch' | 'umount' | 'mknod' | 'bindEntries' | 'chdir' | 'write';
  source?: string;
  target: string;
  fstype?: string;
  flags?: number;
  /** mount: the data argument; write: the bytes written (one write(2)). */
  data?: string;
  attrSet?: number;
  attrClr?: number;
  recursive?: boolean;
  mode?: number;
  /** mknod: the device number, as makedev(3) packs it. */
  dev?: number;
  /** A missing target is skipped instead of failing. */
  optional?: boolean;
  /** Bind the resolved target onto itself. */
  selfBind?: boolean;
  /** bindEntries: each of these entries of source is bound onto the same name under target. */
  names?: string[];
  /** Resolve source inside root as well (a bind of the container's own file). */
  sourceInRoot?: boolean;
  /** Resolve target inside this directory (openat2 RESOLVE_IN_ROOT). */
  root?: string;
  parent?: string;
  name?: string;
  /** mkdir: the owner of a directory made (one already there is left as it is). */
  uid?: number;
  gid?: number;
}

/** What native/spawn executes; computed by lib/spawn/plan.ts. */
export interface NativePlan {
  files: string[];
  argv: string[];
  env: string[];
  flags: number;
  cgroupFd?: number;
  cgroupProcs?: string;
  /** An fd each, or NULL_STDIO: the container's own /dev/null, opened by the child after pivot_root. */
  stdio: [number, number, number];
  fds?: number[];
  ops: FsOp[];
  rootfs?: string;
  hostname?: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  cwd?: string;
  uidMap?: string;
  gidMap?: string;
  loUp?: boolean;
  dieWithParent?: boolean;
  noNewPrivs?: boolean;
  setsid?: boolean;
  legacyClone?: boolean;
  caps?: { bounding: number[]; effective: number[]; permitted: number[]; inheritable: number[]; ambient: number[]; last: number };
  rlimits?: Array<{ resource: number; soft: number; hard: number }>;
  seccomp?: Buffer;
  tty?: boolean;
  rows?: number;
  cols?: number;
  /** network: a network namespace fd to join with setns instead of CLONE_NEWNET. */
  netnsFd?: number;
  /** exec: namespaces the child enters with setns(2), in order: an ns file's fd with its type, or a pidfd with a set. */
  joins?: Array<{ fd: number; nstype: number }>;
  /** exec: a pid namespace fd or pidfd the cloning thread enters (setns CLONE_NEWPID) for the clone. */
  joinPidFd?: number;
  /** false: the child makes itself non-dumpable first (PR_SET_DUMPABLE) and gets its own memory instead of sharing node's. */
  dumpable?: boolean;
  /** OCI create: an O_PATH fd of a FIFO the child opens for writing (blocking) just before execve. */
  startFifoFd?: number;
  /** The child gets a copy of node's memory instead of sharing it (no CLONE_VM): for writes that reach every process sharing an mm. */
  ownMemory?: boolean;
  /** The program's umask(2); absent or -1: the spawning process's. */
  umask?: number;
  /** mount(2) propagation flags (MS_SHARED, MS_SLAVE, MS_UNBINDABLE, | MS_REC) for the new / after pivot_root; absent or 0: it stays private. */
  rootPropagation?: number;
}

export interface NativeRusage {
  userUsec: number;
  systemUsec: number;
  minorFaults: number;
  majorFaults: number;
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
}

export interface ProcessWatch {
  kill(signal: number): void;
  ref(): void;
  unref(): void;
}

export interface PressureTrigger {
  close(): void;
  unref(): void;
}

export interface NativeBinding {
  probeClone(options: { cgroupDir?: string }): CloneProbe;
  capabilities(): CapabilitySets;
  pipe(): [number, number];
  spawn(plan: NativePlan): { pid: number; pidfd: number; ptyMaster?: number };
  setWindowSize(fd: number, rows: number, cols: number): void;
  /** pidfd_open(2); the fd is close-on-exec. */
  pidfdOpen(pid: number): number;
  /** The child's steps by their wire number (native/spawn/plan.h BULKHEAD_CHILD_STEPS). */
  childSteps: readonly string[];
  /** mkfifo(3). */
  mkfifo(path: string, mode: number): void;
  /** Connects to a unix stream socket and sends fd over it (SCM_RIGHTS) with name as data. */
  sendFd(socketPath: string, fd: number, name: string): void;
  bpfProgLoad(options: { type: number; insns: Buffer; license: string }): number;
  bpfProgAttach(cgroupFd: number, progFd: number, attachType: number, flags: number): void;
  bpfProgDetach(cgroupFd: number, progFd: number, attachType: number): void;
  bpfProgQuery(cgroupFd: number, attachType: number): { attachFlags: number; progIds: number[] };
  /** openat2(2): a new fd for path resolved from dirfd under the RESOLVE_* flags. */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  mknodat(dirfd: number, name: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): void;
  PressureTrigger: new (path: string, trigger: string, onEvent: (what: 'pressure' | 'closed') => void) => PressureTrigger;
  /** A NETLINK_ROUTE socket, inside the network namespace of netnsFd when given. */
  netlinkOpen(netnsFd?: number): number;
  netlinkSend(fd: number, message: Buffer): number;
  /** One datagram; throws EAGAIN after 5 s without one. */
  netlinkRecv(fd: number): Buffer;
  /** A new empty network namespace, held by the returned fd. */
  netnsCreate(): number;
  /** flock(2); false when wait is false and the lock is held elsewhere. */
  flock(fd: number, exclusive: boolean, wait?: boolean): boolean;
  ProcessWatch: new (
    pidfd: number,
    pid: number,
    onExit: (exitCode: number | null, signal: string | null, rusage: NativeRusage) => void,
  ) => ProcessWatch;
}
