/**
 * Streaming readers for result files of schema v1 (CSV, NDJSON, JSON), for `qosprobe report`.
 *
 * A reader turns a byte stream into the few fields a report uses (ReportRow) and hands each
 * to a callback: nothing accumulates per row, so memory stays flat however large the input.
 * The one exception is a JSON document (`{ schema_version, run, results }`), which is read
 * whole: it is one run's output and small; use NDJSON for large collections.
 *
 * Rows that cannot be used are never dropped silently: each becomes an InputIssue (file,
 * line, reason), counted in ReadStats.
 */
import { csvOriginalText } from '../output/csv-cell.js';
import { FIELD_NAMES, SCHEMA_VERSION, type FieldName } from '../core/schema.js';
import { locationOfColumns, type Location } from '../core/location.js';
import { csvCellBounds, parseCsvRecord, readLines } from './csv-tokens.js';
import { sniffFormat, type InputFormat, type InputSource } from './inputs.js';
import { textChunks } from './text-chunks.js';
import { REPORT_METRICS, sampleFields, type ReportMetric } from './metrics.js';
import { operatorOf } from './group-keys.js';

export type RowStatus = 'ok' | 'partial' | 'error';

/** The fields of a result record that a report uses; `null` where the record has none. */
export interface ReportRow {
  /** started_at as ms since the epoch. */
  startedAtMs: number;
  /** run_id: with probe_id, endpoint, test, started_at and hop, what tells a record from a copy of it (duplicates.ts). */
  runId: string | null;
  probeId: string | null;
  /**
   * The record's location columns read back into the value the run resolved (source 'record').
   * Its site, lat and lon are read only with ReadOptions.sites (map, --expect); null otherwise.
   */
  location: Location;
  endpoint: string | null;
  test: string | null;
  status: RowStatus;
  /**
   * The record fields the metric table reads, in the order of sampleFields(table) (metrics.ts):
   * rtt_median_ms, jitter_ms, loss_percent, throughput_bps for the bundled table. An array, not an
   * object by field name: this is built for every row of a million-row file.
   */
  values: (number | null)[];
  /** trace hop rows: the hop (TTL); null on every other record, the trace's own included. */
  hop: number | null;
  /** The link the record measured (issue 22): its net_iface, and its operator by group-keys.ts operatorOf (the HTML page filters sites by it). */
  netIface: string | null;
  operator: string | null;
  /** error_code ABORTED: a person or a signal stopped the test (Ctrl-C, SIGTERM), not the site: out of its availability. */
  interrupted: boolean;
}

export type IssueKind = 'malformed' | 'unknown_schema';

/** One unusable row (or file). `line` is 1-based; for a JSON document it is null and `where` names the element. */
export interface InputIssue {
  file: string;
  line: number | null;
  /** e.g. "line 12" or "results[3]". */
  where: string;
  kind: IssueKind;
  reason: string;
}

/** Counts over everything read. Issue details beyond `maxIssueDetails` are counted, not kept. */
export interface ReadStats {
  files: { name: string; format: InputFormat | 'empty' | 'unknown'; rows: number; issues: number }[];
  rows: number;
  malformed: number;
  unknownSchema: number;
  issues: InputIssue[];
  /** Issues counted but not listed in `issues` (the list is capped). */
  issuesNotListed: number;
  /** Records read again (same run_id, probe_id, endpoint, test, started_at, hop; duplicates.ts): counted once, these are the copies left out. */
  duplicates: number;
  /** The copies left out, per file they were found in (a file read after the one holding the first copy). */
  duplicatesByFile: Record<string, number>;
}

export function newReadStats(): ReadStats {
  return { files: [], rows: 0, malformed: 0, unknownSchema: 0, issues: [], issuesNotListed: 0, duplicates: 0, duplicatesByFile: {} };
}

/** Add the statistics of a file read elsewhere (a worker thread) after those already here, as if it had been read here. */
export function mergeReadStats(into: ReadStats, from: ReadStats): void {
  into.files.push(...from.files);
  into.rows += from.rows;
  into.malformed += from.malformed;
  into.unknownSchema += from.unknownSchema;
  for (const i of from.issues) {
    if (into.issues.length < MAX_ISSUE_DETAILS) into.issues.push(i);
    else into.issuesNotListed++;
  }
  into.issuesNotListed += from.issuesNotListed;
}

