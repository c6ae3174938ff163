// HostConfig.Binds ("name:/path[:ro]", "/host/path:/path[:ro]") and
// Config.Volumes (anonymous volumes) into mount points, as docker run -v reads them.
import * as path from 'node:path';
import { invalid } from '../../util/engine-error';
import { VOLUME_NAME_RE } from '../../volume/store';
import type { MountPoint } from './record';

export interface MountRequest {
  Type: 'volume' | 'bind';
  /** Volume name (absent for an anonymous volume not created yet) or host path. */
  Source: string | undefined;
  Destination: string;
  RW: boolean;
  Mode: string;
  /** nocopy: a new volume is not filled from the image's content at its path (docker run -v name:/path:nocopy). */
  NoCopy?: boolean;
}

function dest(p: string, spec: string): string {
  if (!p.startsWith('/')) throw invalid(`invalid mount config: mount path must be absolute: ${spec}`);
  const n = path.posix.normalize(p);
  if (n === '/') throw invalid(`invalid specification: destination can't be '/' in '${spec}'`);
  return n.replace(/\/$/, '');
}

export function parseBind(spec: string): MountRequest {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw invalid(`invalid volume specification: '${spec}'`);
  const [src, dst, mode = ''] = parts;
  const modes = mode.split(',').filter(Boolean);
  for (const m of modes) if (m !== 'ro' && m !== 'rw' && m !== 'nocopy') throw invalid(`invalid mode: ${m}`);
  if (modes.includes('ro') && modes.includes('rw')) throw invalid(`invalid mode: ${mode}`);
  const RW = !modes.includes('ro');
  const NoCopy = modes.includes('nocopy');
  if (src.startsWith('/')) {
    // Docker's rule: nocopy is a volume option (volume/mounts/parser_unix.go).
    if (NoCopy) throw invalid(`invalid mode: ${mode}`);
    return { Type: 'bind', Source: path.posix.normalize(src), Destination: dest(dst, spec), RW, Mode: mode };
  }
  if (!VOLUME_NAME_RE.test(src)) {
    throw invalid(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { Type: 'volume', Source: src, Destination: dest(dst, spec), RW, Mode: mode, ...(NoCopy ? { NoCopy } : {}) };
}

/** Every mount of a config; a destination named twice is refused. */
export function mountRequests(binds: string[], anonymous: string[]): MountRequest[] {
  const out = binds.map(parseBind);
  for (const a of anonymous) {
    const d = dest(a, a);
    // A bind at the same place wins over the image's (or config's) anonymous volume, as in Docker.
    if (!out.some((m) => m.Destination === d)) out.push({ Type: 'volume', Source: undefined, Destination: d, RW: true, Mode: '' });
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.Destination)) throw invalid(`Duplicate mount point: ${m.Destination}`);
    seen.add(m.Destination);
  }
  return out;
}

export type { MountPoint };
