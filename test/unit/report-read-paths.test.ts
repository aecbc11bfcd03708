/**
 * The report reads a line in place in its chunk when it can (a regular expression per format over
 * the chunk: read.ts, csv-tokens.ts readLines' `fast`), and through the line handler otherwise (a
 * line cut by the buffer, a CR inside a cell, a key order of another writer). Both must give the
 * same rows and the same issues, with the same line numbers, for any input: read from a file with
 * the full buffer (nearly every line in place) and with a 24-byte buffer (every longer line in
 * parts, so through the handler), and from a stream cut anywhere.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyRecord, type ResultRecord } from '../../src/core/schema.js';
import { formats } from '../../src/output/formats.js';
import { newReadStats, readSource, type ReportRow } from '../../src/report/read.js';
import { textChunks } from '../../src/report/text-chunks.js';
import { tempDir } from '../helpers/temp.js';

const dir = tempDir('qosprobe-read-paths-');
let fileNo = 0;

function record(o: Partial<ResultRecord>): ResultRecord {
  return { ...emptyRecord(), schema_version: 1, started_at: '2026-11-24T08:00:00.000Z', status: 'ok', location_code: '32.73', ...o } as ResultRecord;
}

async function readFile(path: string, chunkBytes?: number) {
  const rows: ReportRow[] = [];
  const stats = newReadStats();
  await readSource({ name: 'x', path, open: () => Readable.from([]) }, (r) => rows.push(r), stats, { sites: true, chunkBytes });
  return { rows, stats };
}
async function readStream(buf: Buffer, cuts: number[]) {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, buf.length]) {
    if (c > prev) parts.push(buf.subarray(prev, c));
    prev = c;
  }
  const rows: ReportRow[] = [];
  const stats = newReadStats();
  await readSource({ name: 'x', open: () => Readable.from(parts) }, (r) => rows.push(r), stats, { sites: true, chunkBytes: 64 });
  return { rows, stats };
}

const text = fc.string({ unit: fc.constantFrom('a', 'Z', '"', '""', ',', '\r', '\n', '\r\n', '\t', 'é', '€', '😀', '=', "'", '\\', '{', '}', ':'), maxLength: 6 });
const num = fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1e16, noNaN: true }), fc.constantFrom(-0, -1, 0.5, 1e15, 1e300));
const rec = fc.record({
  site: text,
  location_name: text,
  endpoint: text,
  error_message: text,
  cell_operator: text,
  status: fc.constantFrom('ok', 'partial', 'error'),
  rtt_median_ms: num,
  loss_percent: fc.oneof(num, fc.constantFrom(100, 100.5)),
  hop: fc.constantFrom(null, 1, 2),
});
/** What a careless hand or another tool does to a line (applied to the line's text, so both formats get it). */
const damage = fc.constantFrom(
  (l: string) => l,
  (l: string) => l,
  (l: string) => l.replace(/\n$/, '\r\n'),
  (l: string) => l.replace('"rtt_median_ms":', '"rtt_median_ms":"7",').replace(',"7",', ',"rtt_median_ms":"7",'),
  (l: string) => l.replace('"schema_version":1', '"schema_version":1.0'),
  (l: string) => l.replace('"schema_version":1', '"schema_version":"1"'),
  (l: string) => l.replace('"hop":null', '"hop":true'),
  (l: string) => l.replace('"lat":null', '"lat":-0'),
  (l: string) => l.replace('"jitter_ms":null', '"jitter_ms":1e400'),
  (l: string) => l.replace('"jitter_ms":null', '"jitter_ms":2.50e15'),
  (l: string) => l.replace('"duration_ms":null', '"duration_ms":01'),
  (l: string) => l.replace(/^1,/, '2,'),
  (l: string) => l.replace(/,ok,/, ',fine,'),
  (l: string) => l.slice(0, Math.floor(l.length / 2)) + '\n',
  (l: string) => ' ' + l,
  () => '\n',
);

