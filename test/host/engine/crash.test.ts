// An engine process killed with SIGKILL at 20 random moments of a busy
// workload (fixtures/crash-workload.ts), each time followed by a new engine
// over the same root: every record is whole, every container that was running
// is recorded exited 137 (its process died with the engine: PR_SET_PDEATHSIG)
// or restarted by its policy, exited ones keep their status, and no cgroup,
// temp file, half-made directory or container process is left without an owner.
import { spawn as spawnChild } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { Engine } from '../../../lib/engine/index';
import type { ContainerRecord } from '../../../lib/engine/container/record';
import { sameProcess } from '../../../lib/util/proc';
import { withBusyboxRoot } from '../../helpers/tier';
import { groupsUnder, tempRoot } from '../../helpers/engine';


const WORKLOAD = path.join(__dirname, 'fixtures', 'crash-workload.js');

function records(root: string): ContainerRecord[] {
  const dir = path.join(root, 'containers');
  const out: ContainerRecord[] = [];
  for (const id of fs.readdirSync(dir)) {
    const f = path.join(dir, id, 'container.json');
    if (fs.existsSync(f)) out.push(JSON.parse(fs.readFileSync(f, 'utf8')) as ContainerRecord);
  }
  return out;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) walk(p, out);
  }
  return out;
}

async function runAndKill(root: string, rootfs: string, delayMs: number): Promise<void> {
  const child = spawnChild(process.execPath, [WORKLOAD, root, rootfs], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`workload ended early with ${code}`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

function main(rootfs: string) {
  t.test('SIGKILL of the engine process at 20 random points, then a new engine', async (t) => {
    const root = tempRoot(t);
    let totalSeen = 0;
    for (let round = 0; round < 20; round++) {
      const delay = Math.floor(Math.random() * 1500);
      await runAndKill(root, rootfs, delay);
      // Parses: every record on disk is whole JSON (atomic replace), read before the new engine touches them.
      const before = new Map(records(root).map((r) => [r.Id, r]));
      totalSeen += before.size;
      // The story without live-restore: the containers die with the engine's process
      // (PR_SET_PDEATHSIG), before any new engine touches them.
      const pids = [...before.values()].filter((r) => r.Runtime && r.State.Pid > 0).map((r) => [r.State.Pid, r.Runtime!.startTime] as const);
      for (let i = 0; i < 100 && pids.some(([p, s]) => sameProcess(p, s)); i++) await new Promise((r) => setTimeout(r, 20));
      t.same(pids.filter(([p, s]) => sameProcess(p, s)), [], `round ${round}: the ${pids.length} recorded container processes died with the engine`);
      const e = await Engine.open({ root });
      const rep = e.recovery;
      const label = `round ${round} (killed after ${delay} ms, ${before.size} containers)`;
      let bad = 0;
      for (const old of before.values()) {
        if (old.State.Status === 'removing' || (old.HostConfig.AutoRemove && old.State.Running)) {
          if (e.containers.list({ all: true, filters: { id: [old.Id] } }).length !== 0) bad++, t.fail(`${label}: ${old.Id} should be removed`);
          continue;
        }
        const now = e.containers.inspect(old.Id);
        if (old.Runtime && old.Runtime.startTime && sameProcess(old.State.Pid, old.Runtime.startTime)) bad++, t.fail(`${label}: the old process ${old.State.Pid} still runs`);
        if (old.State.Running || old.State.Restarting) {
          const restarted = rep.restarted.includes(old.Id);
          if (restarted) {
            if (now.State.Status !== 'running' && now.State.Status !== 'restarting' && now.State.Status !== 'exited') bad++, t.fail(`${label}: restarted ${old.Id} is ${now.State.Status}`);
          } else if (now.State.Status !== 'exited' || (!old.State.Restarting && now.State.ExitCode !== 137)) {
            bad++, t.fail(`${label}: ${old.Id} was running, now ${now.State.Status} ${now.State.ExitCode}`);
          }
        } else if (old.State.Status === 'exited' && !rep.restarted.includes(old.Id)) {
          if (now.State.ExitCode !== old.State.ExitCode) bad++, t.fail(`${label}: ${old.Id} exit status changed`);
        }
      }
      // Every running container's group, and nothing else, under the engine's parent.
      const live = e.containers.list({ all: true }).filter((c) => c.State === 'running').length;
      const groups = groupsUnder(e.cgroupParent).length;
      if (groups !== live) bad++, t.fail(`${label}: ${groups} cgroups for ${live} running containers`);
      const stray = walk(root).filter((p) => /\.tmp-\d+$/.test(p) || (/\/containers\/[0-9a-f]{64}$/.test(p) && !fs.existsSync(path.join(p, 'container.json'))) || (/\/volumes\/[^/]+$/.test(p) && !fs.existsSync(path.join(p, 'volume.json'))));
      if (stray.length) bad++, t.fail(`${label}: stray files ${stray.join(', ')}`);
      t.equal(bad, 0, `${label}: consistent (${rep.exited.length} recorded exited, ${rep.restarted.length} restarted, ${rep.cgroups.length} orphan groups reclaimed)`);
      await e.close({ timeout: 0 });
      t.equal(groupsUnder(e.cgroupParent).length, 0, `${label}: close leaves no group`);
    }
    t.ok(totalSeen > 20, `the workload made containers (${totalSeen} records seen over the rounds)`);
  });
}
withBusyboxRoot(main);
