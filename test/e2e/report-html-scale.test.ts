/**
 * The HTML report at national scale (issue 23), in headless Chromium: a simulated month of
 * 3,006 sites (test/helpers/fleet-month.ts, 1,082,160 records through the aggregator) at
 * --by location stays under the 3 MB budget, and the page works: drill-down from the nation
 * to a district's sites, search, status filter, pages, sorting; no code or word broken; the
 * worst list counts every tie; a site that never answered is drawn dead at every --by.
 * The checks run inside the page (a script appended after the page's own) and write their
 * findings into the DOM that --dump-dom returns.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRegionTable } from '../../src/config/locations.js';
import { Aggregator } from '../../src/report/aggregate.js';
import type { GroupKey } from '../../src/report/group-keys.js';
import { loadOutline } from '../../src/report/map.js';
import { finishReport, type ReportData } from '../../src/report/pipeline.js';
import { loadProfile } from '../../src/quality/profiles.js';
import { newReadStats } from '../../src/report/read.js';
import { availabilityTies, renderHtml, unreachable } from '../../src/report/render-html.js';
import { fleetRows, fleetSites, type FleetSite } from '../helpers/fleet-month.js';
import { CHROMIUM, dumpDom } from '../helpers/chromium.js';

const ROOT = join(import.meta.dirname, '../..');
if (!CHROMIUM) console.warn('report-html-scale.test.ts: browser checks skipped, no headless Chromium at /usr/bin/chromium (apt-get install -y chromium)');
const BUDGET_BYTES = 3_000_000;

/** Run `check` (a function body returning an object) in the page after its own script; its JSON comes back. */
async function inPage(dir: string, html: string, check: string): Promise<Record<string, unknown>> {
  const file = join(dir, `page-${Math.random().toString(36).slice(2)}.html`);
  const probe = `<script>(function(){var out;try{out=(function(){${check}})();}catch(e){out={error:String(e&&e.stack||e)};}document.body.setAttribute('data-qp-test',encodeURIComponent(JSON.stringify(out)));})();</script>`;
  writeFileSync(file, html.replace(/<\/body>\s*<\/html>\s*$/, `${probe}</body></html>`));
  const dom = await dumpDom(file, { extra: ['--window-size=1400,1000'], budgetMs: 5000, timeoutMs: 90_000 });
  expect(/<div id="qp-errors"[^>]*>[^<]*/.exec(dom)?.[0]).toBe('<div id="qp-errors" data-count="0" hidden="">');
  const m = /data-qp-test="([^"]*)"/.exec(dom);
  const out = JSON.parse(decodeURIComponent(m?.[1] ?? '%7B%7D')) as Record<string, unknown>;
  expect(out.error).toBeUndefined();
  return out;
}

async function month(sites: readonly FleetSite[], by: GroupKey[], opts: { days?: number; runsPerDay?: number } = {}): Promise<{ data: ReportData; rows: number; html: string }> {
  const table = await loadRegionTable();
  const agg = new Aggregator({ by, series: true, sites: true });
  const rows = fleetRows(sites, (r) => agg.add(r), opts);
  const regionName = (c: string) => table.get(c);
  const data = finishReport(agg.result(), newReadStats(), { by, profile: await loadProfile('tiphon', ROOT), series: true, sites: true, regionName });
  return { data, rows, html: renderHtml(data, { outline: await loadOutline(), regionName }) };
}

const $ = `var q=function(s){return document.querySelector(s)},qa=function(s){return Array.prototype.slice.call(document.querySelectorAll(s))};`;

