/**
 * The report's readers against our own writers: every character a text field can hold survives
 * csv, ndjson and json, whatever the chunk boundaries; unusable input is counted, never lost.
 */
import { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { csvOriginalText, csvSafeText } from '../../src/output/csv-cell.js';
import { formats, type RunInfo } from '../../src/output/formats.js';
import { emptyRecord, type ResultRecord } from '../../src/core/schema.js';
import { REPORT_METRICS, sampleFields } from '../../src/report/metrics.js';
import { operatorOf } from '../../src/report/group-keys.js';
import { newReadStats, readSource, type ReportRow } from '../../src/report/read.js';

const RUN: RunInfo = {
  run_id: 'r',
  probe_id: 'p',
  location_code: null,
  location_name: null,
  site: null,
  lat: null,
  lon: null,
  started_at: '2026-11-24T08:00:00.000Z',
  finished_at: null,
  status: 'completed',
  tool_version: 't',
};

type Fmt = 'csv' | 'ndjson' | 'json';
function write(fmt: Fmt, recs: ResultRecord[]): string {
  if (fmt === 'json') return formats.json.document(RUN, recs);
  const f = formats[fmt];
  return f.header() + recs.map((r) => f.record(r)).join('');
}

/** Read text through readSource, split into byte chunks at the given offsets (multi-byte characters get cut too). */
async function read(text: string, cuts: number[] = []) {
  const buf = Buffer.from(text, 'utf8');
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, buf.length]) {
    if (c > prev) chunks.push(buf.subarray(prev, c));
    prev = c;
  }
  const rows: ReportRow[] = [];
  const stats = newReadStats();
  await readSource({ name: 'x', open: () => Readable.from(chunks) }, (r) => rows.push(r), stats, { sites: true });
  return { rows, stats };
}

function record(o: Partial<ResultRecord>): ResultRecord {
  return { ...emptyRecord(), schema_version: 1, started_at: '2026-11-24T08:00:00.000Z', status: 'ok', ...o } as ResultRecord;
}

// Every awkward character a text field can hold: quotes, separators, line ends, formula triggers,
// escapes, Unicode line separators, astral characters. (Lone surrogates cannot be written as UTF-8
// at all, so no file can hold them.)
const HOSTILE = ['"', "'", ',', '\n', '\r', '\r\n', '\t', '\\', '\\"', '\u2028', '\u2029', '=', '+', '-', '@', '{', '}', '[', ';', ' ', 'é', '日本', '😀', '\u0000', '\u001f', '\ufeff'];
const text = fc.oneof(
  fc.constant(null),
  fc.array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 4 })), { minLength: 1, maxLength: 8 }).map((a) => a.join('')),
);
const nonNeg = fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1e12, noNaN: true }).map((x) => (x === 0 ? 0 : x)));
const deg = (limit: number) => fc.oneof(fc.constant(null), fc.double({ min: -limit, max: limit, noNaN: true }).map((x) => (x === 0 ? 0 : x)));
const recordArb = fc
  .record({
    run_id: text,
    probe_id: text,
    location_code: text,
    location_name: text,
    site: text,
    endpoint: text,
    test: text,
    wifi_ssid: text,
    error_message: text,
    net_iface: text,
    net_type: text,
    cell_mcc_mnc: text,
    cell_operator: text,
    status: fc.constantFrom('ok', 'partial', 'error'),
    rtt_median_ms: nonNeg,
    jitter_ms: nonNeg,
    loss_percent: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 100, noNaN: true })),
    throughput_bps: fc.oneof(fc.constant(null), fc.nat()),
    lat: deg(90),
    lon: deg(180),
  })
  .map((o) => record(o as Partial<ResultRecord>));

/** What a reader must give back for a record: '' reads as "no value" in every format (schema v1: empty cell = null). */
function expected(r: ResultRecord): Omit<ReportRow, 'startedAtMs'> {
  const t = (v: string | null) => (v === '' ? null : v);
  return {
    runId: t(r.run_id),
    probeId: t(r.probe_id),
    location: { code: t(r.location_code), name: t(r.location_name), site: t(r.site), lat: r.lat, lon: r.lon, source: 'record' },
    endpoint: t(r.endpoint),
    test: t(r.test),
    status: r.status as ReportRow['status'],
    values: sampleFields(REPORT_METRICS).map((f) => r[f] as number | null),
    hop: r.hop,
    netIface: t(r.net_iface),
    operator: operatorOf({ net_type: t(r.net_type), cell_mcc_mnc: t(r.cell_mcc_mnc), cell_operator: t(r.cell_operator) }),
    interrupted: r.error_code === 'ABORTED',
  };
}

