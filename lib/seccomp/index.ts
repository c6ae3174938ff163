// Seccomp for Bulkhead: profiles (Docker/OCI JSON), Docker's default policy, and
// the compiler to the BPF program the addon loads in the child before execve.
import * as fs from 'node:fs';
import { compileCached, CompileOptions, hostArch } from './compile';
import { DEFAULT_PROFILE } from './default';
import { loadProfileFile, parseProfile, SeccompProfile, SeccompProfileInput } from './profile';
import { SeccompArch } from './syscalls';

export * from './compile';
export { DEFAULT_PROFILE } from './default';
export * from './profile';
export { AUDIT_ARCH, SYSCALL_TABLES, syscallName, syscallNumber } from './syscalls';
export type { SeccompArch } from './syscalls';

/** What a `seccomp` spawn option may be: on (the default profile), off, a profile, or a JSON file's path. */
export type SeccompOption = boolean | string | SeccompProfile | SeccompProfileInput | undefined;

const files = new Map<string, { mtimeMs: number; size: number; ino: number; profile: SeccompProfile }>();

/** A profile file, re-read only when its mtime, size or inode changed. */
function profileFromFile(file: string): SeccompProfile {
  const st = fs.statSync(file);
  const seen = files.get(file);
  if (seen && seen.mtimeMs === st.mtimeMs && seen.size === st.size && seen.ino === st.ino) return seen.profile;
  const profile = loadProfileFile(file);
  files.set(file, { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino, profile });
  return profile;
}

/**
 * Validates a `seccomp` option up front (before anything is created): a
 * TypeError/RangeError names the field. Returns the profile to use, or null for off.
 */
export function seccompProfileFor(option: SeccompOption): SeccompProfile | null {
  if (option === false) return null;
  if (option === undefined || option === true) return DEFAULT_PROFILE;
  if (typeof option === 'string') return profileFromFile(option);
  if (typeof option === 'object' && option !== null) return parseProfile(option);
  throw new TypeError(`seccomp: expected a boolean, a profile object or a file path, got ${typeof option}`);
}

/**
 * The program for a spawn: `null` when seccomp is off, otherwise the cached
 * Buffer of struct sock_filter for this process's architecture and the
 * capabilities the child keeps (names like 'CHOWN' or 'CAP_CHOWN').
 */
export function seccompProgram(option: SeccompOption, caps: readonly string[], opts: Partial<Omit<CompileOptions, 'caps'>> = {}): Buffer | null {
  const profile = seccompProfileFor(option);
  if (!profile) return null;
  const arch: SeccompArch = opts.arch ?? hostArch();
  return compileCached(profile, { arch, caps, ...(opts.kernel ? { kernel: opts.kernel } : {}) });
}
