/**
 * The report pipeline without the CLI: sources → rows → groups → ratings → ReportData, which
 * every renderer (table, csv, json, html, geojson) takes as its only input.
 */
import { Aggregator, emptyGroup, regionKeyOf, compareKeys, NONE, type AggregateResult, type GroupResult } from './aggregate.js';
import { isRegionKey, type GroupKey } from './group-keys.js';
import type { ExpectedSite } from './expect.js';
import { groupName } from './group-name.js';
import { AVAILABILITY_PASS_PERCENT, rateGroup, type GroupRating, type Profile } from '../quality/profiles.js';
import type { InputSource } from './inputs.js';
import { REPORT_METRICS, type MetricId, type ReportMetric } from './metrics.js';
import { DuplicateFilter } from './duplicates.js';
import { newReadStats, readSource, type ReadStats, type ReportRow } from './read.js';

export interface ReportOptions {
  by: GroupKey[];
  sinceMs?: number;
  untilMs?: number;
  profile: Profile | null;
  /** Collect time series per group (for html). */
  series?: boolean;
  /** Collect the sites of each group (html map, geojson). Implied by `expected`. */
  sites?: boolean;
  /** Region name of a code from the region table; undefined when unknown (the records' location_name is used then). */
  regionName?(code: string): string | undefined;
  /** Sites that should have sent records (--expect), with codes already checked against the region table. */
  expected?: { file: string; sites: ExpectedSite[] };
  /** The metric table (default REPORT_METRICS, metrics.ts): what is read, aggregated and rendered. */
  metrics?: readonly ReportMetric[];
  /** Worker threads reading input files in parallel (default 1: all in this thread). */
  threads?: number;
}

/** An expected site without any record in the period. */
export interface SilentSite {
  code: string;
  site: string;
  lat: number | null;
  lon: number | null;
}

export interface ReportGroup extends GroupResult {
  /** The region's name (group-name.ts); null when the group has none. */
  name: string | null;
  rating: GroupRating | null;
  /** With --expect (and only region keys in --by): expected sites in this group, the silent ones, and 100 × (expected − silent) / expected. */
  expected: { sites: number; silent: SilentSite[]; completenessPercent: number } | null;
}

export interface ReportData {
  /** The metric table the groups were aggregated with: renderers take their metric columns from it. */
  metrics: readonly ReportMetric[];
  by: GroupKey[];
  since: string | null;
  until: string | null;
  profile: Pick<Profile, 'name' | 'title' | 'notes' | 'metrics' | 'overall'> | null;
  groups: ReportGroup[];
  input: ReadStats;
  /** Rows kept after duplicates (input.duplicates) and --since/--until. */
  rows: number;
  filteredOut: number;
  /** Records of tests a person or a signal stopped (error_code ABORTED): left out, the site is not to blame. */
  interrupted: number;
  firstStartedAt: string | null;
  lastStartedAt: string | null;
  /** Empirical CDFs over all kept rows (101 points) of the metrics with `cdf` in the table, empty when there is no value. */
  cdf: Partial<Record<MetricId, { p: number; value: number }[]>>;
  /** --expect: the file, how many sites it lists, the silent ones (also per group), and lines with unknown or malformed codes. */
  expected: {
    file: string;
    sites: number;
    silent: SilentSite[];
    unknown: ExpectedSite[];
    /** False when --by has a key that an expected site cannot have (endpoint, test, probe): silent sites are listed, not grouped. */
    grouped: boolean;
  } | null;
}

/**
 * Read every source into one aggregation, as if in order: with `threads` > 1 and several files,
 * in worker threads (parallel.ts), merged in input order.
 */
export async function buildReport(sources: readonly InputSource[], opts: ReportOptions): Promise<ReportData> {
  const sites = opts.sites === true || opts.expected !== undefined;
  const aggOpts = { by: opts.by, sinceMs: opts.sinceMs, untilMs: opts.untilMs, series: opts.series, sites, metrics: opts.metrics };
  const agg = new Aggregator(aggOpts);
  const stats = newReadStats();
  const dups = new DuplicateFilter();
  const readHere = async (src: InputSource): Promise<void> => {
    const add = (r: ReportRow): void => {
      if (dups.firstTime(r)) agg.add(r);
      else {
        stats.duplicates++;
        stats.duplicatesByFile[src.name] = (stats.duplicatesByFile[src.name] ?? 0) + 1;
      }
    };
    await readSource(src, add, stats, { sites, metrics: opts.metrics });
  };
  const files = sources.filter((s): s is InputSource & { path: string } => s.path !== undefined);
  // A custom metric table may hold what a worker cannot be sent; the bundled one is read in workers.
  let done = false;
  if ((opts.threads ?? 1) > 1 && files.length > 1 && files.length === sources.length && opts.metrics === undefined) {
    const { readInWorkers } = await import('./parallel.js');
    done = await readInWorkers(files, opts.threads as number, { agg: aggOpts, read: { sites } }, { agg, stats, dups, readHere });
  }
  if (!done) for (const src of sources) await readHere(src);
  return finishReport(agg.result(), stats, opts);
}

