/**
 * SeriesAcc (series-acc.ts), a group's time buckets in flat arrays: bounded per group, and a
 * series merged from two halves (as the worker threads give it) equal to one read in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeriesAcc, SERIES_MAX_POINTS, SERIES_START_WIDTH_MS } from '../../src/report/series-acc.js';

type Row = [t: number, v: number, ok: boolean];

function fill(acc: SeriesAcc, rows: readonly Row[]): SeriesAcc {
  for (const [t, v, ok] of rows) {
    const b = acc.bucket(t);
    (acc.records[b] as number)++;
    if (ok) (acc.ok[b] as number)++;
    (acc.sum[b] as number) += v;
    (acc.n[b] as number)++;
  }
  return acc;
}

describe('SeriesAcc', () => {
  it('buckets by start; past SERIES_MAX_POINTS buckets the width doubles and neighbours merge', () => {
    const rows: Row[] = Array.from({ length: SERIES_MAX_POINTS + 1 }, (_, i) => [i * SERIES_START_WIDTH_MS, i, i % 2 === 0]);
    const acc = fill(new SeriesAcc(1), rows);
    expect(acc.widthMs).toBe(2 * SERIES_START_WIDTH_MS);
    expect(acc.size).toBe(SERIES_MAX_POINTS / 2 + 1);
    // bucket 0 holds minutes 0 and 1: values 0 and 1, one ok
    expect([acc.t[0], acc.records[0], acc.ok[0], acc.sum[0], acc.n[0]]).toEqual([0, 2, 1, 1, 2]);
  });
  it('property: two halves merged give the state of one in order', () => {
    const row = fc.tuple(fc.integer({ min: 0, max: 30 * 86_400_000 }), fc.double({ min: 0, max: 1e4, noNaN: true }), fc.boolean());
    fc.assert(
      fc.property(fc.array(row, { maxLength: 600 }), fc.nat(), (rows, cut) => {
        const at = rows.length === 0 ? 0 : cut % rows.length;
        const whole = fill(new SeriesAcc(1), rows);
        const merged = fill(new SeriesAcc(1), rows.slice(0, at));
        merged.merge(fill(new SeriesAcc(1), rows.slice(at)).state());
        // Equal where the halves coarsened the same way as the whole; the merged one is never finer.
        expect(merged.widthMs).toBeGreaterThanOrEqual(whole.widthMs);
        while (whole.widthMs < merged.widthMs) whole.coarsen();
        const view = (a: SeriesAcc) =>
          Array.from({ length: a.size }, (_, i) => [a.t[i], a.records[i], a.ok[i], a.n[i]])
            .sort((x, y) => (x[0] as number) - (y[0] as number));
        expect(view(merged)).toEqual(view(whole));
        expect(merged.size).toBeLessThanOrEqual(SERIES_MAX_POINTS);
      }),
    );
  });
});
