import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { loadRegionTable } from '../../src/config/locations.js';
import { parseTimeBound } from '../../src/report/aggregate.js';
import type { MetricStats } from '../../src/quality/metrics.js';
import { buildReport, type ReportData } from '../../src/report/pipeline.js';
import { loadProfile, rateGroup, validateProfile, type Profile } from '../../src/quality/profiles.js';
import { parseCsvRecord } from '../../src/report/csv-tokens.js';
import { expandInputs, type InputSource } from '../../src/report/inputs.js';
import { renderCsv, renderJson } from '../../src/report/render-data.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'fixtures/report');
const stdinNone = () => Readable.from([]);

async function report(inputs: string[], opts: Partial<Parameters<typeof buildReport>[1]> = {}): Promise<ReportData> {
  const sources = await expandInputs(inputs, ROOT, stdinNone);
  return buildReport(sources, { by: ['location'], profile: null, ...opts });
}
const group = (d: ReportData, ...key: string[]) => {
  const g = d.groups.find((x) => x.key.join('|') === key.join('|'));
  if (!g) throw new Error(`no group ${key.join('|')}`);
  return g;
};
const stats = (s: MetricStats) => ({ n: s.n, mean: s.mean, median: s.median, tail: s.tail, min: s.min, max: s.max });

