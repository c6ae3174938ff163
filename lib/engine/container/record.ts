// What the engine stores for each container (containers/<id>/container.json),
// and the state fields with Docker's names and meanings.
import type { ContainerConfig, HostConfig, RestartPolicy, LogConfig } from './config';
import type { EndpointSettings } from '../network/config';

export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface State {
  Status: Status;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface MountPoint {
  Type: 'volume' | 'bind';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  /** Anonymous volumes are removed with the container when asked. */
  Anonymous?: boolean;
}

export interface StoredHostConfig extends HostConfig {
  Binds: string[];
  RestartPolicy: Required<RestartPolicy>;
  AutoRemove: boolean;
  NetworkMode: string;
  LogConfig: LogConfig;
}

/** Docker's NetworkSettings: the container's networks (by name) and, while it runs, its published ports. */
export interface NetworkSettings {
  Networks: Record<string, EndpointSettings>;
  Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
}

export interface ContainerRecord {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: StoredHostConfig;
  State: State;
  RestartCount: number;
  Mounts: MountPoint[];
  /** Absent in records written before networks. */
  NetworkSettings?: NetworkSettings;
  LogPath: string;
  /** Docker's HasBeenManuallyStopped: a stop or kill by the user suspends the restart policy. */
  ManuallyStopped: boolean;
  /** The running process's start time (/proc/<pid>/stat field 22) and its cgroup, to reclaim after a crash. */
  Runtime: { startTime: number; cgroup: string } | null;
  /** The container's writable layer (overlay upper and work directories in its own directory), kept until it is removed; absent for a Rootfs directory. */
  Layer?: { UpperDir: string; WorkDir: string };
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function freshState(): State {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

/** RFC 3339 with nanoseconds, as Go's time.RFC3339Nano prints UTC (trailing zeros trimmed). */
export function rfc3339Nano(ms = Date.now(), nsExtra = 0): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const frac = (String(ms % 1000).padStart(3, '0') + String(nsExtra).padStart(6, '0')).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? '.' + frac : ''}Z`;
}

let lastNs = 0n;
/** Now, in RFC3339Nano, strictly increasing within this process (log lines keep their order). */
export function nowNano(): string {
  let ns = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  return rfc3339Nano(Number(ns / 1_000_000n), Number(ns % 1_000_000n));
}

/** Parses RFC 3339 (nanoseconds kept) into ns since the epoch, or unix seconds ("1700000000.5"). */
export function parseTimeNs(v: string): bigint {
  if (/^\d+(\.\d+)?$/.test(v)) {
    const [s, f = ''] = v.split('.');
    return BigInt(s) * 1_000_000_000n + BigInt((f + '000000000').slice(0, 9));
  }
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(v);
  if (!m) throw new RangeError(`not a time: ${v}`);
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) throw new RangeError(`not a time: ${v}`);
  return BigInt(base) * 1_000_000n + BigInt(((m[2] ?? '') + '000000000').slice(0, 9));
}
