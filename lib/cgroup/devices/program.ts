// Loading and attaching the device program. One program per distinct rule set is
// loaded once per process and its fd kept, so a spawn costs one BPF_PROG_ATTACH
// to the new group (the group's removal detaches it: the kernel drops a cgroup's
// programs when the cgroup is released, kernel/bpf/cgroup.c cgroup_bpf_release).
import * as fs from 'node:fs';
import { native } from '../../native/load';
import { CgroupError } from '../io';
import { compileDeviceRules } from './compile';
import { DEFAULT_DEVICE_RULES, formatRule, type DeviceRule } from './rules';

/** enum bpf_prog_type, enum bpf_attach_type and attach flags (include/uapi/linux/bpf.h). */
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_OVERRIDE = 1;
export const BPF_F_ALLOW_MULTI = 2;

/**
 * Why BPF_F_ALLOW_MULTI and not an exclusive attach (flags 0): the kernel runs, for
 * a device access, the programs of the task's group and of every ancestor attached
 * with ALLOW_MULTI, and allows only when all of them allow (compute_effective_progs
 * and BPF_PROG_RUN_ARRAY_CG in kernel/bpf/cgroup.c). Our flag decides what groups
 * below ours may do: with MULTI they may add programs that run beside ours and can
 * only narrow the list further (a nested runtime given CAP_SYS_ADMIN keeps working,
 * as under runc, which attaches the same way); ours can never be replaced from
 * below. Exclusive (0) would refuse any program below ours with EPERM, and a second
 * exclusive attach on our group would silently replace ours instead of adding to
 * it. ALLOW_OVERRIDE would let a program below replace ours: never.
 */
export const DEVICE_ATTACH_FLAGS = BPF_F_ALLOW_MULTI;

export class DeviceProgramError extends CgroupError {
  /** The verifier's log, for a refused load. */
  readonly log: string;
  constructor(message: string, code: string, path: string, log = '') {
    super(message, { code, op: 'bpf', path });
    this.name = 'DeviceProgramError';
    this.log = log;
  }
}

const CACHE_MAX = 32;
const cache = new Map<string, number>();
let defaultFd: number | undefined;

/** The canonical key of a rule set: rules as devices.allow lines, in order. */
export const rulesKey = (rules: readonly DeviceRule[]): string => rules.map(formatRule).join('\n');

/** The fd of the loaded program for these rules, loading it on first use. */
export function deviceProgramFd(rules: readonly DeviceRule[]): number {
  // The default list is one frozen array: its fd is found without building the key.
  if (rules === DEFAULT_DEVICE_RULES && defaultFd !== undefined) return defaultFd;
  const key = rulesKey(rules);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let fd: number;
  try {
    fd = native().bpfProgLoad({ type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: compileDeviceRules(rules), license: 'Apache-2.0' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { log?: string };
    const log = e.log ?? '';
    const why = e.code === 'EPERM' ? ' (loading a cgroup device program needs CAP_BPF or CAP_SYS_ADMIN)' : '';
    const tail = log.trim().split('\n').slice(-3).join(' | ');
    throw new DeviceProgramError(`devices: bpf(BPF_PROG_LOAD) of the device program failed: ${e.code ?? 'EIO'}${why}${tail ? `; verifier: ${tail}` : ''}`, e.code ?? 'EIO', 'bpf', log);
  }
  // Programs stay attached to their groups after our fd closes (an attached program
  // holds its own reference), so evicting the oldest only costs a reload later.
  if (cache.size >= CACHE_MAX) {
    const [oldKey, oldFd] = cache.entries().next().value as [string, number];
    cache.delete(oldKey);
    if (oldFd === defaultFd) defaultFd = undefined;
    fs.closeSync(oldFd);
  }
  cache.set(key, fd);
  if (rules === DEFAULT_DEVICE_RULES) defaultFd = fd;
  return fd;
}

/** Attaches the program for rules to the group open as cgroupFd (dir names it in errors). */
export function attachDevicePolicy(cgroupFd: number, dir: string, rules: readonly DeviceRule[]): void {
  const prog = deviceProgramFd(rules);
  try {
    native().bpfProgAttach(cgroupFd, prog, BPF_CGROUP_DEVICE, DEVICE_ATTACH_FLAGS);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EPERM' ? ' (an ancestor group holds an exclusive device program, or this process lacks CAP_SYS_ADMIN)' : '';
    throw new DeviceProgramError(`devices: bpf(BPF_PROG_ATTACH) of the device program to ${dir} failed: ${e.code ?? 'EIO'}${why}`, e.code ?? 'EIO', dir);
  }
}

/** Program ids attached to a group for device access, and the flags they were attached with. */
export function queryDevicePrograms(cgroupFd: number): { attachFlags: number; progIds: number[] } {
  return native().bpfProgQuery(cgroupFd, BPF_CGROUP_DEVICE);
}
