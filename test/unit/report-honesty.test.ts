/**
 * Issue 14's honesty rules (docs/report.md, "Honesty rules") on a hand-computed fixture, in every
 * output format: an unreachable site never passes, loss counts the tests that lost everything,
 * too few values give no verdict, and the page header's counts agree with the table.
 *
 * fixtures/report-honesty/sites.ndjson, icmp records, TIPHON (delay = mean RTT / 2):
 *   32.73 A  4 ok (rtt 40, jitter 2, loss 0)       avail 100 % (≥ 99: 4); delay 20 → 4, jitter 2 → 3, loss 0 → 4; (4+3+4)/3 = 3.67 → memuaskan, pass
 *   91.71 B  1 ok (rtt 0.1, jitter 0, loss 0) + 2 errors (loss 100)
 *                                                  avail 1/3 = 33.3 % (< 80: fails the gate) → fail; loss (0+100+100)/3 = 66.7 → 1;
 *                                                  delay and jitter from 1 value (< min_samples 3): insufficient data
 *   96.71 C  3 errors (loss 100)                   avail 0 % → fail; loss 100 → 1; no latency at all
 *   33.74 D  19 ok + 1 error                       avail 95 % (95–99: 3, passes); loss 100/20 = 5 → 2 (fails the metric);
 *                                                  (4+3+2)/3 = 3 → memuaskan, pass (TIPHON's own rule)
 *   35.78 E  8 ok + 2 errors                       avail 80 % (80–95: 2) → fail; loss 200/10 = 20 → 1
 *   36.71 F  2 ok                                  every metric from 2 values (< 3): insufficient data, no verdict
 * Verdicts: pass A, D; fail B, C, E; no verdict F → "2 pass, 3 fail, 1 without a verdict".
 */
import { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { buildReport } from '../../src/report/pipeline.js';
import { bundledProfileNames } from '../../src/quality/registry.js';
import { loadProfile } from '../../src/quality/profiles.js';
import { parseCsvRecord } from '../../src/report/csv-tokens.js';
import { expandInputs } from '../../src/report/inputs.js';
import { renderHtml, worstGroups } from '../../src/report/render-html.js';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURE = 'fixtures/report-honesty/sites.ndjson';

const WANT: Record<string, { overall: string; pass: boolean | null; avail: number; failing: string[] }> = {
  '32.73': { overall: 'memuaskan (satisfying)', pass: true, avail: 100, failing: [] },
  '33.74': { overall: 'memuaskan (satisfying)', pass: true, avail: 95, failing: ['Packet loss'] },
  '35.78': { overall: 'fail: Availability 80–95 %', pass: false, avail: 80, failing: ['Packet loss', 'Availability'] },
  '36.71': { overall: 'insufficient data (Delay (RTT/2), Jitter, Packet loss, Availability)', pass: null, avail: 100, failing: [] },
  '91.71': { overall: 'fail: Availability < 80 %', pass: false, avail: 100 / 3, failing: ['Packet loss', 'Availability'] },
  '96.71': { overall: 'fail: Availability < 80 %', pass: false, avail: 0, failing: ['Packet loss', 'Availability'] },
};

async function run(args: string[]) {
  let out = '';
  const w = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const cli: CliIo = { stdout: w((s) => (out += s)), stderr: w(() => {}), env: {}, cwd: ROOT, signal: new AbortController().signal, setExitCode: () => {} };
  await createProgram(cli).parseAsync(['node', 'qosprobe', 'report', FIXTURE, ...args]);
  return out;
}

async function data(profile = 'tiphon') {
  const sources = await expandInputs([FIXTURE], ROOT, () => Readable.from([]));
  return buildReport(sources, { by: ['location'], profile: await loadProfile(profile, ROOT) });
}

describe('honesty rules: an unreachable site never passes (issue 14)', () => {
  it('aggregates: loss counts the tests that lost everything', async () => {
    const d = await data();
    const b = d.groups.find((g) => g.key[0] === '91.71')!;
    expect([b.records, b.ok, b.error, b.metrics.loss_percent.n, b.metrics.loss_percent.mean, b.metrics.latency_ms.n]).toEqual([3, 1, 2, 3, 200 / 3, 1]);
    const c = d.groups.find((g) => g.key[0] === '96.71')!;
    expect([c.metrics.loss_percent.mean, c.metrics.latency_ms.median]).toEqual([100, null]);
  });

  it('json: the documented rating of every site', async () => {
    const j = JSON.parse(await run(['--format', 'json']));
    const got = Object.fromEntries(
      j.groups.map((g: { key: { location: string }; availability_percent: number; rating: { overall: { label: string; pass: boolean | null }; failing: string[] } }) => [
        g.key.location,
        { overall: g.rating.overall.label, pass: g.rating.overall.pass, avail: g.availability_percent, failing: g.rating.failing },
      ]),
    );
    expect(got).toEqual(WANT);
  });

  it('csv: the same ratings; availability is a rated column', async () => {
    const lines = (await run(['--format', 'csv'])).trim().split('\n');
    const head = parseCsvRecord(lines[0]!) as string[];
    const rows = lines.slice(1).map((l) => Object.fromEntries((parseCsvRecord(l) as string[]).map((c, i) => [head[i], c])));
    for (const r of rows) {
      const w = WANT[r.location as string]!;
      expect([r.rating_overall, r.rating_overall_pass, r.failing]).toEqual([w.overall, w.pass === null ? '' : String(w.pass), w.failing.join('; ')]);
    }
    expect(rows.find((r) => r.location === '91.71')).toMatchObject({ availability_percent: '33.333', rating_availability: '< 80 %', rating_availability_pass: 'false', loss_mean_percent: '66.667' });
  });

  it('table: the same ratings, and the verdict counts', async () => {
    const out = await run([]);
    expect(out).toContain('profile tiphon: 2 pass, 3 fail, 1 without a verdict');
    for (const [loc, w] of Object.entries(WANT)) expect(out).toMatch(new RegExp(`^${loc.replace('.', '\\.')} .*${w.overall.replace(/[()]/g, '\\$&')}`, 'm'));
  });

  it('html: header counts agree with the table; unreachable sites lead the worst-groups chart', async () => {
    const d = await data();
    const html = renderHtml(d);
    const v = /id="qp-verdicts" data-pass="(\d+)" data-fail="(\d+)" data-none="(\d+)"/.exec(html)!;
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
    const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td([^>]*)>([^<]*)<\/td>/g)]);
    // the overall column is the second to last: its class says pass or fail
    const overall = rows.map((r) => r.at(-2)!);
    const count = (cls: string) => overall.filter((c) => c[1]!.includes(`class="${cls}"`)).length;
    expect([+v[1]!, +v[2]!, +v[3]!]).toEqual([2, 3, 1]);
    expect([count('pass'), count('fail'), rows.length - count('pass') - count('fail')]).toEqual([2, 3, 1]);
    expect(overall.map((c) => c[2]!.replace(/ \([\d.]+\)$/, ''))).toEqual(Object.keys(WANT).map((k) => WANT[k]!.overall.replace('<', '&lt;')));
    // 91.71 answered once in 0.1 ms: it must not look like the best site
    expect(worstGroups(d.groups).map((g) => g.key[0])).toEqual(['96.71', '91.71', '35.78', '32.73', '33.74', '36.71']);
    expect([...html.matchAll(/class="qp-worst-row" data-key="([^"]+)" data-unreachable="(\d)"/g)].map((m) => `${m[1]}:${m[2]}`)).toEqual([
      '96.71:1',
      '91.71:1',
      '35.78:1',
      '32.73:0',
      '33.74:0',
      '36.71:0',
    ]);
  });

  it.each(bundledProfileNames())('%s: the unreachable sites fail, the two-record site has no verdict', async (name) => {
    const d = await data(name);
    const by = (k: string) => d.groups.find((g) => g.key[0] === k)!.rating!.overall.pass;
    expect([by('91.71'), by('96.71'), by('35.78'), by('36.71')]).toEqual([false, false, false, null]);
  });

  it('a profile file without an availability rule gets the default gate', async () => {
    const { validateProfile } = await import('../../src/quality/profiles.js');
    const p = validateProfile({ name: 'x', title: 'x', metrics: [{ id: 'lat', label: 'Latency', metric: 'latency_ms', statistic: 'mean', bands: [{ label: 'ok', pass: true }] }], overall: { method: 'all-pass' } }, 'x.json');
    expect(p.metrics.map((m) => [m.id, m.gate ?? false])).toEqual([
      ['lat', false],
      ['availability', true],
    ]);
  });
});

