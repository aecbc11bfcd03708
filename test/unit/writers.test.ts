import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formats, type RunInfo } from '../../src/output/formats.js';
import { openSink } from '../../src/output/sink.js';
import { acquireLock } from '../../src/output/lock.js';
import { FIELD_NAMES } from '../../src/core/schema.js';
import { sampleRecords } from '../helpers/records.js';
import { tempDir } from '../helpers/temp.js';

const golden = (name: string) => readFileSync(join(import.meta.dirname, '../..', 'fixtures', 'golden', name), 'utf8');
const run: RunInfo = {
  run_id: '00000000-0000-4000-8000-000000000001',
  probe_id: 'bdg-tps-017',
  location_code: '32.73',
  location_name: 'Jawa Barat / Kota Bandung',
  site: 'TPS-017, "north" gate',
  lat: -6.9147,
  lon: 107.6098,
  started_at: '2026-11-24T08:00:00.000Z',
  finished_at: '2026-11-24T08:00:02.000Z',
  status: 'completed',
  tool_version: '0.0.0-test',
};
const tmp = () => tempDir('qosprobe-out-');

function toStdout(format: 'csv' | 'ndjson' | 'json'): string {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const sink = openSink({ format, path: null, append: false, stdout: out });
  for (const r of sampleRecords()) sink.write(r);
  sink.close(run);
  return text;
}

describe('writers against golden files', () => {
  it.each([
    ['csv', 'records.csv'],
    ['ndjson', 'records.ndjson'],
    ['json', 'records.json'],
  ] as const)('%s', (format, file) => {
    expect(toStdout(format)).toBe(golden(file));
  });

  it('csv: header is the schema field list; empty cells for null; quoting where needed', () => {
    const lines = golden('records.csv').trimEnd().split('\n');
    expect(lines[0]).toBe(FIELD_NAMES.join(','));
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('"TPS-017, ""north"" gate"');
    expect(lines[1]).not.toMatch(/NaN|undefined|null/);
  });

  it('ndjson: one parseable record per line, nulls kept', () => {
    const lines = golden('records.ndjson').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((r) => r.status)).toEqual(['ok', 'error']);
    expect(lines[0]!.throughput_bps).toBeNull();
  });
});

