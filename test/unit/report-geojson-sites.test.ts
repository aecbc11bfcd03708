/**
 * Each site's own truth (issue 23): a site that never answered is dead in GeoJSON at every
 * --by, with its own counts beside its group's rating; a polling station that answered 0 of
 * 360 times was a green point carrying its province's 96 % before.
 */
import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/report/aggregate.js';
import type { GroupKey } from '../../src/report/group-keys.js';
import { renderGeoJson } from '../../src/report/map.js';
import { finishReport } from '../../src/report/pipeline.js';
import { loadProfile } from '../../src/quality/profiles.js';
import { newReadStats } from '../../src/report/read.js';
import { siteAvailabilityPercent, siteDead } from '../../src/report/site-acc.js';
import { fleetRows, fleetSites } from '../helpers/fleet-month.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SITES = fleetSites(400, { seed: 5, deadShare: 0.03 });

async function report(by: GroupKey[]) {
  const agg = new Aggregator({ by, sites: true });
  fleetRows(SITES, (r) => agg.add(r), { days: 3, runsPerDay: 2 });
  return finishReport(agg.result(), newReadStats(), { by, profile: await loadProfile('tiphon', ROOT), sites: true });
}

type Feature = { properties: Record<string, unknown> };

describe('GeoJSON: each site with its own counts', () => {
  const dead = SITES.filter((s) => s.kind === 'dead');
  it('the fleet has dead sites to show (the checks below are not vacuous)', () => {
    expect(dead.length).toBeGreaterThanOrEqual(3);
  });

  it.each<GroupKey[]>([['province'], ['regency'], ['district'], ['location'], ['province', 'endpoint']])('--by %s: every dead site is dead, with 0 ok of its records; every other site is not', async (...by) => {
    const fc = JSON.parse(renderGeoJson(await report(by))) as { features: Feature[] };
    const own = new Map(fc.features.map((f) => [f.properties.site as string, f.properties]));
    expect(own.size).toBe(SITES.length);
    for (const s of SITES) {
      const p = own.get(s.site)!;
      // 3 days × 2 runs × 3 tests = 18 records per site
      expect([p.site_records, (p.site_ok as number) + (p.site_partial as number) + (p.site_error as number), p.site_operator], s.site).toEqual([18, 18, s.operator]);
      if (s.kind === 'dead') expect([p.site_dead, p.site_ok, p.site_error, p.site_availability_percent], s.site).toEqual([true, 0, 18, 0]);
      else expect(p.site_dead, s.site).toBe(false);
    }
    if (by[0] === 'province') {
      // The case the issue found: a dead site inside a province whose availability looks healthy.
      expect(dead.some((s) => (own.get(s.site)!.availability_percent as number) > 90)).toBe(true);
    }
  });

  it('siteDead: a partial record answered; a silent site is dead', () => {
    expect([siteDead({ ok: 0, partial: 0 }), siteDead({ ok: 0, partial: 1 }), siteDead({ ok: 1, partial: 0 })]).toEqual([true, false, false]);
    expect([siteAvailabilityPercent({ records: 0, ok: 0 }), siteAvailabilityPercent({ records: 4, ok: 1 })]).toEqual([null, 25]);
  });
});
