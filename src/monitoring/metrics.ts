/**
 * Which record fields become time series in monitoring systems, and with which labels.
 * One list for InfluxDB and Prometheus, so a dashboard can switch receivers without
 * renaming anything: `rtt_median_ms` is `qosprobe_rtt_median_ms` in both (VictoriaMetrics
 * names an Influx field `<measurement>_<field>`, i.e. the same).
 */
import { FIELDS, type FieldName, type ResultRecord } from '../core/schema.js';

/** Labels (Prometheus) / tags (Influx): who measured, where, what. Low cardinality by design. */
export const LABEL_FIELDS = ['probe_id', 'location_code', 'endpoint', 'test'] as const satisfies readonly FieldName[];

/**
 * Numeric fields that are not measurements: identity, coordinates and test parameters.
 * They stay in the record files; as series they would only add cardinality.
 */
const NOT_METRICS = new Set<string>(['schema_version', 'lat', 'lon', 'interval_ms', 'timeout_ms', 'size_bytes', 'hop']);

export const METRIC_FIELDS = FIELDS.filter((f) => (f.type === 'number' || f.type === 'integer') && !NOT_METRICS.has(f.name));

export const MEASUREMENT = 'qosprobe';

/**
 * A trace's hop rows stay in record files: with the same labels and time as the trace's own
 * record they would overwrite it (one series, one timestamp), and the trace's record already
 * carries the target's figures and where loss and delay begin.
 */
export function isMonitored(r: ResultRecord): boolean {
  return r.hop === null;
}

/** 1 when the test ended ok, 0 for partial or error: alert on it (a failed test has no rtt to alert on). */
export function statusOk(r: ResultRecord): number {
  return r.status === 'ok' ? 1 : 0;
}
