// procfs keeps one mode and owner per global entry for the whole machine
// (proc_notify_change, fs/proc/generic.c): a chmod of /proc/buddyinfo by a
// container's root would persist in every proc mount on the host. A read-only
// mount refuses it (EROFS). Real attempts, each checked on the host, with a
// control that shows the change persisting when the protection is off.
import * as fs from 'node:fs';
import t from 'tap';
import { spawn, type SpawnOptions } from '../../../lib/index';
import { DOCKER_READONLY_PATHS, PROC_GLOBALS } from '../../../lib/security/paths';
import { withBusyboxRoot } from '../../helpers/tier';

const ENTRY = '/proc/buddyinfo';

withBusyboxRoot(main);

function main(rootDir: string) {
  const base: SpawnOptions = { rootfs: rootDir, env: { PATH: '/bin' }, reject: false };
  const before = fs.statSync(ENTRY);
  // Put the global entry back whatever a control did: a chmod from the host
  // writes the entry's mode and owner for every mount again (0444 root:root).
  const restore = () => {
    fs.chmodSync(ENTRY, before.mode & 0o7777);
    fs.chownSync(ENTRY, before.uid, before.gid);
  };
  t.teardown(restore);
  // An inode procfs already holds keeps the mode it was made with; a fresh
  // proc mount (a new container's) shows what the entry itself now says.
  const global = async () => ((await spawn('/bin/stat', ['-c', '%a %u', ENTRY], base)).stdout ?? '').trim();
  const want = `${(before.mode & 0o777).toString(8)} ${before.uid}`;
  const attack = 'chmod 0400 /proc/buddyinfo 2>&1; chown 1:1 /proc/buddyinfo 2>&1; (echo 100 > /proc/$$/oom_score_adj) 2>&1; cat /proc/$$/oom_score_adj';
  const unchanged = async (t: { equal: (a: unknown, b: unknown, m: string) => unknown }, what: string) => {
    const g = await global();
    t.equal(g, want, `${what}: ${ENTRY} kept its mode and owner, as a fresh proc mount shows it (${g})`);
  };

  t.test('default: all of /proc read-only; chmod and chown of a global entry refused', async (t) => {
    for (const extra of [{}, { namespaces: { user: true } }, { uid: 0, capAdd: ['ALL'] }] as SpawnOptions[]) {
      const r = await spawn('/bin/sh', ['-c', attack], { ...base, ...extra });
      t.match(r.stdout, /chmod: \/proc\/buddyinfo: Read-only file system\nchown: \/proc\/buddyinfo: Read-only file system/, `${JSON.stringify(extra)}: EROFS`);
      t.match(r.stdout, /oom_score_adj: Read-only file system/, 'the price: /proc/<pid> is read-only too');
      await unchanged(t, JSON.stringify(extra));
    }
  });

  t.test('PROC_GLOBALS: every global entry read-only, /proc/<pid> writable', async (t) => {
    const r = await spawn('/bin/sh', ['-c', attack], { ...base, readonlyPaths: [...DOCKER_READONLY_PATHS, PROC_GLOBALS] });
    t.match(r.stdout, /chmod: \/proc\/buddyinfo: Read-only file system\nchown: \/proc\/buddyinfo: Read-only file system\n100\n/);
    await unchanged(t, 'PROC_GLOBALS');
    const ls = await spawn('/bin/sh', ['-c', 'ls /proc/$(ls /proc | grep -v "^[0-9]" | head -1) >/dev/null && ls /proc | grep -c "^[0-9]"'], { ...base, readonlyPaths: [PROC_GLOBALS] });
    t.equal(ls.exitCode, 0, 'the entries still read as usual');
  });

  t.test('control: with Docker\'s read-only paths only, the chmod persists on the host', async (t) => {
    try {
      const r = await spawn('/bin/sh', ['-c', 'chmod 0400 /proc/buddyinfo && echo changed'], { ...base, readonlyPaths: DOCKER_READONLY_PATHS });
      t.equal(r.stdout, 'changed\n');
      t.equal(await global(), `400 ${before.uid}`, 'a fresh proc mount shows 0400: the change outlived the container');
    } finally {
      restore();
    }
    await unchanged(t, 'restored');
  });
}