const MAX_ISSUE_DETAILS = 200;
/** What the sniffer reads at most before deciding a source's format. */
const SNIFF_CHARS = 256 * 1024;
const SNIFF_LINES = 8;
/** A JSON document is parsed whole; past this size (characters) it is refused: NDJSON is the format for large collections. */
export const MAX_JSON_DOCUMENT_CHARS = 64 * 1024 * 1024;
/**
 * A number in a file: decimal only (no 0x1F, 0b101, 0o17, Infinity, sign or blanks, which Number()
 * would take), and at most MAX_VALUE, so that no sum of a million of them overflows to Infinity.
 */
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Far above any schema v1 value (1 Pbit/s; 31 years in ms) and far below where a sum could overflow. */
export const MAX_VALUE = 1e15;
const STATUSES: ReadonlySet<string> = new Set(['ok', 'partial', 'error']);

const col = (n: FieldName): number => FIELD_NAMES.indexOf(n);
const C = {
  schema_version: col('schema_version'),
  run_id: col('run_id'),
  started_at: col('started_at'),
  probe_id: col('probe_id'),
  location_code: col('location_code'),
  location_name: col('location_name'),
  endpoint: col('endpoint'),
  test: col('test'),
  site: col('site'),
  lat: col('lat'),
  lon: col('lon'),
  status: col('status'),
  hop: col('hop'),
  net_iface: col('net_iface'),
  net_type: col('net_type'),
  cell_mcc_mnc: col('cell_mcc_mnc'),
  cell_operator: col('cell_operator'),
  error_code: col('error_code'),
} as const;
const NCOLS = FIELD_NAMES.length;
const CSV_HEADER = FIELD_NAMES.join(',');

export interface ReadOptions {
  /** Read site, lat and lon too (they cost time on every row, and only the map and --expect use them). */
  sites?: boolean;
  /** The metric table whose fields are read (default REPORT_METRICS). */
  metrics?: readonly ReportMetric[];
  /** The size of the read buffer (text-chunks.ts). */
  chunkBytes?: number;
}

/** What the readers take from a record for a metric table: the fields, their columns, and which columns must hold numbers. */
interface SampleColumns {
  cols: readonly number[];
  numeric: ReadonlySet<number>;
  /** Where loss_percent is in `values` (it must not exceed 100), or -1. */
  lossAt: number;
  /** An NDJSON line as qosprobe writes it, the used fields captured (recordLine()). */
  line: { re: RegExp; names: readonly FieldName[]; capOf: Int32Array };
  /** Every field index the readers use (C and cols, site fields included). */
  used: readonly number[];
}

/** A JSON value without nesting: null, true, false, a number, a string (escapes included), exactly as JSON's grammar has them. */
// null first and the string as an unrolled loop: the order of the values' frequency, and no alternation per character.
const JSON_SCALAR = String.raw`(?:null|"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false)`;

/**
 * The NDJSON record line that qosprobe writes: every schema v1 field in schema order, compact,
 * scalar values. One regular expression checks the whole line against JSON's grammar and captures
 * the fields the report uses, in a native pass: JSON.parse would build an object of 97 properties
 * for every line (most of the NDJSON time). A line of any other shape (another key order, blanks,
 * a field missing or repeated) is read by JSON.parse, with the same result.
 */
function recordLine(used: readonly number[]): SampleColumns['line'] {
  const names = FIELD_NAMES.filter((_, i) => used.includes(i));
  // Sticky and ending with the line's newline: it reads a line where it lies in its chunk (csv-tokens.ts readLines' `fast`).
  const re = new RegExp('\\{' + FIELD_NAMES.map((f, i) => `"${f}":` + (used.includes(i) ? `(${JSON_SCALAR})` : JSON_SCALAR)).join(',') + '\\}\\r?\\n', 'y');
  // Field index → its capture (1-based group of `re`), 0 for a field not captured.
  const capOf = new Int32Array(FIELD_NAMES.length);
  names.forEach((n, k) => (capOf[FIELD_NAMES.indexOf(n)] = k + 1));
  return { re, names, capOf };
}

/** A captured JSON scalar's value. */
function scalar(t: string): unknown {
  const c = t.charCodeAt(0);
  if (c === 34 /* " */) return t.indexOf('\\') === -1 ? t.slice(1, -1) : JSON.parse(t);
  if (c === 110 /* n */) return null;
  if (c === 116 /* t */) return true;
  if (c === 102 /* f */) return false;
  return Number(t);
}