describe('report aggregates of the fixtures (hand-computed, type 7: h = (n-1)p, q = x[⌊h⌋] + frac(h)·(x[⌊h⌋+1] − x[⌊h⌋]))', () => {
  it('mixes CSV, NDJSON and a JSON document; 32.73 gets rows from two formats', async () => {
    const table = await loadRegionTable();
    const d = await report(['fixtures/report/bandung.csv', 'fixtures/report/kab-bandung.ndjson', 'fixtures/report/jakarta.json'], { regionName: (c) => table.get(c) });
    expect(d.input.files.map((f) => [f.format, f.rows])).toEqual([
      ['csv', 6],
      ['ndjson', 4],
      ['json', 3],
    ]);
    expect(d.rows).toBe(13);
    expect(d.groups.map((g) => g.key[0])).toEqual(['31.71', '32.04', '32.73']);

    // 32.73: 6 CSV rows + 1 JSON row. Status ok ×5, partial ×1 (upload), error ×1 (tcp) => availability 5/7.
    const b = group(d, '32.73');
    expect([b.records, b.ok, b.partial, b.error]).toEqual([7, 5, 1, 1]);
    expect(b.availabilityPercent).toBeCloseTo((100 * 5) / 7, 10); // 71.428...
    expect(b.name).toBe('Jawa Barat / Kota Bandung');
    // latency (rtt_median_ms of ok/partial rows): 20, 40, 30 (csv), 50 (json); the error row's null is not a sample.
    // sorted 20,30,40,50; median h=1.5 → 30+0.5·10 = 35; p95 h=2.85 → 40+0.85·10 = 48.5; mean 140/4 = 35.
    expect(stats(b.metrics.latency_ms)).toEqual({ n: 4, mean: 35, median: 35, tail: expect.closeTo(48.5, 10), min: 20, max: 50 });
    // jitter 2,6,4,8 → sorted 2,4,6,8: median 5; p95 h=2.85 → 6+0.85·2 = 7.7; mean 20/4 = 5.
    expect(stats(b.metrics.jitter_ms)).toEqual({ n: 4, mean: 5, median: 5, tail: expect.closeTo(7.7, 10), min: 2, max: 8 });
    // loss 0,10,0,5 and the error row's 100 % (a test that lost every packet is loss too, docs/report.md "Honesty rules")
    // → 0,0,5,10,100: median h=2 → 5; p95 h=3.8 → 10+0.8·90 = 82; mean 115/5 = 23.
    expect(stats(b.metrics.loss_percent)).toEqual({ n: 5, mean: 23, median: 5, tail: expect.closeTo(82, 10), min: 0, max: 100 });
    // one download (8 Mbit/s), one partial upload (2 Mbit/s): n = 1, every statistic is the value.
    expect(stats(b.metrics.download_bps)).toEqual({ n: 1, mean: 8e6, median: 8e6, tail: 8e6, min: 8e6, max: 8e6 });
    expect(stats(b.metrics.upload_bps)).toEqual({ n: 1, mean: 2e6, median: 2e6, tail: 2e6, min: 2e6, max: 2e6 });
    expect(b.firstStartedAt).toBe('2026-11-24T08:00:00.000Z');
    expect(b.lastStartedAt).toBe('2026-11-25T10:10:00.000Z');

    // 32.04 (NDJSON): latency 100, 300: median h=0.5 → 200; p95 h=0.95 → 100+0.95·200 = 290; mean 200.
    const k = group(d, '32.04');
    expect(k.name).toBe('Jawa Barat / Kabupaten Bandung'); // from the region table, not the record's "Kab. Bandung"
    expect(k.availabilityPercent).toBe(100);
    expect(stats(k.metrics.latency_ms)).toEqual({ n: 2, mean: 200, median: 200, tail: expect.closeTo(290, 10), min: 100, max: 300 });
    // jitter 10, 30: median 20, p95 10+0.95·20 = 29, mean 20. loss 0, 5: median 2.5, p95 4.75, mean 2.5.
    expect(stats(k.metrics.jitter_ms)).toEqual({ n: 2, mean: 20, median: 20, tail: expect.closeTo(29, 10), min: 10, max: 30 });
    expect(stats(k.metrics.loss_percent)).toEqual({ n: 2, mean: 2.5, median: 2.5, tail: expect.closeTo(4.75, 10), min: 0, max: 5 });
    // download 1e6, 3e6: median 2e6; p10 h=0.1 → 1e6+0.1·2e6 = 1.2e6; mean 2e6. No upload: all null.
    expect(stats(k.metrics.download_bps)).toEqual({ n: 2, mean: 2e6, median: 2e6, tail: expect.closeTo(1.2e6, 6), min: 1e6, max: 3e6 });
    expect(stats(k.metrics.upload_bps)).toEqual({ n: 0, mean: null, median: null, tail: null, min: null, max: null });

    // 31.71 (JSON): ok + partial → availability 50 %. latency 10, 50: median 30, p95 10+0.95·40 = 48, mean 30.
    const j = group(d, '31.71');
    expect(j.availabilityPercent).toBe(50);
    expect(stats(j.metrics.latency_ms)).toEqual({ n: 2, mean: 30, median: 30, tail: expect.closeTo(48, 10), min: 10, max: 50 });
    // jitter 1, 5: median 3, p95 1+0.95·4 = 4.8, mean 3. loss 0, 20: median 10, p95 19, mean 10.
    expect(stats(j.metrics.jitter_ms)).toEqual({ n: 2, mean: 3, median: 3, tail: expect.closeTo(4.8, 10), min: 1, max: 5 });
    expect(stats(j.metrics.loss_percent)).toEqual({ n: 2, mean: 10, median: 10, tail: expect.closeTo(19, 10), min: 0, max: 20 });
    expect(d.input.malformed + d.input.unknownSchema).toBe(0);
  });

  it('--by province rolls 32.73 and 32.04 into 32 (first two digits), named from the region table', async () => {
    const d = await report(['fixtures/report/bandung.csv', 'fixtures/report/kab-bandung.ndjson', 'fixtures/report/jakarta.json'], { by: ['province'], regionName: (c) => (c === '32' ? 'Jawa Barat' : undefined) });
    expect(d.groups.map((g) => g.key[0])).toEqual(['31', '32']);
    const p = group(d, '32');
    expect(p.name).toBe('Jawa Barat');
    // records 7 + 4 = 11, ok 5 + 4 = 9 → 81.8181...
    expect([p.records, p.ok]).toEqual([11, 9]);
    expect(p.availabilityPercent).toBeCloseTo((100 * 9) / 11, 10);
    // latency 20,40,30,50,100,300 → sorted 20,30,40,50,100,300 (n=6): median h=2.5 → 40+0.5·10 = 45;
    // p95 h=4.75 → 100+0.75·200 = 250; mean 540/6 = 90.
    expect(stats(p.metrics.latency_ms)).toEqual({ n: 6, mean: 90, median: 45, tail: expect.closeTo(250, 10), min: 20, max: 300 });
    // download 8e6, 1e6, 3e6 → 1e6,3e6,8e6: median 3e6; p10 h=0.2 → 1e6+0.2·2e6 = 1.4e6; mean 12e6/3 = 4e6.
    expect(stats(p.metrics.download_bps)).toEqual({ n: 3, mean: 4e6, median: 3e6, tail: expect.closeTo(1.4e6, 6), min: 1e6, max: 8e6 });
  });

  it('--by location,endpoint and --by test split the groups', async () => {
    const d = await report(['fixtures/report/bandung.csv'], { by: ['location', 'endpoint'] });
    expect(d.groups.map((g) => g.key.join('|'))).toEqual(['32.73|dns', '32.73|speed', '32.73|web']);
    expect(group(d, '32.73', 'web').availabilityPercent).toBe(0); // the one tcp error
    const t = await report(['fixtures/report/bandung.csv', 'fixtures/report/jakarta.json'], { by: ['test'] });
    expect(t.groups.map((g) => [g.key[0], g.records])).toEqual([
      ['download', 1],
      ['icmp', 6],
      ['tcp', 1],
      ['upload', 1],
    ]);
  });

  it('--since (inclusive) / --until (exclusive) filter on started_at and count what they leave out', async () => {
    const d = await report(['fixtures/report/bandung.csv'], { sinceMs: parseTimeBound('2026-11-24T08:10:00Z')!, untilMs: parseTimeBound('2026-11-24T08:40')! });
    // kept: 08:10, 08:20, 08:30 (08:40 is the exclusive end); left out: 08:00, 08:40, 08:50
    expect([d.rows, d.filteredOut]).toEqual([3, 3]);
    expect(group(d, '32.73').metrics.latency_ms.mean).toBe(35); // (40 + 30) / 2
    expect(parseTimeBound('2026-11-24')).toBe(Date.UTC(2026, 10, 24));
    expect(parseTimeBound('yesterday')).toBeNull();
  });
});

