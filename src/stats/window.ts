/**
 * The packet metrics of a window of results (the monitor's sliding window), by the same functions
 * that build records, so a window means what a record means. Pure.
 */
import { ipdv } from './jitter.js';
import { lossPercent } from './loss.js';
import { mean, quantileSorted, sortNumbers } from './summary.js';

/** Record fields a packet-metric threshold can apply to. */
export type WindowMetric = 'loss_percent' | 'rtt_mean_ms' | 'rtt_median_ms' | 'rtt_p95_ms' | 'rtt_min_ms' | 'rtt_max_ms' | 'jitter_ms';
export type WindowMetrics = Record<WindowMetric, number | null>;

/**
 * The packet metrics of a window of results (in send order), with the functions that build
 * records (stats/), so a window means what a record means; only what a rule can compare is
 * computed, since this runs for every result.
 */
export function windowMetrics(results: readonly { rttMs: number | null }[]): WindowMetrics {
  const rtts: number[] = [];
  for (const r of results) if (r.rttMs !== null) rtts.push(r.rttMs);
  const sorted = sortNumbers(rtts);
  return {
    loss_percent: lossPercent(results.length, rtts.length),
    rtt_mean_ms: mean(rtts),
    rtt_median_ms: quantileSorted(sorted, 0.5),
    rtt_p95_ms: quantileSorted(sorted, 0.95),
    rtt_min_ms: sorted[0] ?? null,
    rtt_max_ms: sorted[sorted.length - 1] ?? null,
    jitter_ms: ipdv(results.map((r) => r.rttMs)),
  };
}
