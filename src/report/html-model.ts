/**
 * What the HTML report's script works from (issue 23): one compact JSON document in a
 * <script type="application/json">, so the page holds thousands of groups and sites within its
 * size budget and draws only what is selected. Rows are arrays in column order; each site
 * carries its own counts; the time series of every group sits on one common grid, coarse
 * enough that all of them fit SERIES_VALUE_BUDGET values, and regions are summed from them
 * on demand.
 */
import { isRegionKey } from './group-keys.js';
import { shown, statsOf } from './metrics.js';
import type { ReportData, ReportGroup } from './pipeline.js';
import { fmt, statName } from './render-table.js';
import type { Labels } from './labels.js';
import type { MapProjection } from './map.js';
import { unreachable } from './html-charts.js';
import { siteDead } from './site-acc.js';

/** A column: k = code (never wrapped), s = text (one line, ellipsis, title), n = number (digits d of value / s), r = rich cell. */
export interface Col {
  h: string;
  t: 'k' | 's' | 'n' | 'r';
  d?: number;
  s?: number;
}

/** A cell: a number or null (n), text (k, s), or [text, class, sort value] (r). */
export type Cell = number | string | null | [string, string, number | string | null];

/** Series values kept on the page, all groups together: 10,000 groups get ~30 points each, 1,000 get ~300. */
export const SERIES_VALUE_BUDGET = 300_000;

export interface PageModel {
  by: string[];
  cols: Col[];
  /** Per group, its cells in column order; a rich cell (column type r) is an index into rc. */
  rows: (Cell | number)[][];
  /** The distinct rich cells. */
  rc: Cell[];
  /** Per group: verdict letter p / f / n, then "d" when unreachable. */
  st: string[];
  /** Per group: the region code it sits in for the drill-down, null when it has none, 0 when it is the group's first region key. */
  gc: (string | null | 0)[];
  /** Column of the first region key, -1 without one. */
  rk: number;
  /** Per group: records, ok, partial, error. */
  gk: [number, number, number, number][];
  /** Column index of the overall rating, -1 without a profile. */
  ov: number;
  /** Per site: code (0: the group's code), site, lat, lon, records, ok, partial, error, group index, silent (1/0), operator (index into ops, -1 none). */
  sites: [string | null | 0, string | null, number | null, number | null, number, number, number, number, number, number, number][];
  /** The cellular operators the sites' records named, sorted. */
  ops: string[];
  /** Region names by code (province, regency, district) for the drill-down. */
  names: Record<string, string>;
  /** Per group series on one grid: t0 + i × w ms; each group's values joined by commas, empty for no value. */
  ser: { t0: number; w: number; n: number; v: (string | null)[] } | null;
  proj: MapProjection | null;
  /** Metric columns left out because no group has a value. */
  dropped: string[];
  L: Record<string, string>;
}

const CODE = /^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$/;
const r3 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);
const r5 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e5) / 1e5);

/** The region code a group sits in: its first region key's value, the code inside "(coarser: 32.73)", else null. */
export function groupCode(by: readonly string[], g: ReportGroup): string | null {
  const i = by.findIndex((k) => isRegionKey(k as never));
  if (i === -1) return null;
  const v = g.key[i] as string;
  const m = /^\(coarser: (.+)\)$/.exec(v);
  const code = m ? (m[1] as string) : v;
  return CODE.test(code) ? code : null;
}

