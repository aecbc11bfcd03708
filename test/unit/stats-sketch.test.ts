/**
 * The quantile sketch (src/stats/sketch.ts): exact up to EXACT_LIMIT values, then within
 * SKETCH_RELATIVE_ERROR (0.5 %) of the exact type 7 quantile, for any non-negative data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXACT_LIMIT, QuantileAccumulator, SKETCH_RELATIVE_ERROR } from '../../src/stats/sketch.js';
import { quantile } from '../../src/stats/summary.js';

const fill = (xs: readonly number[]): QuantileAccumulator => {
  const acc = new QuantileAccumulator();
  for (const x of xs) acc.add(x);
  return acc;
};
/** Within the bound, with room for float rounding only (1e-12 relative); a zero must be exact. */
const within = (got: number, want: number): boolean => Math.abs(got - want) <= want * (SKETCH_RELATIVE_ERROR + 1e-12);

describe('quantile sketch', () => {
  it('is exact (type 7, as stats/summary.quantile) up to EXACT_LIMIT values', () => {
    const xs = Array.from({ length: EXACT_LIMIT }, (_, i) => ((i * 7919) % 1000) / 10);
    const acc = fill(xs);
    expect(acc.exact).toBe(true);
    expect(acc.quantiles([0.5, 0.95, 0.1])).toEqual([quantile(xs, 0.5), quantile(xs, 0.95), quantile(xs, 0.1)]);
  });

  it('past EXACT_LIMIT stays within the documented relative error; count, mean, min, max exact', () => {
    // a deterministic skewed sample: 20 000 values from 0.5 to ~2000 ms, plus zeros
    const xs: number[] = [];
    let s = 1;
    for (let i = 0; i < 20_000; i++) {
      s = (s * 48271) % 2147483647;
      xs.push(i % 50 === 0 ? 0 : 0.5 + (s / 2147483647) ** 3 * 2000);
    }
    const acc = fill(xs);
    expect(acc.exact).toBe(false);
    for (const p of [0.1, 0.5, 0.95, 0.99]) {
      const want = quantile(xs, p)!;
      expect(Math.abs(acc.quantiles([p])[0]! - want) / want).toBeLessThanOrEqual(SKETCH_RELATIVE_ERROR);
    }
    expect([acc.n, acc.min, acc.max]).toEqual([20_000, 0, Math.max(...xs)]);
    expect(acc.mean()).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 9);
  });

  it('property: any non-negative values past EXACT_LIMIT, every quantile within 0.5 % of the exact one', () => {
    // Values spanning 12 decades (and exact zeros), so many buckets and the zero count are exercised.
    const value = fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 1e9 }));
    fc.assert(
      fc.property(fc.array(value, { minLength: EXACT_LIMIT + 1, maxLength: EXACT_LIMIT + 600 }), fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 8 }), (xs, permille) => {
        // fixed tails and middle, plus random ranks (fast-check's doubles cluster at 0 and 1, where min/max are exact)
        const ps = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, ...permille.map((k) => k / 1000)];
        const acc = fill(xs);
        expect(acc.exact).toBe(false);
        const got = acc.quantiles(ps);
        ps.forEach((p, i) => {
          const want = quantile(xs, p)!;
          if (!within(got[i]!, want)) throw new Error(`p=${p}: sketch ${got[i]} vs exact ${want}`);
        });
      }),
      { numRuns: 40 },
    );
  });

  it('the bound is tight, not vacuous: a value between bucket edges is off by up to, never more than, 0.5 %', () => {
    // A bucket (γ^(k−1), γ^k] that received 1000 values just above its lower edge and 1000 at its upper edge, between a 0
    // and a 10× outlier: the exact quantile at rank 500 is the low value; the sketch gives the bucket's representative
    // 2γ^k/(γ+1), off by (γ−1)/(γ+1) = α. (A bucket that received one distinct value gives that value: see the next test.)
    const gamma = (1 + SKETCH_RELATIVE_ERROR) / (1 - SKETCH_RELATIVE_ERROR);
    const errs = [1, 1.003, 1.007, 3.3, 1234.5].map((x) => {
      const k = Math.ceil(Math.log(x) / Math.log(gamma));
      const v = gamma ** (k - 1) * (1 + 1e-9);
      const acc = fill([0, ...Array<number>(1000).fill(v), ...Array<number>(1000).fill(gamma ** k * (1 - 1e-12)), 10 * v]);
      return Math.abs(acc.quantiles([500 / 2001])[0]! - v) / v;
    });
    for (const e of errs) expect(e).toBeLessThanOrEqual(SKETCH_RELATIVE_ERROR + 1e-12);
    expect(Math.max(...errs)).toBeGreaterThan(SKETCH_RELATIVE_ERROR / 10); // it does quantise (so the test above tests something)
  });

  it('a bucket that received one distinct value gives that value exactly (issue 23: p95 loss 100 printed as 99.986)', () => {
    // 2000 zeros and 1000 × 100 (loss of every test that lost everything), past EXACT_LIMIT: p95 is rank 2849.05 → 100.
    const acc = fill([...Array<number>(2000).fill(0), ...Array<number>(1000).fill(100), ...Array<number>(100).fill(12.5)]);
    expect(acc.exact).toBe(false);
    const [p95, max, p50] = acc.quantiles([0.95, 1, 0.5]);
    expect([p95, max, p50]).toEqual([100, 100, 0]);
    // A bucket of several values still clamps to what it received: never outside [smallest, largest] of the bucket.
    const mixed = fill([...Array<number>(2000).fill(0), ...Array<number>(600).fill(99.9), ...Array<number>(600).fill(100)]);
    const [q] = mixed.quantiles([0.95]);
    expect(q).toBeGreaterThanOrEqual(99.9);
    expect(q).toBeLessThanOrEqual(100);
  });

  it('no values: quantiles and mean are null (could not compute), not NaN', () => {
    const acc = new QuantileAccumulator();
    expect([acc.quantiles([0.5]), acc.mean(), acc.cdf()]).toEqual([[null], null, []]);
  });
});