describe('files', () => {
  it('--append twice gives one header', () => {
    const path = join(tmp(), 'r.csv');
    for (let i = 0; i < 2; i++) {
      const sink = openSink({ format: 'csv', path, append: true });
      for (const r of sampleRecords()) sink.write(r);
      sink.close(run);
    }
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('schema_version,'))).toHaveLength(1);
    expect(lines).toHaveLength(1 + 4);
  });

  it('refuses to append to a csv whose header differs, before writing anything', () => {
    const path = join(tmp(), 'other.csv');
    writeFileSync(path, 'a,b,c\n1,2,3\n');
    expect(() => openSink({ format: 'csv', path, append: true })).toThrow(/header is not qosprobe's schema v1 CSV header/);
    expect(readFileSync(path, 'utf8')).toBe('a,b,c\n1,2,3\n');
    expect(existsSync(path + '.lock')).toBe(false); // the lock is released on failure
  });

  it('appends to an older schema v1 CSV (a prefix of our columns: v1 only appends) with that file\'s columns, and says what it leaves out', () => {
    // The first v1 release wrote 77 columns; a field laptop's results.csv from then must survive an upgrade (it was refused, exit 4).
    const path = join(tmp(), 'old.csv');
    const oldCols = FIELD_NAMES.slice(0, 77);
    const oldRow = oldCols.map((n) => (n === 'schema_version' ? '1' : '')).join(',');
    writeFileSync(path, `${oldCols.join(',')}\n${oldRow}\n`);
    const notes: string[] = [];
    const sink = openSink({ format: 'csv', path, append: true, onNote: (m) => notes.push(m) });
    for (const r of sampleRecords()) sink.write(r);
    sink.close(run);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(oldCols.join(','));
    expect(lines).toHaveLength(2 + sampleRecords().length);
    // Every appended row has exactly the file's columns, in its order: the same cells as a full row's first 77.
    const full = formats.csv.streaming ? formats.csv.record(sampleRecords()[0]!) : '';
    expect(lines[2]).toBe(stringifyPrefix(full, 77));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(new RegExp(`old\\.csv: its header is an older schema v1 layout \\(77 of ${FIELD_NAMES.length} columns\\).*${FIELD_NAMES[77]}`));
  });

  it('refuses a header that is not exactly a v1 prefix (reordered, renamed, shorter than any v1 release, or longer than ours)', () => {
    const cases = [
      [...FIELD_NAMES.slice(0, 77)].reverse(),
      FIELD_NAMES.slice(0, 77).map((n, i) => (i === 40 ? n + 'x' : n)),
      FIELD_NAMES.slice(0, 76),
      [...FIELD_NAMES, 'extra'],
    ];
    for (const cols of cases) {
      const path = join(tmp(), 'bad.csv');
      writeFileSync(path, cols.join(',') + '\n');
      expect(() => openSink({ format: 'csv', path, append: true })).toThrow(expect.objectContaining({ code: 'OUTPUT_HEADER_MISMATCH' }));
      expect(readFileSync(path, 'utf8')).toBe(cols.join(',') + '\n');
    }
  });

  it('refuses to append one format to a file of another (ndjson into a CSV, csv into NDJSON)', () => {
    const dir = tmp();
    const csvPath = join(dir, 'r.csv');
    const csv = openSink({ format: 'csv', path: csvPath, append: true });
    csv.write(sampleRecords()[0]!);
    csv.close(run);
    const before = readFileSync(csvPath, 'utf8');
    expect(() => openSink({ format: 'ndjson', path: csvPath, append: true })).toThrow(/its header is not a JSON object per line/);
    expect(readFileSync(csvPath, 'utf8')).toBe(before);
    const ndPath = join(dir, 'r.ndjson');
    writeFileSync(ndPath, JSON.stringify(sampleRecords()[0]) + '\n');
    expect(() => openSink({ format: 'csv', path: ndPath, append: true })).toThrow(expect.objectContaining({ code: 'OUTPUT_HEADER_MISMATCH' }));
    expect(() => openSink({ format: 'influx', path: csvPath, append: true })).toThrow(/line protocol of the qosprobe measurement/);
  });

  it('starts on a fresh line when the file ends with a partial line', () => {
    const path = join(tmp(), 'r.ndjson');
    writeFileSync(path, '{"a":1}\n{"trunc');
    const sink = openSink({ format: 'ndjson', path, append: true });
    sink.write(sampleRecords()[0]!);
    sink.close(run);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[1]).toBe('{"trunc');
    expect(JSON.parse(lines[2]!)).toMatchObject({ status: 'ok' });
  });

  it('json goes through a temp file and rename: nothing at the target until close', () => {
    const dir = tmp();
    const path = join(dir, 'r.json');
    const sink = openSink({ format: 'json', path, append: false });
    sink.write(sampleRecords()[0]!);
    expect(existsSync(path)).toBe(false);
    sink.close(run);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ schema_version: 1, run: { status: 'completed' }, results: [{ status: 'ok' }] });
  });

  it('json with --append is a usage error', () => {
    expect(() => openSink({ format: 'json', path: join(tmp(), 'x.json'), append: true })).toThrow('--append works with csv, ndjson and influx; json is one document per run');
  });

  it('an unwritable path is OUTPUT_FAILED', () => {
    expect(() => openSink({ format: 'csv', path: '/proc/qosprobe-nope/r.csv', append: false })).toThrow(expect.objectContaining({ code: 'OUTPUT_FAILED' }));
  });

  it('a second writer to the same file is refused while the first holds the lock', () => {
    const path = join(tmp(), 'r.csv');
    const a = openSink({ format: 'csv', path, append: true });
    expect(() => openSink({ format: 'csv', path, append: true })).toThrow(expect.objectContaining({ code: 'LOCK_HELD' }));
    a.close(run);
    openSink({ format: 'csv', path, append: true }).close(run); // free again
  });

  it('a stale lock from a dead process is taken over', () => {
    const path = join(tmp(), 'x.lock');
    // pid 2^22+1 is above Linux's default pid_max range in containers: no such process.
    writeFileSync(path, `4194305 ${hostname()} 2026-01-01T00:00:00Z\n`);
    const lock = acquireLock(path);
    expect(readFileSync(path, 'utf8')).toContain(String(process.pid));
    lock.release();
    expect(existsSync(path)).toBe(false);
  });
});

describe('format registry', () => {
  it('csv and ndjson stream, json is a document', () => {
    expect(formats.csv.streaming).toBe(true);
    expect(formats.ndjson.streaming).toBe(true);
    expect(formats.json.streaming).toBe(false);
  });
});

/** The first n cells of a CSV line written by our serialiser (cells may be quoted and hold commas). */
function stringifyPrefix(line: string, n: number): string {
  const cells: string[] = [];
  let i = 0;
  const text = line.replace(/\n$/, '');
  while (cells.length < n && i <= text.length) {
    if (text[i] === '"') {
      let j = i + 1;
      for (;;) {
        if (text[j] === '"' && text[j + 1] === '"') j += 2;
        else if (text[j] === '"') break;
        else j++;
      }
      cells.push(text.slice(i, j + 1));
      i = j + 2;
    } else {
      const j = text.indexOf(',', i);
      const end = j < 0 ? text.length : j;
      cells.push(text.slice(i, end));
      i = end + 1;
    }
  }
  return cells.join(',');
}
