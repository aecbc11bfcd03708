/**
 * Roll-ups at every region level (--by province|regency|district|village|location) on a generated
 * data set of many sites, named from the region table; and --expect with present, silent and
 * unknown sites.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { loadRegionTable, type RegionTable } from '../../src/config/locations.js';
import { formats } from '../../src/output/formats.js';
import { emptyRecord, type ResultRecord } from '../../src/core/schema.js';
import { parseExpected } from '../../src/report/expect.js';
import { tempDir } from '../helpers/temp.js';

let table: RegionTable;
let dir: string;
/** village code → records generated there */
const villages: { code: string; site: string; n: number }[] = [];

async function run(args: string[]) {
  let out = '';
  let err = '';
  const w = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const cli: CliIo = { stdout: w((s) => (out += s)), stderr: w((s) => (err += s)), env: {}, cwd: dir, signal: new AbortController().signal, setExitCode: () => {} };
  await createProgram(cli).parseAsync(['node', 'qosprobe', 'report', 'data.ndjson', ...args]);
  return { out, err };
}

beforeAll(async () => {
  table = await loadRegionTable();
  dir = tempDir('qp-regions-');
  // 3 provinces × 2 regencies × 2 districts × 3 villages = 36 villages, 1-3 records each.
  for (const prov of table.children('').slice(0, 3))
    for (const reg of table.children(prov).slice(0, 2))
      for (const dis of table.children(reg).slice(0, 2))
        for (const vil of table.children(dis).slice(0, 3)) villages.push({ code: vil, site: `TPS ${villages.length + 1}`, n: 1 + (villages.length % 3) });
  const recs: ResultRecord[] = [];
  let i = 0;
  for (const v of villages)
    for (let k = 0; k < v.n; k++)
      recs.push({ ...emptyRecord(), schema_version: 1, started_at: new Date(Date.UTC(2026, 10, 24, 8, i++)).toISOString(), status: 'ok', location_code: v.code, site: v.site, lat: -6.9, lon: 107.6, test: 'icmp', rtt_median_ms: 10 + k, jitter_ms: 1, loss_percent: 0 } as ResultRecord);
  // one record tagged at regency level only: it cannot be placed in a district
  const coarse = villages[0]!.code.slice(0, 5);
  recs.push({ ...emptyRecord(), schema_version: 1, started_at: '2026-11-24T12:00:00.000Z', status: 'ok', location_code: coarse, site: 'regency office', test: 'icmp', rtt_median_ms: 5 } as ResultRecord);
  writeFileSync(join(dir, 'data.ndjson'), recs.map((r) => formats.ndjson.record(r)).join(''));
});

describe('--by any region level', () => {
  it.each([
    ['province', 2],
    ['regency', 5],
    ['district', 8],
    ['village', 13],
  ] as const)('--by %s groups by the code prefix of %d characters, named from the region table', async (level, len) => {
    const j = JSON.parse((await run(['--by', level, '--format', 'json', '--profile', 'none'])).out);
    const want = new Map<string, number>();
    for (const v of villages) want.set(v.code.slice(0, len), (want.get(v.code.slice(0, len)) ?? 0) + v.n);
    const coarse = villages[0]!.code.slice(0, 5);
    // the regency-level record: in its province and regency; "(coarser: …)" below that
    const extra = len <= 5 ? coarse.slice(0, len) : `(coarser: ${coarse})`;
    want.set(extra, (want.get(extra) ?? 0) + 1);
    const got = new Map<string, number>(j.groups.map((g: { key: Record<string, string>; records: number }) => [g.key[level], g.records]));
    expect(got).toEqual(want);
    for (const g of j.groups as { key: Record<string, string>; name: string | null }[]) {
      const code = g.key[level]!;
      expect(g.name).toBe(code.startsWith('(') ? null : table.get(code));
    }
  });

  it('--by location keeps the full code; region keys combine with others', async () => {
    const j = JSON.parse((await run(['--by', 'location', '--format', 'json', '--profile', 'none'])).out);
    expect(j.groups).toHaveLength(villages.length + 1);
    const k = JSON.parse((await run(['--by', 'regency,test', '--format', 'json', '--profile', 'none'])).out);
    expect(k.groups.map((g: { key: Record<string, string> }) => Object.keys(g.key))).toEqual(Array(6).fill(['regency', 'test']));
  });
});

