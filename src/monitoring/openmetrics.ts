/**
 * Prometheus text exposition (0.0.4) that is also valid OpenMetrics 1.0: one gauge family
 * per numeric metric, labels probe_id, location_code, endpoint, test, and a final `# EOF`.
 *
 * No sample timestamps by default: node_exporter's textfile collector and the Pushgateway
 * both refuse timestamped samples. Prometheus stamps them at scrape time; each family
 * therefore means "the latest run". `timestamps: true` (for VictoriaMetrics'
 * /api/v1/import/prometheus, store and forward) adds each record's started_at in milliseconds,
 * the 0.0.4 convention, and keeps every record's sample. `# UNIT` and `# EOF` are comments to a 0.0.4 parser.
 */
import type { ResultRecord } from '../core/schema.js';
import { seriesLabels, MEASUREMENT, METRIC_FIELDS, statusOk, isMonitored } from './metrics.js';

/** OpenMetrics unit suffixes we use; a `# UNIT` line is only valid when the name ends in `_<unit>`. */
const UNIT_SUFFIXES = new Set(['ms', 'percent', 'bps', 'bytes', 'dbm', 'db', 'seconds']);

/** A metric family: one per numeric record field, plus status_ok and started_at_seconds. Shared with the VictoriaMetrics import format. */
export interface Family {
  name: string;
  help: string;
  value(r: ResultRecord): number | null;
}

export const families: readonly Family[] = [
  ...METRIC_FIELDS.map((f) => ({
    name: `${MEASUREMENT}_${f.name}`,
    help: f.doc,
    value: (r: ResultRecord) => {
      const v = r[f.name as keyof ResultRecord];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    },
  })),
  { name: `${MEASUREMENT}_status_ok`, help: '1 when the test ended with status ok, 0 for partial or error.', value: (r) => statusOk(r) },
  {
    name: `${MEASUREMENT}_started_at_seconds`,
    help: 'Unix time the test started: alert when a location stops reporting.',
    value: (r) => {
      const t = startedAtMs(r);
      return t === null ? null : t / 1000;
    },
  },
];

/** Label values escape backslash, double quote and newline (same rule in 0.0.4 and OpenMetrics). */
export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and newline escaped; double quotes dropped (OpenMetrics escapes them, 0.0.4 does not). */
function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, "'");
}

/** Milliseconds since the epoch of the record's started_at, or null. */
export function startedAtMs(r: ResultRecord): number | null {
  const t = r.started_at ? Date.parse(r.started_at) : NaN;
  return Number.isFinite(t) ? t : null;
}

function labelsOf(r: ResultRecord): string {
  // The four identity labels always (empty when unknown, as before); the link labels only when known.
  return seriesLabels(r)
    .map(([k, v]) => `${k}="${escapeLabelValue(v ?? '')}"`)
    .join(',');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * The exposition of a set of records. Two records with the same labels (two tests of the
 * same kind on one endpoint) would be one series twice, which Prometheus refuses: the later
 * record wins. With timestamps they are two samples at two times, both kept.
 */
export function openMetricsText(records: readonly ResultRecord[], opts: { eof?: boolean; timestamps?: boolean } = {}): string {
  const out: string[] = [];
  for (const fam of families) {
    const samples = new Map<string, string>();
    for (const r of records) {
      if (!isMonitored(r)) continue;
      const v = fam.value(r);
      if (v === null) continue;
      const t = opts.timestamps ? startedAtMs(r) : null;
      const labels = labelsOf(r);
      // Keyed by series (and time): a later record replaces an earlier one of the same series and time.
      samples.set(t === null ? labels : `${labels} ${t}`, `{${labels}} ${formatValue(v)}${t === null ? '' : ` ${t}`}`);
    }
    if (samples.size === 0) continue;
    out.push(`# HELP ${fam.name} ${escapeHelp(fam.help)}`);
    out.push(`# TYPE ${fam.name} gauge`);
    const suffix = fam.name.slice(fam.name.lastIndexOf('_') + 1);
    if (UNIT_SUFFIXES.has(suffix)) out.push(`# UNIT ${fam.name} ${suffix}`);
    for (const line of samples.values()) out.push(`${fam.name}${line}`);
  }
  if (opts.eof ?? true) out.push('# EOF');
  return out.join('\n') + '\n';
}
