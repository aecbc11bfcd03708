/**
 * The format registry: every format qosprobe writes or pushes, described by plain data, in a
 * module that loads nothing (the CLI lists the formats in --help without csv-stringify or the
 * monitoring encoders). Each format's serialiser is src/output/formats/<name>.ts, which
 * src/output/formats.ts loads by the name (test/e2e/format-registry.test.ts checks it provides what
 * the entry promises). Output, the spool's push and every help text or error message that lists
 * formats read this table: a new format is its entry here and its serialiser file.
 */
export interface FormatInfo {
  /** Content-Type of a body in this format (push), and of a file of it. */
  readonly contentType: string;
  /** File extension, without the dot. */
  readonly extension: string;
  /** true: written a record at a time (header once, whole records, --append); false: one document, written whole at the end. */
  readonly streaming: boolean;
  /** Can be written by run, demo, monitor and the ad hoc commands (--format, output.format). */
  readonly output: boolean;
  /** Can be sent from the spool by push (push --format, --push-format). */
  readonly pushable: boolean;
}

/** Key order is the order of --help and error messages. */
export const FORMATS = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv', streaming: true, output: true, pushable: false },
  ndjson: { contentType: 'application/x-ndjson', extension: 'ndjson', streaming: true, output: true, pushable: true },
  json: { contentType: 'application/json', extension: 'json', streaming: false, output: true, pushable: false },
  // Monitoring formats (docs/monitoring.md): numeric metrics only, for InfluxDB/VictoriaMetrics and Prometheus.
  influx: { contentType: 'text/plain; charset=utf-8', extension: 'lp', streaming: true, output: true, pushable: true },
  // Prometheus text 0.0.4 (also valid OpenMetrics): the Pushgateway speaks 0.0.4, not application/openmetrics-text.
  openmetrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', extension: 'prom', streaming: false, output: true, pushable: true },
  // VictoriaMetrics' JSON-line import: pushed only (series grouped over a batch).
  vmimport: { contentType: 'application/x-ndjson', extension: 'ndjson', streaming: false, output: false, pushable: true },
} as const satisfies Record<string, FormatInfo>;

type Registry = typeof FORMATS;
/** Every registered format. */
export type AnyFormatName = keyof Registry;
/** The formats run & co. write (--format, output.format). */
export type FormatName = { [K in AnyFormatName]: Registry[K]['output'] extends true ? K : never }[AnyFormatName];
/** The formats push sends. */
export type PushFormat = { [K in AnyFormatName]: Registry[K]['pushable'] extends true ? K : never }[AnyFormatName];

const ALL = Object.keys(FORMATS) as AnyFormatName[];

export const ALL_FORMAT_NAMES: readonly AnyFormatName[] = ALL;
export const FORMAT_NAMES = ALL.filter((n) => FORMATS[n].output) as readonly FormatName[];
export const PUSH_FORMATS = ALL.filter((n) => FORMATS[n].pushable) as readonly PushFormat[];
/** Output formats a file of which can be appended to (--append): the streaming ones. */
export const APPENDABLE_FORMATS = FORMAT_NAMES.filter((n) => FORMATS[n].streaming);

export function isFormatName(s: string): s is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(s);
}

/** "csv, ndjson or influx": a list of format names for help texts and messages. */
export function formatList(names: readonly string[], last = 'or'): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} ${last} ${names.at(-1)}`;
}
