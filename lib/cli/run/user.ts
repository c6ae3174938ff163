// -u USER[:GROUP] as docker reads it: names are looked up in the container's own
// /etc/passwd and /etc/group (the rootfs's; on the embedded default the host's,
// which is what the container sees), numbers are taken as they are.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface User {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

const MAX_ID = 0xfffffffe;

/** A file of the container, read only if it resolves inside its root (a symlink may not point at the host). */
function containerFile(root: string, file: string): string {
  try {
    const real = fs.realpathSync(path.join(root, file));
    const base = fs.realpathSync(root);
    if (base !== '/' && !real.startsWith(base + '/')) return '';
    return fs.readFileSync(real, 'utf8');
  } catch {
    return '';
  }
}

const rows = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
const numeric = (s: string) => /^\d+$/.test(s);

/** The ids and home for spec, or why not (a sentence naming what was missing). */
export function lookupUser(spec: string, root: string): User | string {
  const m = /^([^:]+)(?::([^:]+))?$/.exec(spec);
  if (!m) return 'must be USER, UID, USER:GROUP or UID:GID';
  const [, user, group] = m;
  const passwd = rows(containerFile(root, 'etc/passwd'));
  const groupRows = rows(containerFile(root, 'etc/group'));
  const entry = passwd.find((r) => (numeric(user) ? r[2] === String(Number(user)) : r[0] === user));
  if (!numeric(user) && !entry) return `names no user of the container's /etc/passwd`;
  const uid = numeric(user) ? Number(user) : Number(entry?.[2]);
  if (!Number.isSafeInteger(uid) || uid > MAX_ID) return `must be an id from 0 to ${MAX_ID}`;
  // docker: a uid without a passwd entry gets gid 0 and HOME=/.
  let gid = entry ? Number(entry[3]) : 0;
  if (group !== undefined) {
    if (numeric(group)) gid = Number(group);
    else {
      const g = groupRows.find((r) => r[0] === group);
      if (!g) return `names no group of the container's /etc/group`;
      gid = Number(g[2]);
    }
  }
  if (!Number.isSafeInteger(gid) || gid > MAX_ID) return `must have a group id from 0 to ${MAX_ID}`;
  // Supplementary groups: those listing the user by name (initgroups(3)), as docker sets them.
  const groups = entry
    ? groupRows.filter((r) => (r[3] ?? '').split(',').includes(entry[0])).map((r) => Number(r[2])).filter((g) => Number.isSafeInteger(g) && g <= MAX_ID && g !== gid)
    : [];
  return { uid, gid, groups: [...new Set(groups)], home: entry?.[5] || '/' };
}
