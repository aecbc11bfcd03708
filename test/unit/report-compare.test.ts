/**
 * Which link is best at each site (issue 22, report/compare.ts): groups that differ only in the link key are one
 * site's links, ranked by verdict, availability, loss, RTT; the lead is the best link's margin over the runner-up.
 * Values hand-checked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareLinks, linkKeyOf, rankLinks, type LinkFigures } from '../../src/report/compare.js';
import type { ReportGroup } from '../../src/report/pipeline.js';
import { renderTable } from '../../src/report/render-table.js';

function group(key: string[], o: { records: number; ok: number; pass: boolean | null; loss: number | null; rtt: number | null }): ReportGroup {
  const stats = (mean: number | null, median: number | null) => ({ n: mean === null ? 0 : 10, mean, median, tail: null, min: null, max: null, exact: true });
  return {
    key,
    name: null,
    namedLocation: null,
    records: o.records,
    ok: o.ok,
    partial: 0,
    error: o.records - o.ok,
    availabilityPercent: o.records === 0 ? null : (100 * o.ok) / o.records,
    firstStartedAt: null,
    lastStartedAt: null,
    metrics: { latency_ms: stats(o.rtt, o.rtt), jitter_ms: stats(null, null), loss_percent: stats(o.loss, o.loss), download_bps: stats(null, null), upload_bps: stats(null, null) } as ReportGroup['metrics'],
    series: null,
    sites: [],
    rating: o.pass === undefined ? null : { metrics: [], overall: { value: null, label: o.pass === true ? 'memuaskan' : o.pass === false ? 'buruk' : 'insufficient data', pass: o.pass }, failing: [], insufficient: [] },
    expected: null,
  };
}

describe('compareLinks', () => {
  it('ranks each site\'s links and states the lead (hand-checked)', () => {
    const by = ['location', 'operator'];
    const groups = [
      // Site 32.73: Telkomsel passes, 100 % up, 0.5 % loss, 40 ms; XL passes, 95 % up, 2 % loss, 25 ms; Indosat fails.
      group(['32.73', '510-11 XL Axiata'], { records: 20, ok: 19, pass: true, loss: 2, rtt: 25 }),
      group(['32.73', '510-10 Telkomsel'], { records: 20, ok: 20, pass: true, loss: 0.5, rtt: 40 }),
      group(['32.73', '510-01 INDOSAT'], { records: 20, ok: 20, pass: false, loss: 0, rtt: 10 }),
      // Site 32.04: one link only, nothing to compare.
      group(['32.04', '510-10 Telkomsel'], { records: 5, ok: 5, pass: true, loss: 0, rtt: 30 }),
      // Site 11.01: B never answered (no verdict but 0 % availability) against A with no verdict and 60 %.
      group(['11.01', 'wifi'], { records: 10, ok: 6, pass: null, loss: 40, rtt: 12 }),
      group(['11.01', '510-11 XL Axiata'], { records: 10, ok: 0, pass: null, loss: 100, rtt: null }),
    ];
    const c = compareLinks({ by: by as ReportGroup['key'] as never, groups });
    expect(c.map((s) => s.site)).toEqual([['32.73'], ['11.01']]);
    expect(c[0]!.links.map((l) => l.link)).toEqual(['510-10 Telkomsel', '510-11 XL Axiata', '510-01 INDOSAT']);
    // 100 − 95 = 5 points more available; 2 − 0.5 = 1.5 points less loss; 25 − 40 = −15 ms (slower, by 15 ms).
    expect(c[0]!.lead).toEqual({ availabilityPoints: 5, lossPoints: 1.5, rttMs: -15 });
    expect(c[1]!.links.map((l) => [l.link, l.verdict, l.availabilityPercent])).toEqual([
      ['wifi', 'none', 60],
      ['510-11 XL Axiata', 'none', 0],
    ]);
    expect(c[1]!.lead).toEqual({ availabilityPoints: 60, lossPoints: 60, rttMs: null });
  });

  it('the table names the best link of each site and its lead, in English and Indonesian', async () => {
    const { LABELS } = await import('../../src/report/labels.js');
    const groups = [group(['32.73', 'wlan0'], { records: 4, ok: 4, pass: true, loss: 0, rtt: 20 }), group(['32.73', 'wwan0'], { records: 4, ok: 2, pass: false, loss: 50, rtt: 60 })];
    const data = { by: ['location', 'interface'], groups, metrics: [], since: null, until: null, profile: null, input: { files: [], rows: 8, malformed: 0, unknownSchema: 0, issues: [], issuesNotListed: 0, duplicates: 0, duplicatesByFile: {} }, rows: 8, filteredOut: 0, interrupted: 0, firstStartedAt: null, lastStartedAt: null, cdf: {}, expected: null } as never;
    const en = renderTable(data, LABELS.en);
    expect(en).toContain('Best link per site (by interface');
    expect(en).toMatch(/32\.73: wlan0 \(.*100.*\), ahead of wwan0 by \+50\.?0* pp .*\+50\.?0* pp loss, \+40\.?0* ms RTT/);
    expect(renderTable(data, LABELS.id)).toContain('Jalur terbaik per lokasi');
    const { renderJson } = await import('../../src/report/render-data.js');
    expect(JSON.parse(renderJson(data)).links_compared).toEqual([
      {
        site: { location: '32.73' },
        best: 'wlan0',
        lead: { availability_points: 50, loss_points: 50, rtt_ms: 40 },
        links: [
          { link: 'wlan0', records: 4, verdict: 'pass', rating: 'memuaskan', availability_percent: 100, loss_mean_percent: 0, rtt_median_ms: 20 },
          { link: 'wwan0', records: 4, verdict: 'fail', rating: 'buruk', availability_percent: 50, loss_mean_percent: 50, rtt_median_ms: 60 },
        ],
      },
    ]);
  });

  it('no link key in --by: nothing to compare', () => {
    expect(linkKeyOf(['location'])).toBeNull();
    expect(compareLinks({ by: ['location'] as never, groups: [group(['32.73'], { records: 1, ok: 1, pass: true, loss: 0, rtt: 1 })] })).toEqual([]);
  });

  it('property: the ranking is a permutation, and no link ranks above a better verdict', () => {
    const link = fc.record({
      link: fc.string({ maxLength: 6 }),
      records: fc.nat(50),
      verdict: fc.constantFrom('pass' as const, 'fail' as const, 'none' as const),
      rating: fc.constant(null),
      availabilityPercent: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
      lossMeanPercent: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
      rttMedianMs: fc.option(fc.double({ min: 0, max: 5000, noNaN: true })),
    });
    fc.assert(
      fc.property(fc.array(link, { maxLength: 8 }), (links: LinkFigures[]) => {
        const ranked = rankLinks(links);
        expect([...ranked].sort((a, b) => links.indexOf(a) - links.indexOf(b))).toEqual(links);
        const rank = { pass: 0, none: 1, fail: 2 };
        for (let i = 1; i < ranked.length; i++) expect(rank[ranked[i - 1]!.verdict]).toBeLessThanOrEqual(rank[ranked[i]!.verdict]);
      }),
    );
  });
});
