/**
 * One self-contained HTML report: no network (a Content-Security-Policy forbids any fetch),
 * no libraries. Charts are inline SVG drawn here; small inline scripts sort the table and
 * draw the per-group time series. Errors on the page are written into #qp-errors so a
 * headless browser test can read them from the DOM.
 */
import { idParts, shown, sourceText, statsOf, type MetricId } from './metrics.js';
import { AVAILABILITY_PASS_PERCENT } from '../quality/profiles.js';
import type { ReportData, ReportGroup } from './pipeline.js';
import { LABELS, type Labels } from './labels.js';
import { mapSvg, type Outline } from './map.js';
import { fmt, fmtMetric, issueLines, notRatedLines, statName, verdictCounts } from './render-table.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
/** JSON inside <script>: no "</script>" or "<!--" can end it early. */
const jsonForScript = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

const W = 640;
const H = 260;
const PAD = { l: 56, r: 16, t: 12, b: 36 };

function niceTicks(max: number, n = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function axes(xMax: number, yLabels: { v: number; text: string }[], xLabel: string, xFmt: (v: number) => string): string {
  const pw = W - PAD.l - PAD.r;
  const ph = H - PAD.t - PAD.b;
  let s = `<line x1="${PAD.l}" y1="${PAD.t + ph}" x2="${PAD.l + pw}" y2="${PAD.t + ph}" class="ax"/><line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${PAD.t + ph}" class="ax"/>`;
  for (const t of niceTicks(xMax)) {
    const x = PAD.l + (xMax > 0 ? (t / xMax) * pw : 0);
    s += `<line x1="${x.toFixed(1)}" y1="${PAD.t + ph}" x2="${x.toFixed(1)}" y2="${PAD.t + ph + 4}" class="ax"/><text x="${x.toFixed(1)}" y="${PAD.t + ph + 16}" text-anchor="middle">${esc(xFmt(t))}</text>`;
  }
  for (const { v, text } of yLabels) {
    const y = PAD.t + ph - v * ph;
    s += `<line x1="${PAD.l}" y1="${y.toFixed(1)}" x2="${PAD.l + pw}" y2="${y.toFixed(1)}" class="grid"/><text x="${PAD.l - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(text)}</text>`;
  }
  s += `<text x="${PAD.l + pw / 2}" y="${H - 4}" text-anchor="middle" class="lbl">${esc(xLabel)}</text>`;
  return s;
}

/** Empirical CDF as a step-free polyline over its quantile points. */
function cdfChart(id: string, title: string, points: { p: number; value: number }[], xLabel: string, scale: number, unit: string): string {
  if (points.length === 0) return `<section><h3>${esc(title)}</h3><p class="muted">No values.</p></section>`;
  const xMax = Math.max(...points.map((p) => p.value / scale)) || 1;
  const pw = W - PAD.l - PAD.r;
  const ph = H - PAD.t - PAD.b;
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${(PAD.l + (p.value / scale / xMax) * pw).toFixed(1)},${(PAD.t + ph - p.p * ph).toFixed(1)}`).join('');
  const y = [0, 0.25, 0.5, 0.75, 1].map((v) => ({ v, text: `${v * 100}%` }));
  return `<section><h3>${esc(title)}</h3><svg id="${id}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${axes(xMax, y, xLabel, (v) => `${+v.toPrecision(4)}${unit}`)}<path d="${d}" class="cdf"/></svg></section>`;
}

/**
 * Is the group unreachable too often to be ranked by latency? Its availability gate fails (or,
 * without a profile, availability is below the default gate's pass mark). Such a group's few
 * replies may be fast: ranked by latency it would look like the best (issue 14).
 */
export function unreachable(g: ReportGroup): boolean {
  const gate = g.rating?.metrics.find((m) => m.gate && m.pass === false);
  // No records at all (every expected site silent) is the worst case of all.
  return gate !== undefined || g.availabilityPercent === null || (g.rating === null && g.availabilityPercent < AVAILABILITY_PASS_PERCENT);
}

/** The groups a reader must see first: unreachable ones (lowest availability first), then the highest median latency. */
export function worstGroups(groups: readonly ReportGroup[], limit = 15): ReportGroup[] {
  const down = groups.filter(unreachable).sort((a, b) => (a.availabilityPercent ?? -1) - (b.availabilityPercent ?? -1));
  const slow = groups
    .filter((g) => !unreachable(g) && g.metrics.latency_ms.median !== null)
    .sort((a, b) => (b.metrics.latency_ms.median as number) - (a.metrics.latency_ms.median as number));
  return [...down, ...slow].slice(0, limit);
}

/** Horizontal bars: unreachable groups first (bar = unavailability), then the highest median latency. */
function worstChart(groups: ReportGroup[], label: (g: ReportGroup) => string, t: Labels): string {
  const ranked = worstGroups(groups);
  if (ranked.length === 0) return `<p class="muted">${esc(t.noLatency)}</p>`;
  const slow = ranked.filter((g) => !unreachable(g));
  const max = Math.max(0, ...slow.map((g) => g.metrics.latency_ms.median as number)) || 1;
  const rowH = 20;
  const lw = 220;
  const bw = W - lw - 150;
  const h = ranked.length * rowH + 8;
  let s = `<svg id="qp-worst" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(t.worstTitle)}">`;
  ranked.forEach((g, i) => {
    const y = 4 + i * rowH;
    const down = unreachable(g);
    const v = g.metrics.latency_ms.median;
    // An unreachable group's bar is as long as the longest: it is worse than any slow group.
    const w = down ? bw : ((v as number) / max) * bw;
    const text = down ? `${t.availability} ${fmt(g.availabilityPercent)} %` : `${fmt(v)} ms`;
    const fail = down || g.rating?.overall.pass === false;
    s += `<g class="qp-worst-row" data-key="${esc(g.key.join('|'))}" data-unreachable="${down ? 1 : 0}"><text x="${lw - 6}" y="${y + 13}" text-anchor="end">${esc(clip(label(g), 34))}</text><rect x="${lw}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 6}" class="${fail ? 'bar fail' : 'bar'}${down ? ' down' : ''}"><title>${esc(label(g))}: ${esc(text)}</title></rect><text x="${(lw + w + 4).toFixed(1)}" y="${y + 13}">${esc(text)}</text></g>`;
  });
  return s + '</svg>';
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

export function renderHtml(data: ReportData, opts: { title?: string; generatedAt?: string; labels?: Labels; outline?: Outline } = {}): string {
  const t = opts.labels ?? LABELS.en;
  const title = opts.title ?? t.title(data.by.join(', '));
  const label = (g: ReportGroup) => g.key.join(' · ') + (g.name ? ` ${g.name}` : '');
  const { pass, fail, none } = verdictCounts(data);
  const p = data.profile;
  // A profile metric no group could be rated on for want of a nominal rate gets no column: said once below the table.
  const ratedCols = (p?.metrics ?? []).map((_, i) => {
    const why = data.groups.map((g) => g.rating?.metrics[i]?.missing);
    return !(why.includes('no nominal rate') && why.every((w) => w === 'no nominal rate' || w === 'no data'));
  });

  const cols: { h: string; num: boolean }[] = [
    ...data.by.map((k) => ({ h: k, num: false })),
    { h: t.name, num: false },
    { h: t.records, num: true },
    { h: t.availPct, num: true },
    ...data.metrics.flatMap((m) => m.column.stats.map((st) => ({ h: `${m.column.name[t.lang]} ${statName(m, st, t, false)} ${m.column.unit}`, num: true }))),
  ];
  const grouped = data.expected?.grouped === true;
  if (grouped) cols.push({ h: t.completePct, num: true });
  if (p) cols.push(...p.metrics.filter((_, i) => ratedCols[i]).map((m) => ({ h: m.label, num: false })), { h: p.name, num: false }, { h: t.fails, num: false });
  const cell = (text: string, sortValue: number | string | null, cls = '') => `<td${cls ? ` class="${cls}"` : ''} data-v="${esc(sortValue === null ? '' : String(sortValue))}">${esc(text)}</td>`;
  const rows = data.groups
    .map((g) => {
      const num = (v: number | null, d = 1) => cell(fmt(v, d), v, 'n');
      let r =
        g.key.map((k) => cell(k, k)).join('') +
        cell(g.name ?? '', g.name ?? '') +
        cell(String(g.records), g.records, 'n') +
        num(g.availabilityPercent) +
        data.metrics
          .flatMap((m) =>
            m.column.stats.map((st) => {
              const v = shown(statsOf(g.metrics, m), st);
              return cell(fmtMetric(m, v), v, 'n');
            }),
          )
          .join('');
      if (grouped) r += g.expected ? cell(`${fmt(g.expected.completenessPercent)} (${g.expected.sites - g.expected.silent.length}/${g.expected.sites})`, g.expected.completenessPercent, 'n') : cell('–', '');
      if (g.rating) {
        g.rating.metrics.forEach((mr, i) => {
          if (!ratedCols[i]) return;
          // "no nominal rate" is said once under the table, not in every row
          r += mr.missing === 'no nominal rate' ? cell('–', '') : cell(mr.band, mr.index ?? mr.band, mr.pass === false ? 'fail' : mr.pass === true ? 'pass' : '');
        });
        const o = g.rating.overall;
        r += cell(o.label + (o.value !== null ? ` (${o.value.toFixed(2)})` : ''), o.value ?? o.label, o.pass === false ? 'fail' : o.pass === true ? 'pass' : '');
        r += cell(g.rating.failing.join(', '), g.rating.failing.length);
      }
      return `<tr>${r}</tr>`;
    })
    .join('\n');

  const spansTime = data.groups.some((g) => (g.series?.points.length ?? 0) > 1);
  // Rounded to 0.001 ms: the page carries 240 points per group at most, keep it small.
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
  const series = spansTime
    ? data.groups
        .filter((g) => (g.series?.points.length ?? 0) > 1)
        .map((g) => ({ label: label(g), points: (g.series?.points ?? []).filter((pt) => pt.means.latency_ms != null).map((pt) => ({ t: pt.t, latencyMs: round(pt.means.latency_ms ?? null), records: pt.records })) }))
    : [];
  const issues = issueLines(data, t).slice(1);
  const notRated = notRatedLines(data, t);
  const map = opts.outline ? mapSvg(data, opts.outline, t) : null;
  const mapHtml = map
    ? `<h2>${esc(t.map)}</h2>
<p class="muted" id="qp-map-note" data-points="${map.points}" data-without="${map.withoutCoordinates}">${esc(t.mapNote(map.points, map.withoutCoordinates))} <span class="key"><i class="pass"></i>pass <i class="fail"></i>fail <i class="none"></i>–</span></p>
${map.svg}`
    : '';
  const e = data.expected;
  const expectedHtml = e
    ? `<h2>${esc(t.expectedSilent)}</h2><p id="qp-silent-summary" data-silent="${e.silent.length}">${esc(t.silentSummary(e.silent.length, e.sites - e.unknown.length))}</p>` +
      (e.silent.length ? `<table id="qp-silent"><tbody>${e.silent.map((x) => `<tr><td>${esc(x.code)}</td><td>${esc(x.site)}</td></tr>`).join('')}</tbody></table>` : '') +
      (e.unknown.length ? `<h3>${esc(t.expectedUnknown)}</h3><pre id="qp-expected-unknown">${esc(e.unknown.map((x) => `${e.file}:${x.line}: ${x.code} ${x.site}: ${x.unknown}`).join('\n'))}</pre>` : '')
    : '';

  return `<!doctype html>
<html lang="${t.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<script>
// First script on the page: record every error so a headless test can read them from the DOM.
window.qpErrors = [];
function qpError(msg) {
  window.qpErrors.push(String(msg));
  var el = document.getElementById('qp-errors');
  if (el) { el.setAttribute('data-count', String(window.qpErrors.length)); el.textContent = window.qpErrors.join('\\n'); el.hidden = false; }
}
window.addEventListener('error', function (e) { qpError(e.message || 'error'); });
window.addEventListener('unhandledrejection', function (e) { qpError('unhandled rejection: ' + (e.reason && e.reason.message || e.reason)); });
(function () { var orig = console.error; console.error = function () { qpError(Array.prototype.join.call(arguments, ' ')); return orig.apply(console, arguments); }; })();
</script>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; } h3 { font-size: 1em; }
.muted { color: #777; } .summary span { display: inline-block; margin-right: 1.5em; }
table { border-collapse: collapse; font-size: 12px; max-width: 100%; } th, td { border: 1px solid #ddd; padding: 2px 4px; overflow-wrap: anywhere; }
th { font-weight: 600; min-width: 3.5em; } td:not(.n) { max-width: 16em; }
th { background: #f3f3f3; cursor: pointer; user-select: none; position: sticky; top: 0; } th[aria-sort=ascending]::after { content: ' ▲'; } th[aria-sort=descending]::after { content: ' ▼'; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } td.fail { background: #fde2e1; } td.pass { background: #e3f6e3; }
svg { max-width: ${W}px; width: 100%; height: auto; font-size: 11px; } .ax { stroke: #555; } .grid { stroke: #eee; } .cdf { fill: none; stroke: #1f6fb2; stroke-width: 2; }
.bar { fill: #1f6fb2; } .bar.fail { fill: #c9372c; } .ts { fill: none; stroke: #1f6fb2; stroke-width: 1.5; } .lbl { fill: #555; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; } .charts section { flex: 1 1 420px; }
#qp-errors { color: #c9372c; white-space: pre-wrap; }
svg#qp-map { max-width: 960px; background: #f4f8fb; } .land { fill: #e9ecdf; stroke: #7a8595; stroke-width: 0.6; }
.qp-site { stroke: #fff; stroke-width: 1; } .qp-site.pass, .key .pass { fill: #2e8b3a; background: #2e8b3a; } .qp-site.fail, .key .fail { fill: #c9372c; background: #c9372c; } .qp-site.none, .key .none { fill: #8a8a8a; background: #8a8a8a; }
.qp-site.silent { fill: #fff; stroke: #111; stroke-width: 1.5; } .key i { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%; margin: 0 0.2em 0 0.8em; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="summary" id="qp-summary">
<span>${esc(t.groupsBy(data.groups.length, data.by.join(', '), data.rows, data.input.files.length))}</span>
<span>${data.firstStartedAt ? `${esc(data.firstStartedAt)} – ${esc(data.lastStartedAt ?? '')}` : esc(t.noRecords)}</span>
${p ? `<span id="qp-verdicts" data-pass="${pass}" data-fail="${fail}" data-none="${none}">${esc(t.verdicts(p.name, pass, fail, none))}</span>` : ''}
${data.filteredOut ? `<span>${esc(t.outsideRange(data.filteredOut))}</span>` : ''}
</div>
${expectedHtml}
${mapHtml}
${issues.length ? `<h2>${esc(t.inputProblems)}</h2><pre id="qp-issues">${esc(issues.join('\n'))}</pre>` : ''}
<h2>${esc(t.worstTitle)}</h2>
${worstChart(data.groups, label, t)}
<h2>${esc(t.distributions)}</h2>
<div class="charts">
${data.metrics
  .map((m) => (m.cdf ? cdfChart(`qp-cdf-${idParts(m.id).name}`, m.cdf.title[t.lang], data.cdf[m.id as MetricId] ?? [], m.cdf.axis, m.column.scale, '') : ''))
  .filter((c) => c !== '')
  .join('\n')}
</div>
${
  spansTime
    ? `<h2>${esc(t.overTime)}</h2>
<p><label>${esc(t.group)} <select id="qp-series-select"></select></label> <span class="muted">mean of per-test median RTT per time bucket</span></p>
<svg id="qp-series" viewBox="0 0 ${W} ${H}" role="img" aria-label="time series"></svg>
<script type="application/json" id="qp-series-data">${jsonForScript(series)}</script>`
    : ''
}
<h2>${esc(t.groups)}</h2>
<p class="muted">${esc(t.sortHint)}</p>
<table id="qp-table"><thead><tr>${cols.map((c, i) => `<th data-col="${i}" data-num="${c.num ? 1 : 0}">${esc(c.h)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
${notRated.map((l) => `<p class="muted qp-not-rated">${esc(l)}</p>`).join('')}
${p ? `<h2>Profile: ${esc(p.title)}</h2><ul>${(p.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<p class="muted">Metrics: ${data.metrics
    .map((m) => `${esc(m.label)} from ${esc(sourceText(m))}`)
    .join('; ')}.${opts.generatedAt ? ` ${esc(t.generated)} ${esc(opts.generatedAt)}.` : ''}</p>
<div id="qp-errors" data-count="0" hidden></div>
<script>
(function () {
  var table = document.getElementById('qp-table');
  var heads = table.tHead.rows[0].cells;
  for (var i = 0; i < heads.length; i++) heads[i].addEventListener('click', onSort);
  function onSort(e) {
    var th = e.currentTarget, col = +th.getAttribute('data-col'), num = th.getAttribute('data-num') === '1';
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    for (var j = 0; j < heads.length; j++) heads[j].removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
      if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1; // no value: always last
      if (num || (!isNaN(+x) && !isNaN(+y))) return dir * (+x - +y);
      return dir * x.localeCompare(y, 'en', { numeric: true });
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  var dataEl = document.getElementById('qp-series-data');
  if (dataEl) {
    var series = JSON.parse(dataEl.textContent), sel = document.getElementById('qp-series-select'), svg = document.getElementById('qp-series');
    series.forEach(function (s, i) { var o = document.createElement('option'); o.value = String(i); o.textContent = s.label; sel.appendChild(o); });
    var NS = 'http://www.w3.org/2000/svg', W = ${W}, H = ${H}, L = ${PAD.l}, R = ${PAD.r}, T = ${PAD.t}, B = ${PAD.b};
    function el(name, attrs, text) { var e = document.createElementNS(NS, name); for (var k in attrs) e.setAttribute(k, attrs[k]); if (text) e.textContent = text; svg.appendChild(e); return e; }
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var pts = series[+sel.value].points.filter(function (p) { return p.latencyMs !== null; });
      if (pts.length === 0) { el('text', { x: L, y: 40 }, 'no latency values'); return; }
      var t0 = pts[0].t, t1 = pts[pts.length - 1].t, vmax = 0;
      pts.forEach(function (p) { if (p.latencyMs > vmax) vmax = p.latencyMs; });
      vmax = vmax || 1;
      var pw = W - L - R, ph = H - T - B;
      var x = function (t) { return L + (t1 > t0 ? (t - t0) / (t1 - t0) : 0.5) * pw; }, y = function (v) { return T + ph - (v / vmax) * ph; };
      el('line', { x1: L, y1: T + ph, x2: L + pw, y2: T + ph, 'class': 'ax' });
      el('line', { x1: L, y1: T, x2: L, y2: T + ph, 'class': 'ax' });
      for (var k = 0; k <= 4; k++) { var v = (vmax * k) / 4; el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, v.toFixed(1)); }
      el('text', { x: L, y: H - 18 }, new Date(t0).toISOString().slice(0, 16).replace('T', ' '));
      el('text', { x: L + pw, y: H - 18, 'text-anchor': 'end' }, new Date(t1).toISOString().slice(0, 16).replace('T', ' '));
      el('text', { x: L + pw / 2, y: H - 4, 'text-anchor': 'middle', 'class': 'lbl' }, 'time (UTC), RTT median ms');
      el('path', { d: pts.map(function (p, i) { return (i ? 'L' : 'M') + x(p.t).toFixed(1) + ',' + y(p.latencyMs).toFixed(1); }).join(''), 'class': 'ts' });
      pts.forEach(function (p) { var c = el('circle', { cx: x(p.t).toFixed(1), cy: y(p.latencyMs).toFixed(1), r: 2.5, 'class': 'bar' }); var tt = document.createElementNS(NS, 'title'); tt.textContent = new Date(p.t).toISOString() + ': ' + p.latencyMs.toFixed(1) + ' ms, ' + p.records + ' record(s)'; c.appendChild(tt); });
    }
    sel.addEventListener('change', draw);
    draw();
  }
  document.body.setAttribute('data-qp-ready', '1');
})();
</script>
</body>
</html>
`;
}