describe('malformed rows, unknown schema versions, empty input', () => {
  it('counts and lists each unusable row with file and line, and keeps the good ones', async () => {
    const d = await report(['fixtures/report/malformed.csv', 'fixtures/report/malformed.ndjson']);
    expect(d.input.issues.map((i) => `${i.file}:${i.line}: ${i.kind}`)).toEqual([
      'fixtures/report/malformed.csv:3: malformed', // too few cells
      'fixtures/report/malformed.csv:4: unknown_schema', // schema_version 2
      'fixtures/report/malformed.csv:5: malformed', // rtt_median_ms "fast"
      'fixtures/report/malformed.csv:8: malformed', // status "bogus"
      'fixtures/report/malformed.csv:9: malformed', // quote never closed
      'fixtures/report/malformed.ndjson:2: malformed', // not JSON
      'fixtures/report/malformed.ndjson:3: unknown_schema', // schema_version 7
    ]);
    expect([d.input.malformed, d.input.unknownSchema]).toEqual([5, 2]);
    expect(d.input.issues[2]?.reason).toContain('rtt_median_ms');
    // kept: csv line 2 (25 ms), csv lines 6-7 (a quoted cell with a newline; 35 ms), ndjson line 1 (45 ms)
    const s = group(d, '35.78');
    expect(s.records).toBe(3);
    expect(stats(s.metrics.latency_ms)).toEqual({ n: 3, mean: 35, median: 35, tail: expect.closeTo(44, 10), min: 25, max: 45 }); // p95 h=1.9 → 35+0.9·10
  });

  it('an empty file is no rows and no issue; a report over nothing has no groups', async () => {
    const d = await report(['fixtures/report/empty.csv']);
    expect(d.input.files).toEqual([{ name: 'fixtures/report/empty.csv', format: 'empty', rows: 0, issues: 0 }]);
    expect([d.groups.length, d.rows, d.firstStartedAt]).toEqual([0, 0, null]);
    expect(renderCsv(d).split('\n')[1]).toBe('');
    expect(JSON.parse(renderJson(d)).groups).toEqual([]);
  });

  it('a CSV with a foreign header: one issue at line 1 and every row counted', async () => {
    const dir = tempDir('qp-report-');
    writeFileSync(join(dir, 'v2.csv'), 'schema_version,run_id,new_column\n2,a,b\n2,c,d\n');
    const d = await buildReport(await expandInputs([join(dir, 'v2.csv')], dir, stdinNone), { by: ['location'], profile: null });
    expect([d.input.unknownSchema, d.input.malformed, d.input.issues[0]?.line]).toEqual([3, 0, 1]);
  });

  it('reads stdin ("-") and sniffs NDJSON there too', async () => {
    const src: InputSource[] = await expandInputs(['-'], ROOT, () => Readable.from([readFileSync(join(FIX, 'kab-bandung.ndjson'))]));
    const d = await buildReport(src, { by: ['location'], profile: null });
    expect([d.input.files[0]?.format, d.rows]).toEqual(['ndjson', 4]);
  });

  it('directories and globs expand to result files, sorted', async () => {
    const names = (await expandInputs(['fixtures/report'], ROOT, stdinNone)).map((s) => s.name);
    expect(names).toEqual(['bandung.csv', 'empty.csv', 'jakarta.json', 'kab-bandung.ndjson', 'malformed.csv', 'malformed.ndjson'].map((n) => `fixtures/report/${n}`));
    expect((await expandInputs(['fixtures/**/*.ndjson'], ROOT, stdinNone)).map((s) => s.name)).toEqual([
      'fixtures/golden/records.ndjson',
      'fixtures/report-honesty/sites.ndjson',
      'fixtures/report/kab-bandung.ndjson',
      'fixtures/report/malformed.ndjson',
    ]);
    await expect(expandInputs(['fixtures/report/*.nothing'], ROOT, stdinNone)).rejects.toThrow(/no file matches/);
  });

  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['"a,b",,"say ""hi"""', ['a,b', '', 'say "hi"']],
    ['"multi\nline",x', ['multi\nline', 'x']],
    ['"open', 'unterminated quoted cell 1'],
    ['"a"b', 'text after the closing quote of cell 1'],
    ['a"b', 'a quote inside unquoted cell 1'],
  ])('parseCsvRecord(%j)', (text, expected) => {
    expect(parseCsvRecord(text)).toEqual(expected);
  });
});

