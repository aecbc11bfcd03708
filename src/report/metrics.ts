/**
 * The report's metric table: one row per metric, and everything else derives from it: the
 * fields the readers take from a record (numbers, checked ≥ 0), the accumulators per group, the
 * columns of the CSV, JSON, text table, HTML table and GeoJSON, the charts, and which metrics a
 * profile may rate. A new report metric is one row here (docs/architecture.md, "Adding a report
 * metric"); a profile can rate it by its id.
 *
 * The sample for each metric is one value per record (docs/report.md): "latency p95" is the 95th
 * percentile of the records' rtt_median_ms, not of individual packets (those are not in the files).
 */
import type { FieldName } from '../core/schema.js';
import { RATED_METRICS, type MetricId as RatedMetricId } from '../quality/metrics.js';
import type { Lang } from './labels.js';

/** A statistic shown in a column: the median, the tail quantile (p95 or p10, see `tail`), the mean. */
export type ShownStat = 'median' | 'tail' | 'mean';

export interface ReportMetric {
  /** `<name>_<unit>`: the JSON key; CSV columns are `<name>_n`, `<name>_mean_<unit>`, ... */
  id: string;
  /** For people: the HTML footer, profile docs. */
  label: string;
  /** The record field that supplies the per-record sample (a number ≥ 0 or empty). */
  field: FieldName;
  /** Only records of this test give a sample (throughput_bps means download or upload by the test). */
  test?: string;
  /**
   * Whether records with status error give a sample. Schema v1 leaves latency, jitter and throughput
   * empty on them; an error record's loss_percent (100: every packet sent was lost) is a real loss sample.
   */
  fromErrors: boolean;
  /** The tail quantile reported: p95 for "higher is worse", p10 for throughput ("lower is worse"); quality/metrics.ts owns it per metric. */
  tail: 'p95' | 'p10';
  higherIsWorse: boolean;
  /**
   * The text table's and HTML table's columns: the metric's name per language (the text table
   * writes it in lower case), the statistics shown in this order, the display unit, the factor a
   * value is divided by for display (bit/s → Mbit/s: 1e6) and the decimals shown.
   */
  column: { name: Readonly<Record<Lang, string>>; stats: readonly ShownStat[]; unit: string; scale: number; digits: number };
  /** GeoJSON feature properties `<name>_<stat>_<unit>`, rounded to `digits` decimals. */
  geojson: { stats: readonly ShownStat[]; digits: number };
  /** An HTML chart of the distribution over every kept record: its title per language and x axis. */
  cdf?: { title: Readonly<Record<Lang, string>>; axis: string };
  /** A per-group time series (mean per time bucket) in the HTML report. */
  series?: boolean;
}

const TABLE = [
  {
    id: 'latency_ms',
    ...RATED_METRICS.latency_ms,
    label: 'Latency (RTT)',
    field: 'rtt_median_ms',
    fromErrors: false,
    column: { name: { en: 'RTT', id: 'RTT' }, stats: ['median', 'tail', 'mean'], unit: 'ms', scale: 1, digits: 1 },
    geojson: { stats: ['median', 'tail', 'mean'], digits: 3 },
    cdf: { title: { en: 'CDF of per-test median RTT', id: 'CDF median RTT per uji' }, axis: 'RTT median (ms)' },
    series: true,
  },
  {
    id: 'jitter_ms',
    ...RATED_METRICS.jitter_ms,
    label: 'Jitter (IPDV)',
    field: 'jitter_ms',
    fromErrors: false,
    column: { name: { en: 'jitter', id: 'jitter' }, stats: ['median', 'tail'], unit: 'ms', scale: 1, digits: 1 },
    geojson: { stats: ['mean'], digits: 3 },
  },
  {
    id: 'loss_percent',
    ...RATED_METRICS.loss_percent,
    label: 'Packet loss',
    field: 'loss_percent',
    fromErrors: true,
    column: { name: { en: 'loss', id: 'loss' }, stats: ['mean', 'tail'], unit: '%', scale: 1, digits: 2 },
    geojson: { stats: ['mean'], digits: 3 },
  },
  {
    id: 'download_bps',
    ...RATED_METRICS.download_bps,
    label: 'Download',
    field: 'throughput_bps',
    test: 'download',
    fromErrors: false,
    column: { name: { en: 'down', id: 'unduh' }, stats: ['median', 'tail'], unit: 'Mbit/s', scale: 1e6, digits: 2 },
    geojson: { stats: ['median'], digits: 0 },
    cdf: { title: { en: 'CDF of download throughput', id: 'CDF throughput unduh' }, axis: 'throughput (Mbit/s)' },
  },
  {
    id: 'upload_bps',
    ...RATED_METRICS.upload_bps,
    label: 'Upload',
    field: 'throughput_bps',
    test: 'upload',
    fromErrors: false,
    column: { name: { en: 'up', id: 'unggah' }, stats: ['median', 'tail'], unit: 'Mbit/s', scale: 1e6, digits: 2 },
    geojson: { stats: ['median'], digits: 0 },
  },
] as const satisfies readonly (ReportMetric & { id: RatedMetricId })[];

/** The table, read through ReportMetric (optional parts included); its ids and fields keep their literal types below. */
export const REPORT_METRICS: readonly ReportMetric[] = TABLE;
export type MetricId = (typeof TABLE)[number]['id'];

/** A table's row by id. */
export function metricById(id: MetricId, metrics: readonly ReportMetric[] = REPORT_METRICS): ReportMetric {
  return metrics.find((m) => m.id === id) as ReportMetric;
}

/** The distinct record fields a table reads, in table order. */
export function sampleFields(metrics: readonly ReportMetric[]): FieldName[] {
  return [...new Set(metrics.map((m) => m.field))];
}

/** "latency_ms" → name "latency", unit "ms". */
export function idParts(id: string): { name: string; unit: string } {
  const i = id.lastIndexOf('_');
  return { name: id.slice(0, i), unit: id.slice(i + 1) };
}

/** Where a metric's samples come from, for people: "throughput_bps (test download)". */
export const sourceText = (m: ReportMetric): string => m.field + (m.test === undefined ? '' : ` (test ${m.test})`);

/** The quantile of a tail statistic. */
export const tailP = (m: ReportMetric): number => (m.tail === 'p95' ? 0.95 : 0.1);

/** A group's statistics of one metric of the table. */
export function statsOf<S>(metrics: Readonly<Record<MetricId, S>>, m: ReportMetric): S {
  return metrics[m.id as MetricId];
}

/** The value of a shown statistic. */
export function shown(s: { median: number | null; tail: number | null; mean: number | null }, stat: ShownStat): number | null {
  return s[stat];
}