function sampleColumns(metrics: readonly ReportMetric[]): SampleColumns {
  const fields = sampleFields(metrics);
  const cols = fields.map(col);
  // A JSON string where a number belongs is an error, not a number in disguise.
  const used = [...new Set([...Object.values(C), ...cols])];
  return { cols, numeric: new Set([C.schema_version, C.lat, C.lon, ...cols]), lossAt: fields.indexOf('loss_percent'), line: recordLine(used), used };
}
const DEFAULT_SAMPLES = sampleColumns(REPORT_METRICS);

/** Read one source: sniff its format from the content (inputs.ts), then stream its rows into `onRow`. */
export async function readSource(src: InputSource, onRow: (row: ReportRow) => void, stats: ReadStats, opts: ReadOptions = {}): Promise<void> {
  const file = { name: src.name, format: 'empty' as ReadStats['files'][number]['format'], rows: 0, issues: 0 };
  stats.files.push(file);
  const ctx: Ctx = {
    file: src.name,
    sites: opts.sites === true,
    samples: opts.metrics === undefined ? DEFAULT_SAMPLES : sampleColumns(opts.metrics),
    stats,
    onRow: (r) => {
      file.rows++;
      stats.rows++;
      onRow(r);
    },
    issue: (line, where, kind, reason) => {
      file.issues++;
      if (kind === 'malformed') stats.malformed++;
      else stats.unknownSchema++;
      if (stats.issues.length < MAX_ISSUE_DETAILS) stats.issues.push({ file: src.name, line, where, kind, reason });
      else stats.issuesNotListed++;
    },
  };
  const it = textChunks(src, opts.chunkBytes);
  try {
    await readText(it, ctx, file);
  } finally {
    await it.return();
  }
}

async function readText(it: AsyncGenerator<string, void, undefined>, ctx: Ctx, file: ReadStats['files'][number]): Promise<void> {
  // Sniff: gather the first few lines (or SNIFF_CHARS, or the whole input if shorter): an NDJSON
  // file whose first line is torn is told from a pretty-printed JSON document by the lines after it.
  let head = '';
  let lines = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    head += r.value;
    if (head.length >= SNIFF_CHARS) break;
    for (let i = r.value.indexOf('\n'); i !== -1; i = r.value.indexOf('\n', i + 1)) lines++;
    if (lines > SNIFF_LINES && head.trimStart().length > 0) break;
  }
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
  const trimmed = head.trimStart();
  if (trimmed === '') {
    await drain(it);
    return; // an empty file: no rows, not an error
  }
  const format = sniffFormat(trimmed);
  file.format = format;
  if (format === 'json') return readJsonDocument(head, it, ctx);
  // Only CSV has quoted cells that span lines: an NDJSON line is one record whatever quotes its strings hold.
  const broken = (line: number, reason: string) => ctx.issue(line, `line ${line}`, 'malformed', reason);
  const h = format === 'csv' ? csvLineHandler(ctx) : ndjsonLineHandler(ctx);
  return readLines(head, it, h.line, format === 'csv', broken, h.fast);
}

interface Ctx {
  file: string;
  sites: boolean;
  samples: SampleColumns;
  stats: ReadStats;
  onRow(r: ReportRow): void;
  issue(line: number | null, where: string, kind: IssueKind, reason: string): void;
}

/** A format's reader of lines: `line` for any line, `fast` for a line read in place in its chunk (readLines). */
interface LineHandler {
  line(line: string, lineNo: number): void;
  fast(text: string, at: number, lineNo: number): number;
}

async function drain(it: AsyncIterator<string>): Promise<void> {
  for (;;) if ((await it.next()).done) return;
}

/**
 * The header decides the columns: it must name only schema v1 fields, each once, including
 * schema_version, started_at and status. v1 only ever appends columns, so a file written by an
 * older v1 qosprobe (fewer columns) reads too; a column we do not know means another schema.
 */
function csvHeader(line: string): Int32Array | string {
  const names = parseCsvRecord(line);
  if (typeof names === 'string') return `unreadable CSV header: ${names}`;
  const colOf = new Int32Array(NCOLS).fill(-1);
  for (let k = 0; k < names.length; k++) {
    const i = FIELD_INDEX.get(names[k] as string);
    if (i === undefined) return `column ${clip(names[k] as string)} is not a schema v${SCHEMA_VERSION} field`;
    if (colOf[i] !== -1) return `column ${clip(names[k] as string)} appears twice`;
    colOf[i] = k;
  }
  for (const need of ['schema_version', 'started_at', 'status'] as const) if (colOf[C[need]] === -1) return `no ${need} column`;
  return colOf;
}
const FIELD_INDEX: ReadonlyMap<string, number> = new Map(FIELD_NAMES.map((n, i) => [n, i]));

