/**
 * The HTML report in a real browser: headless Chromium loads the file (no network: the page's
 * CSP forbids it), runs its scripts, and --dump-dom shows the DOM after them. The page records
 * any error in #qp-errors and sets body[data-qp-ready] when its script finished.
 * Skipped, with a message, when /usr/bin/chromium is absent (apt-get install -y chromium).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadRegionTable } from '../../src/config/locations.js';
import { buildReport } from '../../src/report/pipeline.js';
import { loadProfile } from '../../src/quality/profiles.js';
import { expandInputs } from '../../src/report/inputs.js';
import { renderHtml } from '../../src/report/render-html.js';
import { tempDir } from '../helpers/temp.js';
import { CHROMIUM, dumpDom } from '../helpers/chromium.js';

const ROOT = join(import.meta.dirname, '../..');
if (!CHROMIUM) console.warn('report-html.test.ts: skipped, no headless Chromium at /usr/bin/chromium (apt-get install -y chromium)');

describe.skipIf(!CHROMIUM)('HTML report in headless Chromium', () => {
  it('renders without errors; the table holds one row per group with the aggregates', { timeout: 60_000 }, async () => {
    const table = await loadRegionTable();
    const sources = await expandInputs(['fixtures/report'], ROOT, () => Readable.from([]));
    const data = await buildReport(sources, { by: ['location'], profile: await loadProfile('tiphon', ROOT), series: true, regionName: (c) => table.get(c) });
    const dir = tempDir('qp-html-');
    const file = join(dir, 'report.html');
    const html = renderHtml(data);
    writeFileSync(file, html);
    // Self-contained: no external URL is referenced (the SVG namespace is an identifier, not a fetch).
    expect(html.replaceAll('http://www.w3.org/2000/svg', '').match(/(?:src|href)=["']?(?:https?:)?\/\//g)).toBeNull();

    const dom = await dumpDom(file);
    expect(dom).toMatch(/<body[^>]*data-qp-ready="1"/); // the page script ran to its end
    expect(dom).toMatch(/id="qp-errors" data-count="0"/); // no error, no console.error
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(dom)?.[1] ?? '';
    const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...(m[1] as string).matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]));
    // location, name, records, avail %, RTT median, p95, mean (see test/unit/report.test.ts for the arithmetic)
    expect(rows.map((r) => r.slice(0, 7))).toEqual([
      ['31.71', 'Daerah Khusus Ibukota Jakarta / Kota Administrasi Jakarta Pusat', '2', '50.0', '30.0', '48.0', '30.0'],
      ['32.04', 'Jawa Barat / Kabupaten Bandung', '4', '100.0', '200.0', '290.0', '200.0'],
      ['32.73', 'Jawa Barat / Kota Bandung', '7', '71.4', '35.0', '48.5', '35.0'],
      ['35.78', 'Jawa Timur / Kota Surabaya', '3', '100.0', '35.0', '44.0', '35.0'],
    ]);
    expect(rows[2]?.at(-1)).toBe('Packet loss, Availability'); // 32.73 fails TIPHON on loss (mean 23 %) and availability (71.4 % < 80 %)
    // charts: worst-groups bars, two CDFs (latency; download), and the time-series select drawn by the script
    expect(dom).toContain('id="qp-worst"');
    expect(dom).toMatch(/id="qp-cdf-latency"[\s\S]*?<path d="M/);
    expect(dom).toMatch(/<select id="qp-series-select"><option value="0">/);
    expect(dom).toMatch(/id="qp-series"[^>]*>[\s\S]*?class="ts"/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a script error on the page would show in the marker (the check is not vacuous)', { timeout: 60_000 }, async () => {
    const dir = tempDir('qp-html-');
    const file = join(dir, 'broken.html');
    const data = await buildReport([], { by: ['location'], profile: null });
    writeFileSync(file, renderHtml(data).replace('</body>', '<script>undefinedFunction();</script></body>'));
    const dom = await dumpDom(file);
    expect(dom).toMatch(/id="qp-errors" data-count="1"/);
    expect(dom).toContain('undefinedFunction');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.skipIf(!CHROMIUM)('HTML report: map, width, honesty in a real browser (issue 14)', () => {
  it('one point per site with coordinates over the outline, no errors, no horizontal scroll at 1400 px', { timeout: 60_000 }, async () => {
    const { loadOutline } = await import('../../src/report/map.js');
    const { LABELS } = await import('../../src/report/labels.js');
    const table = await loadRegionTable();
    // the widest table we make: two --by keys, long region names, every profile column, completeness
    const sources = await expandInputs(['fixtures/report-honesty/sites.ndjson', 'fixtures/report/jakarta.json'], ROOT, () => Readable.from([]));
    const data = await buildReport(sources, { by: ['location', 'endpoint'], profile: await loadProfile('tiphon', ROOT), series: true, sites: true, regionName: (c) => table.get(c) });
    const dir = tempDir('qp-html-');
    const file = join(dir, 'map.html');
    const html = renderHtml(data, { outline: await loadOutline(), labels: LABELS.id });
    expect(html.length).toBeLessThan(200_000); // the inlined outline keeps the page small
    // measure the page's width after layout, in the DOM the test reads back
    writeFileSync(file, html.replace('</body>', '<script>document.body.setAttribute("data-scroll-width", String(document.documentElement.scrollWidth));</script></body>'));
    const dom = await dumpDom(file, { extra: ['--window-size=1400,1000'] });
    expect(dom).toMatch(/id="qp-errors" data-count="0"/);
    expect(dom).toMatch(/<body[^>]*data-qp-ready="1"/);
    expect(Number(/data-scroll-width="(\d+)"/.exec(dom)?.[1])).toBeLessThanOrEqual(1400);
    // honesty sites with coordinates: 32.73, 91.71, 33.74, 35.78, 36.71 (96.71 has none); jakarta.json's two records have none
    const circles = [...dom.matchAll(/<circle class="qp-site (\w+)[^"]*"[^>]*data-lat="([^"]+)" data-lon="([^"]+)"/g)].map((m) => [m[1], +m[2]!, +m[3]!]);
    expect(circles).toHaveLength(5);
    expect(circles).toContainEqual(['fail', -2.5337, 140.7181]); // 91.71, unreachable: red
    expect(circles).toContainEqual(['pass', -6.9147, 107.6098]); // 32.73
    expect(dom).toMatch(/id="qp-map-note" data-points="5" data-without="\d+"/);
    expect(dom).toMatch(/<path id="qp-outline" class="land" d="M[\d.]+,[\d.]+L/);
    expect(dom).toContain('<html lang="id"');
    rmSync(dir, { recursive: true, force: true });
  });
});
