// Container logs through the engine: follow while the container writes, rotation
// by size and count, and 1 GiB of output that does not grow the engine's memory.
import * as fs from 'node:fs';
import t from 'tap';
import { formatLogEntry } from '../../../lib/engine/index';
import { logFiles } from '../../../lib/engine/logs/jsonfile';
import { withBusyboxRoot } from '../../helpers/tier';
import { openEngine } from '../../helpers/engine';

function main(rootfs: string) {
  t.test('the output of a container that exits at once is never lost (the exit waits for the pipes to close)', async (t) => {
    const e = await openEngine(t);
    let lost = 0;
    for (let i = 0; i < 15; i++) {
      // stdout and stderr both piped: spawn's promise can settle before the last chunk is read.
      const { Id } = e.containers.create({ Rootfs: rootfs, Cmd: ['echo', `n${i}`] });
      await e.containers.start(Id);
      await e.containers.wait(Id);
      let text = '';
      for await (const l of e.containers.logs(Id)) text += l.log;
      if (text !== `n${i}\n`) lost++;
      await e.containers.remove(Id);
    }
    t.equal(lost, 0, 'every run logged its one line');
  });

  t.test('follow reads lines as the container writes them and ends when it exits', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create({ Rootfs: rootfs, Cmd: ['sh', '-c', 'i=0; while [ $i -lt 40 ]; do echo "n$i"; i=$((i+1)); sleep 0.02; done'] });
    await e.containers.start(Id);
    const got: string[] = [];
    const seenWhileRunning: boolean[] = [];
    for await (const l of e.containers.logs(Id, { follow: true, timestamps: true })) {
      got.push(formatLogEntry(l, true));
      seenWhileRunning.push(e.containers.inspect(Id).State.Running);
    }
    t.equal(got.length, 40);
    got.forEach((g, i) => t.match(g, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z n${i}\\n$`)));
    t.ok(seenWhileRunning.filter(Boolean).length > 10, 'most lines arrived while the container ran');
    t.equal(e.containers.inspect(Id).State.Status, 'exited');
  });

  t.test('rotation by max-size and max-file; tail across files', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create({
      Rootfs: rootfs,
      Cmd: ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done'],
      HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } } },
    });
    await e.containers.start(Id);
    await e.containers.wait(Id);
    const f = e.containers.inspect(Id).LogPath;
    const files = logFiles(f, 3);
    t.equal(files.length, 3, 'three files kept');
    t.notOk(fs.existsSync(`${f}.3`));
    for (const p of files) t.ok(fs.statSync(p).size <= 10 * 1024, `${p} <= 10k`);
    const tail: string[] = [];
    for await (const l of e.containers.logs(Id, { tail: 3 })) tail.push(l.log);
    t.same(tail, ['line 2997\n', 'line 2998\n', 'line 2999\n']);
    const all: string[] = [];
    for await (const l of e.containers.logs(Id)) all.push(l.log);
    const first = Number(/\d+/.exec(all[0])![0]);
    t.same(all, Array.from({ length: 3000 - first }, (_, i) => `line ${first + i}\n`), 'contiguous, newest 3 files');
  });

  t.test('1 GiB of output: the engine reads with backpressure and its memory does not grow', async (t) => {
    const e = await openEngine(t);
    const GiB = 1024 ** 3;
    const { Id } = e.containers.create({
      Rootfs: rootfs,
      Cmd: ['sh', '-c', `yes "$(head -c 4000 /dev/zero | tr '\\0' a)" | head -c ${GiB}`],
      HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '64m', 'max-file': '2' } } },
    });
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const poll = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    await e.containers.start(Id);
    const r = await e.containers.wait(Id);
    clearInterval(poll);
    t.equal(r.StatusCode, 0);
    const f = e.containers.inspect(Id).LogPath;
    const bytes = logFiles(f, 2).reduce((n, p) => n + fs.statSync(p).size, 0);
    t.ok(bytes > 64 * 1024 * 1024, `logs kept to two files (${(bytes / 2 ** 20).toFixed(0)} MiB)`);
    const grew = peak - base;
    t.ok(grew < 128 * 1024 * 1024, `engine RSS grew by ${(grew / 2 ** 20).toFixed(1)} MiB while the container wrote 1024 MiB`);
  });
}

withBusyboxRoot(main);
