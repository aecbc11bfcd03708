/**
 * The report's readers against hostile and careless input (issue 24 items 13, 14, 15, 19, 20):
 * a stray quote, a torn first NDJSON line, very long lines and odd numbers each cost the rows
 * they are on, never the rest of the file, in time linear in the input.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyRecord, FIELD_NAMES, type ResultRecord } from '../../src/core/schema.js';
import { formats } from '../../src/output/formats.js';
import { endsInQuotes, MAX_RECORD_CHARS, MAX_RECORD_LINES } from '../../src/report/csv-tokens.js';
import { MAX_JSON_DOCUMENT_CHARS, newReadStats, readSource, type ReportRow } from '../../src/report/read.js';

function record(o: Partial<ResultRecord>): ResultRecord {
  return { ...emptyRecord(), schema_version: 1, started_at: '2026-11-24T08:00:00.000Z', status: 'ok', location_code: '32.73', ...o } as ResultRecord;
}
const csvHeader = (): string => formats.csv.header();
const csvRow = (r: ResultRecord): string => formats.csv.record(r);
const ndjsonRow = (r: ResultRecord): string => formats.ndjson.record(r);
const goods = (n: number) => Array.from({ length: n }, (_, i) => record({ rtt_median_ms: i + 1, site: `TPS ${i}` }));

async function read(chunks: Iterable<string> | AsyncIterable<string>) {
  const rows: ReportRow[] = [];
  const stats = newReadStats();
  await readSource({ name: 'x', open: () => Readable.from(chunks, { objectMode: false }) }, (r) => rows.push(r), stats, { sites: true });
  return { rows, stats };
}

/** A row of the CSV with one text cell replaced by raw (unquoted, unescaped) text. */
function csvWithRawSite(raw: string): string {
  const cells = csvRow(record({ rtt_median_ms: 7 })).replace(/\n$/, '').split(',');
  cells[FIELD_NAMES.indexOf('site')] = raw;
  return cells.join(',') + '\n';
}

