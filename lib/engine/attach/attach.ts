// One attached client: the container's output (from now on) to its writables,
// its input to the container's stdin or pty, with Docker's escape proxy: the
// detach sequence is held back until it is complete (the client detaches, the
// container runs on) or broken (the held bytes go on to the container).
import type { Readable, Writable } from 'node:stream';
import type { LiveContainer, AttachSink } from '../lifecycle/live';
import { parseDetachKeys } from './keys';

export interface AttachIO {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Close the container's stdin when `stdin` ends (Docker's StdinOnce; default: the container's StdinOnce). */
  closeStdin?: boolean;
  /** Default "ctrl-p,ctrl-q". */
  detachKeys?: string;
}

export interface AttachSession {
  detach: () => void;
  /** 'detached' after the detach keys or detach(); 'exited' when the container ended. */
  done: Promise<'detached' | 'exited'>;
}

export function attachClient(
  live: LiveContainer,
  target: Writable | null,
  openStdin: boolean,
  io: AttachIO,
  onContainerExit: (fn: () => void) => () => void,
): AttachSession {
  const keys = parseDetachKeys(io.detachKeys ?? 'ctrl-p,ctrl-q');
  const sink: AttachSink = { stdout: io.stdout ?? null, stderr: io.stderr ?? null };
  live.clients.add(sink);
  let resolve!: (v: 'detached' | 'exited') => void;
  const done = new Promise<'detached' | 'exited'>((r) => (resolve = r));
  const send = (bytes: number[]) => {
    if (bytes.length && target && !target.destroyed) target.write(Buffer.from(bytes));
  };
  let matched = 0;
  const onData = (chunk: Buffer) => {
    let out: number[] = [];
    for (const b of chunk) {
      if (b === keys[matched]) {
        matched++;
        if (matched === keys.length) {
          send(out);
          return finish('detached');
        }
        continue;
      }
      if (matched > 0) out = out.concat(keys.slice(0, matched));
      matched = 0;
      out.push(b);
    }
    send(out);
  };
  let stopWatching = () => undefined as void;
  let finished = false;
  // The client's input ended: with StdinOnce the container's stdin closes too (a
  // piped `echo hi | docker run -i busybox cat` ends that way); a pty has no half-close.
  const onEnd = () => {
    if (io.closeStdin && target && !target.destroyed && !live.sub.pty) target.end();
  };
  const finish = (why: 'detached' | 'exited') => {
    if (finished) return;
    finished = true;
    io.stdin?.off('data', onData);
    io.stdin?.off('end', onEnd);
    stopWatching();
    live.detach(sink);
    resolve(why);
  };
  if (io.stdin && openStdin) {
    io.stdin.on('data', onData);
    io.stdin.on('end', onEnd);
  }
  stopWatching = onContainerExit(() => finish('exited'));
  return { detach: () => finish('detached'), done };
}