function csvLineHandler(ctx: Ctx): LineHandler {
  // foreign: a qosprobe CSV of another schema; garbage: not a result file at all (a YAML config, a log).
  let state: 'header' | 'rows' | 'foreign' | 'garbage' = 'header';
  let colOf: Int32Array = new Int32Array(0);
  let ncols = NCOLS;
  let commas = new Int32Array(NCOLS + 1);
  let cells: (string | null)[] = [];
  let starts = new Int32Array(NCOLS);
  let ends = new Int32Array(NCOLS);
  let esc = new Uint8Array(NCOLS);
  // The row being read: the cell getters below read it, made once rather than a closure per row.
  let cur = '';
  const getPlain = (i: number): string | null => {
    const k = colOf[i] as number;
    if (k < 0) return null;
    const a = (commas[k] as number) + 1;
    const b = commas[k + 1] as number;
    return a === b ? null : cur.slice(a, b);
  };
  const getQuoted = (i: number): string | null => {
    const k = colOf[i] as number;
    if (k < 0) return null;
    const a = starts[k] as number;
    const b = ends[k] as number;
    if (a === b) return null;
    return esc[k] === 1 ? cur.slice(a, b).replaceAll('""', '"') : cur.slice(a, b);
  };
  const getCells = (i: number): string | null => {
    const k = colOf[i] as number;
    const v = k < 0 ? null : (cells[k] ?? null);
    return v === '' ? null : v;
  };
  // The fast path: a record of one line, read in place by the header's regular expression (csvRecordRe).
  let re: CsvRecordRe | null = null;
  let m: RegExpExecArray | null = null;
  const getMatch = (i: number): string | null => {
    const g = (re as CsvRecordRe).capOf[i] as number;
    if (g === 0) return null;
    const cell = (m as RegExpExecArray)[g] as string;
    if (cell === '') return null;
    if (cell.charCodeAt(0) !== 34 /* " */) return cell;
    // A quoted cell: its text within the quotes, a doubled quote read as one.
    return cell.length === 2 ? null : cell.indexOf('"', 1) === cell.length - 1 ? cell.slice(1, -1) : cell.slice(1, -1).replaceAll('""', '"');
  };
  const line = (line: string, lineNo: number): void => {
    if (state === 'header') {
      if (line.trim() === '') return;
      const h = line === CSV_HEADER ? IDENTITY : csvHeader(line);
      if (typeof h !== 'string') {
        state = 'rows';
        colOf = h;
        ncols = line === CSV_HEADER ? NCOLS : (parseCsvRecord(line) as string[]).length;
        re = csvRecordRe(line, colOf, ncols, ctx.samples.used);
        commas = new Int32Array(ncols + 1);
        starts = new Int32Array(ncols);
        ends = new Int32Array(ncols);
        esc = new Uint8Array(ncols);
        return;
      }
      const known = line.startsWith('schema_version,');
      state = known ? 'foreign' : 'garbage';
      ctx.issue(
        lineNo,
        `line ${lineNo}`,
        known ? 'unknown_schema' : 'malformed',
        known
          ? `the CSV header is not schema v${SCHEMA_VERSION}'s (${h}): every row of this file is skipped and counted`
          : 'not a qosprobe result file: expected the schema v1 CSV header, NDJSON or a JSON document; every row of this file is skipped and counted',
      );
      return;
    }
    if (line === '') return; // a blank line carries no record
    if (state === 'foreign') {
      ctx.issue(lineNo, `line ${lineNo}`, 'unknown_schema', 'row of a file whose header is not schema v1');
      return;
    }
    if (state === 'garbage') {
      ctx.issue(lineNo, `line ${lineNo}`, 'malformed', 'line of a file that is not a qosprobe result file');
      return;
    }
    let get: (i: number) => string | null;
    if (line.indexOf('"') === -1) {
      // Fast path: no quotes, so cells are the text between commas. Find the commas, slice only what we use.
      let n = 0;
      let at = -1;
      commas[0] = -1;
      for (;;) {
        at = line.indexOf(',', at + 1);
        if (at === -1) break;
        if (++n >= ncols) break;
        commas[n] = at;
      }
      if (n + 1 !== ncols) {
        ctx.issue(lineNo, `line ${lineNo}`, 'malformed', `${n + 1 > ncols ? `more than ${ncols}` : n + 1} cells, expected ${ncols}`);
        return;
      }
      commas[ncols] = line.length;
      get = getPlain;
    } else if (csvCellBounds(line, ncols, starts, ends, esc)) {
      // Quoted cells (a site name with a comma): their bounds, the strings only of the cells used.
      get = getQuoted;
    } else {
      const parsed = parseCsvRecord(line);
      if (typeof parsed === 'string') {
        ctx.issue(lineNo, `line ${lineNo}`, 'malformed', parsed);
        return;
      }
      if (parsed.length !== ncols) {
        ctx.issue(lineNo, `line ${lineNo}`, 'malformed', `${parsed.length} cells, expected ${ncols}`);
        return;
      }
      cells = parsed;
      get = getCells;
    }
    cur = line;
    csvRow(get, lineNo);
  };
  const csvRow = (get: (i: number) => string | null, lineNo: number): void => {
    const row = toRow(get, fieldName, true, ctx.sites, ctx.samples);
    if (typeof row === 'string') ctx.issue(lineNo, `line ${lineNo}`, row.startsWith('schema_version ') ? 'unknown_schema' : 'malformed', row);
    else ctx.onRow(row);
  };
  const fast = (text: string, at: number, lineNo: number): number => {
    if (re === null) return -1;
    re.re.lastIndex = at;
    m = re.re.exec(text);
    if (m === null) return -1;
    csvRow(getMatch, lineNo);
    return re.re.lastIndex;
  };
  return { line, fast };
}