describe('CSV: a quote opens a quoted cell only at the cell start (issue 24 item 13)', () => {
  it('a stray quote inside a cell costs its row only: 2,000 good rows after it are read', async () => {
    // Before: the odd quote opened a record that swallowed the rest of the file (rows_read 1, malformed 1).
    const text = csvHeader() + csvWithRawSite('Kota "Bandung') + goods(2000).map(csvRow).join('');
    const { rows, stats } = await read([text]);
    expect([rows.length, stats.malformed, stats.issues[0]?.line]).toEqual([2000, 1, 2]);
    expect(stats.issues[0]?.reason).toMatch(/quote inside unquoted cell/);
  });

  it(`an unclosed quote at a cell start costs one row: after ${MAX_RECORD_LINES} lines the rest is read again`, async () => {
    const text = csvHeader() + csvWithRawSite('"Kota Bandung') + goods(500).map(csvRow).join('');
    const { rows, stats } = await read([text]);
    expect([rows.length, stats.malformed, stats.issues[0]?.line]).toEqual([500, 1, 2]);
    expect(stats.issues[0]?.reason).toMatch(/not closed within 64 lines/);
  });

  it('an unclosed quote near the end of the file costs one row, not the rows after it', async () => {
    const text = csvHeader() + goods(3).map(csvRow).join('') + csvWithRawSite('"open') + goods(5).map(csvRow).join('');
    const { rows, stats } = await read([text]);
    expect([rows.length, stats.malformed, stats.issues[0]?.line]).toEqual([8, 1, 5]);
    expect(stats.issues[0]?.reason).toMatch(/end of the file/);
  });

  it('a quoted cell over several lines is still one record', async () => {
    const { rows, stats } = await read([csvHeader() + csvRow(record({ site: 'a\nb,"c"\n' })) + csvRow(record({ site: 'd' }))]);
    expect(stats.issues).toEqual([]);
    expect(rows.map((r) => r.location.site)).toEqual(['a\nb,"c"\n', 'd']);
  });

  it('too many cells: the message names the count', async () => {
    const { stats } = await read([csvHeader() + csvRow(record({})).replace(/\n$/, ',x,y\n')]);
    expect(stats.issues[0]?.reason).toBe(`more than ${FIELD_NAMES.length} cells, expected ${FIELD_NAMES.length}`);
  });

  it('property: garbage lines whose quotes are not at a cell start cost exactly their own lines', async () => {
    // Text with quotes anywhere except at a cell start (line start or after a comma).
    const garbage = fc
      .string({ unit: fc.constantFrom('a', '"', ',', ' ', '1', 'x', '\r', 'é'), minLength: 1, maxLength: 40 })
      .map((s) => s.replace(/(^|,)"/g, '$1x'))
      .filter((s) => s.trim() !== '' && !s.endsWith('\r'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(garbage, fc.constant(null)), { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 5 }), async (lines, cuts) => {
        let k = 0;
        const body = lines.map((g) => (g === null ? csvRow(record({ rtt_median_ms: ++k, site: 'q"uote,"x' })) : g + '\n')).join('');
        const text = csvHeader() + body;
        const chunks = splitAt(text, cuts);
        const { rows, stats } = await read(chunks);
        expect(rows.map((r) => r.values[0])).toEqual(Array.from({ length: k }, (_, i) => i + 1));
        expect(stats.malformed).toBe(lines.filter((g) => g !== null).length);
      }),
      { numRuns: 200 },
    );
  });

  it('property: endsInQuotes agrees with joining lines until parseCsvRecord can read the record', () => {
    const cell = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', ',', '\n', '"'), maxLength: 6 }).map((s) => `"${s.replace(/"/g, '""')}"`),
      fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 6 }), (cells) => {
        const rec = cells.join(',');
        const lines = rec.split('\n');
        // A well-formed record's quotes close on its last line and on no earlier one.
        let open = false;
        lines.forEach((l, i) => {
          open = endsInQuotes(l, open);
          expect(open).toBe(i < lines.length - 1);
        });
      }),
      { numRuns: 500 },
    );
  });
});

function splitAt(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of [...at, text.length]) {
    if (c > prev) out.push(text.slice(prev, c));
    prev = c;
  }
  return out;
}

describe('NDJSON sniffed line by line (issue 24 item 14)', () => {
  it('a torn first line loses that line only: 1,000 good rows after it are read', async () => {
    // Before: the sniffer took the file for one JSON document; "no records", exit 3.
    const text = '{"schema_version":1,"started_at":"2026-11-2\n' + goods(1000).map(ndjsonRow).join('');
    const { rows, stats } = await read([text]);
    expect([stats.files[0]?.format, rows.length, stats.malformed, stats.issues[0]?.line]).toEqual(['ndjson', 1000, 1, 1]);
  });

  it('a pretty-printed JSON document is still one document', async () => {
    const doc = JSON.stringify({ schema_version: 1, run: {}, results: goods(3) }, null, 2);
    const { rows, stats } = await read([doc]);
    expect([stats.files[0]?.format, rows.length, stats.malformed]).toEqual(['json', 3, 0]);
  });

  it('a JSON document larger than the cap is refused with a reason, in bounded memory', async () => {
    const chunk = ' '.repeat(1 << 20);
    async function* doc() {
      yield '{"schema_version":1,"results":[';
      for (let i = 0; i * chunk.length <= MAX_JSON_DOCUMENT_CHARS; i++) yield chunk;
      yield ']}';
    }
    const { rows, stats } = await read(doc());
    expect([rows.length, stats.malformed]).toEqual([0, 1]);
    expect(stats.issues[0]?.reason).toMatch(/larger than .* NDJSON/);
  });

  it('property: every non-blank NDJSON line is a row or one issue, whatever the chunking', async () => {
    const line = fc.oneof(
      fc.nat({ max: 1000 }).map((n) => ndjsonRow(record({ rtt_median_ms: n })).replace(/\n$/, '')),
      fc.string({ unit: fc.constantFrom('{', '}', '"', ':', ',', 'a', '1', '\\', ' '), maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 5 }), async (lines, cuts) => {
        const text = lines.join('\n') + '\n';
        const { rows, stats } = await read(splitAt(text, cuts));
        const nonBlank = lines.filter((l) => l.trim() !== '').length;
        if (stats.files[0]?.format === 'ndjson') expect(rows.length + stats.malformed + stats.unknownSchema).toBe(nonBlank);
        const good = lines.filter((l) => l.startsWith('{"schema_version":1')).length;
        if (lines[0]?.startsWith('{"schema_version":1')) expect(rows.length).toBe(good);
      }),
      { numRuns: 200 },
    );
  });
});

describe('NDJSON: the one-pass reading of qosprobe lines gives what JSON.parse gives', () => {
  const line = (o: Partial<ResultRecord>) => ndjsonRow(record(o)).replace(/\n$/, '');
  it('a key given twice: the last counts, as in JSON.parse', async () => {
    const { rows } = await read([line({ rtt_median_ms: 5 }).replace(/\}$/, ',"rtt_median_ms":7}') + '\n']);
    expect(rows[0]?.values[0]).toBe(7);
  });
  it.each([
    ['01', 'a leading zero'],
    ['1.', 'a bare decimal point'],
    ['.5', 'no integer part'],
    ['+1', 'a plus sign'],
    ['0x10', 'hex'],
    ['NaN', 'NaN'],
  ])('an unused number written %j (%s) makes the line malformed, as JSON.parse does', async (num) => {
    const { rows, stats } = await read([line({ duration_ms: 1 }).replace('"duration_ms":1', `"duration_ms":${num}`) + '\n' + line({}) + '\n']);
    expect([rows.length, stats.malformed]).toEqual([1, 1]);
    expect(stats.issues[0]?.reason).toMatch(/^not JSON/);
  });
  it('a raw control character in an unused string makes the line malformed, as JSON.parse does', async () => {
    const { stats } = await read([line({ error_message: 'x' }).replace('"error_message":"x"', '"error_message":"a\tb"') + '\n']);
    expect(stats.malformed).toBe(1);
  });
  it('property: any record read from its compact line and from the same line with blanks (JSON.parse) gives the same row', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\t', 'é', '😀', '\u2028', ',', ':', '{', '}'), maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(fc.record({ site: text, location_name: text, endpoint: text, error_message: text, rtt_median_ms: fc.double({ min: 0, max: 1e6, noNaN: true }) }), async (o) => {
        const compact = line(o);
        const spaced = JSON.stringify(JSON.parse(compact), null, 1).replace(/\n/g, ' ');
        const a = await read([compact + '\n']);
        const b = await read([spaced + '\n']);
        expect(a.stats.issues).toEqual([]);
        expect(a.rows).toEqual(b.rows);
        expect(a.rows[0]?.location.site).toBe(o.site === '' ? null : o.site);
      }),
      { numRuns: 150 },
    );
  });
});

describe('long lines: linear time, capped (issue 24 item 15)', () => {
  it.each(['csv', 'ndjson'] as const)('%s: a 48 MB line is one malformed line, read in linear time; the rows around it are kept', async (fmt) => {
    // Before: each chunk re-scanned the whole pending line (16 MB 6.2 s, 32 MB 16.3 s, 64 MB 45 s).
    const row = fmt === 'csv' ? csvRow : ndjsonRow;
    const piece = 'x'.repeat(64 * 1024);
    const pieces = (48 * 1024 * 1024) / piece.length;
    function* chunks() {
      yield (fmt === 'csv' ? csvHeader() : '') + row(record({ rtt_median_ms: 1 }));
      for (let i = 0; i < pieces; i++) yield piece;
      yield '\n' + row(record({ rtt_median_ms: 2 }));
    }
    const t0 = performance.now();
    const { rows, stats } = await read(chunks());
    const ms = performance.now() - t0;
    expect(rows.map((r) => r.values[0])).toEqual([1, 2]);
    expect(stats.malformed).toBe(1);
    expect(stats.issues[0]?.reason).toBe(`line longer than ${MAX_RECORD_CHARS} characters: skipped`);
    expect(stats.issues[0]?.line).toBe(fmt === 'csv' ? 3 : 2);
    expect(ms).toBeLessThan(10_000); // ~0.2 s here; quadratic took > 30 s
  });
});

describe('numbers are decimal and finite (issue 24 item 19)', () => {
  const rtt = FIELD_NAMES.indexOf('rtt_median_ms');
  const withRtt = (cell: string) => {
    const cells = csvRow(record({ rtt_median_ms: 1 })).replace(/\n$/, '').split(',');
    cells[rtt] = cell;
    return cells.join(',') + '\n';
  };
  it.each(['0x1F', '0b101', '0o17', 'Infinity', '+5', '1e309', '1e308', ' 5', '5 ', '-0', '1_000', '0x', '.'])('CSV cell %j is malformed', async (cell) => {
    const { rows, stats } = await read([csvHeader() + withRtt(cell) + withRtt('12.5')]);
    expect([rows.length, stats.malformed]).toEqual([1, 1]);
    expect(stats.issues[0]?.reason).toMatch(/rtt_median_ms is not a decimal number/);
  });

  it.each(['0', '12', '12.5', '1.', '.5', '1e3', '1E-3', '0.000001'])('CSV cell %j is a number', async (cell) => {
    const { rows, stats } = await read([csvHeader() + withRtt(cell)]);
    expect([rows[0]?.values[0], stats.malformed]).toEqual([Number(cell), 0]);
  });

  it('NDJSON: 1e308 is refused, so a mean can never become Infinity', async () => {
    const big = ndjsonRow(record({ rtt_median_ms: 1 })).replace('"rtt_median_ms":1', '"rtt_median_ms":1e308');
    const { rows, stats } = await read([big, big, ndjsonRow(record({ rtt_median_ms: 3 }))]);
    expect([rows.length, stats.malformed]).toEqual([1, 2]);
  });

  it('property: every decimal a writer gives for a value in range reads back as that value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 1e15, noNaN: true }), async (x) => {
        const { rows, stats } = await read([csvHeader() + withRtt(String(x))]);
        expect(stats.issues).toEqual([]);
        expect(rows[0]?.values[0]).toBe(x === 0 ? 0 : x);
      }),
      { numRuns: 200 },
    );
  });
});
