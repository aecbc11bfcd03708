/**
 * InfluxDB line protocol (InfluxDB 1.x/2.x, Telegraf, VictoriaMetrics /write):
 *   qosprobe,probe_id=p1,location_code=32.73,endpoint=jkt,test=icmp rtt_median_ms=12.5,sent=20i,status_ok=1i 1795766400000000000
 * Tags: probe id, location code, endpoint, test (omitted when null: Influx forbids empty tag values).
 * Fields: every numeric metric that is not null; integers with the `i` suffix so a field keeps
 * one type across writes (InfluxDB refuses a float into an integer field). Time: started_at in ns.
 */
import type { ResultRecord } from '../core/schema.js';
import { seriesLabels, MEASUREMENT, METRIC_FIELDS, statusOk, isMonitored } from './metrics.js';

/** Measurement names escape commas and spaces. */
export function escapeMeasurement(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  return s.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/([, ])/g, '\\$1');
}

/**
 * Tag keys and values escape commas, equals signs and spaces. Line protocol has no escape
 * for a newline, so control characters become spaces; parsers disagree on whether a doubled backslash is
 * one backslash (VictoriaMetrics) or two (InfluxDB 1.x), so a backslash becomes `/`.
 */
export function escapeTag(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  const noControl = s.replace(/[\x00-\x1f\x7f]/g, ' ');
  return noControl.replace(/\\/g, '/').replace(/([,= ])/g, '\\$1');
}

/** One record as one line (no trailing newline). */
export function influxLine(r: ResultRecord): string {
  const tags = seriesLabels(r).flatMap(([k, v]) => (v === null ? [] : [`${k}=${escapeTag(v)}`]));
  const fields: string[] = [];
  for (const f of METRIC_FIELDS) {
    const v = r[f.name as keyof ResultRecord];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    fields.push(f.type === 'integer' ? `${f.name}=${Math.round(v)}i` : `${f.name}=${formatFloat(v)}`);
  }
  fields.push(`status_ok=${statusOk(r)}i`);
  const t = r.started_at ? Date.parse(r.started_at) : NaN;
  const ts = Number.isFinite(t) ? ` ${BigInt(t) * 1_000_000n}` : '';
  return `${escapeMeasurement(MEASUREMENT)}${tags.length ? ',' + tags.join(',') : ''} ${fields.join(',')}${ts}`;
}

export function influxLines(records: readonly ResultRecord[]): string {
  return records
    .filter(isMonitored)
    .map((r) => influxLine(r) + '\n')
    .join('');
}

/** Plain decimal, never exponent notation for the magnitudes we produce; -0 is 0. */
function formatFloat(v: number): string {
  return Object.is(v, -0) ? '0' : String(v);
}
