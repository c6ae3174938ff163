// --chown=user[:group] as Docker's classic builder resolves it (builder/
// dockerfile/internals_linux.go parseChownFlag): a name is looked up in the
// destination root's /etc/passwd and /etc/group, a number is taken as is, and a
// user without a group stands for the group too ("--chown=10" is 10:10,
// "--chown=app" needs a group named app). The files are opened with openat2(2)
// RESOLVE_IN_ROOT from the root: an /etc/passwd symlinked to the host's reads
// the root's own tree. Parsing follows libcontainer/user (name:x:id:...).
import * as fs from 'node:fs';
import { ContextError } from './errors';
import { RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2, openDirPath, withFd } from './fsat';
import type { Owner } from './dest';

function readInRoot(root: string, file: string): string {
  try {
    return withFd(openDirPath(root), (rootFd) =>
      withFd(openat2(rootFd, file, fs.constants.O_RDONLY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), (fd) => fs.readFileSync(fd, 'utf8')),
    );
  } catch {
    return '';
  }
}

function lookup(root: string, file: string, name: string, kind: 'user' | 'group'): number {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    if (n > 0xfffffffe) throw new ContextError('EUSER', `${kind} ${name} out of range`, name);
    return n;
  }
  for (const line of readInRoot(root, file).split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0] === name && /^\d+$/.test(f[2] ?? '')) return Number(f[2]);
  }
  const word = kind === 'user' ? 'uid' : 'gid';
  throw new ContextError('EUSER', `can't find ${word} for ${kind} ${name}: no such ${kind}: ${name}`, name);
}

/** The owner a --chown value names in the destination root. */
export function resolveChown(root: string, chown: string): Owner {
  const parts = chown.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new ContextError('EUSER', `invalid chown string format: ${chown}`, chown);
  const [user, group = user] = parts as [string, string?];
  return { uid: lookup(root, 'etc/passwd', user, 'user'), gid: lookup(root, 'etc/group', group as string, 'group') };
}
