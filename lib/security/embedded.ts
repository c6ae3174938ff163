// The embedded default: a container with no image sees the host's files, read-only.
// Its policy is an allow list at the top and a deny list below it:
// - the root is a tmpfs of its own into which each top-level entry of the host's /
//   is bound read-only, nosuid and nodev (so a device node anywhere on the host
//   opens nothing: mount_setattr(2) MOUNT_ATTR_NODEV); /proc, /sys, /dev, /run and
//   /tmp are fresh, and /root and /home are empty directories: homes are not bound;
// - secrets inside what is bound are hidden (an empty file or an empty read-only
//   tmpfs over them): HIDDEN_PATHS;
// - `bulkhead run` adds the process side (embeddedProcessPolicy): uid and gid 65534
//   with no capabilities unless -u says otherwise, and a seccomp filter that refuses
//   socket(AF_UNIX), so no unix socket on the host can be connected to.
// A mount target or working directory that the host lacks is created: in the tmpfs
// root at the top, in /tmp, /run, /root, /home directly, and below a host directory
// by "shadowing" it: a tmpfs over it into which its entries are bound back.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FsOp } from '../native/types';
import type { SeccompFilter, SeccompProfile, SeccompRuleInput } from '../seccomp/profile';
import * as F from '../util/kernel-flags';

/** The host directory the container's root tmpfs is mounted on, in the child's own mount namespace. */
export const EMBEDDED_STAGE = '/run/bulkhead/root';

/** Top-level host entries the container never gets from the host: fresh ones are mounted instead. */
export const FRESH_TOP = ['proc', 'sys', 'dev', 'run', 'tmp'];
/** World-writable host directories below the top, where anyone may leave a FIFO: the container gets a fresh tmpfs. */
export const FRESH_BELOW = ['/var/tmp'];
/** Top-level host directories not bound at all: the container gets empty ones. */
export const HIDDEN_TOP = ['root', 'home'];
/** Inside what is bound: files become empty, directories an empty read-only tmpfs. */
export const HIDDEN_PATHS = [
  '/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/security/opasswd',
  '/etc/sudoers', '/etc/sudoers.d', '/etc/ssh', '/etc/ssl/private',
  '/var/backups', '/var/mail', '/var/spool/cron', '/var/log', '/var/lib/sudo', '/var/lib/private',
];

/** The id `bulkhead run` gives a program on the embedded default unless -u says otherwise (nobody, nogroup). */
export const EMBEDDED_UID = 65534;

export type EntryType = 'dir' | 'file' | 'symlink' | 'other';
export interface HostEntry {
  name: string;
  type: EntryType;
  /** readlink(2) of a symlink. */
  link?: string;
}

/** What the plan needs to know about the host's files; the real one reads them, tests pass their own. */
export interface HostFs {
  list(dir: string): HostEntry[];
  type(p: string): EntryType | 'missing';
  /** Makes sure EMBEDDED_STAGE exists (a directory only root can reach). */
  stage(): string;
}

const typeOf = (st: fs.Stats): EntryType => (st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other');

export const realHost: HostFs = {
  list(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).map((d) => {
      const type: EntryType = d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other';
      return type === 'symlink' ? { name: d.name, type, link: fs.readlinkSync(path.join(dir, d.name)) } : { name: d.name, type };
    });
  },
  type(p) {
    try {
      return typeOf(fs.lstatSync(p));
    } catch {
      return 'missing';
    }
  },
  stage() {
    // Made once, by root (only root can spawn); anyone else gets the child's typed
    // mount error for this path instead.
    try {
      fs.mkdirSync(EMBEDDED_STAGE, { recursive: true, mode: 0o700 });
    } catch {
      /* reported by the mount step */
    }
    return EMBEDDED_STAGE;
  },
};

const RO = F.MOUNT_ATTR_RDONLY | F.MOUNT_ATTR_NOSUID | F.MOUNT_ATTR_NODEV;

/** Builds the ops of the embedded root; `add` resolves a target inside the root. */
export class EmbeddedRoot {
  /** Host directories replaced by a tmpfs holding their entries, so that new names can be made there. */
  private readonly shadowed = new Set<string>();
  readonly root: string;

  constructor(
    private readonly host: HostFs,
    private readonly push: (op: FsOp) => void,
    private readonly add: (op: FsOp) => void,
    private readonly hidden: readonly string[] = HIDDEN_PATHS,
  ) {
    this.root = host.stage();
  }

