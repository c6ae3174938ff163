// Parsing of user-facing limit values: sizes ('64m', '1.5g', 'max') and bounded
// integers. A bad value is a RangeError naming the field and the value received.

export type Max = 'max';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** How a received value reads in an error message: strings quoted, numbers as is. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Bytes from a number (whole bytes) or a string: '100' (bytes), '512k', '64m',
 * '1.5g', '2t' (powers of 1024; an optional trailing 'b'/'ib' is accepted:
 * '64MiB', '64mb'), or 'max' when allowMax. Fractions of a byte round down.
 */
export function parseSize(field: string, value: unknown, allowMax = true): number | Max {
  const bad = () =>
    new RangeError(`${field}: expected bytes like 64m, 1.5g${allowMax ? ' or "max"' : ''}, got ${shown(value)}`);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw bad();
    return value;
  }
  if (typeof value !== 'string') throw bad();
  const s = value.trim().toLowerCase();
  if (s === 'max') {
    if (!allowMax) throw bad();
    return 'max';
  }
  const m = /^(\d+(?:\.\d+)?|\.\d+)([kmgtp]?)(?:i?b)?$/.exec(s);
  if (!m) throw bad();
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]]);
  if (!Number.isSafeInteger(bytes)) throw bad();
  return bytes;
}

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