describe('profiles: ratings from the data files, boundaries as the data says', () => {
  // 10 records, all ok: enough samples (min_samples 3) and availability 100 %, so only the metric under test decides.
  const ms = (mean: number | null): MetricStats => ({ n: mean === null ? 0 : 10, mean, median: mean, tail: mean, min: mean, max: mean, exact: true });
  const g = (o: { rtt?: number | null; jitter?: number | null; loss?: number | null; down?: number | null; up?: number | null }) => ({
    key: ['32.73'],
    records: 10,
    availabilityPercent: 100,
    metrics: { latency_ms: ms(o.rtt ?? null), jitter_ms: ms(o.jitter ?? null), loss_percent: ms(o.loss ?? null), download_bps: ms(o.down ?? null), upload_bps: ms(o.up ?? null) },
  });
  let tiphon: Profile, y1541: Profile, uso2010: Profile, uso2013: Profile;
  it('loads every bundled profile', async () => {
    [tiphon, y1541, uso2010, uso2013] = await Promise.all([loadProfile('tiphon', ROOT), loadProfile('itu-y1541', ROOT), loadProfile('uso-2010', ROOT), loadProfile('uso-2013', ROOT)]);
    await expect(loadProfile('uso-2013-vsat', ROOT)).resolves.toMatchObject({ name: 'uso-2013-vsat' });
  });

  it.each([
    // delay compared = mean RTT / 2: 299 → 149.5 (< 150: 4); 300 → 150 (150 is not < 150: 3); 600 → 300 (≤ 300: 3);
    // 602 → 301 (2); 900 → 450 (≤ 450: 2); 902 → 451 (1)
    [299, 4],
    [300, 3],
    [600, 3],
    [602, 2],
    [900, 2],
    [902, 1],
  ])('TIPHON delay: RTT mean %d ms → index %d', (rtt, index) => {
    expect(rateGroup(tiphon, g({ rtt })).metrics[0]?.index).toBe(index);
  });

  it.each([
    // loss: exactly 0 → 4; 3 → 3 (≤ 3); 3.01 → 2; 15 → 2; 15.01 → 1.  jitter: 0 → 4; 75 → 3; 75.5 → 2; 125 → 2; 300 → 1
    ['loss', 0, 4],
    ['loss', 3, 3],
    ['loss', 3.01, 2],
    ['loss', 15, 2],
    ['loss', 15.01, 1],
    ['jitter', 0, 4],
    ['jitter', 75, 3],
    ['jitter', 75.5, 2],
    ['jitter', 125, 2],
    ['jitter', 300, 1],
  ] as const)('TIPHON %s %d → index %d', (which, v, index) => {
    const r = rateGroup(tiphon, g({ [which]: v }));
    expect(r.metrics.find((m) => m.id === which)?.index).toBe(index);
  });

  it('TIPHON overall = mean index over rated metrics; throughput needs a nominal rate', () => {
    // fixture 32.73: delay 35/2 = 17.5 → 4; jitter mean 5 → 3; loss mean 3.75 → 2; throughput unrated. (4+3+2)/3 = 3 → memuaskan
    const r = rateGroup(tiphon, g({ rtt: 35, jitter: 5, loss: 3.75, down: 8e6 }));
    expect(r.overall).toEqual({ value: 3, label: 'memuaskan (satisfying)', pass: true });
    expect(r.failing).toEqual(['Packet loss']);
    expect(r.metrics[3]).toMatchObject({ id: 'throughput', index: null, band: 'no nominal rate in the profile', pass: null });
    // (4+3+1)/3 = 2.67 → kurang memuaskan, fails
    expect(rateGroup(tiphon, g({ rtt: 35, jitter: 5, loss: 20 })).overall).toMatchObject({ label: 'kurang memuaskan (less satisfying)', pass: false });
    // with a nominal 10 Mbit/s: 7.5 Mbit/s = 75 % → 3 (≥ 75); 7.4 → 74 % → 2. (4+4+4+3)/4 = 3.75 → memuaskan (3.8 is very satisfying)
    const withNominal = validateProfile({ ...tiphon, metrics: tiphon.metrics.map((m) => (m.id === 'throughput' ? { ...m, nominal_bps: { default: 10e6 } } : m)) }, 'test');
    const r2 = rateGroup(withNominal, g({ rtt: 100, jitter: 0, loss: 0, down: 7.5e6 }));
    expect(r2.metrics[3]).toMatchObject({ value: 75, index: 3 });
    expect(r2.overall).toMatchObject({ value: 3.75, label: 'memuaskan (satisfying)' });
    expect(rateGroup(withNominal, g({ down: 7.4e6 })).metrics[3]?.index).toBe(2);
    expect(rateGroup(withNominal, g({ rtt: 100, jitter: 0, loss: 0, down: 10e6 })).overall).toMatchObject({ value: 4, label: 'sangat memuaskan (very satisfying)' });
  });

  it.each([
    // IPTD = RTT mean / 2; IPDV = jitter mean; IPLR = loss mean % (bound 0.1 %). Bounds inclusive.
    [200, 50, 0.1, 'class 0'], // 100 ms, 50 ms, 0.1 %: every class-0 bound holds at its edge
    [200, 50.1, 0, 'class 2'], // IPDV over 50 → classes 0/1 fail; 100 ms ok for class 2
    [800, 10, 0, 'class 1'], // 400 ms
    [802, 60, 0, 'class 4'], // 401 ms, IPDV 60
    [2000, 60, 0, 'class 4'], // 1000 ms
    [2002, 0, 0, 'class 5 (unspecified)'],
    [100, 0, 0.11, 'class 5 (unspecified)'], // loss above 1e-3
  ])('Y.1541: RTT %d ms, IPDV %d ms, loss %d percent → %s', (rtt, jitter, loss, cls) => {
    expect(rateGroup(y1541, g({ rtt, jitter, loss })).overall.label).toBe(cls);
  });

  it('Y.1541: a bound on a metric without data does not hold; no data at all is no verdict', () => {
    expect(rateGroup(y1541, g({ rtt: 100, loss: 0 })).overall.label).toBe('class 2'); // no jitter: classes 0 and 1 cannot be confirmed
    expect(rateGroup(y1541, g({})).overall).toEqual({ value: null, label: 'no data', pass: null });
  });

  it.each([
    // PM 19/2010: latency ≤ 750 ms, loss ≤ 2 %, ≥ 256 kbit/s down, ≥ 128 kbit/s up
    [{ rtt: 750, loss: 2, down: 256_000, up: 128_000 }, 'pass', true, []],
    [{ rtt: 750.1, loss: 2, down: 256_000, up: 128_000 }, 'fail', false, ['Latency']],
    [{ rtt: 100, loss: 2.5, down: 255_999, up: 128_000 }, 'fail', false, ['Packet loss', 'Download']],
    [{ rtt: 100, loss: 0, down: 300_000 }, 'incomplete (no data: Upload)', null, []],
  ])('USO 2010 %j → %s', (o, label, pass, failing) => {
    const r = rateGroup(uso2010, g(o));
    expect([r.overall.label, r.overall.pass, r.failing]).toEqual([label, pass, failing]);
  });

  it('USO 2013: 150 ms and 1,024 kbit/s, inclusive', () => {
    expect(rateGroup(uso2013, g({ rtt: 150, down: 1_024_000 })).overall.pass).toBe(true);
    expect(rateGroup(uso2013, g({ rtt: 151, down: 1_024_000 })).failing).toEqual(['Latency']);
  });

  it('rejects a broken profile naming the path', () => {
    expect(() => validateProfile({ name: 'x', title: 'x', metrics: [{ id: 'a', label: 'a', metric: 'rtt', statistic: 'mean', bands: [] }], overall: { method: 'all-pass' } }, 'my.json')).toThrow(
      /my\.json: metrics\[0\]\.metric: expected one of latency_ms/,
    );
  });
});

