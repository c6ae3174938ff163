// Attach: two clients on one running container's stdio, input from either,
// output to both; Docker's detach keys (ctrl-p,ctrl-q) detach one client and
// leave the container running; a pty container echoes through its terminal.
import { PassThrough } from 'node:stream';
import t from 'tap';
import { withBusyboxRoot } from '../../helpers/tier';
import { openEngine, until } from '../../helpers/engine';

const collect = () => {
  const s = new PassThrough();
  const buf = { text: '', s };
  s.on('data', (d: Buffer) => (buf.text += d.toString()));
  return buf;
};

function main(rootfs: string) {
  t.test('two clients attached; ctrl-p,ctrl-q detaches one; the container runs on', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create({ Rootfs: rootfs, OpenStdin: true, Cmd: ['sh', '-c', 'while read l; do echo "got $l"; echo "err $l" >&2; done; echo bye'] });
    await e.containers.start(Id);
    const aIn = new PassThrough();
    const bIn = new PassThrough();
    const aOut = collect();
    const aErr = collect();
    const bOut = collect();
    const a = e.containers.attach(Id, { stdin: aIn, stdout: aOut.s, stderr: aErr.s });
    const b = e.containers.attach(Id, { stdin: bIn, stdout: bOut.s });
    aIn.write('hello\n');
    await until(() => aOut.text.includes('got hello') && bOut.text.includes('got hello'), 5000, 'both see the output');
    await until(() => aErr.text.includes('err hello'), 5000, 'stderr to the client that asked for it');
    bIn.write('from-b\n');
    await until(() => aOut.text.includes('got from-b'), 5000, 'input of either client reaches the container');
    // ctrl-p then ctrl-q: held back, never sent to the container; the client is detached.
    bIn.write(Buffer.from([0x10]));
    bIn.write(Buffer.from([0x11]));
    t.equal(await b.done, 'detached');
    aIn.write('after\n');
    await until(() => aOut.text.includes('got after'), 5000, 'the other client still attached');
    await new Promise((r) => setTimeout(r, 100));
    t.notMatch(bOut.text, /got after/, 'a detached client gets nothing more');
    t.equal(e.containers.inspect(Id).State.Status, 'running', 'detaching leaves the container running');
    // A partial sequence is passed on: ctrl-p then "x".
    aIn.write(Buffer.from([0x10, 0x78, 0x0a]));
    await until(() => aOut.text.includes('got \x10x'), 5000, 'a broken detach sequence goes to the container');
    await e.containers.stop(Id, { timeout: 0 });
    t.equal(await a.done, 'exited');
  });

  t.test('StdinOnce: the end of the client\'s input closes the container\'s stdin (docker run -i with a pipe)', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create({ Rootfs: rootfs, OpenStdin: true, StdinOnce: true, Cmd: ['sh', '-c', 'cat; echo eof-seen'] });
    await e.containers.start(Id);
    const input = new PassThrough();
    const out = collect();
    const s = e.containers.attach(Id, { stdin: input, stdout: out.s });
    input.end('piped\n');
    t.equal(await s.done, 'exited');
    t.equal(out.text, 'piped\neof-seen\n');
    t.equal((await e.containers.wait(Id)).StatusCode, 0);
    // The control: without StdinOnce the end of one client's input leaves stdin open.
    const other = e.containers.create({ Rootfs: rootfs, OpenStdin: true, Cmd: ['sh', '-c', 'cat; echo eof-seen'] });
    await e.containers.start(other.Id);
    const in2 = new PassThrough();
    const out2 = collect();
    e.containers.attach(other.Id, { stdin: in2, stdout: out2.s });
    in2.end('x\n');
    await until(() => out2.text === 'x\n', 5000, 'the input reached cat');
    await new Promise((r) => setTimeout(r, 300));
    t.equal(e.containers.inspect(other.Id).State.Running, true, 'still reading its open stdin');
    await e.containers.stop(other.Id, { timeout: 0 });
  });

  t.test('HostConfig.ConsoleSize: the pty has its size before the program starts', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create({ Rootfs: rootfs, Tty: true, Cmd: ['stty', 'size'], HostConfig: { ConsoleSize: [33, 91] } });
    await e.containers.start(Id);
    await e.containers.wait(Id);
    let text = '';
    for await (const l of e.containers.logs(Id)) text += l.log;
    t.equal(text.trim(), '33 91');
    t.throws(() => e.containers.create({ Rootfs: rootfs, Tty: true, Cmd: ['true'], HostConfig: { ConsoleSize: [1] as unknown as [number, number] } }), { code: 'INVALID_PARAMETER' });
  });

  t.test('a tty container: input echoed by its terminal, output to the client', async (t) => {
    const e = await openEngine(t);
    const { Id } = e.containers.create({ Rootfs: rootfs, Tty: true, OpenStdin: true, Cmd: ['sh', '-c', 'read l; echo "tty:$l"'] });
    await e.containers.start(Id);
    const input = new PassThrough();
    const out = collect();
    const s = e.containers.attach(Id, { stdin: input, stdout: out.s, detachKeys: 'ctrl-a' });
    input.write('abc\n');
    t.equal(await s.done, 'exited');
    t.match(out.text, /abc\r?\n/, 'the terminal echoed the input');
    t.match(out.text, /tty:abc/);
    let logged = '';
    for await (const l of e.containers.logs(Id)) {
      t.equal(l.stream, 'stdout', 'a tty has one stream');
      logged += l.log;
    }
    t.match(logged, /tty:abc/);
  });
}

withBusyboxRoot(main);
