import { describe, expect, it } from 'vitest';
import { ipdv, pdv, rfc3550Jitter } from '../../src/stats/jitter.js';
import { longestLossRun, lossPercent, reorderedCount } from '../../src/stats/loss.js';
import { max, mean, min, quantile, stddev, summarizeDelays, trimmedMean } from '../../src/stats/summary.js';

describe('mean, min, max, stddev', () => {
  it.each([
    // [values, mean, min, max, stddev]
    [[], null, null, null, null],
    [[5], 5, 5, 5, null], // one value: no sample stddev (n-1 = 0)
    [[1, 3], 2, 1, 3, Math.SQRT2], // mean 2; ss = 1+1 = 2; /(2-1) = 2; sqrt = 1.4142
    [[2, 4, 4, 4, 5, 5, 7, 9], 5, 2, 9, Math.sqrt(32 / 7)], // ss = 9+1+1+1+0+0+4+16 = 32; /7
    [[10, 10, 10], 10, 10, 10, 0],
  ])('%j', (xs, m, lo, hi, sd) => {
    expect(mean(xs)).toBe(m);
    expect(min(xs)).toBe(lo);
    expect(max(xs)).toBe(hi);
    if (sd === null) expect(stddev(xs)).toBeNull();
    else expect(stddev(xs)).toBeCloseTo(sd, 12);
  });
});

describe('quantile (Hyndman & Fan type 7)', () => {
  it.each([
    // h = (n-1)p (0-based); q = x[floor h] + frac(h) * (x[floor h + 1] - x[floor h])
    [[1, 2, 3, 4], 0.5, 2.5], // h = 1.5 → 2 + 0.5*(3-2)
    [[1, 2, 3, 4], 0.95, 3.85], // h = 2.85 → 3 + 0.85*(4-3)
    [[1, 2, 3, 4], 0, 1],
    [[1, 2, 3, 4], 1, 4],
    [[10, 20, 30, 40, 50], 0.5, 30], // h = 2 exactly
    [[10, 20, 30, 40, 50], 0.95, 48], // h = 3.8 → 40 + 0.8*10
    [[10, 20, 30, 40, 50], 0.1, 14], // h = 0.4 → 10 + 0.4*10
    [[7], 0.95, 7], // one value: itself
    [[3, 1, 2], 0.5, 2], // unsorted input is sorted first
  ])('%j p=%d → %d', (xs, p, q) => {
    expect(quantile(xs, p)).toBeCloseTo(q, 12);
  });
  it('is null for no values and rejects p outside [0, 1]', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
  it('agrees with NumPy on a known vector', () => {
    // numpy.percentile([15, 20, 35, 40, 50], 40) == 29.0: h = 4*0.4 = 1.6 → 20 + 0.6*15
    expect(quantile([15, 20, 35, 40, 50], 0.4)).toBeCloseTo(29, 12);
  });
});

describe('trimmedMean', () => {
  it('drops (1-keep)/2 of the values at each end', () => {
    // 40 values 1..40; keep 0.95 → cut floor(40*0.05/2) = 1 at each end → mean of 2..39 = 20.5
    const xs = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(trimmedMean(xs, 0.95)).toBe(20.5);
    // 10 values: floor(10*0.05/2) = 0 cut → plain mean; an outlier stays
    expect(trimmedMean([1, 1, 1, 1, 1, 1, 1, 1, 1, 100], 0.95)).toBe(10.9);
  });
});

describe('ipdv jitter (consecutive pairs, lost packets break pairs)', () => {
  it.each([
    [[10, 20, 30], 10], // |20-10| = 10, |30-20| = 10 → 10
    [[10, 12, 11, 15], 7 / 3], // 2 + 1 + 4 = 7 over 3 pairs
    [[10, null, 30, 31], 1], // pairs (0,1) and (1,2) broken by the loss; only |31-30| = 1
    [[10, null, 30], null], // no pair at all
    [[5], null],
    [[], null],
    [[20, 10, 20, 10], 10], // alternating: every difference is 10
  ])('%j → %s', (d, j) => {
    const got = ipdv(d);
    if (j === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(j, 12);
  });
});

describe('RFC 3550 jitter (seeded with the first |D|)', () => {
  it.each([
    [[10, 20], 10], // J = |D1| = 10
    [[10, 20, 30], 10], // J = 10; D2 = 10 → J += (10-10)/16 = 10
    [[10, 20, 20], 10 - 10 / 16], // J = 10; D2 = 0 → J += (0-10)/16 = 9.375
    [[0, 16, 16, 48], 15 + (32 - 15) / 16], // J=16; D=0 → 15; D=32 → 15 + 17/16 = 16.0625
    [[10], null],
  ])('%j → %s', (d, j) => {
    const got = rfc3550Jitter(d);
    if (j === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(j, 12);
  });
});

describe('pdv = p99 - min', () => {
  it('uses the type 7 p99', () => {
    // 1..100: p99 h = 99*0.99 = 98.01 → x[98] + 0.01*(x[99]-x[98]) = 99 + 0.01 = 99.01; min 1 → 98.01
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(pdv(xs)).toBeCloseTo(98.01, 10);
    expect(pdv([4])).toBeNull();
    expect(pdv([4, 6])).toBeCloseTo(1.98, 12); // p99: 4 + 0.99*2 = 5.98; - 4
  });
});

describe('loss, outage, reordering', () => {
  it.each([
    [10, 10, 0],
    [10, 9, 10], // 1 of 10 lost
    [3, 0, 100],
    [0, 0, null], // nothing sent: cannot compute
  ])('lossPercent(%d, %d) = %s', (s, r, l) => expect(lossPercent(s, r)).toBe(l));

  it.each([
    [[true, false, false, true, false], 2],
    [[true, true], 0],
    [[false, false, false], 3],
    [[], 0],
  ])('longestLossRun(%j) = %d', (xs, n) => expect(longestLossRun(xs)).toBe(n));

  it.each([
    [[0, 1, 2, 3], 0],
    [[0, 2, 1, 3], 1], // 1 arrives after 2
    [[3, 0, 1, 2], 3], // 0, 1, 2 all below the highest (3)
    [[0, 1, 4, 2, 3, 5], 2], // 2 and 3 below 4
  ])('reorderedCount(%j) = %d', (xs, n) => expect(reorderedCount(xs)).toBe(n));
});

describe('summarizeDelays', () => {
  it('fills every delay statistic', () => {
    // 1,2,3,4: min 1, max 4, mean 2.5, median 2.5, p95 3.85, sd = sqrt((2.25+0.25+0.25+2.25)/3) = sqrt(5/3)
    const s = summarizeDelays([4, 1, 3, 2]);
    expect(s).toMatchObject({ minMs: 1, maxMs: 4, meanMs: 2.5, medianMs: 2.5 });
    expect(s.p95Ms).toBeCloseTo(3.85, 12);
    expect(s.stddevMs).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(summarizeDelays([])).toEqual({ minMs: null, meanMs: null, medianMs: null, p95Ms: null, maxMs: null, stddevMs: null });
  });
});