interface CsvRecordRe {
  /** Sticky: one record of exactly the header's cells on one line, ending with its newline; no bare CR, no quote inside an unquoted cell. */
  re: RegExp;
  /** Field index → the capture of its cell (quotes included), 0 for a field not read. */
  capOf: Int32Array;
}

const csvRes = new Map<string, CsvRecordRe>();

/**
 * The regular expression that reads a record of a file with this header in one native pass,
 * capturing only the cells of `used` fields: the comma-by-comma scan it replaces was a fifth of
 * the CSV time. It accepts exactly the one-line records that parseCsvRecord reads with `ncols`
 * cells and no CR (a CR before the newline is the line's end); any other line goes to the line
 * handler, which says what is wrong with it. Each cell's alternatives start with different
 * characters, so a line that fails costs time linear in its length.
 */
function csvRecordRe(header: string, colOf: Int32Array, ncols: number, used: readonly number[]): CsvRecordRe {
  const hit = csvRes.get(header);
  if (hit !== undefined) return hit;
  const capture = new Uint8Array(ncols);
  for (const i of used) if ((colOf[i] as number) >= 0) capture[colOf[i] as number] = 1;
  const capOfCell = new Int32Array(ncols);
  let group = 1;
  const cells: string[] = [];
  for (let k = 0; k < ncols; k++) {
    if (capture[k] === 1) {
      capOfCell[k] = group++;
      cells.push('("(?:[^"\\n]|"")*"|[^,"\\r\\n]*)');
    } else cells.push('(?:"(?:[^"\\n]|"")*"|[^,"\\r\\n]*)');
  }
  const capOf = new Int32Array(NCOLS);
  for (let i = 0; i < NCOLS; i++) {
    const k = colOf[i] as number;
    capOf[i] = k >= 0 && capture[k] === 1 ? (capOfCell[k] as number) : 0;
  }
  const made = { re: new RegExp(cells.join(',') + '\\r?\\n', 'y'), capOf };
  if (csvRes.size < 16) csvRes.set(header, made);
  return made;
}
const IDENTITY = Int32Array.from(FIELD_NAMES, (_, i) => i);

/**
 * Build a row from cell text and check what the report relies on; a string is the reason it is
 * unusable. `csv`: text cells carry the formula-neutralising prefix (csv-cell.ts) to remove.
 */
