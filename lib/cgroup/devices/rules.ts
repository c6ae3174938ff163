// Device rules as runc and Docker write them ("c 1:3 rwm"): a type (b block,
// c char, a any), a major and a minor number or "*", and the access allowed (r
// read, w write, m mknod). Default deny: what no rule allows is refused.
// Documentation/admin-guide/cgroup-v1/devices.rst gives the model; on cgroup v2 a
// BPF_PROG_TYPE_CGROUP_DEVICE program enforces it (compile.ts).

export type DeviceType = 'a' | 'b' | 'c';

export interface DeviceRule {
  type: DeviceType;
  /** A major number, or '*' for any. */
  major: number | '*';
  /** A minor number, or '*' for any. */
  minor: number | '*';
  /** Some of r, w, m. */
  access: string;
}

/**
 * Docker's default allow list (moby oci/defaults.go and runc's AllowedDevices):
 * mknod of any node, read and write only of the devices every container has.
 */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = Object.freeze([
  { type: 'c', major: '*', minor: '*', access: 'm' },
  { type: 'b', major: '*', minor: '*', access: 'm' },
  { type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { type: 'c', major: 136, minor: '*', access: 'rwm' }, // pts/*
  { type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun
] as DeviceRule[]);

/** Device numbers are 12-bit majors and 20-bit minors (include/linux/kdev_t.h MINORBITS). */
const MAX_MAJOR = 0xfff;
const MAX_MINOR = 0xfffff;

/** Access letters in canonical order, or null when s is not a non-empty set of r, w, m. */
export function normalizeAccess(s: unknown): string | null {
  if (typeof s !== 'string' || !/^[rwm]{1,3}$/.test(s) || new Set(s).size !== s.length) return null;
  return ['r', 'w', 'm'].filter((c) => s.includes(c)).join('');
}

/** Why a rule is not valid, or null. */
export function ruleProblem(r: DeviceRule): string | null {
  if (r.type !== 'a' && r.type !== 'b' && r.type !== 'c') return 'type must be "a", "b" or "c"';
  const num = (v: unknown, max: number) => v === '*' || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max);
  if (!num(r.major, MAX_MAJOR)) return `major must be "*" or an integer from 0 to ${MAX_MAJOR}`;
  if (!num(r.minor, MAX_MINOR)) return `minor must be "*" or an integer from 0 to ${MAX_MINOR}`;
  if (normalizeAccess(r.access) === null) return 'access must be some of "r", "w", "m"';
  return null;
}

/** "c 1:3 rwm", the form of devices.allow and docker's --device-cgroup-rule. */
export function formatRule(r: DeviceRule): string {
  return `${r.type} ${r.major}:${r.minor} ${normalizeAccess(r.access) ?? r.access}`;
}

/** The major and minor numbers of an st_rdev (glibc's gnu_dev_major/minor, sys/sysmacros.h). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return {
    major: ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0),
    minor: (lo & 0xff) | ((lo >>> 12) & 0xfffff00),
  };
}
