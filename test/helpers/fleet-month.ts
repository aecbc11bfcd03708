/**
 * A simulated month of a national fleet for the HTML report's scale tests (issue 23): sites at
 * real village codes spread over all 38 provinces, 4 runs a day of icmp, http and download,
 * straight into the aggregator as ReportRows (no files: the page is under test, not the
 * readers; bench/ has the file generator for speed). Deterministic: the same arguments give
 * the same fleet. Some sites are dead (every record an error), some flaky, some lossy, a few
 * with 13 s spikes; site names carry commas and quotes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportRow } from '../../src/report/read.js';
import { REPORT_METRICS, sampleFields } from '../../src/report/metrics.js';

const ROOT = join(import.meta.dirname, '../..');

export interface FleetSite {
  code: string;
  name: string;
  site: string;
  lat: number;
  lon: number;
  /** dead: every record an error; flaky: half of them; lossy: 30 % loss; ok otherwise. */
  kind: 'dead' | 'flaky' | 'lossy' | 'ok';
  /** cell_operator of its records. */
  operator: string;
}

/** mulberry32: a small seeded PRNG, so a failing run can be repeated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPERATORS = ['TELKOMSEL', 'INDOSAT', 'XL', 'SMARTFREN'];

let villages: { code: string; name: string }[] | null = null;
function villageCodes(): { code: string; name: string }[] {
  if (villages) return villages;
  const names = new Map<string, string>();
  const out: { code: string; name: string }[] = [];
  for (const line of readFileSync(join(ROOT, 'data/regions-id/regions.tsv'), 'utf8').split('\n').slice(1)) {
    const [code, name] = line.split('\t');
    if (!code || !name) continue;
    names.set(code, name);
    if (code.length === 13) out.push({ code, name: [2, 5, 8, 13].map((n) => names.get(code.slice(0, n)) ?? '').join(' / ') });
  }
  return (villages = out);
}

/**
 * `n` sites: every (villages / n)-th village, a fifth of them a second site in the previous
 * site's village; `deadShare` of them dead (the first dead site is always index 0's neighbour).
 */
export function fleetSites(n: number, opts: { seed?: number; deadShare?: number } = {}): FleetSite[] {
  const rand = rng(opts.seed ?? 23);
  const all = villageCodes();
  const step = Math.max(1, Math.floor(all.length / n));
  const sites: FleetSite[] = [];
  for (let i = 0; sites.length < n; i++) {
    const prev = sites.at(-1);
    const v = prev && rand() < 0.2 ? { code: prev.code, name: prev.name } : (all[(i * step) % all.length] as { code: string; name: string });
    const prov = +v.code.slice(0, 2);
    const r = rand();
    const dead = opts.deadShare ?? 0.03;
    sites.push({
      ...v,
      site: `TPS ${sites.length + 1}, Desa "${v.name.split(' / ').at(-1)}"`,
      // Roughly west to east with the province code; good enough to spread the points.
      lat: Math.round((-9 + 12 * rand()) * 1e4) / 1e4,
      lon: Math.round((95.5 + ((prov - 11) / 86) * 44 + 2 * rand()) * 1e4) / 1e4,
      kind: r < dead ? 'dead' : r < dead + 0.05 ? 'flaky' : r < dead + 0.08 ? 'lossy' : 'ok',
      operator: OPERATORS[Math.floor(rand() * OPERATORS.length)] as string,
    });
  }
  return sites;
}

const FIELDS = sampleFields(REPORT_METRICS);
const at = (f: string) => FIELDS.indexOf(f as never);

/** Every record of the month for `sites`, `days` days from 2026-11-01, `runsPerDay` runs of three tests. */
export function fleetRows(sites: readonly FleetSite[], onRow: (r: ReportRow) => void, opts: { days?: number; runsPerDay?: number; seed?: number } = {}): number {
  const rand = rng(opts.seed ?? 7);
  const days = opts.days ?? 30;
  const runs = opts.runsPerDay ?? 4;
  const t0 = Date.UTC(2026, 10, 1);
  let count = 0;
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < runs; k++) {
      const t = t0 + d * 86_400_000 + k * (86_400_000 / runs);
      for (const s of sites) {
        const location = { code: s.code, name: s.name, site: s.site, lat: s.lat, lon: s.lon, source: 'record' as const };
        for (const test of ['icmp', 'http', 'download']) {
          const down = s.kind === 'dead' || (s.kind === 'flaky' && rand() < 0.5);
          const values = new Array<number | null>(FIELDS.length).fill(null);
          if (!down) {
            const spike = rand() < 0.002 ? 13_000 * rand() : 0;
            values[at('rtt_median_ms')] = Math.round((20 + 60 * rand() ** 2 + spike) * 100) / 100;
            if (test === 'icmp') {
              values[at('jitter_ms')] = Math.round(5 * rand() * 100) / 100;
              values[at('loss_percent')] = s.kind === 'lossy' ? 30 : rand() < 0.1 ? 5 : 0;
            }
            if (test === 'download') values[at('throughput_bps')] = Math.round(2e6 + 20e6 * rand());
          } else if (test === 'icmp') values[at('loss_percent')] = 100;
          onRow({ startedAtMs: t + Math.floor(rand() * 60_000), runId: null, probeId: null, location, endpoint: 'jkt', test, status: down ? 'error' : 'ok', values, hop: null, netIface: null, operator: s.operator, interrupted: false });
          count++;
        }
      }
    }
  }
  return count;
}