function toRow(get: (i: number) => string | null, name: (i: number) => string, csv: boolean, sites: boolean, samples: SampleColumns): ReportRow | string {
  const sv = get(C.schema_version);
  if (sv !== String(SCHEMA_VERSION)) {
    if (sv === null) return 'schema_version is empty';
    return /^\d+$/.test(sv) ? `schema_version ${sv} is not supported (this qosprobe reads ${SCHEMA_VERSION})` : `schema_version is not an integer: ${clip(sv)}`;
  }
  const status = get(C.status);
  if (status === null || !STATUSES.has(status)) return `status must be ok, partial or error; found ${status === null ? 'nothing' : clip(status)}`;
  const started = get(C.started_at);
  if (started === null) return 'started_at is empty';
  const startedAtMs = parseStartedAt(started);
  if (Number.isNaN(startedAtMs)) return `started_at is not a timestamp: ${clip(started)}`;
  let bad: string | undefined;
  const num = (i: number): number | null => {
    const s = get(i);
    if (s === null) return null;
    const v = DECIMAL.test(s) ? Number(s) : NaN;
    if (!(v <= MAX_VALUE)) bad ??= `${name(i)} is not a decimal number from 0 to ${MAX_VALUE}: ${clip(s)}`;
    return v;
  };
  // No per-row closures beyond `num`: this runs for every row of a million-row file.
  // Read in this order (text, samples, hop), so the first problem named is the same in every format.
  const runId = csv ? unprefix(get(C.run_id)) : get(C.run_id);
  const probeId = kept(C.probe_id, csv ? unprefix(get(C.probe_id)) : get(C.probe_id));
  const locationCode = kept(C.location_code, csv ? unprefix(get(C.location_code)) : get(C.location_code));
  const locationName = kept(C.location_name, csv ? unprefix(get(C.location_name)) : get(C.location_name));
  const endpoint = kept(C.endpoint, csv ? unprefix(get(C.endpoint)) : get(C.endpoint));
  const test = kept(C.test, csv ? unprefix(get(C.test)) : get(C.test));
  const cols = samples.cols;
  const values: (number | null)[] = [];
  for (let k = 0; k < cols.length; k++) values.push(num(cols[k] as number));
  const hop = num(C.hop);
  let site: string | null = null;
  let lat: number | null = null;
  let lon: number | null = null;
  if (sites) {
    site = kept(C.site, csv ? unprefix(get(C.site)) : get(C.site));
    const degrees = (i: number, limit: number): number | null => {
      const s = get(i);
      if (s === null) return null;
      const v = DECIMAL.test(s.charCodeAt(0) === 45 /* - */ ? s.slice(1) : s) ? Number(s) : NaN;
      if (!(Math.abs(v) <= limit)) bad ??= `${name(i)} is not a number of degrees within ±${limit}: ${clip(s)}`;
      return v;
    };
    lat = degrees(C.lat, 90);
    lon = degrees(C.lon, 180);
  }
  if (bad !== undefined) return bad;
  const loss = samples.lossAt === -1 ? null : values[samples.lossAt];
  if (loss !== undefined && loss !== null && loss > 100) return `loss_percent is above 100: ${loss}`;
  // The previous row's location and operator when their fields are the same (the rows of a site follow each other):
  // an object per row was garbage for the collector. Neither is changed after it is made.
  const same = lastLocation !== null && lastLocation.code === locationCode && lastLocation.name === locationName && lastLocation.site === site && Object.is(lastLocation.lat, lat) && Object.is(lastLocation.lon, lon);
  const location = same ? (lastLocation as Location) : (lastLocation = locationOfColumns({ location_code: locationCode, location_name: locationName, site, lat, lon }));
  const netType = csv ? unprefix(get(C.net_type)) : get(C.net_type);
  const mccMnc = csv ? unprefix(get(C.cell_mcc_mnc)) : get(C.cell_mcc_mnc);
  const cellOperator = csv ? unprefix(get(C.cell_operator)) : get(C.cell_operator);
  if (netType !== lastOperatorOf[0] || mccMnc !== lastOperatorOf[1] || cellOperator !== lastOperatorOf[2]) {
    lastOperatorOf = [netType, mccMnc, cellOperator];
    lastOperator = operatorOf({ net_type: netType, cell_mcc_mnc: mccMnc, cell_operator: cellOperator });
  }
  const operator = lastOperator;
  const netIface = csv ? unprefix(get(C.net_iface)) : get(C.net_iface);
  return { startedAtMs, runId, probeId, location, endpoint, test, status: status as RowStatus, values, hop, netIface, operator, interrupted: get(C.error_code) === 'ABORTED' };
}

/** toRow's last location and operator (with the fields it came from): reused while the next rows have the same. */
let lastLocation: Location | null = null;
let lastOperatorOf: (string | null)[] = [undefined as unknown as null, null, null];
let lastOperator: string | null = null;

const fieldName = (i: number): string => FIELD_NAMES[i] as string;
/**
 * A text that may outlive its row (group keys, names, sites) as a string of its own. V8 makes a
 * slice of 13 characters or more a view into its parent: a location name kept as a group's name
 * would keep the whole 1 MiB chunk it was read from alive (482 MB for a month of 3,006 sites read
 * by province). Concatenating flattens into a new string; the slice is then a view into that.
 */
