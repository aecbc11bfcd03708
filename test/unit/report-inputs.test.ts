/**
 * Honest inputs for `qosprobe report` (issue 23): files and folders reached through symbolic
 * links are read (loops detected), records given twice are counted once and reported, and a
 * site listed twice in --expect is expected once, with a warning.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { emptyRecord, type ResultRecord } from '../../src/core/schema.js';
import { formats } from '../../src/output/formats.js';
import { parseExpected } from '../../src/report/expect.js';
import { expandInputs, globFiles } from '../../src/report/inputs.js';
import { buildReport } from '../../src/report/pipeline.js';
import { renderJson } from '../../src/report/render-data.js';
import { renderTable } from '../../src/report/render-table.js';

const stdinNone = () => Readable.from([]);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qp-inputs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(o: Partial<ResultRecord>): ResultRecord {
  return { ...emptyRecord(), schema_version: 1, run_id: 'run-1', probe_id: 'p', started_at: '2026-11-24T08:00:00.000Z', status: 'ok', location_code: '32.73', endpoint: 'e', test: 'icmp', ...o } as ResultRecord;
}
const csv = (recs: ResultRecord[]) => formats.csv.header() + recs.map((r) => formats.csv.record(r)).join('');
const ndjson = (recs: ResultRecord[]) => recs.map((r) => formats.ndjson.record(r)).join('');
const seven = Array.from({ length: 7 }, (_, i) => record({ started_at: new Date(Date.UTC(2026, 10, 24, 8, i)).toISOString(), rtt_median_ms: 10 + i }));

describe('symbolic links are followed (issue 23: walk() kept only isFile()/isDirectory())', () => {
  beforeEach(() => {
    mkdirSync(join(dir, 'elsewhere/sub'), { recursive: true });
    writeFileSync(join(dir, 'elsewhere/x.csv'), csv(seven.slice(0, 3)));
    writeFileSync(join(dir, 'elsewhere/sub/y.csv'), csv(seven.slice(3)));
    mkdirSync(join(dir, 'results'));
    symlinkSync(join(dir, 'elsewhere/x.csv'), join(dir, 'results/link.csv'));
    symlinkSync(join(dir, 'elsewhere/sub'), join(dir, 'results/linkdir'));
  });

  it('a linked file and a linked folder are read', async () => {
    const warnings: string[] = [];
    const src = await expandInputs(['results'], dir, stdinNone, (m) => warnings.push(m));
    expect(src.map((s) => s.name)).toEqual(['results/link.csv', 'results/linkdir/y.csv']);
    expect(warnings).toEqual([]);
    const d = await buildReport(src, { by: ['location'], profile: null });
    expect(d.rows).toBe(7);
  });

  it('globs go through linked folders too', async () => {
    expect(await globFiles('results/*/*.csv', dir)).toEqual([join(dir, 'results/linkdir/y.csv')]);
    expect(await globFiles('results/**/*.csv', dir)).toEqual([join(dir, 'results/link.csv'), join(dir, 'results/linkdir/y.csv')]);
  });

  it('a loop is detected and said, not walked forever; a dangling link is said', async () => {
    symlinkSync(join(dir, 'results'), join(dir, 'results/loop'));
    symlinkSync(join(dir, 'nowhere.csv'), join(dir, 'results/dangling.csv'));
    const warnings: string[] = [];
    const src = await expandInputs(['results'], dir, stdinNone, (m) => warnings.push(m));
    expect(src.map((s) => s.name)).toEqual(['results/link.csv', 'results/linkdir/y.csv']);
    expect(warnings).toEqual([expect.stringMatching(/results\/dangling\.csv: a symbolic link to nothing \(ENOENT\)/), expect.stringMatching(/results\/loop: a symbolic link back to results.*a loop/)]);
    expect(await globFiles('results/**/*.csv', dir)).toHaveLength(2);
  });

  it('one file reached by two paths is read once', async () => {
    const src = await expandInputs(['results', 'elsewhere'], dir, stdinNone);
    expect(src.map((s) => s.name)).toEqual(['results/link.csv', 'results/linkdir/y.csv']);
  });
});