describe('--expect SITES.csv', () => {
  it('lists silent sites per group, counts completeness, reports unknown codes', async () => {
    const present = villages.slice(0, 3); // the first district's three villages
    const district = present[0]!.code.slice(0, 8);
    const otherVillage = table.children(district)[5]!; // a village of the same district with no records
    const silentElsewhere = table.children(table.children(table.children('')[5]!)[0]!)[0]!; // a district in a province with no records
    writeFileSync(
      join(dir, 'sites.csv'),
      [
        'location_code,site,lat,lon',
        ...present.map((v) => `${v.code},${v.site},-6.9,107.6`),
        `${otherVillage},"TPS 99, north gate",-6.95,107.65`,
        `${silentElsewhere},TPS far`,
        '99.99.99.9999,TPS nowhere',
        'bandung,TPS typo',
      ].join('\n') + '\n',
    );
    const j = JSON.parse((await run(['--by', 'district', '--expect', 'sites.csv', '--format', 'json'])).out);
    expect(j.expected.silent).toEqual([
      { code: otherVillage, site: 'TPS 99, north gate', lat: -6.95, lon: 107.65 },
      { code: silentElsewhere, site: 'TPS far', lat: null, lon: null },
    ]);
    expect(j.expected.unknown.map((u: { line: number; unknown: string }) => [u.line, /not in the region table|expected a region code/.test(u.unknown)])).toEqual([
      [7, true],
      [8, true],
    ]);
    const g = (k: string) => j.groups.find((x: { key: { district: string } }) => x.key.district === k);
    // 4 expected in the first district, 1 silent: 75 % complete, below the 95 % gate: fails whatever its metrics
    expect(g(district).expected).toMatchObject({ sites: 4, completeness_percent: 75 });
    expect(g(district).rating.overall).toMatchObject({ label: 'fail: 1 of 4 expected site(s) silent', pass: false });
    // a district with no record at all appears, as a group of 0 records that fails
    expect(g(silentElsewhere.slice(0, 8))).toMatchObject({ records: 0, availability_percent: null, expected: { sites: 1, completeness_percent: 0 }, rating: { overall: { pass: false } } });
    // districts without expected sites are unchanged
    expect(g(villages[3]!.code.slice(0, 8)).expected).toBeNull();

    const t = await run(['--by', 'district', '--expect', 'sites.csv']);
    expect(t.out).toContain('2 of 5 expected site(s) sent no record');
    expect(t.out).toContain(`${otherVillage}  TPS 99, north gate`);
    expect(t.out).toMatch(/sites\.csv:7: 99\.99\.99\.9999 {2}TPS nowhere: 99\.99\.99\.9999 is not in the region table/);
    const c = (await run(['--by', 'district', '--expect', 'sites.csv', '--format', 'csv'])).out;
    expect(c.split('\n')[0]).toMatch(/,expected_sites,silent_sites,completeness_percent,silent$/);
  });

  it('parses quoting, an optional header, and refuses a broken line naming it', () => {
    const known = () => true;
    expect(parseExpected('32.73,"A, B"\n\n# comment\n32.73.01,C,-6.9,107.6\n', 's.csv', known).map((s) => [s.line, s.code, s.site, s.lat])).toEqual([
      [1, '32.73', 'A, B', null],
      [4, '32.73.01', 'C', -6.9],
    ]);
    expect(() => parseExpected('location_code,site\n32.73\n', 's.csv', known)).toThrow(/s\.csv:2: 1 cell/);
    expect(() => parseExpected('32.73,A,-91,0\n', 's.csv', known)).toThrow(/s\.csv:1: lat is not a number of degrees/);
    expect(() => parseExpected('32.73,A,-6.9\n', 's.csv', known)).toThrow(/both lat and lon/);
  });
});