const own = (s: string | null): string | null => (s === null || s.length < 13 ? s : (' ' + s).slice(1));
/**
 * own() of a field's text, the previous row's copy when the text is the same: the rows of a run
 * (and of a site) follow each other, and a copy per row was garbage for the collector.
 */
const lastText: (string | null)[] = [];
const lastKept: (string | null)[] = [];
function kept(field: number, s: string | null): string | null {
  if (s === null || s.length < 13) return s;
  if (s === lastText[field]) return lastKept[field] as string;
  const o = own(s);
  lastText[field] = o; // the copy, not s: s may be a view that holds its whole chunk
  lastKept[field] = o;
  return o;
}
/** A CSV text cell without the formula prefix; the char test first keeps the common case cheap. */
const unprefix = (s: string | null): string | null => (s !== null && s.charCodeAt(0) === 39 ? csvOriginalText(s) : s);

/** The value of ASCII digits text[i..i+n), or -1 when one is not a digit. */
function digits(text: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Date.parse of a started_at, with a fast path for the shape qosprobe writes (2026-11-01T00:00:08.000Z,
 * or without the milliseconds): Date.parse was a tenth of the CSV reading time. Within the ranges
 * checked here Date.UTC gives what Date.parse gives (a day past the month's end rolls over in both);
 * anything else goes to Date.parse.
 */
export function parseStartedAt(text: string): number {
  const n = text.length;
  if ((n === 24 || n === 20) && text.charCodeAt(n - 1) === 90 /* Z */ && text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45 && text.charCodeAt(10) === 84 && text.charCodeAt(13) === 58 && text.charCodeAt(16) === 58) {
    const y = digits(text, 0, 4);
    const mo = digits(text, 5, 2);
    const d = digits(text, 8, 2);
    const h = digits(text, 11, 2);
    const mi = digits(text, 14, 2);
    const sec = digits(text, 17, 2);
    const ms = n === 24 ? (text.charCodeAt(19) === 46 ? digits(text, 20, 3) : -1) : 0;
    // Years below 100 are read by Date.UTC as 1900 + y: Date.parse for those.
    if (y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59 && ms >= 0) {
      // The day's start once per day: a file's records run in time order, and Date.UTC per row was a twentieth of a
      // worker's time. Whole milliseconds with no leap second: the day's start plus the time is Date.UTC's value.
      const day = (y * 100 + mo) * 100 + d;
      if (day !== lastDay) {
        lastDay = day;
        lastDayMs = Date.UTC(y, mo - 1, d);
      }
      return lastDayMs + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
    }
  }
  return Date.parse(text);
}
/** parseStartedAt's last day (yyyymmdd) and its start, ms since the epoch. */
let lastDay = -1;
let lastDayMs = 0;

function clip(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
}

/** A JSON object (record) to a row, with the same checks as CSV cells. */
function objectToRow(v: unknown, sites: boolean, samples: SampleColumns): ReportRow | string {
  if (!isObject(v)) return 'not a JSON object';
  return fieldsToRow((i) => v[FIELD_NAMES[i] as string], sites, samples);
}

/** A JSON record, its values looked up by field index, to a row. */
function fieldsToRow(field: (i: number) => unknown, sites: boolean, samples: SampleColumns): ReportRow | string {
  let bad: string | undefined;
  const get = (i: number): string | null => {
    const key = FIELD_NAMES[i] as string;
    const x = field(i);
    if (x === null || x === undefined) return null;
    if (typeof x === 'number') return String(x);
    if (typeof x === 'string') {
      if (samples.numeric.has(i)) bad ??= `${key} must be a number or null; found the string ${clip(x)}`;
      return x === '' ? null : x;
    }
    bad ??= `${key} has an unexpected type (${Array.isArray(x) ? 'array' : typeof x})`;
    return null;
  };
  const sv = field(C.schema_version);
  if (sv === undefined) return 'schema_version is missing';
  if (typeof sv !== 'number') return `schema_version must be a number; found ${clip(JSON.stringify(sv))}`;
  const row = toRow(get, fieldName, false, sites, samples);
  return bad ?? row;
}

function ndjsonLineHandler(ctx: Ctx): LineHandler {
  const { re, capOf } = ctx.samples.line;
  const numeric = ctx.samples.numeric;
  // Fields read as numbers whose JSON text toRow can take as it is (Number() of it is JSON.parse's value);
  // schema_version is compared as text, so it goes through Number like every other field.
  const rawNumber = new Uint8Array(NCOLS);
  for (const i of numeric) if (i !== C.schema_version) rawNumber[i] = 1;
  const report = (lineNo: number, row: ReportRow | string): void => {
    if (typeof row === 'string') ctx.issue(lineNo, `line ${lineNo}`, row.startsWith('schema_version ') && row.includes('not supported') ? 'unknown_schema' : 'malformed', row);
    else ctx.onRow(row);
  };
  // The captures of the line being read, looked up by field: no object of 20 properties built per line.
  let m: RegExpExecArray = [] as unknown as RegExpExecArray;
  let bad: string | undefined;
  // What fieldsToRow's getter makes of JSON.parse's value, from the captured text.
  const captured = (i: number): string | null => {
    const k = capOf[i] as number;
    if (k === 0) return null;
    const t = m[k] as string;
    const c = t.charCodeAt(0);
    if (c === 110 /* null */) return null;
    if (c === 34 /* " */) {
      const x = t.indexOf('\\') === -1 ? t.slice(1, -1) : (JSON.parse(t) as string);
      if (numeric.has(i)) bad ??= `${fieldName(i)} must be a number or null; found the string ${clip(x)}`;
      return x === '' ? null : x;
    }
    if (c === 116 || c === 102 /* true, false */) {
      bad ??= `${fieldName(i)} has an unexpected type (boolean)`;
      return null;
    }
    if (c === 45 /* - */ || rawNumber[i] === 0) return String(Number(t));
    // Out of range: String() of it, so that the reason names what JSON.parse's value shows ("Infinity").
    const v = Number(t);
    return v <= MAX_VALUE ? t : String(v);
  };
  const fast = (text: string, at: number, lineNo: number): number => {
    re.lastIndex = at;
    const got = re.exec(text);
    if (got === null) return -1;
    m = got;
    const sv = scalar(m[capOf[C.schema_version] as number] as string);
    if (typeof sv !== 'number') report(lineNo, `schema_version must be a number; found ${clip(JSON.stringify(sv))}`);
    else {
      bad = undefined;
      const row = toRow(captured, fieldName, false, ctx.sites, ctx.samples);
      report(lineNo, bad ?? row);
    }
    return re.lastIndex;
  };
  // Any other line (another key order, blanks, a field missing or repeated, no newline after it) is read by JSON.parse.
  const line = (line: string, lineNo: number): void => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      ctx.issue(lineNo, `line ${lineNo}`, 'malformed', `not JSON: ${(err as Error).message}`);
      return;
    }
    if (!isObject(v)) {
      ctx.issue(lineNo, `line ${lineNo}`, 'malformed', 'not a JSON object');
      return;
    }
    report(lineNo, objectToRow(v, ctx.sites, ctx.samples));
  };
  return { line, fast };
}

