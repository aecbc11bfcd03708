/**
 * Machine-readable report renderers: CSV (one row per group, flat columns with units in the
 * names) and JSON (the whole ReportData, minus the CDF points). Empty cells / null mean
 * "could not compute" (no value in the group).
 */
import { stringify } from 'csv-stringify/sync';
import { csvSafeText } from '../output/csv-cell.js';
import { idParts, statsOf } from './metrics.js';
import { compareLinks, linkKeyOf } from './compare.js';
import type { ReportData } from './pipeline.js';

export const REPORT_VERSION = 1;

export function csvColumns(data: Pick<ReportData, 'metrics' | 'by' | 'profile' | 'expected'>): string[] {
  const cols: string[] = [...data.by, 'name', 'records', 'ok', 'partial', 'error', 'availability_percent', 'first_started_at', 'last_started_at'];
  for (const m of data.metrics) {
    const { name, unit } = idParts(m.id);
    cols.push(`${name}_n`, `${name}_mean_${unit}`, `${name}_median_${unit}`, `${name}_${m.tail}_${unit}`, `${name}_min_${unit}`, `${name}_max_${unit}`);
  }
  if (data.profile) {
    for (const m of data.profile.metrics) cols.push(`rating_${m.id}_value`, `rating_${m.id}_index`, `rating_${m.id}`, `rating_${m.id}_pass`);
    cols.push('rating_overall_value', 'rating_overall', 'rating_overall_pass', 'failing');
  }
  if (data.expected?.grouped) cols.push('expected_sites', 'silent_sites', 'completeness_percent', 'silent');
  return cols;
}

/** 3 decimals (1 µs for ms, 0.001 % for percent): no float noise such as 3.1826999999999988 in a spreadsheet. JSON keeps full precision. */
export function roundCsv(n: number): number {
  return Number.isInteger(n) ? n : Math.round(n * 1000) / 1000;
}

export function renderCsv(data: ReportData): string {
  const rows: unknown[][] = [csvColumns(data)];
  for (const g of data.groups) {
    const row: unknown[] = [...g.key, g.name, g.records, g.ok, g.partial, g.error, g.availabilityPercent, g.firstStartedAt, g.lastStartedAt];
    for (const m of data.metrics) {
      const s = statsOf(g.metrics, m);
      row.push(s.n, s.mean, s.median, s.tail, s.min, s.max);
    }
    if (g.rating) {
      for (const m of g.rating.metrics) row.push(m.value, m.index, m.band, m.pass);
      row.push(g.rating.overall.value, g.rating.overall.label, g.rating.overall.pass, g.rating.failing.join('; '));
    }
    if (data.expected?.grouped) {
      const e = g.expected;
      row.push(e?.sites ?? 0, e?.silent.length ?? 0, e?.completenessPercent ?? null, e?.silent.map((x) => x.site).join('; ') ?? '');
    }
    rows.push(row);
  }
  // Text cells neutralised against spreadsheet formulas like the run CSV (src/output/csv-cell.ts).
  return stringify(rows, { eof: true, record_delimiter: 'unix', quoted_match: /\r/, cast: { number: (n: number) => String(roundCsv(n)), boolean: (b: boolean) => String(b), string: csvSafeText } });
}

export function renderJson(data: ReportData): string {
  const doc = {
    report_version: REPORT_VERSION,
    by: data.by,
    since: data.since,
    until: data.until,
    profile: data.profile ? { name: data.profile.name, title: data.profile.title, notes: data.profile.notes ?? [] } : null,
    input: {
      files: data.input.files,
      rows_read: data.input.rows,
      rows_kept: data.rows,
      rows_outside_time_range: data.filteredOut,
      malformed: data.input.malformed,
      unknown_schema: data.input.unknownSchema,
      issues: data.input.issues,
      issues_not_listed: data.input.issuesNotListed,
      duplicates: data.input.duplicates,
      duplicates_by_file: data.input.duplicatesByFile,
    },
    first_started_at: data.firstStartedAt,
    last_started_at: data.lastStartedAt,
    groups: data.groups.map((g) => ({
      key: Object.fromEntries(data.by.map((k, i) => [k, g.key[i]])),
      name: g.name,
      records: g.records,
      ok: g.ok,
      partial: g.partial,
      error: g.error,
      availability_percent: g.availabilityPercent,
      first_started_at: g.firstStartedAt,
      last_started_at: g.lastStartedAt,
      metrics: Object.fromEntries(
        data.metrics.map((m) => {
          const s = statsOf(g.metrics, m);
          return [m.id, { n: s.n, mean: s.mean, median: s.median, [m.tail]: s.tail, min: s.min, max: s.max, exact: s.exact }];
        }),
      ),
      rating: g.rating,
      ...(data.expected?.grouped ? { expected: g.expected && { sites: g.expected.sites, silent: g.expected.silent, completeness_percent: g.expected.completenessPercent } } : {}),
    })),
    ...(data.expected ? { expected: { file: data.expected.file, sites: data.expected.sites, silent: data.expected.silent, unknown: data.expected.unknown, grouped: data.expected.grouped } } : {}),
    // With a link key in --by (operator, interface): each site's links, best first, and the best one's lead (compare.ts).
    ...(linkKeyOf(data.by) !== null
      ? {
          links_compared: compareLinks(data).map((c) => ({
            site: Object.fromEntries(data.by.filter((k) => k !== linkKeyOf(data.by)).map((k, i) => [k, c.site[i]])),
            best: c.links[0]?.link ?? null,
            lead: { availability_points: c.lead.availabilityPoints, loss_points: c.lead.lossPoints, rtt_ms: c.lead.rttMs },
            links: c.links.map((l) => ({
              link: l.link,
              records: l.records,
              verdict: l.verdict,
              rating: l.rating,
              availability_percent: l.availabilityPercent,
              loss_mean_percent: l.lossMeanPercent,
              rtt_median_ms: l.rttMedianMs,
            })),
          })),
        }
      : {}),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
