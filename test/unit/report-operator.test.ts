/** report --by operator / --by interface (issue 22): each link's records grouped by its operator, hand-checked. */
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { operatorOf } from '../../src/report/group-keys.js';
import { expandInputs } from '../../src/report/inputs.js';
import { buildReport, type ReportData } from '../../src/report/pipeline.js';

const ROOT = join(import.meta.dirname, '../..');
// fixtures/links/records.json: one site, three links: wwan0 (Telkomsel 510-10) 40, 60, 50 ms; wwan1 (XL 510-11) 80 ms
// and an error record (100 % loss); wlan0 (Wi-Fi) 10, 14 ms.
async function report(by: ('operator' | 'interface' | 'location')[]): Promise<ReportData> {
  const sources = await expandInputs(['fixtures/links/records.json'], ROOT, () => Readable.from([]));
  return buildReport(sources, { by, profile: null });
}
const group = (d: ReportData, ...key: string[]) => d.groups.find((g) => g.key.join('|') === key.join('|'))!;

describe('report --by operator', () => {
  it('one group per operator (MCC-MNC and name), Wi-Fi by its type; latency and availability per operator', async () => {
    const d = await report(['operator']);
    expect(d.groups.map((g) => g.key[0]).sort()).toEqual(['510-10 TELKOMSEL', '510-11 XL Axiata', 'wireless']);
    // Telkomsel: 40, 50, 60 → median 50, mean 50; 3 of 3 ok.
    const t = group(d, '510-10 TELKOMSEL');
    expect([t.records, t.ok, t.error]).toEqual([3, 3, 0]);
    expect(t.metrics.latency_ms).toMatchObject({ n: 3, median: 50, mean: 50, min: 40, max: 60 });
    // XL: one ok (80 ms), one error → availability 50 %; loss samples 0 and 100 → mean 50.
    const x = group(d, '510-11 XL Axiata');
    expect([x.records, x.ok, x.error]).toEqual([2, 1, 1]);
    expect(x.availabilityPercent).toBe(50);
    expect(x.metrics.latency_ms).toMatchObject({ n: 1, median: 80 });
    expect(x.metrics.loss_percent).toMatchObject({ n: 2, mean: 50 });
    // Wi-Fi: 10, 14 → median 12 (h = 0.5: 10 + 0.5·4).
    expect(group(d, 'wireless').metrics.latency_ms).toMatchObject({ n: 2, median: 12 });
  });

  it('--by location,interface: the per-site comparison of links', async () => {
    const d = await report(['location', 'interface']);
    expect(d.groups.map((g) => g.key.join('|'))).toEqual(['32.73|wlan0', '32.73|wwan0', '32.73|wwan1']);
  });

  it.each([
    [{ net_type: 'cellular', cell_mcc_mnc: '510-10', cell_operator: 'TELKOMSEL' }, '510-10 TELKOMSEL'],
    [{ net_type: 'cellular', cell_mcc_mnc: null, cell_operator: 'TELKOMSEL' }, 'TELKOMSEL'],
    [{ net_type: 'cellular', cell_mcc_mnc: '510-10', cell_operator: null }, '510-10'],
    [{ net_type: 'wired', cell_mcc_mnc: null, cell_operator: null }, 'wired'],
    // A wired record never carries another link's radio identity as its operator.
    [{ net_type: 'wireless', cell_mcc_mnc: '510-10', cell_operator: 'TELKOMSEL' }, 'wireless'],
    [{ net_type: null, cell_mcc_mnc: null, cell_operator: null }, null],
  ])('operatorOf(%j) = %j', (r, want) => {
    expect(operatorOf(r)).toBe(want);
  });
});