async function readJsonDocument(head: string, it: AsyncIterator<string>, ctx: Ctx): Promise<void> {
  const parts = [head];
  let size = head.length;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    parts.push(r.value);
    size += r.value.length;
    if (size > MAX_JSON_DOCUMENT_CHARS) {
      parts.length = 0;
      await drain(it);
      ctx.issue(null, 'document', 'malformed', `a JSON document larger than ${MAX_JSON_DOCUMENT_CHARS} characters is not read whole: write NDJSON (--format ndjson) for large collections`);
      return;
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(parts.join(''));
  } catch (err) {
    ctx.issue(null, 'document', 'malformed', `not a JSON document: ${(err as Error).message}`);
    return;
  }
  // A bare array of records is accepted too (what `jq -s` makes of an NDJSON file).
  const results: unknown = Array.isArray(doc) ? doc : isObject(doc) ? doc.results : undefined;
  if (!Array.isArray(results)) {
    ctx.issue(null, 'document', 'malformed', 'a JSON result document needs a "results" array');
    return;
  }
  if (isObject(doc) && !Array.isArray(doc) && doc.schema_version !== SCHEMA_VERSION) {
    const reason = `document schema_version ${JSON.stringify(doc.schema_version)} is not supported (this qosprobe reads ${SCHEMA_VERSION})`;
    results.forEach((_, i) => ctx.issue(null, `results[${i}]`, 'unknown_schema', reason));
    return;
  }
  results.forEach((v: unknown, i) => {
    const row = objectToRow(v, ctx.sites, ctx.samples);
    if (typeof row === 'string') ctx.issue(null, `results[${i}]`, row.includes('not supported') ? 'unknown_schema' : 'malformed', row);
    else ctx.onRow(row);
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

