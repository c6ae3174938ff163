// Resource limits by the names `ulimit` and `docker run --ulimit` use, with the
// RLIMIT_* numbers of asm-generic/resource.h (getrlimit(2)).
import { nearest } from '../util/nearest';

export const RLIMITS: Record<string, number> = {
  cpu: 0,
  fsize: 1,
  data: 2,
  stack: 3,
  core: 4,
  rss: 5,
  nproc: 6,
  nofile: 7,
  memlock: 8,
  as: 9,
  locks: 10,
  sigpending: 11,
  msgqueue: 12,
  nice: 13,
  rtprio: 14,
  rttime: 15,
};

export type RlimitValue = number | 'unlimited' | { soft: number | 'unlimited'; hard: number | 'unlimited' };

export interface ResolvedRlimit {
  resource: number;
  soft: number;
  hard: number;
}

function limit(option: string, v: unknown): number {
  if (v === 'unlimited' || v === Infinity) return Infinity;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`spawn: option ${option} must be a non-negative integer or "unlimited", got ${JSON.stringify(v)}`);
  }
  return v;
}

export function resolveRlimits(rl: Record<string, RlimitValue> | undefined): ResolvedRlimit[] {
  if (rl === undefined) return [];
  if (typeof rl !== 'object' || rl === null || Array.isArray(rl)) throw new TypeError(`spawn: option rlimits must be an object, got ${JSON.stringify(rl)}`);
  return Object.entries(rl).map(([name, v]) => {
    const resource = RLIMITS[name];
    if (resource === undefined) {
      const near = nearest(name, Object.keys(RLIMITS));
      throw new RangeError(`spawn: option rlimits has an unknown limit "${name}"${near ? `; did you mean "${near}"?` : ''} (valid: ${Object.keys(RLIMITS).join(', ')})`);
    }
    const pair = typeof v === 'object' && v !== null ? v : { soft: v, hard: v };
    const soft = limit(`rlimits.${name}.soft`, pair.soft);
    const hard = limit(`rlimits.${name}.hard`, pair.hard);
    if (soft > hard) throw new RangeError(`spawn: option rlimits.${name} has soft ${soft} above hard ${hard}`);
    return { resource, soft, hard };
  });
}