describe('HTML report: a month of 3,006 sites at --by location', () => {
  const SITES = fleetSites(3006);
  let dir = '';
  let data: ReportData;
  let html = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qp-html-scale-'));
    const m = await month(SITES, ['location']);
    data = m.data;
    html = m.html;
    console.log(`report-html-scale: ${SITES.length} sites, ${m.rows} records, ${data.groups.length} groups at --by location: page ${html.length} bytes`);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is under the 3 MB budget, one self-contained file', () => {
    expect(data.rows).toBe(3006 * 30 * 4 * 3);
    expect(html.length).toBeLessThan(BUDGET_BYTES);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '').match(/(?:src|href)=["']?(?:https?:)?\/\//g)).toBeNull();
    // no group's series as its own select entry: one grid for all, drawn on demand
    expect(html).not.toMatch(/<option value="g:/);
  });

  it('the worst list counts every tie: all dead locations at 0.0 %, members listed', () => {
    const zero = data.groups.filter((g) => unreachable(g) && g.availabilityPercent === 0);
    expect(zero.length).toBeGreaterThan(15); // more than the chart draws: the tie must be said
    const m = /<li class="qp-tie" data-availability="0\.0" data-count="(\d+)" data-shown="(\d+)">([\s\S]*?)<\/li><\/ul><\/details><\/li>/.exec(html);
    expect(m).not.toBeNull();
    expect([+m![1]!, +m![2]!]).toEqual([zero.length, 15]);
    expect(m![3]!.match(/<li>/g)).toHaveLength(zero.length);
    expect(availabilityTies(data.groups)[0]!.groups).toHaveLength(zero.length);
    // bars show the value: unavailability, so no two different availabilities share a length
    const bars = [...html.matchAll(/data-unreachable="1"><text[^>]*>[^<]*<\/text><rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((x) => +x[1]!);
    expect(bars.length).toBe(15);
  });

  it('the RTT CDF runs to p99 and states the tail', () => {
    const m = /class="muted qp-cdf-tail" data-axis-max="([\d.]+)" data-max="([\d.]+)"/.exec(html);
    expect(m).not.toBeNull();
    expect(+m![1]!).toBeLessThan(1000); // 13 s spikes are the tail, not the axis
    expect(+m![2]!).toBeGreaterThan(5000);
  });

  it.skipIf(!CHROMIUM)('in Chromium: drill-down, search, filter, pages, sort; no code broken mid-word', { timeout: 120_000 }, async () => {
    const groupsWithCode = (p: string) => data.groups.filter((g) => (g.key[0] as string).startsWith(p + '.')).length;
    const probe = SITES[1234]!;
    const out = await inPage(
      dir,
      html,
      `${$}
      var o = {}, table = q('#qp-table');
      var rowsNow = function () { return +table.getAttribute('data-rows'); };
      var firstCodes = function () { return qa('#qp-table tbody tr').map(function (r) { return r.cells[0].textContent; }); };
      // one line: the cell's content box holds less than two lines of its font
      var oneLine = function (td) { var cs = getComputedStyle(td), lh = parseFloat(cs.lineHeight) || 1.4 * parseFloat(cs.fontSize); return td.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom) < 1.5 * lh; };
      o.total = rowsNow(); o.bodyRows = table.tBodies[0].rows.length; o.pages = +q('#qp-pager').getAttribute('data-pages');
      o.provinces = qa('#qp-kids tbody tr').length;
      o.cells = qa('#qp-table td, #qp-table th, #qp-kids td').length;
      o.notOneLine = qa('#qp-table td, #qp-table th, #qp-kids td, #qp-kids th').filter(function (c) { return !oneLine(c); }).map(function (c) { return c.textContent; }).slice(0, 5);
      o.breakAnywhere = qa('th, td').filter(function (c) { var s = getComputedStyle(c); return s.overflowWrap === 'anywhere' || s.wordBreak === 'break-all'; }).length;
      var cut = qa('#qp-table td.s').filter(function (c) { return c.scrollWidth > c.clientWidth; });
      o.cutNames = cut.length; o.cutWithoutTitle = cut.filter(function (c) { return c.title !== c.textContent; }).length;
      o.pageWidth = document.documentElement.scrollWidth;
      // drill: the first province, then its first regency and district
      var prov = q('#qp-kids tbody tr'); o.prov = prov.getAttribute('data-node'); prov.click();
      o.crumb1 = q('#qp-crumbs').getAttribute('data-node'); o.regencies = qa('#qp-kids tbody tr').map(function (r) { return r.getAttribute('data-node'); });
      o.provRows = rowsNow(); o.provCodes = firstCodes();
      o.dimmed = qa('circle.qp-site.dim').length; o.zoom = +q('#qp-map').getAttribute('data-zoom');
      q('#qp-kids tbody tr').click();
      // the keyboard drills too: Enter on a focused region row
      q('#qp-kids tbody tr').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      o.crumb3 = q('#qp-crumbs').getAttribute('data-node'); o.kidsHidden = q('#qp-kids-box').hidden; o.siteBoxHidden = q('#qp-site-box').hidden;
      o.siteCodes = qa('#qp-site-list tbody tr').map(function (r) { return r.cells[1].textContent; });
      o.siteCellsOneLine = qa('#qp-site-list td').every(oneLine);
      q('#qp-crumbs a[data-node=""]').click(); o.back = rowsNow();
      // zoom and pan: buttons, wheel, drag
      var map = q('#qp-map'), r0 = +q('circle.qp-site').getAttribute('r');
      q('#qp-zoom-in').click(); o.zoomIn = +map.getAttribute('data-zoom');
      map.dispatchEvent(new WheelEvent('wheel', { deltaY: -100, clientX: 200, clientY: 200, bubbles: true, cancelable: true })); o.zoomWheel = +map.getAttribute('data-zoom');
      o.rScaled = +q('circle.qp-site').getAttribute('r') / r0;
      var vb0 = map.getAttribute('viewBox');
      map.dispatchEvent(new PointerEvent('pointerdown', { clientX: 300, clientY: 300, pointerId: 1, bubbles: true }));
      map.dispatchEvent(new PointerEvent('pointermove', { clientX: 400, clientY: 350, pointerId: 1, bubbles: true }));
      map.dispatchEvent(new PointerEvent('pointerup', { clientX: 400, clientY: 350, pointerId: 1, bubbles: true }));
      o.panned = map.getAttribute('viewBox') !== vb0;
      q('#qp-zoom-reset').click(); o.zoomReset = +map.getAttribute('data-zoom');
      // search by a site's full name (commas and quotes in it)
      var s = q('#qp-search'); s.value = ${JSON.stringify(probe.site)}; s.dispatchEvent(new Event('input'));
      o.searchRows = rowsNow(); o.searchCodes = firstCodes();
      s.value = ''; s.dispatchEvent(new Event('input'));
      var st = q('#qp-status'); st.value = 'down'; st.dispatchEvent(new Event('change')); o.downRows = rowsNow();
      st.value = 'dead'; st.dispatchEvent(new Event('change')); o.deadRows = rowsNow();
      st.value = ''; st.dispatchEvent(new Event('change'));
      var op = q('#qp-operator'); o.operators = qa('#qp-operator option').map(function (x) { return x.textContent; }).slice(1);
      op.value = String(o.operators.indexOf('SMARTFREN')); op.dispatchEvent(new Event('change')); o.smartfrenRows = rowsNow();
      op.value = ''; op.dispatchEvent(new Event('change'));
      q('#qp-pager .qp-next').click(); o.page2 = +q('#qp-pager').getAttribute('data-page'); o.page2First = firstCodes()[0]; o.page2Name = q('#qp-table tbody tr').cells[1].textContent;
      var availTh = qa('#qp-table th')[3]; availTh.click(); o.ascFirst = q('#qp-table tbody tr').cells[3].getAttribute('data-v');
      availTh.click(); o.descFirst = q('#qp-table tbody tr').cells[3].getAttribute('data-v');
      o.seriesPoints = +q('#qp-series').getAttribute('data-points');
      return o;`,
    );
    const provinces = new Set(data.groups.map((g) => (g.key[0] as string).slice(0, 2)));
    expect(out).toMatchObject({ total: data.groups.length, bodyRows: 50, pages: Math.ceil(data.groups.length / 50), provinces: provinces.size, notOneLine: [], breakAnywhere: 0, cutWithoutTitle: 0, back: data.groups.length });
    expect([out.zoomIn, out.zoomWheel, out.panned, out.zoomReset]).toEqual([1.5, 1.88, true, 1]);
    expect(out.rScaled).toBeCloseTo(1 / 1.875, 2); // points keep their size on screen
    expect(out.cells).toBeGreaterThan(1000); // the one-line check saw the table
    expect(out.cutNames).toBeGreaterThan(0); // long names are cut, with their title
    expect(out.pageWidth).toBeLessThanOrEqual(1400);
    // drill-down: the province's regencies and groups only, the map zoomed to it with the rest dimmed
    const prov = out.prov as string;
    expect(out.crumb1).toBe(prov);
    expect((out.regencies as string[]).every((r) => r.startsWith(prov + '.'))).toBe(true);
    expect(out.provRows).toBe(groupsWithCode(prov));
    expect((out.provCodes as string[]).every((c) => c.startsWith(prov + '.'))).toBe(true);
    expect(out.zoom).toBeGreaterThan(1);
    expect(out.dimmed).toBe(SITES.filter((s) => !s.code.startsWith(prov + '.')).length);
    // a district: no deeper regions, its sites listed, each code whole
    const district = out.crumb3 as string;
    expect(district).toMatch(/^\d{2}\.\d{2}\.\d{2}$/);
    expect([out.kidsHidden, out.siteBoxHidden, out.siteCellsOneLine]).toEqual([true, false, true]);
    expect(out.siteCodes).toEqual(SITES.filter((s) => s.code.startsWith(district + '.')).map((s) => s.code));
    expect([out.searchRows, out.searchCodes]).toEqual([1, [probe.code]]);
    expect(out.downRows).toBe(data.groups.filter(unreachable).length);
    expect(out.deadRows).toBe(new Set(SITES.filter((s) => s.kind === 'dead').map((s) => s.code)).size);
    expect(out.operators).toEqual(['INDOSAT', 'SMARTFREN', 'TELKOMSEL', 'XL']);
    expect(out.smartfrenRows).toBe(new Set(SITES.filter((s) => s.operator === 'SMARTFREN').map((s) => s.code)).size);
    expect([out.page2, out.page2First, out.page2Name]).toEqual([2, data.groups[50]!.key[0], data.groups[50]!.name]); // names packed as their region path come back whole
    expect([+(out.ascFirst as string), +(out.descFirst as string)]).toEqual([0, 100]);
    expect(out.seriesPoints).toBeGreaterThan(60); // the national series, drawn on demand from the grid
  });
});

describe('HTML report: the budget holds at 10,000 sites', () => {
  it('10,000 sites, 30 days, one run a day: under 3 MB', { timeout: 180_000 }, async () => {
    // The page grows with groups and sites, not records: one run a day keeps the test short; the time grid spans the same month.
    const { data, html } = await month(fleetSites(10_000), ['location'], { runsPerDay: 1 });
    console.log(`report-html-scale: 10000 sites, ${data.rows} records, ${data.groups.length} groups at --by location: page ${html.length} bytes`);
    expect(data.groups.length).toBeGreaterThan(7000);
    expect(html.length).toBeLessThan(BUDGET_BYTES);
  });
});

describe.skipIf(!CHROMIUM)('HTML report: a site that never answered is drawn dead at every --by', () => {
  const SITES = fleetSites(400, { seed: 5, deadShare: 0.03 });
  const dead = SITES.filter((s) => s.kind === 'dead');
  let dir = '';
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'qp-html-dead-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each<GroupKey>(['province', 'regency', 'district', 'location'])('--by %s', { timeout: 120_000 }, async (by) => {
    const { html } = await month(SITES, [by], { days: 3, runsPerDay: 2 });
    const out = await inPage(
      dir,
      html,
      `${$}
      var dead = qa('circle.qp-site.dead'), all = qa('circle.qp-site');
      return { all: all.length, dead: dead.map(function (c) { return c.getAttribute('data-lat') + ',' + c.getAttribute('data-lon'); }).sort(),
        deadFill: dead.map(function (c) { return getComputedStyle(c).fill; }).filter(function (f, i, a) { return a.indexOf(f) === i; }),
        otherFills: all.filter(function (c) { return !c.classList.contains('dead'); }).map(function (c) { return getComputedStyle(c).fill; }).filter(function (f) { return f === 'rgb(17, 17, 17)'; }).length,
        deadInPassing: qa('circle.qp-site.pass.dead').length };`,
    );
    expect(out.all).toBe(SITES.length);
    expect(out.dead).toEqual(dead.map((s) => `${s.lat},${s.lon}`).sort());
    expect(out.deadFill).toEqual(['rgb(17, 17, 17)']);
    expect(out.otherFills).toBe(0);
  });
});

