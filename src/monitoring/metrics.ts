/**
 * Which record fields become time series in monitoring systems, and with which labels.
 * One list for InfluxDB and Prometheus, so a dashboard can switch receivers without
 * renaming anything: `rtt_median_ms` is `qosprobe_rtt_median_ms` in both (VictoriaMetrics
 * names an Influx field `<measurement>_<field>`, i.e. the same).
 */
import { FIELDS, type FieldName, type ResultRecord } from '../core/schema.js';
import { operatorOf } from '../core/link-operator.js';

/** Labels (Prometheus) / tags (Influx): who measured, where, what. Low cardinality by design. */
export const LABEL_FIELDS = ['probe_id', 'location_code', 'endpoint', 'test'] as const satisfies readonly FieldName[];

/**
 * The link labels (issue 22): the interface the record measured over and who carries it (core/link-operator.ts), so two
 * links' windows of one endpoint are two series, and alerting rules can group by operator (`qosprobe rules --by operator`).
 * Only when the record names them: a record without its link keeps the series it had.
 */
export const LINK_LABELS = ['net_iface', 'operator'] as const;

/** The label values of a record: LABEL_FIELDS (null when empty), then each LINK_LABELS entry it has. */
export function seriesLabels(r: ResultRecord): [name: string, value: string | null][] {
  const text = (v: unknown) => (v === null || v === undefined || v === '' ? null : String(v));
  const out: [string, string | null][] = LABEL_FIELDS.map((k) => [k, text(r[k])]);
  const link: Record<(typeof LINK_LABELS)[number], string | null> = {
    net_iface: text(r.net_iface),
    operator: operatorOf({ net_type: text(r.net_type), cell_mcc_mnc: text(r.cell_mcc_mnc), cell_operator: text(r.cell_operator) }),
  };
  for (const k of LINK_LABELS) if (link[k] !== null) out.push([k, link[k]]);
  return out;
}

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