describe('records given twice are counted once and reported (issue 23: 21 → 27)', () => {
  it('results.csv and the spool (NDJSON) holding the same records: 7 counted, 7 duplicates reported', async () => {
    writeFileSync(join(dir, 'results.csv'), csv(seven));
    writeFileSync(join(dir, 'spool.ndjson'), ndjson([...seven, record({ started_at: '2026-11-24T09:00:00.000Z', rtt_median_ms: 99 })]));
    const d = await buildReport(await expandInputs(['results.csv', 'spool.ndjson'], dir, stdinNone), { by: ['location'], profile: null });
    expect([d.input.rows, d.rows, d.input.duplicates, d.input.duplicatesByFile]).toEqual([15, 8, 7, { 'spool.ndjson': 7 }]);
    expect(d.groups[0]?.records).toBe(8);
    expect(d.groups[0]?.metrics.latency_ms.mean).toBeCloseTo((10 + 11 + 12 + 13 + 14 + 15 + 16 + 99) / 8, 10);
    const json = JSON.parse(renderJson(d));
    expect([json.input.duplicates, json.input.duplicates_by_file]).toEqual([7, { 'spool.ndjson': 7 }]);
    expect(renderTable(d)).toMatch(/7 record\(s\) read more than once .*: counted once\n {2}spool\.ndjson: 7/);
  });

  it('what tells records apart: run_id, probe, endpoint, test, started_at and a trace hop; no run_id, no identity', async () => {
    const base = record({});
    const distinct = [
      base,
      record({ run_id: 'run-2' }),
      record({ probe_id: 'q' }),
      record({ endpoint: 'f' }),
      record({ test: 'tcp' }),
      record({ started_at: '2026-11-24T08:00:00.001Z' }),
      record({ test: 'trace', hop: 1 }),
      record({ test: 'trace', hop: 2 }),
    ];
    const noRunId = [record({ run_id: '' }), record({ run_id: '' })];
    writeFileSync(join(dir, 'a.ndjson'), ndjson([...distinct, ...noRunId, base, record({ test: 'trace', hop: 2 })]));
    const d = await buildReport(await expandInputs(['a.ndjson'], dir, stdinNone), { by: ['hop'], profile: null });
    expect([d.input.rows, d.input.duplicates]).toEqual([12, 2]);
    expect(d.rows).toBe(10);
  });
});

describe('--expect: a site listed twice is expected once, with a warning', () => {
  it('merged; the repeat named; coordinates from the first line that has them', () => {
    const warnings: string[] = [];
    const sites = parseExpected('32.73,TPS 1\n32.73,TPS 2\n32.73,TPS 1,-6.9,107.6\n32.73.01,TPS 1\n', 's.csv', () => true, (m) => warnings.push(m));
    expect(sites.map((s) => [s.line, s.code, s.site, s.lat])).toEqual([
      [1, '32.73', 'TPS 1', -6.9],
      [2, '32.73', 'TPS 2', null],
      [4, '32.73.01', 'TPS 1', null],
    ]);
    expect(warnings).toEqual(['--expect s.csv:3: 32.73 "TPS 1" is listed already on line 1: counted once']);
  });
});

describe('the CLI says what it skipped or merged, on stderr', () => {
  it('a symlink loop and a repeated --expect site are warnings; duplicates are in the table', async () => {
    mkdirSync(join(dir, 'results'));
    writeFileSync(join(dir, 'results/a.csv'), csv(seven));
    writeFileSync(join(dir, 'results/copy.ndjson'), ndjson(seven.slice(0, 2)));
    symlinkSync(join(dir, 'results'), join(dir, 'results/loop'));
    writeFileSync(join(dir, 'sites.csv'), '32.73,TPS 1\n32.73,TPS 1\n');
    let out = '';
    let err = '';
    const w = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    const cli: CliIo = { stdout: w((s) => (out += s)), stderr: w((s) => (err += s)), env: {}, cwd: dir, signal: new AbortController().signal, setExitCode: () => {} };
    await createProgram(cli).parseAsync(['node', 'qosprobe', 'report', 'results', '--expect', 'sites.csv', '--profile', 'none']);
    expect(err).toMatch(/qosprobe: warning: results\/loop: a symbolic link back to results.*a loop/);
    expect(err).toMatch(/qosprobe: warning: --expect sites\.csv:2: 32\.73 "TPS 1" is listed already on line 1: counted once/);
    expect(out).toMatch(/2 record\(s\) read more than once.*\n {2}results\/copy\.ndjson: 2/);
  });
});
