/**
 * The report is driven by its metric table (src/report/metrics.ts): a metric added as one row is
 * read from the records, aggregated per group and shown in every output format, with no other
 * edit; and every row of the bundled table appears in every format.
 *
 * The added row: dns_ms of http tests, not of error records. Site 32.73 has three http records with
 * dns_ms 10, 20, 30, plus an icmp record (dns 999) and an http error record (dns 500) that must not
 * count: n 3, mean 20, median 20, p95 (type 7: h = 2 × 0.95 = 1.9 → 20 + 0.9 × 10) 29, min 10, max 30.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FIELD_NAMES, emptyRecord, type ResultRecord } from '../../src/core/schema.js';
import { LABELS } from '../../src/report/labels.js';
import { renderGeoJson } from '../../src/report/map.js';
import { REPORT_METRICS, idParts, type ReportMetric } from '../../src/report/metrics.js';
import { buildReport, type ReportData } from '../../src/report/pipeline.js';
import { csvColumns, renderCsv, renderJson } from '../../src/report/render-data.js';
import { renderHtml } from '../../src/report/render-html.js';
import { renderTable } from '../../src/report/render-table.js';

const DNS: ReportMetric = {
  id: 'dns_ms',
  label: 'DNS lookup',
  field: 'dns_ms',
  test: 'http',
  fromErrors: false,
  tail: 'p95',
  higherIsWorse: true,
  column: { name: { en: 'DNS', id: 'DNS' }, stats: ['median', 'tail'], unit: 'ms', scale: 1, digits: 1 },
  geojson: { stats: ['median'], digits: 3 },
  cdf: { title: { en: 'CDF of DNS time', id: 'CDF waktu DNS' }, axis: 'DNS (ms)' },
};

function rec(o: Partial<ResultRecord>): ResultRecord {
  return { ...emptyRecord(), schema_version: 1, started_at: '2026-11-24T08:00:00.000Z', status: 'ok', location_code: '32.73', site: 'A', lat: -6.9, lon: 107.6, ...o } as ResultRecord;
}
const RECORDS = [
  rec({ test: 'http', dns_ms: 10, rtt_median_ms: 40 }),
  rec({ test: 'http', dns_ms: 20, rtt_median_ms: 40 }),
  rec({ test: 'http', dns_ms: 30, rtt_median_ms: 40 }),
  rec({ test: 'icmp', dns_ms: 999, rtt_median_ms: 40 }),
  rec({ test: 'http', dns_ms: 500, status: 'error' }),
];
/** Half the records as CSV (the schema's columns; no value here needs quoting), half as NDJSON: both readers take the field. */
const csvText = [FIELD_NAMES.join(','), ...RECORDS.slice(0, 2).map((r) => FIELD_NAMES.map((f) => (r[f] === null ? '' : String(r[f]))).join(','))].join('\n') + '\n';
const ndjsonText = RECORDS.slice(2)
  .map((r) => JSON.stringify(r))
  .join('\n');
const sources = () => [
  { name: 'a.csv', open: () => Readable.from([csvText]) },
  { name: 'b.ndjson', open: () => Readable.from([ndjsonText]) },
];

const report = (metrics?: readonly ReportMetric[]): Promise<ReportData> => buildReport(sources(), { by: ['location'], profile: null, series: true, sites: true, metrics });

describe('a report metric is one row of the metric table', () => {
  it('an added row is read, aggregated and shown in csv, json, table, html and geojson', async () => {
    const data = await report([...REPORT_METRICS, DNS]);
    expect(data.input.issues).toEqual([]);
    const want = { n: 3, mean: 20, median: 20, p95: 29, min: 10, max: 30 };

    const csv = renderCsv(data).trim().split('\n');
    const cols = (csv[0] as string).split(',');
    const row = (csv[1] as string).split(',');
    const at = (c: string) => row[cols.indexOf(c)];
    expect(['dns_n', 'dns_mean_ms', 'dns_median_ms', 'dns_p95_ms', 'dns_min_ms', 'dns_max_ms'].map(at)).toEqual(['3', '20', '20', '29', '10', '30']);

    const json = JSON.parse(renderJson(data)) as { groups: { metrics: Record<string, unknown> }[] };
    expect(json.groups[0]?.metrics.dns_ms).toEqual({ ...want, exact: true });

    const table = renderTable(data, LABELS.en);
    expect(table).toContain('dns med/p95 ms');
    expect(table).toMatch(/20\.0\/29\.0/);

    const html = renderHtml(data, { labels: LABELS.id });
    expect(html).toContain('>DNS median ms</th>');
    expect(html).toContain('>DNS p95 ms</th>');
    expect(html).toContain('data-v="29">29.0</td>');
    expect(html).toContain('id="qp-cdf-dns"');
    expect(html).toContain('CDF waktu DNS');
    expect(html).toContain('DNS lookup from dns_ms (test http)');

    const geo = JSON.parse(renderGeoJson(data)) as { features: { properties: Record<string, unknown> }[] };
    expect(geo.features[0]?.properties.dns_median_ms).toBe(20);
  });

  it('control: without the row, no format has it (the checks above are about the row)', async () => {
    const data = await report();
    expect([renderCsv(data), renderJson(data), renderTable(data), renderHtml(data), renderGeoJson(data)].filter((out) => /dns/i.test(out))).toEqual([]);
  });

  it('every row of the bundled table appears in every format', async () => {
    const data = await report();
    const csvHead = csvColumns(data);
    const json = JSON.parse(renderJson(data)) as { groups: { metrics: Record<string, unknown> }[] };
    const table = renderTable(data, LABELS.en);
    const html = renderHtml(data, { labels: LABELS.en });
    const geo = JSON.parse(renderGeoJson(data)) as { features: { properties: Record<string, unknown> }[] };
    for (const m of REPORT_METRICS) {
      const { name, unit } = idParts(m.id);
      expect(csvHead, m.id).toContain(`${name}_${m.tail}_${unit}`);
      expect(Object.keys(json.groups[0]?.metrics ?? {}), m.id).toContain(m.id);
      expect(table, m.id).toContain(`${m.column.name.en.toLowerCase()} `);
      // A column with no value in any group is left out of the page (issue 23) and named in its note instead.
      const head = `${m.column.name.en} ${m.column.stats[0] === 'median' ? 'median' : 'mean'} ${m.column.unit}`;
      const hasValue = data.groups.some((g) => g.metrics[m.id as keyof typeof g.metrics].n > 0);
      if (hasValue) expect(html, m.id).toContain(`>${head}</th>`);
      else expect(/id="qp-dropped">([^<]*)/.exec(html)?.[1], m.id).toContain(head);
      expect(html, m.id).toContain(`${m.label} from ${m.field}`);
      const props = Object.keys(geo.features[0]?.properties ?? {});
      expect(props.some((p) => p.startsWith(`${name}_`)), m.id).toBe(true);
    }
  });
});
