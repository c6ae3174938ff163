// `bulkhead info`: what this host offers Bulkhead, gathered from /proc, cgroupfs,
// /etc/os-release and the addon's probes. Field names are documented in README.md.
import { CONTROLLER_FLAGS, controllerAdvice } from './cgroup-flags';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { capabilityNames } from '../caps/names';
import { discoverCgroup } from '../cgroup/discover';
import { LIMIT_CONTROLLERS, missingControllerReason } from '../cgroup/layout';
import { native } from '../native/load';
import { hostFacts, type HostFacts } from './host';
import type { ProbeOutcome } from '../native/types';

export interface Missing {
  feature: string;
  /** Which Bulkhead features need it. */
  neededBy: string;
  detail: string;
}

export interface Info {
  kernel: { release: string; arch: string };
  cgroup: {
    mode: 'unified' | 'hybrid' | 'legacy' | 'none';
    mountpoint: string | null;
    controllers: string[];
    enabled: string[];
    current: string | null;
    currentDir: string | null;
    delegated: boolean;
    v1Controllers: string[];
  };
  userNamespaces: { maxUserNamespaces: number | null; unprivileged: boolean | null };
  overlayfs: boolean;
  clone3: { available: boolean; pidfd: boolean; intoCgroup: boolean | null; error: string | null };
  seccomp: { available: boolean; filter: boolean; actions: string[] };
  capabilities: { effective: string[]; all: boolean };
  root: boolean;
  host: HostFacts;
  missing: Missing[];
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readInt(file: string): number | null {
  const t = readText(file);
  if (t === null) return null;
  const n = Number(t.trim());
  return Number.isInteger(n) ? n : null;
}

const ok = (o: ProbeOutcome | null): boolean => o === true;
const errOf = (o: ProbeOutcome | null): string | null => (o === true || o === null ? null : o);

export async function collectInfo(): Promise<Info> {
  const cg = discoverCgroup();
  const probe = native().probeClone(cg.currentDir ? { cgroupDir: cg.currentDir } : {});
  const caps = native().capabilities();
  const effective = capabilityNames(caps.effective);
  const maxUserNs = readInt('/proc/sys/user/max_user_namespaces');
  // Debian and Ubuntu gate unprivileged user namespaces behind their own sysctls;
  // upstream kernels allow them whenever max_user_namespaces > 0.
  const debianGate = readInt('/proc/sys/kernel/unprivileged_userns_clone');
  const apparmorGate = readInt('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  const unprivileged =
    maxUserNs === null ? null : maxUserNs > 0 && debianGate !== 0 && apparmorGate !== 1;
  const filesystems = readText('/proc/filesystems') ?? '';
  const status = readText('/proc/self/status') ?? '';
  const actions = (readText('/proc/sys/kernel/seccomp/actions_avail') ?? '').trim().split(/\s+/).filter(Boolean);

  const info: Info = {
    kernel: { release: os.release(), arch: os.arch() },
    cgroup: {
      mode: cg.mode,
      mountpoint: cg.mountpoint,
      controllers: cg.controllers,
      enabled: cg.enabled,
      current: cg.currentPath,
      currentDir: cg.currentDir,
      delegated: cg.delegated,
      v1Controllers: Object.keys(cg.v1Bound).sort(),
    },
    userNamespaces: { maxUserNamespaces: maxUserNs, unprivileged },
    overlayfs: /\toverlay$/m.test(filesystems),
    clone3: {
      available: ok(probe.clone3),
      pidfd: ok(probe.clone3) && ok(probe.pidfdOpen),
      intoCgroup: probe.intoCgroup === null ? null : ok(probe.intoCgroup),
      error: errOf(probe.clone3) ?? errOf(probe.intoCgroup),
    },
    seccomp: { available: /^Seccomp:/m.test(status), filter: actions.length > 0, actions },
    capabilities: { effective, all: effective.includes('SYS_ADMIN') && effective.length >= 38 },
    root: process.getuid?.() === 0,
    host: hostFacts(),
    missing: [],
  };
  info.missing = missingFeatures(info, cg);
  return info;
}

function missingFeatures(info: Info, cg: ReturnType<typeof discoverCgroup>): Missing[] {
  const out: Missing[] = [];
  const need = (feature: string, neededBy: string, detail: string) => out.push({ feature, neededBy, detail });
  if (!info.root) need('root', 'spawn, run', 'Bulkhead creates namespaces and mounts as root; run it with sudo');
  if (info.cgroup.mountpoint === null) need('cgroup v2', 'limits, stats, events', 'no cgroup2 filesystem is mounted');
  const byController: Record<string, string> = {
    memory: `${CONTROLLER_FLAGS.memory.join(', ')}, memory limits and OOM events`,
    cpu: `${CONTROLLER_FLAGS.cpu.join(', ')}, cpu usage`,
    cpuset: CONTROLLER_FLAGS.cpuset.join(', '),
    pids: CONTROLLER_FLAGS.pids.join(', '),
    io: CONTROLLER_FLAGS.io.join(', '),
  };
  if (info.cgroup.mountpoint !== null) {
    for (const c of LIMIT_CONTROLLERS) {
      if (byController[c] === undefined || info.cgroup.controllers.includes(c)) continue;
      const reason = missingControllerReason(cg, c);
      // On a host whose controller belongs to cgroup v1, say what to do about it.
      need(`cgroup ${c}`, byController[c], cg.v1Bound[c] !== undefined ? `${reason}; ${controllerAdvice(CONTROLLER_FLAGS[c])}` : reason);
    }
    if (!info.cgroup.delegated) need('cgroup delegation', 'limits', cg.delegationReason ?? 'not delegated');
  }
  if (!info.clone3.available) need('clone3', 'spawn', `clone3 refused (${info.clone3.error}); spawn falls back to clone and a cgroup.procs write`);
  else if (info.clone3.intoCgroup === false) need('CLONE_INTO_CGROUP', 'limits', `refused (${info.clone3.error}); processes are moved with a cgroup.procs write`);
  if (!info.overlayfs) need('overlayfs', 'images', 'overlay is not in /proc/filesystems (try `modprobe overlay`)');
  if (info.userNamespaces.maxUserNamespaces === 0) need('user namespaces', 'namespaces.user', 'user.max_user_namespaces is 0');
  if (!info.seccomp.filter) need('seccomp filters', 'the default seccomp profile', 'the kernel has no seccomp filter mode');
  return out;
}
