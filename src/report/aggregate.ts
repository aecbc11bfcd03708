/**
 * Aggregation of result rows per group, for `qosprobe report`: pure, streaming, memory bounded
 * by the number of groups (and the range of values), never by the number of rows.
 *
 * What is aggregated (docs/report.md): the metric table (metrics.ts) says, per metric, which
 * record field gives its one sample per record, for which test, and whether error records count
 * (loss does: a site that lost everything shows it as loss too, docs/report.md "Honesty rules").
 * Every record counts for availability, except those of tests a person or a signal stopped (error_code ABORTED):
 * they are left out of the report and counted in `interrupted` (docs/report.md).
 * - quantiles are type 7 (docs/metrics.md), from stats/sketch.ts: exact for a metric's first
 *   EXACT_LIMIT values, then within SKETCH_RELATIVE_ERROR (0.5%). Means, counts, min and max stay exact.
 */
import { parseLocationCode } from '../config/locations.js';
import type { Location } from '../core/location.js';
import type { MetricStats } from '../quality/metrics.js';
import { QuantileAccumulator, type SketchState } from '../stats/sketch.js';
import { REPORT_METRICS, sampleFields, tailP, type MetricId, type ReportMetric } from './metrics.js';
import { REGION_PREFIX, type GroupKey, type RegionLevel } from './group-keys.js';
import type { ReportRow } from './read.js';
import { addSite, type SiteSeen } from './site-acc.js';
import { SeriesAcc, type SeriesState } from './series-acc.js';

/**
 * The group value of a location code at a region level: its prefix; "(coarser: 32.73)" for a
 * code that does not reach the level (a regency code under --by district); "(invalid: x)".
 */
export function regionKeyOf(code: string | null, level: RegionLevel): string {
  if (code === null) return NONE;
  const p = parseLocationCode(code);
  if (!p.ok) return `(invalid: ${code})`;
  const n = REGION_PREFIX[level];
  return p.code.length >= n ? p.code.slice(0, n) : `(coarser: ${p.code})`;
}

/** The group of a record without the key's value. */
export const NONE = '(none)';

export type { SiteSeen } from './site-acc.js';

/**
 * A group's time series, bucket i over the records that started in [t[i], t[i] + widthMs), in time
 * order. Columns, not an object per point: a month of 3,000 sites has 400,000 points (issue 23).
 */
export interface GroupSeries {
  widthMs: number;
  t: Float64Array;
  records: Float64Array;
  /** Records with status ok: availability is 100 × ok / records. */
  ok: Float64Array;
  /** The mean of each metric with `series` in the table per bucket; NaN when no record gave a value. */
  means: Partial<Record<MetricId, Float64Array>>;
}

export interface GroupResult {
  /** The group's value for each --by key, in --by order; "(none)" when the record has no value. */
  key: string[];
  /** The first location among the group's records that carries a name (group-name.ts decides whether its name names the group). */
  namedLocation: Location | null;
  records: number;
  ok: number;
  partial: number;
  error: number;
  /** 100 × ok / records; null for a group with no records (only silent expected sites). */
  availabilityPercent: number | null;
  firstStartedAt: string | null;
  lastStartedAt: string | null;
  metrics: Record<MetricId, MetricStats>;
  series: GroupSeries | null;
  /** Sites seen in the group's records (collected with AggregateOptions.sites), in first-seen order. */
  sites: SiteSeen[];
}

export interface AggregateOptions {
  by: readonly GroupKey[];
  /** Keep records with started_at ≥ sinceMs. */
  sinceMs?: number;
  /** Keep records with started_at < untilMs. */
  untilMs?: number;
  /** Collect per-group time series (HTML report). */
  series?: boolean;
  /** Collect the sites of each group (map, geojson, --expect): memory grows with sites, never rows. */
  sites?: boolean;
  /** The metric table (default REPORT_METRICS). */
  metrics?: readonly ReportMetric[];
}

export interface AggregateResult {
  by: GroupKey[];
  groups: GroupResult[];
  /** Rows read and kept (within --since/--until). */
  rows: number;
  /** Rows left out by --since/--until. */
  filteredOut: number;
  /** Rows left out because a person or a signal stopped the test (error_code ABORTED): not the site's failure. */
  interrupted: number;
  firstStartedAt: string | null;
  lastStartedAt: string | null;
  /** Distributions over all kept rows of each metric with `cdf` in the table, for CDF charts. */
  overall: Partial<Record<MetricId, QuantileAccumulator>>;
}