describe('qosprobe report (CLI)', () => {
  function io(cwd: string) {
    let out = '';
    let err = '';
    let code = 0;
    const w = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
    const cli: CliIo = {
      stdout: w((s) => (out += s)),
      stderr: w((s) => (err += s)),
      env: {},
      cwd,
      signal: new AbortController().signal,
      setExitCode: (c) => (code = c),
    };
    return { cli, get out() { return out; }, get err() { return err; }, get code() { return code; } };
  }
  async function run(args: string[]) {
    const t = io(ROOT);
    let error: unknown;
    try {
      await createProgram(t.cli).parseAsync(['node', 'qosprobe', 'report', ...args]);
    } catch (e) {
      error = e;
    }
    return { out: t.out, err: t.err, error };
  }

  it('table by default, with names from the region table and the TIPHON rating', async () => {
    const r = await run(['fixtures/report/bandung.csv', 'fixtures/report/jakarta.json']);
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(/32\.73\s+Jawa Barat \/ Kota Bandung\s+7\s+71\.4\s+35\.0\/48\.5\/35\.0/);
    // 7 records, 5 ok: availability 71.4 % < 80 % fails the availability gate, whatever the mean index says
    expect(r.out).toMatch(/32\.73 .*fail: Availability < 80 %/);
    expect(r.out).toMatch(/31\.71 .*insufficient data \(Delay \(RTT\/2\), Jitter, Packet loss, Availability\)/); // 2 records < min_samples 3
  });

  it('csv and json formats carry the same numbers', async () => {
    const c = await run(['fixtures/report/kab-bandung.ndjson', '--format', 'csv', '--profile', 'uso-2010']);
    const [head, row] = c.out.trim().split('\n');
    const cells = parseCsvRecord(row!) as string[];
    const rec = Object.fromEntries(head!.split(',').map((h, i) => [h, cells[i]]));
    // 2 values of latency, loss and download (< min_samples 3): no verdict; availability 100 % of 4 records passes
    expect(rec).toMatchObject({ location: '32.04', records: '4', latency_median_ms: '200', latency_p95_ms: '290', download_p10_bps: '1200000', upload_mean_bps: '', rating_overall: 'insufficient data (Latency, Packet loss, Download)', rating_availability_pass: 'true', failing: '' });
    const j = JSON.parse((await run(['fixtures/report/kab-bandung.ndjson', '--format', 'json', '--by', 'province'])).out);
    expect(j.groups[0].key).toEqual({ province: '32' });
    expect(j.groups[0].metrics.download_bps).toMatchObject({ n: 2, mean: 2e6, median: 2e6, p10: 1.2e6 });
  });

  it('--strict turns unusable rows into exit code 3 (REPORT_INPUT_INVALID) naming the first', async () => {
    const r = await run(['fixtures/report/malformed.csv', '--strict']);
    expect(r.error).toMatchObject({ code: 'REPORT_INPUT_INVALID' });
    expect(String((r.error as Error).message)).toContain('fixtures/report/malformed.csv:3');
    const { exitCodeFor } = await import('../../src/core/errors.js');
    expect(exitCodeFor(r.error)).toBe(3);
  });

  it('--out writes the file; usage errors for bad --by and --since', async () => {
    const dir = tempDir('qp-report-out-');
    const r = await run(['fixtures/report/bandung.csv', '--format', 'json', '--out', join(dir, 'r.json')]);
    expect(r.error).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).groups).toHaveLength(1);
    expect((await run(['x.csv', '--by', 'city'])).error).toMatchObject({ code: 'commander.invalidArgument' });
    expect((await run(['fixtures/report/bandung.csv', '--since', 'last week'])).error).toMatchObject({ code: 'USAGE' });
  });
});

