// sysctls a container may set: only those the kernel keeps per namespace, and
// only when that namespace is the container's own (runc's validator and
// moby's ValidateSysctl allow the same): the IPC ones (ipc_namespaces(7)),
// fs.mqueue.* (mq_overview(7)), net.* (network_namespaces(7)), and the UTS
// names. Anything else would change the host for everyone, so it is refused.
import type { FsOp } from '../native/types';
import type { Namespaces } from './options';

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const UTS_SYSCTLS = new Set(['kernel.hostname', 'kernel.domainname']);

export interface SysctlContext {
  /** The namespaces in force (one joined by fd counts as the container's own). */
  ns: Namespaces;
  /** spawn's hostname option, which a kernel.hostname sysctl would contradict. */
  hostname?: string;
}

/** A name in its dotted and /proc/sys path forms; "net/ipv4/conf/eth0.100/forwarding" keeps its dot. */
function parts(name: string): string[] {
  return name.includes('/') ? name.split('/') : name.split('.');
}

/**
 * Why `name` cannot be set in this container, or null when it can. The rule is
 * decided from the dotted form (the first two components) whichever form is given.
 */
export function sysctlRefusal(name: string, ctx: SysctlContext): string | null {
  const p = parts(name);
  if (p.length < 2 || p.some((c) => c === '' || c === '.' || c === '..' || !/^[A-Za-z0-9_.@:+-]+$/.test(c))) {
    return 'is not a sysctl name (like net.ipv4.ip_forward or net/ipv4/conf/eth0.100/forwarding)';
  }
  const dotted = p.join('.');
  if (IPC_SYSCTLS.has(dotted) || dotted.startsWith('fs.mqueue.')) {
    return ctx.ns.ipc ? null : 'needs namespaces.ipc: in the host\'s IPC namespace it would change the host';
  }
  if (p[0] === 'net') return ctx.ns.net ? null : 'needs namespaces.net: in the host\'s network namespace it would change the host';
  if (UTS_SYSCTLS.has(dotted)) {
    if (!ctx.ns.uts) return 'needs namespaces.uts: in the host\'s UTS namespace it would rename the host';
    if (dotted === 'kernel.hostname' && ctx.hostname !== undefined) return 'conflicts with the hostname option';
    return null;
  }
  return 'is not namespaced: it would change the whole host (allowed: net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*, kernel.hostname, kernel.domainname)';
}

/** The write ops, one per sysctl, through the host's /proc/sys before pivot_root (see native/spawn/child.cc, kWrite). */
export function sysctlOps(sysctls: Record<string, string | number>): FsOp[] {
  return Object.entries(sysctls).map(([name, value]) => ({ op: 'write', target: `/proc/sys/${parts(name).join('/')}`, data: String(value) }));
}
