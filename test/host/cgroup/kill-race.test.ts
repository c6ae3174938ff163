// proc.cgroup.kill() racing the program's own exit: the exit path removes the
// group while kill() waits for "populated 0" in its cgroup.events. A removed group
// holds no process, so kill() must resolve, not wait out its 10 s deadline.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { discoverCgroup } from '../../../lib/cgroup/discover';
import { spawn } from '../../../lib/index';
import { requirementMissing, withBusyboxRoot } from '../../helpers/tier';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

withBusyboxRoot((rootDir) => {
  if (discoverCgroup().mountpoint === null) return requirementMissing('no cgroup v2 hierarchy is mounted');
  main(rootDir);
});

function main(rootDir: string) {
  t.test('150 kills racing the exit: every one resolves', async (t) => {
    let failures = 0;
    for (let i = 0; i < 150; i++) {
      const p = spawn('/bin/true', [], { rootfs: rootDir, reject: false });
      const cg = p.cgroup;
      if (cg === null) throw new Error('no group');
      // Spread the kill over the program's life: before, during and after its exit.
      await new Promise((r) => setTimeout(r, i % 4));
      // The watchdog: 3 s is far past any real kill, far short of the 10 s hang.
      try {
        await cg.kill({ timeoutMs: 3000 });
      } catch (err) {
        failures++;
        t.fail(`iteration ${i}: ${(err as Error).message}`);
      }
      await p;
    }
    t.equal(failures, 0);
  });

  t.test('bulkhead run --timeout racing the exit returns at once, 20 times', async (t) => {
    for (let i = 0; i < 20; i++) {
      // spawnSync's timeout is the watchdog: a run that hangs is killed and has no status.
      const r = spawnSync(process.execPath, [CLI, 'run', '--rootfs', rootDir, '--timeout', '0.1', '--', 'sh', '-c', 'sleep 0.1'], { encoding: 'utf8', timeout: 6000 });
      t.ok(r.status === 0 || r.status === 137, `run ${i}: exit ${r.status} ${r.stderr}`);
    }
  });
}
