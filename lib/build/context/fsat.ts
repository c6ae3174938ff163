// The confinement primitives of the build context: openat2(2) through the addon
// (native/fs/fsat.cc), with the RESOLVE_* flags of linux/openat2.h.
//  - RESOLVE_BENEATH: the build context. Any '..' above the starting directory,
//    absolute symlink or symlink leading out fails with EXDEV, decided by the
//    kernel at the moment of the lookup (no check-then-use race).
//  - RESOLVE_IN_ROOT: another root (a stage's or an image's merged directory,
//    the destination of a COPY): '..' and absolute symlinks are resolved as if
//    the directory were '/', so nothing outside it is reached.
// After resolving once, a path is walked again with RESOLVE_NO_SYMLINKS: a
// symlink swapped in later is refused (ELOOP) instead of followed.
import * as fs from 'node:fs';
import { native } from '../../native/load';

export const O_PATH = 0o10000000;
export const AT_EMPTY_PATH = 0x1000;
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;

/** openat2(2); an errno error (code, syscall 'openat2') when the kernel refuses. */
export function openat2(dirfd: number, rel: string, flags: number, resolve: number, mode = 0): number {
  return native().openat2(dirfd, rel === '' ? '.' : rel, flags, mode, resolve);
}

/** An O_PATH fd of a directory given by a host path (the caller's own choice of path). */
export function openDirPath(dir: string): number {
  return fs.openSync(dir, O_PATH | fs.constants.O_DIRECTORY);
}

/** A path naming one entry of the directory an fd holds: /proc/self/fd/N/name (proc(5)). */
export const proc = (fd: number, name?: string): string => (name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`);

/** The path components of a slash-separated path, '.' and empty ones dropped ('..' kept). */
export const components = (p: string): string[] => p.split('/').filter((c) => c !== '' && c !== '.');

/** Runs fn with an fd and closes it whatever happens. */
export function withFd<T>(fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}