/** One metric of the table, ready for the per-row loop. */
interface MetricPlan {
  id: MetricId;
  /** Index of the metric's field in ReportRow.values. */
  at: number;
  test: string | undefined;
  fromErrors: boolean;
  /** The tail quantile's p (0.95 or 0.1). */
  tailP: number;
  /** The distribution over all rows (cdf in the table), else null. */
  overall: QuantileAccumulator | null;
  /** The metric's slot in SeriesAcc, or -1. */
  seriesSlot: number;
}

class GroupAcc {
  records = 0;
  ok = 0;
  partial = 0;
  error = 0;
  first = Infinity;
  last = -Infinity;
  namedLocation: Location | null = null;
  /** One accumulator per metric, in table order. */
  readonly m: QuantileAccumulator[];
  sites: Map<string, SiteSeen> | null = null;
  /** Time buckets (series-acc.ts): bounded per group. */
  series: SeriesAcc | null = null;
  constructor(
    readonly key: string[],
    metrics: number,
    seriesSlots: number | null,
    withSites: boolean,
  ) {
    this.m = Array.from({ length: metrics }, () => new QuantileAccumulator());
    if (seriesSlots !== null) this.series = new SeriesAcc(seriesSlots);
    if (withSites) this.sites = new Map();
  }
}

/** An Aggregator's content as plain data: what a worker thread posts back for one input (state(), merge()). */
export interface AggregatorState {
  rows: number;
  filtered: number;
  /** Rows left out as ABORTED (a person's interruption, not the site's). */
  interrupted: number;
  first: number;
  last: number;
  /** Per metric of the table: the overall distribution, or null. */
  overall: (SketchState | null)[];
  groups: {
    id: string;
    key: string[];
    records: number;
    ok: number;
    partial: number;
    error: number;
    first: number;
    last: number;
    namedLocation: Location | null;
    m: SketchState[];
    sites: [string, SiteSeen][] | null;
    series: SeriesState | null;
  }[];
}

/** Streaming aggregator: add() each row, then result(). Aggregators of the inputs read in parallel merge() in input order. */
export class Aggregator {
  readonly #opts: AggregateOptions;
  readonly #groups = new Map<string, GroupAcc>();
  /** The group of the previous row added, and its id. */
  #lastId: string | null = null;
  #lastGroup: GroupAcc | undefined = undefined;
  #rows = 0;
  #filtered = 0;
  #interrupted = 0;
  /** A trace's hop rows detail its own record: counted only when grouping by hop, else they would count the trace twice. */
  readonly #withHops: boolean;
  #first = Infinity;
  #last = -Infinity;
  readonly #overall: Partial<Record<MetricId, QuantileAccumulator>> = {};
  readonly #keyOf: (r: ReportRow) => string[];
  readonly #plan: MetricPlan[];
  readonly #seriesMetrics: number;

