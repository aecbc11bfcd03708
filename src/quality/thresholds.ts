/**
 * A quality profile (the report's TIPHON, Y.1541, USO files) as thresholds on packet metrics,
 * for the monitor's degradation rule and for the alerting rules `qosprobe rules` writes.
 * The metrics are the record's own (stats/window.ts), so a window means what a record means.
 */
import type { WindowMetric } from '../stats/window.js';
import type { Profile, Statistic } from './profiles.js';

export interface ThresholdRule {
  /** The profile rule's id and label ("iplr", "IPLR"). */
  id: string;
  label: string;
  /** The record field compared. */
  metric: WindowMetric;
  /** Broken when the value is above this, in the field's own unit (the profile's scale undone). */
  threshold: number;
}

const LATENCY_FIELD: Partial<Record<Statistic, WindowMetric>> = {
  mean: 'rtt_mean_ms',
  median: 'rtt_median_ms',
  p95: 'rtt_p95_ms',
  min: 'rtt_min_ms',
  max: 'rtt_max_ms',
};

/**
 * One threshold per packet metric of the profile: the highest upper bound of its passing bands
 * (a value above every passing band fails). Metrics whose passing bands have no upper bound
 * (Y.1541's IPDV above 50 ms still "passes"), throughput metrics and statistics that have no
 * packet-window equivalent give no rule.
 */
export function thresholdsOf(profile: Profile): ThresholdRule[] {
  const rules: ThresholdRule[] = [];
  for (const m of profile.metrics) {
    const field: WindowMetric | undefined =
      m.metric === 'latency_ms' ? LATENCY_FIELD[m.statistic] : m.metric === 'jitter_ms' ? 'jitter_ms' : m.metric === 'loss_percent' ? 'loss_percent' : undefined;
    if (!field || m.nominal_bps !== undefined) continue;
    const passing = m.bands.filter((b) => b.pass);
    if (passing.length === 0 || passing.some((b) => b.max === undefined)) continue;
    const max = Math.max(...passing.map((b) => b.max as number));
    rules.push({ id: m.id, label: m.label, metric: field, threshold: max / (m.scale ?? 1) });
  }
  return rules;
}
