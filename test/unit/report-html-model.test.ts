/**
 * The HTML report's pure pieces (issue 23): the CDF axis, the worst list's severity and ties,
 * the shared series grid, the packed rich cells, the region code of a group.
 */
import { describe, expect, it } from 'vitest';
import { emptyGroup } from '../../src/report/aggregate.js';
import { availabilityTies, cdfAxisMax, compareSeverity } from '../../src/report/html-charts.js';
import { groupCode, internRich, seriesGrid, SERIES_VALUE_BUDGET, type Cell, type Col } from '../../src/report/html-model.js';
import type { ReportGroup } from '../../src/report/pipeline.js';

const DAY = 86_400_000;
function group(key: string, o: Partial<ReportGroup> = {}): ReportGroup {
  return { ...emptyGroup([key]), name: null, rating: null, expected: null, records: 10, ok: 10, availabilityPercent: 100, firstStartedAt: '2026-11-01T00:00:00Z', lastStartedAt: '2026-11-30T00:00:00Z', ...o };
}

describe('cdfAxisMax', () => {
  const pts = (values: number[]) => values.map((value, i) => ({ p: i / (values.length - 1), value }));
  it.each([
    // 101 points: p99 is the 100th; a 13 s outlier beyond it cuts the axis at p99
    ['long tail', pts([...Array.from({ length: 100 }, (_, i) => 20 + i), 13_000]), { xMax: 119, cut: true }],
    // max within 5 % of p99: the whole curve
    ['short tail', pts([...Array.from({ length: 100 }, (_, i) => 20 + i), 120]), { xMax: 120, cut: false }],
    ['all zero', pts([0, 0, 0]), { xMax: 0, cut: false }],
  ])('%s', (_, points, want) => expect(cdfAxisMax(points)).toEqual(want));
});

describe('worst list: severity and ties', () => {
  const down = (key: string, avail: number, spanDays: number, error: number) =>
    group(key, { availabilityPercent: avail, ok: 100 - error, error, records: 100, firstStartedAt: new Date(0).toISOString(), lastStartedAt: new Date(spanDays * DAY).toISOString() });
  it('availability first, then the longer span, then more failed records, then the key', () => {
    const gs = [down('d', 0, 1, 100), down('a', 0, 30, 100), down('c', 50, 30, 50), down('b', 0, 30, 100), down('e', 0, 30, 99)];
    expect(gs.sort(compareSeverity).map((g) => g.key[0])).toEqual(['a', 'b', 'e', 'd', 'c']);
  });
  it('every unreachable group is in exactly one tie class, at the availability the page prints', () => {
    const gs = [down('a', 0, 30, 100), down('b', 0, 1, 100), down('c', 50.04, 30, 50), down('d', 49.96, 30, 50), down('e', 70, 30, 30), group('ok')];
    expect(availabilityTies(gs).map((c) => [c.value, c.groups.map((g) => g.key[0])])).toEqual([
      ['0.0', ['a', 'b']],
      ['50.0', ['d', 'c']], // 49.96 and 50.04 both print 50.0: tied on the page, so tied here
      ['70.0', ['e']],
    ]);
  });
});

describe('seriesGrid', () => {
  const series = (widthMs: number, points: [number, number | null, number][]) => ({
    widthMs,
    t: Float64Array.from(points, ([t]) => t),
    records: Float64Array.from(points, ([, , records]) => records),
    ok: Float64Array.from(points, ([, , records]) => records),
    means: { latency_ms: Float64Array.from(points, ([, m]) => m ?? NaN) },
  });
  it('one grid at the widest width; points in one bucket weighted by records; under 10 ms one decimal', () => {
    const a = group('a', { series: series(60_000, [[0, 10, 1], [60_000, 40, 3], [120_000, 5.04, 1]]) });
    const b = group('b', { series: series(120_000, [[0, 100, 2], [120_000, null, 2]]) });
    const g = seriesGrid([a, b])!;
    expect([g.t0, g.w, g.n]).toEqual([0, 120_000, 2]);
    // a: bucket 0 = (10·1 + 40·3) / 4 = 32.5 → 33 (≥ 10 ms: no decimal); bucket 1 = 5.04 → 5
    expect(g.v).toEqual(['33,5', '100']);
  });
  it('the grid coarsens until every group fits the budget together', () => {
    const many = Array.from({ length: 2000 }, (_, i) => group(String(i), { series: series(60_000, [[0, 1, 1], [30 * DAY, 1, 1]]) }));
    const g = seriesGrid(many)!;
    expect(g.n * many.length).toBeLessThanOrEqual(SERIES_VALUE_BUDGET);
    expect(g.n * 2 * many.length).toBeGreaterThan(SERIES_VALUE_BUDGET / 2); // not coarser than needed
  });
  it('no group with two points: no series', () => expect(seriesGrid([group('a')])).toBeNull());
});

describe('page model packing', () => {
  it('rich cells are stored once and referenced by index; other cells untouched', () => {
    const cols: Col[] = [{ h: 'k', t: 'k' }, { h: 'r', t: 'r' }, { h: 'n', t: 'n' }];
    const rows: Cell[][] = [
      ['a', ['bagus', 'pass', 3], 1],
      ['b', ['bagus', 'pass', 3], 2],
      ['c', ['jelek', 'fail', 1], null],
    ];
    const { rows: packed, rc } = internRich(cols, rows);
    expect(packed).toEqual([['a', 0, 1], ['b', 0, 2], ['c', 1, null]]);
    expect(rc).toEqual([['bagus', 'pass', 3], ['jelek', 'fail', 1]]);
  });
  it.each([
    [['location'], ['32.73.01.1001'], '32.73.01.1001'],
    [['district'], ['(coarser: 32.73)'], '32.73'],
    [['location'], ['(invalid: 3x.7)'], null],
    [['location'], ['(none)'], null],
    [['endpoint', 'province'], ['jkt', '32'], '32'], // the first region key, wherever it is in --by
    [['endpoint'], ['jkt'], null],
  ])('groupCode(%j, %j) = %s', (by, key, want) => expect(groupCode(by, group('x', { key }))).toBe(want));
});

describe('columns with no data are left out', () => {
  it('upload nobody ran: no upload statistics and no upload rating column; both named in the note', async () => {
    const { Readable } = await import('node:stream');
    const { expandInputs } = await import('../../src/report/inputs.js');
    const { buildReport } = await import('../../src/report/pipeline.js');
    const { loadProfile } = await import('../../src/quality/profiles.js');
    const { tableModel } = await import('../../src/report/html-model.js');
    const { LABELS } = await import('../../src/report/labels.js');
    const root = new URL('../..', import.meta.url).pathname;
    const sources = await expandInputs(['fixtures/report-honesty/sites.ndjson'], root, () => Readable.from([]));
    const data = await buildReport(sources, { by: ['location'], profile: await loadProfile('uso-2010', root) });
    expect(data.groups.every((g) => g.metrics.upload_bps.n === 0)).toBe(true);
    const { cols, dropped } = tableModel(data, LABELS.en);
    expect(cols.map((c) => c.h).filter((h) => /^up |Upload/.test(h))).toEqual([]);
    expect(dropped).toEqual(expect.arrayContaining(['up median Mbit/s', 'Upload']));
    expect(cols.map((c) => c.h)).toContain('Latency'); // a rated column with data stays
  });
});