  constructor(opts: AggregateOptions) {
    if (opts.by.length === 0) throw new RangeError('at least one group key');
    this.#opts = opts;
    const parts = opts.by.map((k): ((r: ReportRow) => string) => {
      switch (k) {
        case 'location':
          return (r) => r.location.code ?? NONE;
        case 'province':
        case 'regency':
        case 'district':
        case 'village': {
          // Few distinct codes, many rows: parse each code once.
          const cache = new Map<string | null, string>();
          return (r) => {
            const code = r.location.code;
            let v = cache.get(code);
            if (v === undefined) cache.set(code, (v = regionKeyOf(code, k)));
            return v;
          };
        }
        case 'endpoint':
          return (r) => r.endpoint ?? NONE;
        case 'test':
          return (r) => r.test ?? NONE;
        case 'probe':
          return (r) => r.probeId ?? NONE;
        case 'hop':
          return (r) => (r.hop === null ? NONE : String(r.hop));
        case 'operator':
          return (r) => r.operator ?? NONE;
        case 'interface':
          return (r) => r.netIface ?? NONE;
      }
    });
    this.#withHops = opts.by.includes('hop');
    let slots = 0;
    const table = opts.metrics ?? REPORT_METRICS;
    const fields = sampleFields(table);
    this.#plan = table.map((m): MetricPlan => {
      const overall = m.cdf === undefined ? null : new QuantileAccumulator();
      if (overall !== null) this.#overall[m.id as MetricId] = overall;
      return { id: m.id as MetricId, at: fields.indexOf(m.field), test: m.test, fromErrors: m.fromErrors, tailP: tailP(m), overall, seriesSlot: m.series === true ? slots++ : -1 };
    });
    this.#seriesMetrics = slots;
    this.#keyOf = (r) => parts.map((f) => f(r));
  }

  add(r: ReportRow): void {
    if (r.hop !== null && !this.#withHops) return;
    const t = r.startedAtMs;
    if ((this.#opts.sinceMs !== undefined && t < this.#opts.sinceMs) || (this.#opts.untilMs !== undefined && t >= this.#opts.untilMs)) {
      this.#filtered++;
      return;
    }
    // Ctrl-C is the technician's choice, not the site's outage: no availability, no metrics from it.
    if (r.interrupted) {
      this.#interrupted++;
      return;
    }
    this.#rows++;
    if (t < this.#first) this.#first = t;
    if (t > this.#last) this.#last = t;
    const key = this.#keyOf(r);
    const id = key.length === 1 ? (key[0] as string) : key.join('\u0001');
    // The rows of a run follow each other: the previous row's group first, before hashing the key.
    let g = id === this.#lastId ? this.#lastGroup : this.#groups.get(id);
    if (g === undefined) {
      g = new GroupAcc(key, this.#plan.length, this.#opts.series === true ? this.#seriesMetrics : null, this.#opts.sites === true);
      this.#groups.set(id, g);
    }
    this.#lastId = id;
    this.#lastGroup = g;
    g.records++;
    if (t < g.first) g.first = t;
    if (t > g.last) g.last = t;
    if (g.namedLocation === null && r.location.name !== null) g.namedLocation = r.location;
    if (r.status === 'ok') g.ok++;
    else if (r.status === 'partial') g.partial++;
    else g.error++;
    if (g.sites !== null) addSite(g.sites, r.location, r.status, r.operator ?? null);
    const s = g.series;
    let b = -1;
    if (s !== null) {
      b = s.bucket(t);
      (s.records[b] as number)++;
      if (r.status === 'ok') (s.ok[b] as number)++;
    }
    const measured = r.status !== 'error';
    const plan = this.#plan;
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i] as MetricPlan;
      if (!measured && !p.fromErrors) continue;
      const v = r.values[p.at];
      if (v === null || v === undefined || (p.test !== undefined && r.test !== p.test)) continue;
      (g.m[i] as QuantileAccumulator).add(v);
      if (p.overall !== null) p.overall.add(v);
      if (s !== null && p.seriesSlot !== -1) {
        (s.sum[b * s.slots + p.seriesSlot] as number) += v;
        (s.n[b * s.slots + p.seriesSlot] as number)++;
      }
    }
  }

  state(): AggregatorState {
    return {
      rows: this.#rows,
      filtered: this.#filtered,
      interrupted: this.#interrupted,
      first: this.#first,
      last: this.#last,
      overall: this.#plan.map((p) => p.overall?.state() ?? null),
      groups: [...this.#groups].map(([id, g]) => ({
        id,
        key: g.key,
        records: g.records,
        ok: g.ok,
        partial: g.partial,
        error: g.error,
        first: g.first,
        last: g.last,
        namedLocation: g.namedLocation,
        m: g.m.map((a) => a.state()),
        sites: g.sites === null ? null : [...g.sites],
        series: g.series === null ? null : g.series.state(),
      })),
    };
  }

  /**
   * Add the state of an aggregator (same options) over rows read after this one's: counts, sites
   * and series as if its rows had been added here; distributions by QuantileAccumulator.merge.
   */
  merge(o: AggregatorState): void {
    this.#rows += o.rows;
    this.#filtered += o.filtered;
    this.#interrupted += o.interrupted;
    this.#first = Math.min(this.#first, o.first);
    this.#last = Math.max(this.#last, o.last);
    this.#plan.forEach((p, i) => {
      const st = o.overall[i];
      if (p.overall !== null && st) p.overall.merge(st);
    });
    for (const og of o.groups) {
      let g = this.#groups.get(og.id);
      if (g === undefined) {
        g = new GroupAcc(og.key, this.#plan.length, this.#opts.series === true ? this.#seriesMetrics : null, this.#opts.sites === true);
        this.#groups.set(og.id, g);
      }
      g.records += og.records;
      g.ok += og.ok;
      g.partial += og.partial;
      g.error += og.error;
      g.first = Math.min(g.first, og.first);
      g.last = Math.max(g.last, og.last);
      g.namedLocation ??= og.namedLocation;
      og.m.forEach((st, i) => (g.m[i] as QuantileAccumulator).merge(st));
      if (g.sites !== null && og.sites !== null)
        for (const [sid, s] of og.sites) {
          const mine = g.sites.get(sid);
          if (mine === undefined) g.sites.set(sid, { ...s });
          else {
            // As if this input's rows had been added after ours: counts add up, the later coordinates and operator win.
            mine.records += s.records;
            mine.ok += s.ok;
            mine.partial += s.partial;
            mine.error += s.error;
            if (s.operator !== null) mine.operator = s.operator;
            if (s.lat !== null && s.lon !== null) [mine.lat, mine.lon] = [s.lat, s.lon];
          }
        }
      if (g.series !== null && og.series !== null) g.series.merge(og.series);
    }
  }

  /**
   * The groups' figures. Hands the series over: each group's buckets are freed as its points are
   * made (a month of 3,000 sites held both at once, 100+ MB), so result() is called once, last.
   */
  result(): AggregateResult {
    const groups: GroupResult[] = [];
    for (const g of this.#groups.values()) {
      const series = g.series === null ? null : groupSeries(g.series, this.#plan);
      g.series = null;
      const metrics = {} as Record<MetricId, MetricStats>;
      this.#plan.forEach((p, i) => {
        const acc = g.m[i] as QuantileAccumulator;
        const [median, tail] = acc.quantiles([0.5, p.tailP]);
        metrics[p.id] = {
          n: acc.n,
          mean: acc.mean(),
          median: median ?? null,
          tail: tail ?? null,
          min: acc.n ? acc.min : null,
          max: acc.n ? acc.max : null,
          exact: acc.exact,
        };
      });
      groups.push({
        key: g.key,
        namedLocation: g.namedLocation,
        records: g.records,
        ok: g.ok,
        partial: g.partial,
        error: g.error,
        availabilityPercent: (100 * g.ok) / g.records,
        firstStartedAt: new Date(g.first).toISOString(),
        lastStartedAt: new Date(g.last).toISOString(),
        metrics,
        series,
        sites: g.sites === null ? [] : [...g.sites.values()],
      });
    }
    groups.sort((a, b) => compareKeys(a.key, b.key));
    return {
      by: [...this.#opts.by],
      groups,
      rows: this.#rows,
      filteredOut: this.#filtered,
      interrupted: this.#interrupted,
      firstStartedAt: this.#rows ? new Date(this.#first).toISOString() : null,
      lastStartedAt: this.#rows ? new Date(this.#last).toISOString() : null,
      overall: this.#overall,
    };
  }
}