/** The table's columns and every group's cells; metric columns with no value in any group are left out (issue 23). */
export function tableModel(data: ReportData, t: Labels): { cols: Col[]; rows: Cell[][]; ov: number; dropped: string[] } {
  const p = data.profile;
  // A profile metric no group could be rated on gets no column: for want of a nominal rate it is said once below the
  // table (notRatedLines); for want of any value (upload when nobody ran one) it joins the columns left out.
  const why = (p?.metrics ?? []).map((_, i) => data.groups.map((g) => g.rating?.metrics[i]?.missing));
  const ratedCols = why.map((w) => data.groups.length === 0 || !w.every((x) => x === 'no nominal rate' || x === 'no data'));
  const unratedNoData = (p?.metrics ?? []).filter((_, i) => !ratedCols[i] && !why[i]!.includes('no nominal rate')).map((m) => m.label);
  const stats = data.metrics.flatMap((m) => m.column.stats.map((st) => ({ m, st, h: `${m.column.name[t.lang]} ${statName(m, st, t, false)} ${m.column.unit}` })));
  const keep = stats.map(({ m, st }) => data.groups.length === 0 || data.groups.some((g) => shown(statsOf(g.metrics, m), st) !== null));
  const cols: Col[] = [
    ...data.by.map((k): Col => ({ h: k, t: isRegionKey(k) ? 'k' : 's' })),
    { h: t.name, t: 's' },
    { h: t.records, t: 'n', d: 0 },
    { h: t.availPct, t: 'n', d: 1 },
    ...stats.filter((_, i) => keep[i]).map(({ m, h }): Col => ({ h, t: 'n', d: m.column.digits, ...(m.column.scale !== 1 ? { s: m.column.scale } : {}) })),
  ];
  const grouped = data.expected?.grouped === true;
  if (grouped) cols.push({ h: t.completePct, t: 'r' });
  let ov = -1;
  if (p) {
    cols.push(...p.metrics.filter((_, i) => ratedCols[i]).map((m): Col => ({ h: m.label, t: 'r' })));
    ov = cols.length;
    cols.push({ h: p.name, t: 'r' }, { h: t.fails, t: 'r' });
  }
  const cls = (pass: boolean | null | undefined) => (pass === false ? 'fail' : pass === true ? 'pass' : '');
  const rows = data.groups.map((g): Cell[] => {
    const r: Cell[] = [...g.key, g.name ?? '', g.records, r3(g.availabilityPercent)];
    stats.forEach(({ m, st }, i) => {
      if (keep[i]) r.push(r3(shown(statsOf(g.metrics, m), st)));
    });
    if (grouped) r.push(g.expected ? [`${fmt(g.expected.completenessPercent)} (${g.expected.sites - g.expected.silent.length}/${g.expected.sites})`, 'n', r3(g.expected.completenessPercent)] : ['–', '', '']);
    if (p) {
      if (g.rating) {
        g.rating.metrics.forEach((mr, i) => {
          if (!ratedCols[i]) return;
          // "no nominal rate" is said once under the table, not in every row
          r.push(mr.missing === 'no nominal rate' ? ['–', '', ''] : [mr.band, cls(mr.pass), r3(mr.index) ?? mr.band]);
        });
        const o = g.rating.overall;
        const failing = g.rating.failing.join(', ');
        r.push([o.label + (o.value !== null ? ` (${o.value.toFixed(2)})` : ''), cls(o.pass), r3(o.value) ?? o.label], [failing, '', failing]);
      } else r.push(...ratedCols.filter(Boolean).map((): Cell => ['', '', '']), ['', '', ''], ['', '', '']);
    }
    return r;
  });
  return { cols, rows, ov, dropped: [...stats.filter((_, i) => !keep[i]).map((s) => s.h), ...unratedNoData] };
}

/**
 * Rich cells (ratings, completeness) as indexes into one table of distinct cells: a few dozen
 * bands and verdicts repeat over thousands of rows, and were half the page at 10,000 sites.
 */
export function internRich(cols: readonly Col[], rows: Cell[][]): { rows: (Cell | number)[][]; rc: Cell[] } {
  const rc: Cell[] = [];
  const at = new Map<string, number>();
  const out = rows.map((r) =>
    r.map((c, j) => {
      if ((cols[j] as Col).t !== 'r' || !Array.isArray(c)) return c;
      const k = JSON.stringify(c);
      let i = at.get(k);
      if (i === undefined) at.set(k, (i = rc.push(c) - 1));
      return i;
    }),
  );
  return { rows: out, rc };
}

/** Region names for the drill-down: the region table's, else the parts of the groups' "Province / Regency / …" names. */
function regionNames(data: ReportData, codes: Iterable<string>, regionName?: (code: string) => string | undefined): Record<string, string> {
  const names: Record<string, string> = {};
  const by = data.by;
  for (const g of data.groups) {
    const c = groupCode(by, g);
    if (c === null || g.name === null) continue;
    const parts = g.name.split(' / ');
    const prefixes = [2, 5, 8, 13].filter((n) => n <= c.length).map((n) => c.slice(0, n));
    // Villages are named in their group's row already: only the levels the drill-down walks.
    if (parts.length === prefixes.length) prefixes.forEach((pre, i) => pre.length < 13 && (names[pre] ??= parts[i] as string));
  }
  for (const c of codes) {
    const n = regionName?.(c);
    if (n !== undefined) names[c] = n.split(' / ').at(-1) as string;
  }
  return names;
}

/**
 * Every group's latency series on one grid: the widest bucket any group coarsened to, doubled
 * until all groups together fit SERIES_VALUE_BUDGET values. Within a bucket, points are
 * weighted by their records. Values under 10 ms keep one decimal, larger ones none: a chart
 * needs no more, and the page stays small.
 */