describe("a profile's own availability rule is a gate too (issue 23)", () => {
  // Availability 50 % fails the profile's own rule; latency 10 ms passes the overall method on its own.
  const group = (availabilityPercent: number) => {
    const stats = (v: number | null) => ({ n: v === null ? 0 : 20, mean: v, median: v, tail: v, min: v, max: v, exact: true });
    return {
      key: ['32.73'],
      records: 20,
      availabilityPercent,
      metrics: { latency_ms: stats(10), jitter_ms: stats(null), loss_percent: stats(null), download_bps: stats(null), upload_bps: stats(null) },
    };
  };
  const profile = async (gate?: boolean) => {
    const { validateProfile } = await import('../../src/quality/profiles.js');
    const avail = { id: 'avail', label: 'Availability', metric: 'availability_percent', statistic: 'value', bands: [{ min: 99, label: '≥ 99 %', index: 4, pass: true }, { label: '< 99 %', index: 1, pass: false }], ...(gate === undefined ? {} : { gate }) };
    const lat = { id: 'lat', label: 'Latency', metric: 'latency_ms', statistic: 'mean', bands: [{ max: 100, label: 'good', index: 4, pass: true }, { label: 'bad', index: 1, pass: false }] };
    return validateProfile({ name: 'x', title: 'x', metrics: [lat, avail], overall: { method: 'mean-index', bands: [{ min: 2.5, label: 'satisfying', pass: true }, { label: 'poor', pass: false }] } }, 'x.json');
  };

  it('a rule without "gate" cannot pass a 50 %-available site (before: mean index (4 + 1) / 2 = 2.5 passed it)', async () => {
    const { rateGroup } = await import('../../src/quality/profiles.js');
    const r = rateGroup(await profile(), group(50));
    expect(r.overall).toMatchObject({ pass: false, label: 'fail: Availability < 99 %' });
    expect(rateGroup(await profile(), group(100)).overall).toMatchObject({ pass: true, label: 'satisfying' });
  });

  it('"gate": false on availability is refused, naming the path', async () => {
    await expect(profile(false)).rejects.toThrow(/metrics\[1\]\.gate.*availability is always a gate/);
  });
});

describe('presentation (issue 14)', () => {
  it('"no nominal rate in the profile" is said once, not on every row (table and html)', async () => {
    // fixtures/report: 32.73 and 32.04 have downloads, TIPHON has no nominal rate; the profile's own note says so once too
    const sources = await expandInputs(['fixtures/report'], ROOT, () => Readable.from([]));
    const d = await buildReport(sources, { by: ['location'], profile: await loadProfile('tiphon', ROOT) });
    const { renderTable } = await import('../../src/report/render-table.js');
    expect(renderTable(d).match(/not rated \(no nominal rate in the profile\)/g)).toHaveLength(1);
    const html = renderHtml(d);
    expect(html.match(/no nominal rate in the profile/g)).toHaveLength(1);
    expect(html).not.toMatch(/<th [^>]*>Throughput/); // no group could be rated on it: no column
  });

  it('report CSV numbers carry at most 3 decimals (no float noise such as 3.1826999999999988)', async () => {
    const { roundCsv } = await import('../../src/report/render-data.js');
    expect([roundCsv(3.1826999999999988), roundCsv(100 / 3), roundCsv(1200000), roundCsv(0.0004)]).toEqual([3.183, 33.333, 1200000, 0]);
    const csv = await run(['--format', 'csv']);
    const numbers = csv.split('\n').slice(1).join(',').split(',').filter((c) => /^-?\d+(\.\d+)?(e[-+]?\d+)?$/.test(c));
    expect(numbers.length).toBeGreaterThan(100);
    expect(numbers.filter((c) => /\.\d{4,}|e/.test(c))).toEqual([]);
  });

  it('--lang id|en, default from LC_ALL / LC_MESSAGES / LANG', async () => {
    const { langFromEnv } = await import('../../src/report/labels.js');
    expect([langFromEnv({ LANG: 'id_ID.UTF-8' }), langFromEnv({ LC_ALL: 'id' }), langFromEnv({ LANG: 'en_US.UTF-8' }), langFromEnv({}), langFromEnv({ LANG: 'idk' }), langFromEnv({ LC_ALL: 'C', LANG: 'id_ID' })]).toEqual([
      'id',
      'id',
      'en',
      'en',
      'en',
      'en', // LC_ALL wins over LANG
    ]);
    const id = await run(['--lang', 'id']);
    expect(id).toContain('profil tiphon: 2 lulus, 3 gagal, 1 tanpa putusan');
    expect(id).toMatch(/^location +nama +rekaman +tersedia%/m);
    expect(id).not.toContain('group(s)');
    const en = await run(['--lang', 'en']);
    expect(en).toContain('2 pass, 3 fail, 1 without a verdict');
  });
});
