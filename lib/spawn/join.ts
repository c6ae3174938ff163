// spawn's `join`: the namespaces and cgroup of a running process, as the fds
// the addon enters (setns(2)). Resolved at spawn time; every fd opened here is
// the caller's to close (JoinPlan.close).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IsolationError } from '../errors';
import { native } from '../native/load';
import { discoverCgroupCached } from '../cgroup/discover';
import * as F from '../util/kernel-flags';
import type { JoinOptions, NamespaceName } from './options';

/** CLONE_NEW* of each namespace, as setns(2) takes it. */
export const NSTYPE: Record<NamespaceName, number> = {
  user: F.CLONE_NEWUSER,
  mnt: F.CLONE_NEWNS,
  pid: F.CLONE_NEWPID,
  net: F.CLONE_NEWNET,
  ipc: F.CLONE_NEWIPC,
  uts: F.CLONE_NEWUTS,
  cgroup: F.CLONE_NEWCGROUP,
};

/**
 * The order the child enters them: the user namespace first (the others are
 * owned by it, and entering it gives the capabilities over them,
 * user_namespaces(7)); mount last, since setns(CLONE_NEWNS) moves root and cwd
 * to that namespace's root and every path after it is the container's. pid is
 * entered by the cloning thread, never by the child.
 */
export const JOIN_ORDER: readonly NamespaceName[] = ['user', 'ipc', 'uts', 'net', 'cgroup', 'mnt'];

export interface JoinPlan {
  joins: Array<{ fd: number; nstype: number }>;
  joinPidFd?: number;
  /** What each entry of joins is, for an IsolationError's path. */
  what: string[];
  /** The cgroup v2 directory the program starts in, if any. */
  cgroup?: string;
  /** Whether the program ends up in the joined mount namespace (its /dev for the pty and /dev/null). */
  mount: boolean;
  close(): void;
}

function joinError(code: string, message: string, p: string, cause?: unknown): IsolationError {
  return new IsolationError(`${code}: join failed for ${p} (${message})`, { code, syscall: 'setns', step: 'join', path: p, cause });
}

/** The pid a pidfd refers to (proc(5), /proc/pid/fdinfo "Pid:"), -1 once it has exited. */
function pidOfPidfd(fd: number): number {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    throw joinError('EBADF', 'not an open fd', `join.pidfd ${fd}`);
  }
  const m = /^Pid:\s*(-?\d+)$/m.exec(text);
  if (!m) throw joinError('EINVAL', 'not a pidfd', `join.pidfd ${fd}`);
  return Number(m[1]);
}

const nsId = (file: string): string | undefined => {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
};

/** The process's cgroup v2 directory (its "0::" line of /proc/pid/cgroup under the v2 mount), if there is one. */
function cgroupOf(pid: number): string | undefined {
  const mount = discoverCgroupCached().mountpoint;
  if (mount === null) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    throw joinError('ESRCH', 'the process is gone', `pid ${pid}`);
  }
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line === undefined ? undefined : path.join(mount, line.slice(3));
}

/** Opens what join names; throws an IsolationError (step 'join') when the process is gone or an fd is not one. */
export function resolveJoin(j: JoinOptions): JoinPlan {
  const owned: number[] = [];
  const close = () => {
    for (const fd of owned.splice(0)) fs.closeSync(fd);
  };
  try {
    if (j.fds !== undefined) {
      const byType = new Map(j.fds.map((f) => [f.type, f.fd]));
      const joins: JoinPlan['joins'] = [];
      const what: string[] = [];
      for (const n of JOIN_ORDER) {
        const fd = byType.get(n);
        if (fd === undefined) continue;
        joins.push({ fd, nstype: NSTYPE[n] });
        what.push(`${n} namespace (fd ${fd})`);
      }
      return { joins, what, joinPidFd: byType.get('pid'), mount: byType.has('mnt'), cgroup: j.cgroup, close };
    }
    let pidfd: number;
    if (j.pidfd !== undefined) pidfd = j.pidfd;
    else {
      try {
        pidfd = native().pidfdOpen(j.pid as number);
      } catch (err) {
        throw joinError((err as NodeJS.ErrnoException).code ?? 'ESRCH', 'no such process', `pid ${j.pid}`, err);
      }
      owned.push(pidfd);
    }
    const pid = pidOfPidfd(pidfd);
    if (pid <= 0) throw joinError('ESRCH', 'the process has exited', j.pid !== undefined ? `pid ${j.pid}` : `join.pidfd ${pidfd}`);
    // All of its namespaces that differ from ours, as nsenter --all: entering
    // one's own user namespace again is refused (EINVAL, setns(2)).
    const names = j.namespaces ?? (Object.keys(NSTYPE) as NamespaceName[]).filter((n) => nsId(`/proc/${pid}/ns/${n}`) !== nsId(`/proc/self/ns/${n}`));
    const cgroup = j.cgroup ?? cgroupOf(pid);
    // Read through /proc/<pid>: the pid could have been reused since the pidfd was
    // opened only if that process ended, which the pidfd now shows.
    if (pidOfPidfd(pidfd) !== pid) throw joinError('ESRCH', 'the process has exited', `pid ${pid}`);
    let flags = 0;
    for (const n of names) if (n !== 'pid') flags |= NSTYPE[n];
    const joins = flags !== 0 ? [{ fd: pidfd, nstype: flags }] : [];
    const label = `pid ${pid} (${names.filter((n) => n !== 'pid').join(', ')})`;
    return { joins, what: joins.length ? [label] : [], joinPidFd: names.includes('pid') ? pidfd : undefined, mount: names.includes('mnt'), cgroup, close };
  } catch (err) {
    close();
    throw err;
  }
}