export function seriesGrid(groups: readonly ReportGroup[]): PageModel['ser'] {
  const withSeries = groups.filter((g) => (g.series?.t.length ?? 0) > 1);
  if (withSeries.length === 0) return null;
  let w = Math.max(...withSeries.map((g) => g.series!.widthMs));
  let lo = Infinity;
  let hi = -Infinity;
  for (const g of withSeries) {
    for (const t of g.series!.t) {
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
    }
  }
  const buckets = () => Math.floor(hi / w) - Math.floor(lo / w) + 1;
  while (buckets() * groups.length > SERIES_VALUE_BUDGET && buckets() > 2) w *= 2;
  const t0 = Math.floor(lo / w) * w;
  const n = buckets();
  const v = groups.map((g) => {
    const s = g.series;
    if (s === null || s.t.length <= 1) return null;
    const sum = new Array<number>(n).fill(0);
    const cnt = new Array<number>(n).fill(0);
    const means = s.means.latency_ms;
    for (let j = 0; j < s.t.length; j++) {
      const m = means?.[j];
      if (m === undefined || Number.isNaN(m)) continue;
      const i = Math.floor(((s.t[j] as number) - t0) / w);
      sum[i]! += m * (s.records[j] as number);
      cnt[i]! += s.records[j] as number;
    }
    return cnt
      .map((c, i) => {
        if (!c) return '';
        const mean = sum[i]! / c;
        const k = mean < 10 ? 10 : 1;
        return String(Math.round(mean * k) / k);
      })
      .join(',')
      .replace(/,+$/, '');
  });
  return { t0, w, n, v };
}

/** The page's model, and the table's cells in full (the server draws the first page from them). */
export function pageModel(data: ReportData, t: Labels, projection: MapProjection | null, regionName?: (code: string) => string | undefined): { model: PageModel; cells: Cell[][] } {
  const { cols, rows: cells, ov, dropped } = tableModel(data, t);
  const { rows, rc } = internRich(cols, cells);
  const sites: PageModel['sites'] = [];
  const ops = [...new Set(data.groups.flatMap((g) => g.sites.map((s) => s.operator)).filter((o): o is string => o !== null))].sort();
  const op = (o: string | null) => (o === null ? -1 : ops.indexOf(o));
  data.groups.forEach((g, gi) => {
    // 0 for "the group's own code", the usual case at --by location: the page stays small.
    const c = groupCode(data.by, g);
    const code = (x: string | null) => (x !== null && x === c ? 0 : x);
    for (const s of g.sites) sites.push([code(s.code), s.site, r5(s.lat), r5(s.lon), s.records, s.ok, s.partial, s.error, gi, 0, op(s.operator)]);
    for (const s of g.expected?.silent ?? []) sites.push([code(s.code), s.site, r5(s.lat), r5(s.lon), 0, 0, 0, 0, gi, 1, -1]);
  });
  const gc = data.groups.map((g) => groupCode(data.by, g));
  const rk = data.by.findIndex((k) => isRegionKey(k));
  // The name column: "Province / Regency / District / Village" as [village] when the path is the regions' names.
  const nameAt = data.by.length;
  const path = (code: string) => [2, 5, 8].filter((n) => n < code.length).map((n) => names[code.slice(0, n)]);
  const codes = new Set<string>();
  for (const c of [...gc, ...sites.map((s) => s[0])]) {
    if (c === null || c === 0 || !CODE.test(c)) continue;
    for (const n of [2, 5, 8]) if (c.length >= n) codes.add(c.slice(0, n));
  }
  const names = regionNames(data, codes, regionName);
  const deadIn = new Set(sites.filter((s) => siteDead({ ok: s[5], partial: s[6] })).map((s) => s[8]));
  const model: PageModel = {
    by: data.by,
    cols,
    rows: rows.map((r, i) => {
      const c = gc[i];
      const name = r[nameAt];
      if (c === null || c === undefined || typeof name !== 'string') return r;
      const p = path(c);
      const prefix = p.join(' / ') + ' / ';
      if (p.length === 0 || p.some((x) => x === undefined) || !name.startsWith(prefix) || name.slice(prefix.length).includes(' / ')) return r;
      const out = r.slice();
      out[nameAt] = [name.slice(prefix.length)] as unknown as Cell;
      return out;
    }),
    rc,
    rk,
    gc: gc.map((c, i) => (c !== null && rk !== -1 && data.groups[i]!.key[rk] === c ? 0 : c)),
    st: data.groups.map((g, i) => (g.rating?.overall.pass === true ? 'p' : g.rating?.overall.pass === false ? 'f' : 'n') + (unreachable(g) ? 'd' : '') + (deadIn.has(i) ? 'x' : '')),
    gk: data.groups.map((g) => [g.records, g.ok, g.partial, g.error]),
    ov,
    sites,
    ops,
    names,
    ser: seriesGrid(data.groups),
    proj: projection,
    dropped,
    L: {
      national: t.national,
      regions: t.regions,
      sites: t.sites,
      dead: t.deadSites,
      records: t.records,
      avail: t.availPct,
      name: t.name,
      code: t.code,
      site: t.site,
      rowsOf: t.rowsOf('{a}', '{b}', '{n}'),
      prev: t.prev,
      next: t.next,
      neverAnswered: t.dead,
      group: t.group,
      operator: t.operator,
    },
  };
  return { model, cells };
}