/** The group value of an expected site for one --by key, or null when the key is not a region key. */
function expectedKey(code: string, k: GroupKey): string | null {
  if (k === 'location') return code;
  if (!isRegionKey(k)) return null;
  return regionKeyOf(code, k);
}

export function finishReport(res: AggregateResult, input: ReadStats, opts: ReportOptions): ReportData {
  const groups = res.groups.map((g): ReportGroup => ({ ...g, name: null, rating: null, expected: null }));

  let expected: ReportData['expected'] = null;
  if (opts.expected) {
    const seen = new Set<string>();
    for (const g of groups) for (const s of g.sites) seen.add(`${s.code ?? ''}\u0001${s.site ?? ''}`);
    const known = opts.expected.sites.filter((s) => s.unknown === null);
    const silent = known.filter((s) => !seen.has(`${s.code}\u0001${s.site}`)).map(({ code, site, lat, lon }) => ({ code, site, lat, lon }));
    const grouped = opts.by.every(isRegionKey);
    expected = { file: opts.expected.file, sites: opts.expected.sites.length, silent, unknown: opts.expected.sites.filter((s) => s.unknown !== null), grouped };
    if (grouped) {
      const byId = new Map(groups.map((g) => [g.key.join('\u0001'), g]));
      const keyOf = (code: string) => opts.by.map((k) => expectedKey(code, k) ?? NONE);
      for (const s of known) {
        const key = keyOf(s.code);
        const id = key.join('\u0001');
        let g = byId.get(id);
        if (g === undefined) byId.set(id, (g = { ...emptyGroup(key, opts.metrics), name: null, rating: null, expected: null }));
        g.expected ??= { sites: 0, silent: [], completenessPercent: 100 };
        g.expected.sites++;
      }
      for (const s of silent) byId.get(keyOf(s.code).join('\u0001'))!.expected!.silent.push(s);
      groups.length = 0;
      for (const g of byId.values()) {
        if (g.expected) g.expected.completenessPercent = (100 * (g.expected.sites - g.expected.silent.length)) / g.expected.sites;
        groups.push(g);
      }
      groups.sort((a, b) => compareKeys(a.key, b.key));
    }
  }

  for (const g of groups) {
    g.name = groupName(opts.by, g.key, g.namedLocation, opts.regionName);
    g.rating = opts.profile ? rateGroup(opts.profile, g) : null;
    // Completeness is a gate like availability: a group where expected sites were silent cannot pass.
    if (g.rating && g.expected && g.expected.completenessPercent < AVAILABILITY_PASS_PERCENT) {
      const e = g.expected;
      g.rating = {
        ...g.rating,
        overall: { value: g.rating.overall.value, label: `fail: ${e.silent.length} of ${e.sites} expected site(s) silent`, pass: false },
        failing: [...g.rating.failing, 'Completeness'],
      };
    }
  }
  const p = opts.profile;
  return {
    metrics: opts.metrics ?? REPORT_METRICS,
    by: res.by,
    since: opts.sinceMs === undefined ? null : new Date(opts.sinceMs).toISOString(),
    until: opts.untilMs === undefined ? null : new Date(opts.untilMs).toISOString(),
    profile: p ? { name: p.name, title: p.title, notes: p.notes, metrics: p.metrics, overall: p.overall } : null,
    groups,
    input,
    rows: res.rows,
    filteredOut: res.filteredOut,
    interrupted: res.interrupted,
    firstStartedAt: res.firstStartedAt,
    lastStartedAt: res.lastStartedAt,
    cdf: Object.fromEntries(Object.entries(res.overall).map(([id, acc]) => [id, acc.cdf()])),
    expected,
  };
}
