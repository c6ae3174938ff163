// docker inspect and docker ps shapes from a stored record.
import type { ContainerRecord } from './record';
import { shortId } from '../ids/id';

export interface ContainerInspect extends Omit<ContainerRecord, 'ManuallyStopped' | 'Runtime' | 'Layer'> {
  Driver: string;
  Platform: string;
  /** Docker's GraphDriver: with a writable layer, overlay2 and its upper and work directories. */
  GraphDriver: { Name: string; Data: { UpperDir: string; WorkDir: string } | null };
}

export function inspectRecord(r: ContainerRecord): ContainerInspect {
  const { ManuallyStopped: _m, Runtime: _r, Layer, ...rest } = structuredClone(r);
  const driver = Layer ? 'overlay2' : 'rootfs';
  return { ...rest, Mounts: rest.Mounts.map(({ Anonymous: _a, ...m }) => m), Driver: driver, Platform: 'linux', GraphDriver: { Name: driver, Data: Layer ?? null } };
}

/** docker ps's human status: "Up 5 seconds", "Exited (0) 2 minutes ago", "Created". */
export function humanStatus(r: ContainerRecord, now = Date.now()): string {
  const s = r.State;
  const ago = (t: string) => humanDuration(now - Date.parse(t));
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${ago(s.FinishedAt)} ago`;
  if (s.Running) return `Up ${ago(s.StartedAt)}${s.Paused ? ' (Paused)' : ''}`;
  if (s.Status === 'exited') return `Exited (${s.ExitCode}) ${ago(s.FinishedAt)} ago`;
  if (s.Status === 'dead') return 'Dead';
  if (s.Status === 'removing') return 'Removal In Progress';
  return 'Created';
}

function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'}`;
  return `${Math.round(h / 24)} days`;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Labels: Record<string, string>;
  Mounts: Array<Omit<ContainerRecord['Mounts'][number], 'Anonymous'>>;
  HostConfig: { NetworkMode: string };
  /** docker ps's PORTS: published ones with their host side, exposed ones without. */
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  NetworkSettings: { Networks: NonNullable<ContainerRecord['NetworkSettings']>['Networks'] };
}

function portsSummary(r: ContainerRecord): ContainerSummary['Ports'] {
  const out: ContainerSummary['Ports'] = [];
  for (const [k, list] of Object.entries(r.NetworkSettings?.Ports ?? {})) {
    const [port, type = 'tcp'] = k.split('/');
    if (!list?.length) out.push({ PrivatePort: Number(port), Type: type });
    for (const b of list ?? []) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

export function summarize(r: ContainerRecord): ContainerSummary {
  return {
    Id: r.Id,
    Names: [r.Name],
    Image: r.Config.Image ?? r.Config.Rootfs ?? '',
    Command: [r.Path, ...r.Args].join(' '),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    State: r.State.Status,
    Status: humanStatus(r),
    Labels: { ...(r.Config.Labels ?? {}) },
    Mounts: r.Mounts.map(({ Anonymous: _a, ...m }) => m),
    HostConfig: { NetworkMode: r.HostConfig.NetworkMode },
    Ports: portsSummary(r),
    NetworkSettings: { Networks: structuredClone(r.NetworkSettings?.Networks ?? {}) },
  };
}

export const short = shortId;