describe('reading a line in place and through the line handler give the same rows and issues', () => {
  it.each(['csv', 'ndjson'] as const)('property: %s, whatever the buffer and the cuts', async (fmt) => {
    const f = formats[fmt];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(rec, damage), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), async (items, cuts) => {
        const body = items.map(([o, d]) => d(f.record(record(o as Partial<ResultRecord>)))).join('');
        const buf = Buffer.from((fmt === 'csv' ? f.header() : '') + body, 'utf8');
        const path = join(dir, `f${fileNo++}.${fmt}`);
        writeFileSync(path, buf);
        const inPlace = await readFile(path);
        const inParts = await readFile(path, 24);
        const stream = await readStream(buf, cuts);
        expect(inParts.rows).toEqual(inPlace.rows);
        expect(inParts.stats).toEqual(inPlace.stats);
        expect(stream.rows).toEqual(inPlace.rows);
        expect(stream.stats).toEqual(inPlace.stats);
      }),
      { numRuns: 150 },
    );
  });

  it('CSV with CRLF line ends and a header whose last column is one the report reads: the CR is not in the cell', async () => {
    const path = join(dir, 'crlf.csv');
    writeFileSync(path, 'schema_version,started_at,rtt_median_ms,status\r\n1,2026-11-24T08:00:00.000Z,5,ok\r\n1,2026-11-24T08:00:01.000Z,6,partial\r\n');
    const { rows, stats } = await readFile(path);
    expect(stats.issues).toEqual([]);
    expect(rows.map((r) => [r.values[0], r.status])).toEqual([
      [5, 'ok'],
      [6, 'partial'],
    ]);
  });

  it('3,000 CSV rows with quoted sites, read from a file in 64 KiB pieces: every row, in order, none an issue', async () => {
    const recs = Array.from({ length: 3000 }, (_, i) => record({ rtt_median_ms: i, site: `TPS ${i}, "x"` }));
    const path = join(dir, 'many.csv');
    writeFileSync(path, formats.csv.header() + recs.map((r) => formats.csv.record(r)).join(''));
    const { rows, stats } = await readFile(path);
    expect(stats.issues).toEqual([]);
    expect(rows.map((r) => r.values[0])).toEqual(recs.map((_, i) => i));
    expect(rows[2999]?.location.site).toBe('TPS 2999, "x"');
  });
});

describe('textChunks', () => {
  it('property: the chunks joined are the file decoded as UTF-8; each chunk but the last ends a line unless a line outgrows the buffer', async () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', ',', '"'), maxLength: 40 }).map((s) => s + '\n');
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.string({ unit: fc.constantFrom('b', 'ü'), maxLength: 5 }), fc.integer({ min: 8, max: 200 }), async (lines, tail, size) => {
        const content = lines.join('') + tail;
        const path = join(dir, `t${fileNo++}.txt`);
        writeFileSync(path, content);
        const chunks: string[] = [];
        for await (const c of textChunks({ name: 'x', path, open: () => Readable.from([]) }, size)) chunks.push(c);
        expect(chunks.join('')).toBe(content);
        expect(chunks.join('')).not.toContain('\ufffd');
        // The tail (no newline) fills the buffer without ending a line when it is as long as the buffer.
        const longest = Math.max(Buffer.byteLength(tail) + 1, ...lines.map((l) => Buffer.byteLength(l)));
        if (longest <= size) for (const c of chunks.slice(0, -1)) expect(c.endsWith('\n')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a stream source gives the same text, however its chunks cut the characters', async () => {
    const content = 'é€😀,"\n'.repeat(50) + 'end';
    const buf = Buffer.from(content);
    const parts = Array.from({ length: Math.ceil(buf.length / 3) }, (_, i) => buf.subarray(3 * i, 3 * i + 3));
    const chunks: string[] = [];
    for await (const c of textChunks({ name: 'x', open: () => Readable.from(parts) }, 16)) chunks.push(c);
    expect(chunks.join('')).toBe(content);
  });
});
