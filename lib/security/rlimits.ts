// Resource limits by the names `ulimit` and `docker run --ulimit` use, with the
// RLIMIT_* numbers of asm-generic/resource.h (getrlimit(2)).
import { describe, optionRangeError, optionTypeError } from '../errors';
import { suggest } from '../util/suggest';

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
  // rlim_t is 64 bits, but a number above 2^53 is not exact and one at or above
  // 2^64 would wrap in the conversion: refused rather than changed.
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw optionRangeError('spawn', option, 'must be an integer from 0 to 2^53-1 or "unlimited"', v);
  }
  return v;
}

export function resolveRlimits(rl: Record<string, RlimitValue> | undefined): ResolvedRlimit[] {
  if (rl === undefined) return [];
  if (typeof rl !== 'object' || rl === null || Array.isArray(rl)) throw optionTypeError('spawn', 'rlimits', 'an object', rl);
  return Object.entries(rl).map(([name, v]) => {
    const resource = Object.hasOwn(RLIMITS, name) ? RLIMITS[name] : undefined;
    if (resource === undefined) {
      const near = suggest(name, Object.keys(RLIMITS));
      throw Object.assign(new RangeError(`spawn: option rlimits has an unknown limit ${describe(name)}${near ? `; did you mean "${near}"?` : ''} (valid: ${Object.keys(RLIMITS).join(', ')})`), { code: 'ERR_INVALID_ARG_VALUE', option: `rlimits.${name}` });
    }
    const pair = typeof v === 'object' && v !== null ? v : { soft: v, hard: v };
    const soft = limit(`rlimits.${name}.soft`, pair.soft);
    const hard = limit(`rlimits.${name}.hard`, pair.hard);
    if (soft > hard) throw optionRangeError('spawn', `rlimits.${name}`, `has soft ${soft} above hard ${hard}`, v);
    return { resource, soft, hard };
  });
}
