// The execs of running containers: each a process spawned into a container's
// namespaces and cgroup (spawn's join), known by an id until its container is
// removed, as Docker keeps them (in memory: an exec does not outlive the engine
// that started it, since it dies with its container).
import type { Readable, Writable } from 'node:stream';
import * as os from 'node:os';
import type { Subprocess } from '../../spawn/subprocess';
import { notFound } from '../../util/engine-error';
import type { ExecConfig } from './config';

/** Docker's ExecInspect (GET /exec/{id}/json). */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  /** null while it runs. */
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  /** Its pid on the host; 0 once it has exited. */
  Pid: number;
}

/** A started exec: its streams (with Tty, stdout is the terminal), its resize and its end. */
export interface ExecSession {
  Id: string;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  resize(rows: number, cols: number): void;
  /** Settles when the process has exited, with its exit code (128 + signal when killed); Error when it never started. */
  done: Promise<{ ExitCode: number; Error?: { Message: string } }>;
}

export interface ExecEntry {
  id: string;
  containerId: string;
  config: ExecConfig;
  sub: Subprocess | null;
  running: boolean;
  exitCode: number | null;
}

export function exitCodeOf(res: { exitCode: number | null; signal: NodeJS.Signals | null }): number {
  if (res.exitCode !== null) return res.exitCode;
  return 128 + ((res.signal && os.constants.signals[res.signal]) || 9);
}

export class ExecStore {
  private readonly execs = new Map<string, ExecEntry>();

  add(e: ExecEntry): void {
    this.execs.set(e.id, e);
  }

  get(id: string): ExecEntry {
    const e = this.execs.get(id);
    if (!e) throw notFound('exec instance', id);
    return e;
  }

  /** Forgets the execs of a removed container. */
  dropContainer(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }

  inspect(id: string): ExecInspect {
    const e = this.get(id);
    const c = e.config;
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: { tty: c.Tty ?? false, entrypoint: c.Cmd[0], arguments: c.Cmd.slice(1), privileged: c.Privileged ?? false, user: c.User ?? '' },
      OpenStdin: (c.AttachStdin ?? false) && !c.Detach,
      OpenStderr: !c.Detach && c.AttachStderr !== false,
      OpenStdout: !c.Detach && c.AttachStdout !== false,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: '',
      Pid: e.running && e.sub?.pid ? e.sub.pid : 0,
    };
  }
}
