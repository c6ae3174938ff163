// The one size grammar of Bulkhead: cgroup limits (memory.max, io.max rates,
// hugetlb), tmpfs sizes of spawn() and the sizes of `bulkhead run` flags
// (--memory, --tmpfs size=, --device-write-bps) all read bytes the same way.
import { shown } from './shown';

export type Max = 'max';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Bytes from a string: '100' (bytes), '512k', '64m', '1.5g', '2t', '1p' (powers
 * of 1024, any case, an optional trailing 'b'/'ib': '64MiB', '64mb', as docker's
 * RAMInBytes also takes '64b'), or a whole non-negative number. Fractions of a
 * byte round down. null when the text is not a size.
 */
export function toBytes(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([kmgtp]?)(?:i?b)?$/.exec(value.trim().toLowerCase());
  if (!m) return null;
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!]!);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/**
 * Bytes from a number (whole bytes) or a string: '100' (bytes), '512k', '64m',
 * '1.5g', '2t' (powers of 1024; an optional trailing 'b'/'ib' is accepted:
 * '64MiB', '64mb'), or 'max' when allowMax. Fractions of a byte round down.
 */
export function parseSize(field: string, value: unknown, allowMax = true): number | Max {
  const bad = () =>
    new RangeError(`${field}: expected bytes like 64m, 1.5g${allowMax ? ' or "max"' : ''}, got ${shown(value)}`);
  if (typeof value === 'string' && value.trim().toLowerCase() === 'max') {
    if (!allowMax) throw bad();
    return 'max';
  }
  const bytes = typeof value === 'number' || typeof value === 'string' ? toBytes(value) : null;
  if (bytes === null) throw bad();
  return bytes;
}
