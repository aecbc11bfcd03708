/**
 * Descriptive statistics: pure functions over plain numbers. Empty input gives null
 * ("could not compute"), never NaN. Definitions: docs/metrics.md.
 */

export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

export function min(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

export function max(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** Sample standard deviation (n − 1 in the denominator); null with fewer than 2 values. */
export function stddev(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs) as number;
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

/**
 * Quantile of already sorted values, Hyndman & Fan type 7 (R's and NumPy's default):
 * h = (n − 1)p + 1 (1-based), q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile probability must be in [0, 1], got ${p}`);
  const h = (n - 1) * p; // 0-based form of the same rule
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const xLo = sorted[lo] as number;
  const xHi = sorted[hi] as number;
  return xLo + (h - lo) * (xHi - xLo);
}

export function quantile(xs: readonly number[], p: number): number | null {
  return quantileSorted(sortNumbers(xs), p);
}

export function sortNumbers(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/**
 * Mean of the values left after dropping the lowest and highest (1 − keep)/2 share each
 * (keep = 0.95 drops 2.5% at each end). Used for responsiveness (RPM).
 */
export function trimmedMean(xs: readonly number[], keep: number): number | null {
  if (xs.length === 0) return null;
  const sorted = sortNumbers(xs);
  const cut = Math.floor((sorted.length * (1 - keep)) / 2);
  return mean(sorted.slice(cut, sorted.length - cut));
}

/** Summary of a set of delays, as the record's rtt_* columns need it. */
export interface DelaySummary {
  minMs: number | null;
  meanMs: number | null;
  medianMs: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  stddevMs: number | null;
}

export function summarizeDelays(xs: readonly number[]): DelaySummary {
  const sorted = sortNumbers(xs);
  return {
    minMs: sorted.length ? (sorted[0] as number) : null,
    meanMs: mean(sorted),
    medianMs: quantileSorted(sorted, 0.5),
    p95Ms: quantileSorted(sorted, 0.95),
    maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : null,
    stddevMs: stddev(sorted),
  };
}