  /** The root tmpfs, the host's top-level entries, empty homes, hidden secrets. */
  assemble(): void {
    this.push({ op: 'mount', source: 'tmpfs', target: this.root, fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=755,size=1m' });
    this.fill('/', this.host.list('/').filter((e) => !FRESH_TOP.includes(e.name)));
    for (const h of HIDDEN_TOP) this.add({ op: 'mkdir', target: `/${h}`, mode: h === 'root' ? 0o700 : 0o755 });
    this.hide('/');
  }

  /** Hides the secrets at or under dir and mounts the fresh directories there (again after a shadow: its entries came back from the host). */
  private hide(dir: string): void {
    for (const d of FRESH_BELOW) {
      if ((dir === '/' || d.startsWith(`${dir}/`)) && this.host.type(d) === 'dir') {
        this.add({ op: 'mount', source: 'tmpfs', target: d, fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=1777' });
      }
    }
    for (const p of this.hidden) {
      if (dir !== '/' && !p.startsWith(dir + '/')) continue;
      const k = this.host.type(p);
      if (k === 'file') this.add({ op: 'mount', source: '/dev/null', target: p, flags: F.MS_BIND, optional: true });
      else if (k === 'dir') this.add({ op: 'mount', source: 'tmpfs', target: p, fstype: 'tmpfs', flags: F.MS_RDONLY | F.MS_NOSUID | F.MS_NODEV | F.MS_NOEXEC, data: 'size=0,mode=755', optional: true });
    }
  }

  /** Binds each host entry of dir back into the (tmpfs) dir of the container. */
  private fill(dir: string, entries: HostEntry[]): void {
    for (const e of entries) {
      const p = path.posix.join(dir, e.name);
      if (dir === '/' && HIDDEN_TOP.includes(e.name)) continue;
      if (e.type === 'symlink') this.add({ op: 'symlink', source: e.link as string, target: p });
      else if (e.type === 'dir' || e.type === 'file') {
        // Sockets, FIFOs and device nodes are left out: not bound, not reachable.
        this.add(e.type === 'dir' ? { op: 'mkdir', target: p, mode: 0o755 } : { op: 'touch', target: p, mode: 0o644 });
        this.add({ op: 'mount', source: p, target: p, flags: F.MS_BIND | F.MS_REC });
        this.add({ op: 'setattr', target: p, attrSet: RO, recursive: true });
      }
    }
  }

  /**
   * Ops that make target exist in the container (a directory, or a file when
   * file), as Docker creates mount points and the working directory. Where a
   * component lies in a read-only host directory, that directory is shadowed.
   */
  ensure(target: string, file = false): void {
    const parts = target.split('/').filter(Boolean);
    let cur = '/';
    let onHost = true;
    for (let i = 0; i < parts.length; i++) {
      const next = path.posix.join(cur, parts[i]);
      const last = i === parts.length - 1;
      if (onHost) {
        const top = i === 0;
        // Ours, writable while the plan runs: the root tmpfs and the fresh or empty top-level directories.
        if (top && (FRESH_TOP.includes(parts[0]) || HIDDEN_TOP.includes(parts[0]))) {
          onHost = false;
          cur = next;
          continue;
        }
        const t = this.host.type(next);
        if (t === 'dir' && FRESH_BELOW.includes(next)) {
          onHost = false;
          cur = next;
          continue;
        }
        if (t === 'dir') {
          cur = next;
          continue;
        }
        if (t !== 'missing') {
          // A file, a symlink or a special file: the mount itself decides (RESOLVE_IN_ROOT keeps it inside).
          return;
        }
        if (!top) this.shadow(cur);
        onHost = false;
      }
      this.add(last && file ? { op: 'touch', target: next, mode: 0o644 } : { op: 'mkdir', target: next, mode: 0o755 });
      cur = next;
    }
  }

  /** A tmpfs over the host directory dir, with dir's entries bound back into it. */
  private shadow(dir: string): void {
    if (this.shadowed.has(dir)) return;
    this.shadowed.add(dir);
    this.add({ op: 'mount', source: 'tmpfs', target: dir, fstype: 'tmpfs', flags: F.MS_NOSUID | F.MS_NODEV, data: 'mode=755,size=1m' });
    // A hidden directory (or one inside it) stays empty: its entries are what is hidden.
    if (this.hidden.some((h) => dir === h || dir.startsWith(`${h}/`))) return;
    this.fill(dir, this.host.list(dir));
    this.hide(dir);
  }

  /** Last: the root tmpfs and every shadow become read-only, nosuid, nodev. */
  seal(): void {
    for (const d of ['/', ...this.shadowed]) this.add({ op: 'setattr', target: d, attrSet: RO });
  }
}

/** The process side of the policy, for `bulkhead run` (or spawn() callers who want it). */
export interface EmbeddedProcessPolicy {
  uid: number;
  gid: number;
  groups: number[];
}

export const embeddedIds = (): EmbeddedProcessPolicy => ({ uid: EMBEDDED_UID, gid: EMBEDDED_UID, groups: [] });

/** socket(2)'s AF_UNIX (AF_LOCAL), address_families(7). */
export const AF_UNIX = 1;

/** socket(2) families Docker's profile refuses (default.ts): AF_ALG, AF_VSOCK. */
const AF_ALG = 38;
const AF_VSOCK = 40;
/** The type bits of socketpair's second argument (SOCK_TYPE_MASK) and the two connection-oriented types. */
const SOCK_TYPE_MASK = 0xf;
const SOCK_STREAM = 1;
const SOCK_SEQPACKET = 5;

let embeddedProfile: SeccompProfile | undefined;

/** A parsed filter back in the JSON shape (minKernel as "major.minor"). */
const filterInput = (f: SeccompFilter | undefined) =>
  f && { ...f, ...(f.minKernel ? { minKernel: `${f.minKernel[0]}.${f.minKernel[1]}` } : {}) };

/**
 * Docker's default profile, minus unix sockets: socket(AF_UNIX) is refused, so no
 * socket on the host, pathname or abstract, can be connected to or sent to (a
 * read-only mount does not stop connect(2): unix(7) needs only write permission on
 * the socket file). socketpair(2) stays for stream and seqpacket pairs, which are
 * born connected to each other and cannot be pointed elsewhere; a datagram pair
 * could sendto(2) any datagram socket by path, so it is refused too.
 */
export function embeddedSeccomp(): SeccompProfile {
  if (embeddedProfile) return embeddedProfile;
  // Required here, on first use: a spawn with a root filesystem of its own never
  // needs Docker's profile built (one module less for bulkhead-oci's every command).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const d = (require('../seccomp/default') as typeof import('../seccomp/default')).DEFAULT_PROFILE;
  const { parseProfile } = require('../seccomp/profile') as typeof import('../seccomp/profile');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const rules: SeccompRuleInput[] = d.syscalls
    .filter((r) => !(r.names.length === 1 && r.names[0] === 'socket'))
    .map((r) => ({ ...r, names: r.names.filter((n) => n !== 'socketpair'), args: [...r.args], includes: filterInput(r.includes), excludes: filterInput(r.excludes) }) as unknown as SeccompRuleInput)
    .filter((r) => (r.names as string[]).length > 0);
  const allow = (name: string, args: SeccompRuleInput['args']): SeccompRuleInput => ({ names: [name], action: 'SCMP_ACT_ALLOW', args });
  rules.push(
    // Families 0 and 2 to 37 as aligned blocks (a rule comparing one argument twice would
    // be read as two rules, runc's reading: compile.ts), then Docker's 39 and above 40.
    ...([[0, 1], [2, 2], [4, 4], [8, 8], [16, 16], [32, 4], [36, 2]] as const).map(([from, n]) =>
      allow('socket', [{ index: 0, value: 0xffffffff - (n - 1), valueTwo: from, op: 'SCMP_CMP_MASKED_EQ' }]),
    ),
    allow('socket', [{ index: 0, value: AF_ALG + 1, op: 'SCMP_CMP_EQ' }]),
    allow('socket', [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_GT' }]),
    allow('socketpair', [{ index: 1, value: SOCK_TYPE_MASK, valueTwo: SOCK_STREAM, op: 'SCMP_CMP_MASKED_EQ' }]),
    allow('socketpair', [{ index: 1, value: SOCK_TYPE_MASK, valueTwo: SOCK_SEQPACKET, op: 'SCMP_CMP_MASKED_EQ' }]),
  );
  embeddedProfile = parseProfile({ defaultAction: d.defaultAction, defaultErrnoRet: d.defaultErrnoRet, architectures: d.architectures ? [...d.architectures] : undefined, syscalls: rules });
  return embeddedProfile;
}
