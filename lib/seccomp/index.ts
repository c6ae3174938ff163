// Seccomp for Bulkhead: profiles (Docker/OCI JSON), Docker's default policy, and
// the compiler to the BPF program the addon loads in the child before execve.
import * as fs from 'node:fs';
import { compileCached, CompileOptions, hostArch } from './compile';
import { DEFAULT_PROFILE } from './default';
import { parseProfile, SeccompProfile, SeccompProfileInput } from './profile';
import { SeccompArch } from './syscalls';

export * from './compile';
export { DEFAULT_PROFILE } from './default';
export * from './profile';
export { AUDIT_ARCH, SYSCALL_TABLES, syscallName, syscallNumber } from './syscalls';
export type { SeccompArch } from './syscalls';

/** What a `seccomp` spawn option may be: on (the default profile), off, a profile, or a JSON file's path. */
export type SeccompOption = boolean | string | SeccompProfile | SeccompProfileInput | undefined;

const files = new Map<string, { mtimeMs: number; size: number; ino: number; profile: SeccompProfile }>();

/** A profile larger than this is refused: Docker's default profile is about 20 KB. */
export const MAX_PROFILE_BYTES = 4 * 1024 * 1024;

/**
 * A profile file, re-read only when its mtime, size or inode changed. Opened
 * O_NONBLOCK and checked with fstat before any read: a FIFO or a device would
 * otherwise block this thread (the event loop) in read(2), or never end.
 */
function profileFromFile(file: string): SeccompProfile {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw Object.assign(new RangeError(`profile file ${JSON.stringify(file)} cannot be opened: ${err.code ?? err.message}`), { path: file, errno: err.code });
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
      throw Object.assign(new RangeError(`profile file ${JSON.stringify(file)} is ${kind}, not a regular file`), { path: file });
    }
    if (st.size > MAX_PROFILE_BYTES) {
      throw Object.assign(new RangeError(`profile file ${JSON.stringify(file)} has ${st.size} bytes, more than ${MAX_PROFILE_BYTES}`), { path: file });
    }
    const seen = files.get(file);
    if (seen && seen.mtimeMs === st.mtimeMs && seen.size === st.size && seen.ino === st.ino) return seen.profile;
    // Read at most the cap plus one byte: a file that grew past it since fstat is refused too.
    const buf = Buffer.alloc(Math.min(st.size, MAX_PROFILE_BYTES) + 1);
    let got = 0;
    for (let n; got < buf.length && (n = fs.readSync(fd, buf, got, buf.length - got, got)) > 0; ) got += n;
    if (got > MAX_PROFILE_BYTES) throw Object.assign(new RangeError(`profile file ${JSON.stringify(file)} has more than ${MAX_PROFILE_BYTES} bytes`), { path: file });
    let profile: SeccompProfile;
    try {
      profile = parseProfile(buf.subarray(0, got).toString('utf8'));
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) e.message = `${file}: ${e.message}`;
      throw e;
    }
    files.set(file, { mtimeMs: st.mtimeMs, size: st.size, ino: st.ino, profile });
    return profile;
  } finally {
    fs.closeSync(fd);
  }
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
