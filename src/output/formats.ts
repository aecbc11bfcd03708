/**
 * Output formats: a registry of pure serialisers. Files, appends and locks are the
 * sink's business (sink.ts); a format only turns records into text.
 */
import { stringify } from 'csv-stringify/sync';
import { csvSafeText } from './csv-cell.js';
import { FORMAT_NAMES, isFormatName, type FormatName } from '../core/format-names.js';
import { FIELD_NAMES, SCHEMA_VERSION, type ResultRecord } from '../core/schema.js';
import { influxLine } from '../monitoring/influx.js';
import { MEASUREMENT, isMonitored } from '../monitoring/metrics.js';
import { openMetricsText } from '../monitoring/openmetrics.js';
import type { RunIdentity } from '../records/assemble.js';

/** What the JSON document says about the run as a whole: its records' run-level columns, and how it went. */
export interface RunInfo extends RunIdentity {
  started_at: string;
  finished_at: string | null;
  /** completed, or interrupted (signal) / deadline (the run's --deadline passed). */
  status: 'completed' | 'interrupted' | 'deadline';
}

export interface StreamingFormat {
  readonly streaming: true;
  readonly extension: string;
  /** Written once at the top of a new file (CSV header), '' if none. */
  header(): string;
  /** One whole record, newline included: written with a single write so a crash never splits it. */
  record(r: ResultRecord): string;
  /** Could a file starting with this line be this format? `--append` refuses to mix formats in one file. */
  firstLineOk(line: string): boolean;
  /** What the format's files start with, for the refusal message. */
  readonly looksLike: string;
}

interface DocumentFormat {
  readonly streaming: false;
  readonly extension: string;
  document(run: RunInfo, records: readonly ResultRecord[]): string;
}

export type Format = StreamingFormat | DocumentFormat;

// Text cells: neutralised against spreadsheet formulas, reversibly (csv-cell.ts); numbers stay numbers.
// A cell holding a CR is quoted, so a reader splitting lines can never take it for a line end.
const csvOptions = { eof: true, record_delimiter: 'unix', quoted_match: /\r/, cast: { number: (n: number) => String(n), string: csvSafeText } } as const;

export const formats = {
  csv: {
    streaming: true,
    extension: 'csv',
    header: () => stringify([FIELD_NAMES as string[]], csvOptions),
    record: (r) => stringify([FIELD_NAMES.map((n) => r[n])], csvOptions),
    // The exact header: a CSV with other columns would take our records in the wrong columns.
    firstLineOk: (line) => line + '\n' === stringify([FIELD_NAMES as string[]], csvOptions),
    looksLike: "qosprobe's schema v1 CSV header",
  },
  ndjson: {
    streaming: true,
    extension: 'ndjson',
    header: () => '',
    record: (r) => JSON.stringify(r) + '\n',
    firstLineOk: (line) => line.startsWith('{'),
    looksLike: 'a JSON object per line',
  },
  json: {
    streaming: false,
    extension: 'json',
    document: (run, records) => JSON.stringify({ schema_version: SCHEMA_VERSION, run, results: records }, null, 2) + '\n',
  },
  // Monitoring formats (docs/monitoring.md): numeric metrics only, for InfluxDB/VictoriaMetrics and Prometheus.
  influx: {
    streaming: true,
    extension: 'lp',
    header: () => '',
    record: (r) => (isMonitored(r) ? influxLine(r) + '\n' : ''),
    firstLineOk: (line) => line.startsWith(MEASUREMENT + ',') || line.startsWith(MEASUREMENT + ' '),
    looksLike: `line protocol of the ${MEASUREMENT} measurement`,
  },
  // A document, so --out goes through temp + rename: node_exporter's textfile collector never reads half a file.
  openmetrics: {
    streaming: false,
    extension: 'prom',
    document: (_run, records) => openMetricsText(records),
  },
} satisfies Record<FormatName, Format>;

export { FORMAT_NAMES, isFormatName, type FormatName };