/** A group with no records (every expected site in it was silent). */
export function emptyGroup(key: string[], table: readonly ReportMetric[] = REPORT_METRICS): GroupResult {
  const metrics = {} as Record<MetricId, MetricStats>;
  for (const m of table) metrics[m.id as MetricId] = { n: 0, mean: null, median: null, tail: null, min: null, max: null, exact: true };
  return { key, namedLocation: null, records: 0, ok: 0, partial: 0, error: 0, availabilityPercent: null, firstStartedAt: null, lastStartedAt: null, metrics, series: null, sites: [] };
}

function groupSeries(s: SeriesAcc, plan: readonly MetricPlan[]): GroupSeries {
  const order = Array.from({ length: s.size }, (_, i) => i).sort((a, b) => (s.t[a] as number) - (s.t[b] as number));
  const col = (f: (i: number) => number): Float64Array => Float64Array.from(order, f);
  const means: GroupSeries['means'] = {};
  for (const p of plan) {
    const k = p.seriesSlot;
    if (k !== -1) means[p.id] = col((i) => (s.n[i * s.slots + k] ? (s.sum[i * s.slots + k] as number) / (s.n[i * s.slots + k] as number) : NaN));
  }
  return { widthMs: s.widthMs, t: col((i) => s.t[i] as number), records: col((i) => s.records[i] as number), ok: col((i) => s.ok[i] as number), means };
}

/** Code-like keys compare segment-wise numerically ("32.9" before "32.10"), others as text. */
export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    return KEY_ORDER.compare(x, y);
  }
  return 0;
}
/** What x.localeCompare(y, 'en', { numeric: true }) gives, made once: localeCompare with options builds a collator per call (a tenth of a report's time after reading, at 2,577 groups). */
const KEY_ORDER = new Intl.Collator('en', { numeric: true });

/** Parse --since/--until: an ISO 8601 date or date-time; a date alone is midnight UTC; no offset means UTC. */
export function parseTimeBound(s: string): number | null {
  // A date-time without an offset is read as UTC, like started_at, never as the machine's local time.
  const t = /^\d{4}-\d{2}-\d{2}$/.test(s)
    ? Date.parse(s + 'T00:00:00Z')
    : /^\d{4}-\d{2}-\d{2}T/.test(s)
      ? Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? s : s + 'Z')
      : NaN;
  return Number.isNaN(t) ? null : t;
}
