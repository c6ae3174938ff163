// Groups of a Node process killed with SIGKILL are reclaimed by the next one to
// spawn (and by `bulkhead info --cleanup`); a live process's groups, and a group
// that still holds a process, are never touched.
import { spawn as cpSpawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { discoverCgroup } from '../../../lib/cgroup/discover';
import { groupOwner, ownerAlive, reclaimGroups, startTime } from '../../../lib/cgroup/reclaim';
import { requirementMissing, withBusyboxRoot } from '../../helpers/tier';

const LIB = path.resolve(__dirname, '..', '..', '..', 'lib', 'index.js');
const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

withBusyboxRoot((rootDir) => {
  if (discoverCgroup().mountpoint === null) return requirementMissing('no cgroup v2 hierarchy is mounted');
  main(rootDir);
});

/** A node process that starts n containers running `sleep 60` and prints their groups. */
function owner(rootDir: string, n: number, extra = ''): Promise<{ child: ChildProcess; groups: string[] }> {
  const script =
    `const { spawn } = require(${JSON.stringify(LIB)});` +
    `const ps = []; for (let i = 0; i < ${n}; i++) ps.push(spawn('/bin/sh', ['-c', 'echo up; exec sleep 60'], { rootfs: ${JSON.stringify(rootDir)}, env: { PATH: '/bin' }, reject: false${extra} }));` +
    `Promise.all(ps.map((p) => new Promise((r) => p.stdout.once('data', r)))).then(() => console.log(JSON.stringify(ps.map((p) => p.cgroup.path))));`;
  const child = cpSpawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('\n')) resolve({ child, groups: JSON.parse(out) as string[] });
    });
    child.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
  });
}

const populated = (dir: string) => /^populated 1$/m.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'));
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function main(rootDir: string) {
  t.test('group names carry the owner pid and its start time; a recycled pid is not the owner', async (t) => {
    const st = startTime('self') as string;
    t.match(st, /^\d+$/);
    t.ok(ownerAlive({ pid: process.pid, startTime: st }));
    t.notOk(ownerAlive({ pid: process.pid, startTime: String(Number(st) + 1) }), 'same pid, another start: dead');
    t.same(groupOwner(`bulkhead-${process.pid}-${st}-7`), { pid: process.pid, startTime: st });
    t.equal(groupOwner('bulkhead-test-x'), null, 'not ours: never touched');
  });

  t.test('a SIGKILLed owner leaves groups; the next process to spawn reclaims them, and only them', async (t) => {
    const dead = await owner(rootDir, 3);
    const detached = await owner(rootDir, 1, ', dieWithParent: false');
    const live = await owner(rootDir, 2);
    t.teardown(() => live.child.kill('SIGKILL'));
    dead.child.kill('SIGKILL');
    detached.child.kill('SIGKILL');
    await new Promise((r) => dead.child.once('exit', r));
    // PR_SET_PDEATHSIG killed the dead owner's containers; their groups stay behind.
    await until(() => dead.groups.every((g) => fs.existsSync(g) && !populated(g)), 'the dead owner\'s containers to die');
    t.ok(dead.groups.every((g) => fs.existsSync(g)), 'SIGKILL left the groups');
    t.ok(populated(detached.groups[0]), 'the dieWithParent: false container still runs');

    // The next start: a fresh process's first spawn.
    const next = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(LIB)}).spawn('/bin/true', [], { rootfs: ${JSON.stringify(rootDir)} }).then(() => console.log('ran'))`], { encoding: 'utf8' });
    t.equal(next.stdout, 'ran\n');
    t.ok(dead.groups.every((g) => !fs.existsSync(g)), 'every group of the dead owner is gone');
    t.ok(live.groups.every((g) => fs.existsSync(g) && populated(g)), 'the live owner\'s groups are untouched and still run');
    t.ok(fs.existsSync(detached.groups[0]) && populated(detached.groups[0]), 'a group that holds a process is left alone');

    // Once its container is gone, `bulkhead info --cleanup` (or the next start) takes it too.
    const procs = fs.readFileSync(path.join(detached.groups[0], 'cgroup.procs'), 'utf8').trim().split('\n').map(Number);
    for (const pid of procs) process.kill(pid, 'SIGKILL');
    await until(() => !populated(detached.groups[0]), 'the detached container to die');
    const cleanup = spawnSync(process.execPath, [CLI, 'info', '--cleanup', '--json'], { encoding: 'utf8' });
    t.equal(cleanup.status, 0);
    t.ok((JSON.parse(cleanup.stdout) as { removed: string[] }).removed.includes(detached.groups[0]), 'info --cleanup removed it');
    t.notOk(fs.existsSync(detached.groups[0]));
    t.ok(live.groups.every((g) => fs.existsSync(g)), 'still untouched');
    live.child.kill('SIGKILL');
    await new Promise((r) => live.child.once('exit', r));
    await until(() => live.groups.every((g) => !populated(g)), 'the live owner\'s containers to die with it');
    const r = reclaimGroups(path.dirname(live.groups[0]));
    t.ok(live.groups.every((g) => r.removed.includes(g) && !fs.existsSync(g)), 'now dead, its groups are reclaimed too');
  });
}