describe('CSV headers', () => {
  it('reads a v1 file written before a column was added (bandung.csv has no foreign_packets) and refuses unknown columns', async () => {
    const { FIELD_NAMES } = await import('../../src/core/schema.js');
    const head = readFileSync(join(FIX, 'bandung.csv'), 'utf8').split('\n')[0]!.split(',');
    expect(head.length).toBeLessThanOrEqual(FIELD_NAMES.length);
    const dir = tempDir('qp-report-hdr-');
    // reordered columns are read by name
    writeFileSync(join(dir, 'few.csv'), 'status,started_at,schema_version,location_code,rtt_median_ms\nok,2026-11-24T08:00:00Z,1,32.73,12.5\n');
    writeFileSync(join(dir, 'alien.csv'), 'schema_version,started_at,status,wifi_colour\n1,2026-11-24T08:00:00Z,ok,red\n');
    const d = await buildReport(await expandInputs([dir], dir, stdinNone), { by: ['location'], profile: null });
    expect(d.groups.map((g) => [g.key[0], g.metrics.latency_ms.mean])).toEqual([['32.73', 12.5]]);
    expect(d.input.issues.map((i) => [i.file, i.line, i.kind])).toEqual([
      ['alien.csv', 1, 'unknown_schema'],
      ['alien.csv', 2, 'unknown_schema'],
    ]);
    expect(d.input.issues[0]?.reason).toContain('"wifi_colour" is not a schema v1 field');
  });
});
