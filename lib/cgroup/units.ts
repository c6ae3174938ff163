// Parsing of user-facing limit values: bounded integers and option objects (sizes
// are util/size.ts). A bad value is a RangeError naming the field and the value received.

import type { Max } from '../util/size';
import { shown } from '../util/shown';

export type { Max };

/** An integer in [min, max], or 'max' when allowMax. */
export function parseInteger(
  field: string,
  value: unknown,
  opts: { min: number; max?: number; allowMax?: boolean; what?: string },
): number | Max {
  const upper = opts.max ?? Number.MAX_SAFE_INTEGER;
  const range = opts.max === undefined ? `an integer >= ${opts.min}` : `an integer from ${opts.min} to ${opts.max}`;
  const expected = `${opts.what ?? range}${opts.allowMax ? ' or "max"' : ''}`;
  if (opts.allowMax && value === 'max') return 'max';
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < opts.min || n > upper) {
    throw new RangeError(`${field}: expected ${expected}, got ${shown(value)}`);
  }
  return n;
}

/** The plain object a limit group must be, else a TypeError naming it and the keys it takes. */
export function expectObject(field: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${field}: expected an object with ${keys.join(', ')}, got ${shown(value)}`);
  }
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!keys.includes(k)) throw new TypeError(`${field}.${k}: unknown limit (valid: ${keys.join(', ')})`);
  }
  return obj;
}
