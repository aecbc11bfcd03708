/**
 * `qosprobe report --threads N` (issue 23: read inputs in parallel): the built CLI gives the same
 * report with worker threads as without, duplicates across files and within one included, the
 * input summary (files, issues, duplicates) in the same order.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecord, type ResultRecord } from '../../src/core/schema.js';
import { formats } from '../../src/output/formats.js';
import { ROOT, builtCliAvailable, runCli } from '../helpers/cli.js';

const CODES = ['32.73', '32.04', '31.71', '11.01.01.2001', '91.71'];
let dir: string;

function record(i: number, file: number): ResultRecord {
  const code = CODES[i % CODES.length] as string;
  const error = i % 17 === 0;
  return {
    ...emptyRecord(),
    schema_version: 1,
    run_id: `run-${file}-${Math.floor(i / 3)}`,
    probe_id: `probe-${i % 7}`,
    location_code: code,
    location_name: `Region ${code}, "quoted"`,
    site: `TPS ${i % 11}, RT ${i % 3}`,
    lat: -6.9,
    lon: 107.6,
    started_at: new Date(Date.UTC(2026, 10, 1) + file * 86_400_000 + i * 60_000).toISOString(),
    endpoint: 'gw',
    test: ['icmp', 'http', 'dns'][i % 3] as string,
    status: error ? 'error' : i % 29 === 0 ? 'partial' : 'ok',
    loss_percent: error ? 100 : (i * 7) % 13,
    rtt_median_ms: error ? null : 5 + ((i * 7919) % 997) / 10,
    jitter_ms: error ? null : ((i * 31) % 50) / 10,
  } as ResultRecord;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qp-parallel-'));
  // 8 files × 700 records: 32.73 gets 8 × 140 = 1,120 latency values, past the sketch's exact 1,024.
  for (let f = 0; f < 8; f++) {
    const recs = Array.from({ length: 700 }, (_, i) => record(i, f));
    const body = f % 2 === 0 ? formats.csv.header() + recs.map((r) => formats.csv.record(r)).join('') : recs.map((r) => formats.ndjson.record(r)).join('');
    writeFileSync(join(dir, `f${f}.${f % 2 === 0 ? 'csv' : 'ndjson'}`), body + (f === 3 ? 'not a record\n' : ''));
  }
  // f8 repeats 50 records of f2 (the spool beside results.csv), f9 holds one record twice.
  writeFileSync(join(dir, 'f8.ndjson'), Array.from({ length: 50 }, (_, i) => formats.ndjson.record(record(i, 2))).join(''));
  writeFileSync(join(dir, 'f9.ndjson'), formats.ndjson.record(record(1, 9)).repeat(2) + formats.ndjson.record(record(2, 9)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!builtCliAvailable())('report --threads: the same report as reading in order', () => {
  it('the bundled CLI has its reader thread beside it (without it, --threads silently read in one thread)', () => {
    expect(existsSync(join(ROOT, 'dist', 'bundle', 'read-worker.js'))).toBe(true);
  });

  it.each([['location'], ['province'], ['location,test']])('--by %s: identical JSON with 1 and 3 threads', async (by) => {
    const args = ['report', dir, '--by', by, '--format', 'json'];
    const [one, three] = await Promise.all([runCli([...args, '--threads', '1'], { timeoutMs: 60_000 }), runCli([...args, '--threads', '3'], { timeoutMs: 60_000 })]);
    expect([one.code, three.code]).toEqual([0, 0]);
    const a = JSON.parse(one.stdout);
    const b = JSON.parse(three.stdout);
    expect(a.input.duplicates).toBe(51);
    expect(a.input.duplicates_by_file).toEqual({ [`${dir}/f8.ndjson`]: 50, [`${dir}/f9.ndjson`]: 1 });
    expect(a.input.malformed).toBe(1);
    // Past 1,024 values a group's sum adds in another order: the means may differ in the last bits only.
    const means = (d: { groups: { metrics: Record<string, { mean: number | null; exact: boolean }> }[] }) =>
      d.groups.flatMap((g) => Object.values(g.metrics).map((m) => (m.exact ? m.mean : Math.round((m.mean ?? 0) * 1e9) / 1e9)));
    expect(means(b)).toEqual(means(a));
    const noMeans = (d: { groups: { metrics: Record<string, { mean: number | null }> }[] }) => ({
      ...d,
      groups: d.groups.map((g) => ({ ...g, metrics: Object.fromEntries(Object.entries(g.metrics).map(([k, m]) => [k, { ...m, mean: null }])) })),
    });
    expect(noMeans(b)).toEqual(noMeans(a));
    // The sketch's merge is exercised: some group is past the exact limit.
    if (by === 'province') expect(a.groups.some((g: { metrics: { latency_ms: { exact: boolean } } }) => !g.metrics.latency_ms.exact)).toBe(true);
  });

  it('geojson (sites and their coordinates) is the same with 1 and 2 threads', async () => {
    const args = ['report', dir, '--format', 'geojson'];
    const [one, two] = await Promise.all([runCli([...args, '--threads', '1'], { timeoutMs: 60_000 }), runCli([...args, '--threads', '2'], { timeoutMs: 60_000 })]);
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(two.stdout).toBe(one.stdout);
  });
});