describe('report readers round-trip what our writers write', () => {
  it.each(['csv', 'ndjson', 'json'] as const)('%s: any text in any field, any chunking → identical values, no issue', async (fmt) => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), async (recs, cuts) => {
        const { rows, stats } = await read(write(fmt, recs), cuts);
        expect(stats.issues).toEqual([]);
        expect(rows.map((r) => ({ ...r, startedAtMs: undefined }))).toEqual(recs.map((r) => ({ ...expected(r), startedAtMs: undefined })));
      }),
      { numRuns: 150 },
    );
  });

  it('NDJSON: an odd number of quotes in a text field swallows no record (issue 10 item 3)', async () => {
    // Before the fix the reader balanced CSV quotes across NDJSON lines: record 1 swallowed records 2-5.
    const recs = ['Dish 5" antenna', 'b', 'c', 'd', 'e'].map((site, i) => record({ site, location_code: '32.73', rtt_median_ms: i }));
    const { rows, stats } = await read(write('ndjson', recs));
    expect([rows.length, stats.malformed]).toEqual([5, 0]);
    expect(rows[0]?.location.site).toBe('Dish 5" antenna');
  });

  it('CSV: a CR before a newline inside a quoted cell belongs to the cell; CRLF line ends do not', async () => {
    const { rows } = await read(write('csv', [record({ site: 'a\r\nb\r', rtt_median_ms: 1 })]));
    expect(rows[0]?.location.site).toBe('a\r\nb\r');
    const crlf = write('csv', [record({ site: 'x,y', rtt_median_ms: 2 }), record({ site: 'z', rtt_median_ms: 3 })]).replace(/\n/g, '\r\n');
    const r2 = await read(crlf);
    expect(r2.rows.map((r) => r.location.site)).toEqual(['x,y', 'z']);
  });

  it('a broken line is one malformed row; the records after it are kept', async () => {
    const good = write('ndjson', [record({ rtt_median_ms: 1 }), record({ rtt_median_ms: 2 })]).split('\n');
    const { rows, stats } = await read([good[0], '{"schema_version":1,"site":"unterminated', good[1], ''].join('\n'));
    expect([rows.length, stats.malformed, stats.issues[0]?.line]).toEqual([2, 1, 2]);
  });
});

describe('CSV formula neutralisation (issue 10 item 8)', () => {
  it.each([
    ['=HYPERLINK("http://10.77.0.1","x")', `'=HYPERLINK("http://10.77.0.1","x")`],
    ['+1', "'+1"],
    ['-6.9', "'-6.9"], // as TEXT (a site named "-6.9"); numbers are never prefixed
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ["'=x", "''=x"], // already prefixed by hand: one more, so the reader gives it back
    ["'x", "'x"],
    ['TPS 5', 'TPS 5'],
    ['', ''],
  ])('%j → %j and back', (s, cell) => {
    expect(csvSafeText(s)).toBe(cell);
    expect(csvOriginalText(cell)).toBe(s);
  });

  it('is a bijection on every string', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', 'a', ' ') }), (s) => csvOriginalText(csvSafeText(s)) === s));
  });

  it('run CSV: hostile site, wifi_ssid and probe_id are neutralised, numbers stay numbers', async () => {
    const r = record({ site: '=cmd|"/c calc"!A1', wifi_ssid: '@evil', probe_id: '+probe', lat: -6.9, lon: 107.6, rtt_median_ms: 12.5 });
    const csv = write('csv', [r]);
    const cells = csv.split('\n')[1] as string;
    expect(cells).toContain(`"'=cmd|""/c calc""!A1"`);
    expect(cells).toContain(",'@evil,");
    expect(cells).toContain(",'+probe,");
    expect(cells).toContain(',-6.9,107.6,'); // lat, lon: numbers, unprefixed
    expect(cells.split(',').filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual(['-6.9']); // no cell a spreadsheet would run
    const { rows } = await read(csv);
    expect([rows[0]?.location.site, rows[0]?.probeId, rows[0]?.location.lat]).toEqual(['=cmd|"/c calc"!A1', '+probe', -6.9]);
  });
  it('report CSV: a hostile group key is neutralised; its numbers stay numbers', async () => {
    const { buildReport } = await import('../../src/report/pipeline.js');
    const { renderCsv } = await import('../../src/report/render-data.js');
    const csv = write('csv', [record({ probe_id: '=1+1', rtt_median_ms: 12.5 }), record({ probe_id: '-x', rtt_median_ms: 3 })]);
    const data = await buildReport([{ name: 'x', open: () => Readable.from([csv]) }], { by: ['probe'], profile: null });
    const lines = renderCsv(data).trim().split('\n');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(["'-x", "'=1+1"]);
    expect(lines[2]).toContain(',12.5,'); // latency mean, a number
  });
});

describe('report over an input with no records is an error (exit 3)', () => {
  async function run(args: string[], stdin?: string) {
    let out = '';
    const w = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    const cli: CliIo = { stdout: w((s) => (out += s)), stderr: w(() => {}), env: {}, cwd: `${import.meta.dirname}/../..`, signal: new AbortController().signal, setExitCode: () => {} };
    const orig = Object.getOwnPropertyDescriptor(process, 'stdin');
    if (stdin !== undefined) Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(stdin)]), configurable: true });
    try {
      await createProgram(cli).parseAsync(['node', 'qosprobe', 'report', ...args]);
      return { out, error: undefined as unknown };
    } catch (error) {
      return { out, error };
    } finally {
      if (orig) Object.defineProperty(process, 'stdin', orig);
    }
  }

  it('a config file (qosprobe.yaml) is not a result file', async () => {
    const r = await run(['fixtures/config/full.yaml']);
    expect(r.error).toMatchObject({ code: 'REPORT_INPUT_INVALID' });
    expect(String((r.error as Error).message)).toMatch(/no records.*not a qosprobe result file/s);
    expect(r.out).toBe('');
  });

  it.each([
    ['binary garbage', '\u0001\u0002\u00ff garbage\nmore'],
    ['a JSON object that is not a record', '{"hello": "world"}\n'],
    ['an empty stdin', ''],
  ])('stdin holding %s', async (_what, input) => {
    const r = await run(['-'], input);
    expect(r.error).toMatchObject({ code: 'REPORT_INPUT_INVALID' });
  });

  it('an empty file among files with records is no problem', async () => {
    const r = await run(['fixtures/report/empty.csv', 'fixtures/report/bandung.csv', '--profile', 'none']);
    expect(r.error).toBeUndefined();
    expect(r.out).toContain('32.73');
  });
});