describe.skipIf(!CHROMIUM)('HTML report: groups that are not regions', () => {
  it('--by endpoint: the drill-down walks the sites; the table keeps every group and says why', { timeout: 120_000 }, async () => {
    const sites = fleetSites(60);
    const { data, html } = await month(sites, ['endpoint'], { days: 2, runsPerDay: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'qp-html-endpoint-'));
    try {
      const prov = sites[0]!.code.slice(0, 2);
      const out = await inPage(dir, html, `${$} window.qpGo(${JSON.stringify(prov)}); return { rows: +q('#qp-table').getAttribute('data-rows'), note: q('#qp-not-regions').hidden, kids: qa('#qp-kids tbody tr').length };`);
      expect(out).toEqual({ rows: data.groups.length, note: false, kids: new Set(sites.filter((s) => s.code.startsWith(prov + '.')).map((s) => s.code.slice(0, 5))).size });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!CHROMIUM)('HTML report: hostile names stay text', () => {
  it('a site or region name with markup, a closing script tag or quotes is shown as written, never run', { timeout: 120_000 }, async () => {
    const HOSTILE = ['</script><script>qpError("ran")</script>', '<img src=x onerror=qpError(1)>', '"\'`,;\u2028\u2029', '<!-- x', '${1}'];
    const sites = fleetSites(40).map((s, i) => ({ ...s, site: `${HOSTILE[i % HOSTILE.length]} ${i}`, name: i % 7 === 0 ? `<b>${s.name}</b>` : s.name }));
    const { html } = await month(sites, ['location'], { days: 2, runsPerDay: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'qp-html-hostile-'));
    try {
      const district = sites[0]!.code.slice(0, 8);
      const out = await inPage(
        dir,
        html,
        `${$}
        window.qpGo(${JSON.stringify(district)});
        return { imgs: qa('img').length, scripts: qa('script').length, names: qa('#qp-site-list tbody tr').map(function (r) { return r.cells[0].textContent; }),
          titles: qa('circle.qp-site title').map(function (t) { return t.textContent; }).filter(function (t) { return t.indexOf('<\\/script>') >= 0; }).length };`,
      );
      expect(out.imgs).toBe(0); // the img markup is text, not an element
      expect(out.scripts).toBe(4); // the page's own three and the probe: none injected
      expect(out.names).toEqual(sites.filter((s) => s.code.startsWith(district + '.')).map((s) => s.site));
      expect(out.titles).toBeGreaterThan(0); // the map's tooltips hold the text as written
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
