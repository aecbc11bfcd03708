/**
 * The report pipeline without the CLI: sources → rows → groups → ratings → ReportData, which
 * every renderer (table, csv, json, html) takes as its only input.
 */
import { Aggregator, type AggregateResult, type GroupKey, type GroupResult } from './aggregate.js';
import { rateGroup, type GroupRating, type Profile } from './profiles.js';
import { newReadStats, readSource, type InputSource, type ReadStats } from './read.js';

export interface ReportOptions {
  by: GroupKey[];
  sinceMs?: number;
  untilMs?: number;
  profile: Profile | null;
  /** Collect time series per group (for html). */
  series?: boolean;
  /** Province code of a location code (config/locations.ts provinceOf). */
  provinceOf(code: string): string | null;
  /** Region name of a code from the region table; undefined when unknown (the records' location_name is used then). */
  regionName?(code: string): string | undefined;
}

export interface ReportGroup extends GroupResult {
  rating: GroupRating | null;
}

export interface ReportData {
  by: GroupKey[];
  since: string | null;
  until: string | null;
  profile: Pick<Profile, 'name' | 'title' | 'notes' | 'metrics' | 'overall'> | null;
  groups: ReportGroup[];
  input: ReadStats;
  /** Rows kept after --since/--until. */
  rows: number;
  filteredOut: number;
  firstStartedAt: string | null;
  lastStartedAt: string | null;
  /** Empirical CDFs over all kept rows (101 points), empty when there is no value. */
  cdf: { latencyMs: { p: number; value: number }[]; downloadBps: { p: number; value: number }[]; uploadBps: { p: number; value: number }[] };
}

/** Read every source in order into one aggregation. */
export async function buildReport(sources: readonly InputSource[], opts: ReportOptions): Promise<ReportData> {
  const agg = new Aggregator({ by: opts.by, sinceMs: opts.sinceMs, untilMs: opts.untilMs, series: opts.series, provinceOf: opts.provinceOf });
  const stats = newReadStats();
  const add = agg.add.bind(agg);
  for (const src of sources) await readSource(src, add, stats);
  return finishReport(agg.result(), stats, opts);
}

export function finishReport(res: AggregateResult, input: ReadStats, opts: ReportOptions): ReportData {
  const nameKey = opts.by.findIndex((k) => k === 'location' || k === 'province');
  const groups = res.groups.map((g): ReportGroup => {
    let name = g.name;
    if (nameKey !== -1) {
      const code = g.key[nameKey] as string;
      const fromTable = opts.regionName?.(code);
      name = fromTable ?? (opts.by[nameKey] === 'location' ? name : null);
    } else name = null;
    return { ...g, name, rating: opts.profile ? rateGroup(opts.profile, g) : null };
  });
  const p = opts.profile;
  return {
    by: res.by,
    since: opts.sinceMs === undefined ? null : new Date(opts.sinceMs).toISOString(),
    until: opts.untilMs === undefined ? null : new Date(opts.untilMs).toISOString(),
    profile: p ? { name: p.name, title: p.title, notes: p.notes, metrics: p.metrics, overall: p.overall } : null,
    groups,
    input,
    rows: res.rows,
    filteredOut: res.filteredOut,
    firstStartedAt: res.firstStartedAt,
    lastStartedAt: res.lastStartedAt,
    cdf: { latencyMs: res.overall.latency.cdf(), downloadBps: res.overall.download.cdf(), uploadBps: res.overall.upload.cdf() },
  };
}
