/**
 * VictoriaMetrics JSON-line import (/api/v1/import): one line per series,
 *   {"metric":{"__name__":"qosprobe_rtt_median_ms","probe_id":"p1",...},"values":[12.5],"timestamps":[1795766400250]}
 * Same families and labels as the Prometheus text (openmetrics.ts), every sample at its
 * record's started_at in milliseconds, so batches sent hours later land at the right time.
 * A record without a readable started_at (qosprobe never writes one) takes `nowMs`.
 */
import type { ResultRecord } from '../core/schema.js';
import { isMonitored, seriesLabels } from './metrics.js';
import { families, startedAtMs } from './openmetrics.js';

export function vmImportLines(records: readonly ResultRecord[], nowMs: number = Date.now()): string {
  const series = new Map<string, { metric: Record<string, string>; values: number[]; timestamps: number[] }>();
  for (const fam of families) {
    for (const r of records) {
      if (!isMonitored(r)) continue;
      const v = fam.value(r);
      if (v === null) continue;
      const metric: Record<string, string> = { __name__: fam.name };
      for (const [k, lv] of seriesLabels(r)) if (lv !== null) metric[k] = lv;
      const key = JSON.stringify(metric);
      let s = series.get(key);
      if (!s) series.set(key, (s = { metric, values: [], timestamps: [] }));
      s.values.push(v);
      s.timestamps.push(startedAtMs(r) ?? nowMs);
    }
  }
  return [...series.values()].map((s) => JSON.stringify(s) + '\n').join('');
}
