/**
 * The metrics a quality profile can rate, and how each is judged: the tail quantile it is rated by
 * (p95 where higher is worse, p10 for throughput, where lower is). The report's table
 * (report/metrics.ts) gives each its record field and columns under the same id; the monitor
 * rates windows of packets by the packet ones (thresholds.ts).
 */

export const RATED_METRICS = {
  latency_ms: { tail: 'p95', higherIsWorse: true },
  jitter_ms: { tail: 'p95', higherIsWorse: true },
  loss_percent: { tail: 'p95', higherIsWorse: true },
  download_bps: { tail: 'p10', higherIsWorse: false },
  upload_bps: { tail: 'p10', higherIsWorse: false },
} as const satisfies Record<string, { tail: 'p95' | 'p10'; higherIsWorse: boolean }>;

export type MetricId = keyof typeof RATED_METRICS;
export const METRIC_IDS = Object.keys(RATED_METRICS) as readonly MetricId[];

/** One metric's distribution over a group's records, as a profile rates it. */
export interface MetricStats {
  /** Records that gave a value. */
  n: number;
  mean: number | null;
  median: number | null;
  /** p95 for latency, jitter and loss; p10 for throughput (RATED_METRICS' tail). */
  tail: number | null;
  min: number | null;
  max: number | null;
  /** False when the quantiles come from the histogram (within SKETCH_RELATIVE_ERROR). */
  exact: boolean;
}

/** What rating a group reads: its key (the --by values), its records and availability, and each metric's distribution. */
export interface RatedGroup {
  /** The group's value for each --by key, in --by order. */
  key: string[];
  records: number;
  /** 100 × ok / records; null for a group with no records. */
  availabilityPercent: number | null;
  metrics: Record<MetricId, MetricStats>;
}
