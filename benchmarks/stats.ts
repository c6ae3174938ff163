// Summary statistics for benchmark samples. Pure: unit tested in
// test/unit/benchmarks/stats.test.ts.

export interface Summary {
  n: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  p95: number;
  /** Sample standard deviation (n - 1); 0 for a single sample. */
  stddev: number;
}

function checked(samples: readonly number[], what: string): number[] {
  if (samples.length === 0) throw new RangeError(`${what}: no samples`);
  for (const s of samples) if (!Number.isFinite(s)) throw new RangeError(`${what}: sample ${s} is not a finite number`);
  return [...samples].sort((a, b) => a - b);
}

/**
 * The p-th percentile (0..100) by linear interpolation between closest ranks
 * (Hyndman and Fan's type 7: numpy's and R's default), so the 50th is the median.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be 0 to 100, got ${p}`);
  const s = checked(samples, 'percentile');
  const h = (s.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);
export const p95 = (samples: readonly number[]): number => percentile(samples, 95);

export function mean(samples: readonly number[]): number {
  const s = checked(samples, 'mean');
  return s.reduce((a, b) => a + b, 0) / s.length;
}

export function stddev(samples: readonly number[]): number {
  const s = checked(samples, 'stddev');
  if (s.length < 2) return 0;
  const m = mean(s);
  return Math.sqrt(s.reduce((a, b) => a + (b - m) ** 2, 0) / (s.length - 1));
}

/** a / b, or null when either is missing or b is not a positive finite number. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

export function summarize(samples: readonly number[]): Summary {
  const s = checked(samples, 'summarize');
  return {
    n: s.length,
    min: s[0],
    max: s[s.length - 1],
    mean: mean(s),
    median: median(s),
    p95: p95(s),
    stddev: stddev(s),
  };
}

/** Operations per second for `count` operations over `ms` milliseconds of wall time. */
export function perSecond(count: number, ms: number): number | null {
  const r = ratio(count, ms);
  return r === null ? null : r * 1000;
}
