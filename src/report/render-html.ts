/**
 * One self-contained HTML report: no network (a Content-Security-Policy forbids any fetch),
 * no libraries. Built for a national fleet (issue 23): the page carries a compact model
 * (html-model.ts) and its script (html-script.ts) draws what is selected: drill-down from the
 * nation to a district's sites, a searchable, filterable, sortable, paged groups table, the map
 * with each site's own truth, and time series per group or region. The worst list and the CDFs
 * are drawn here (html-charts.ts). Errors on the page are written into #qp-errors so a headless
 * browser test can read them from the DOM.
 */
import { idParts, sourceText, type MetricId } from './metrics.js';
import type { ReportData } from './pipeline.js';
import { LABELS, type Labels } from './labels.js';
import { mapSvg, type Outline } from './map.js';
import { issueLines, notRatedLines, verdictCounts } from './render-table.js';
import { cdfChart, esc, H, W, worstChart } from './html-charts.js';
import { pageModel, type Cell, type Col } from './html-model.js';
import { pageScript } from './html-script.js';

export { unreachable, worstGroups, compareSeverity, availabilityTies } from './html-charts.js';

/** JSON inside <script>: no "</script>" or "<!--" can end it early. */
const jsonForScript = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/** Rows the table shows per page (the script pages the rest). */
export const PAGE_ROWS = 50;

/** A table cell, the same markup as the page script's cellHtml: the server draws the first page, the script the others. */
export function cellHtml(col: Col, c: Cell, extra = ''): string {
  if (Array.isArray(c)) return `<td${c[1] ? ` class="${c[1]}"` : ''} data-v="${esc(c[2] === null ? '' : String(c[2]))}"${extra}>${esc(c[0])}</td>`;
  if (col.t === 'n') return `<td class="n" data-v="${c === null ? '' : String(c)}"${extra}>${c === null ? '-' : ((c as number) / (col.s ?? 1)).toFixed(col.d ?? 1)}</td>`;
  const v = c === null ? '' : String(c);
  if (col.t === 's') return `<td class="s"${v ? ` title="${esc(v)}"` : ''} data-v="${esc(v)}"${extra}>${esc(v)}</td>`;
  return `<td class="k" data-v="${esc(v)}"${extra}>${esc(v)}</td>`;
}

const pager = (id: string, t: Labels, sizes = false) =>
  `<div class="qp-pager" id="${id}" hidden><button type="button" class="qp-prev">${esc(t.prev)}</button> <span class="qp-page-info"></span> <button type="button" class="qp-next">${esc(t.next)}</button>${
    sizes ? ` <label><select class="qp-size">${[25, 50, 100, 200].map((n) => `<option${n === PAGE_ROWS ? ' selected' : ''}>${n}</option>`).join('')}</select> ${esc(t.perPage)}</label>` : ''
  }</div>`;

export function renderHtml(
  data: ReportData,
  opts: { title?: string; generatedAt?: string; labels?: Labels; outline?: Outline; regionName?: (code: string) => string | undefined } = {},
): string {
  const t = opts.labels ?? LABELS.en;
  const title = opts.title ?? t.title(data.by.join(', '));
  const label = (g: ReportData['groups'][number]) => g.key.join(' · ') + (g.name ? ` ${g.name}` : '');
  const { pass, fail, none } = verdictCounts(data);
  const p = data.profile;
  const map = opts.outline ? mapSvg(data, opts.outline, t) : null;
  const { model, cells } = pageModel(data, t, map?.projection ?? null, opts.regionName);
  const firstPage = cells
    .slice(0, PAGE_ROWS)
    .map((r, i) => `<tr>${r.map((c, j) => cellHtml(model.cols[j] as Col, c, j === 0 ? ` data-g="${i}"` : '')).join('')}</tr>`)
    .join('\n');

  const issues = issueLines(data, t).slice(1);
  const notRated = notRatedLines(data, t);
  const mapHtml = map
    ? `<h2>${esc(t.map)}</h2>
<p class="muted" id="qp-map-note" data-points="${map.points}" data-without="${map.withoutCoordinates}">${esc(t.mapNote(map.points, map.withoutCoordinates))} <span class="key"><i class="pass"></i>pass <i class="fail"></i>fail <i class="none"></i>– <i class="dead"></i>${esc(t.dead)}</span></p>
<p class="qp-map-tools"><button type="button" id="qp-zoom-in">+</button> <button type="button" id="qp-zoom-out">−</button> <button type="button" id="qp-zoom-reset">⤢</button> <span class="muted">${esc(t.mapHelp)}</span></p>
${map.svg}`
    : '';
  const e = data.expected;
  const expectedHtml = e
    ? `<h2>${esc(t.expectedSilent)}</h2><p id="qp-silent-summary" data-silent="${e.silent.length}">${esc(t.silentSummary(e.silent.length, e.sites - e.unknown.length))}</p>` +
      (e.silent.length ? `<div class="scroll"><table id="qp-silent"><tbody>${e.silent.map((x) => `<tr><td class="k">${esc(x.code)}</td><td class="s" title="${esc(x.site)}">${esc(x.site)}</td></tr>`).join('')}</tbody></table></div>` : '') +
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
.scroll { max-width: 100%; overflow-x: auto; }
/* Never break a code or a word (issue 23): codes and numbers on one line, long text cut with an ellipsis and its full value in the title. */
table { border-collapse: collapse; font-size: 12px; } th, td { border: 1px solid #ddd; padding: 2px 4px; white-space: nowrap; }
th { font-weight: 600; background: #f3f3f3; cursor: pointer; user-select: none; position: sticky; top: 0; } th[aria-sort=ascending]::after { content: ' ▲'; } th[aria-sort=descending]::after { content: ' ▼'; }
td.s { max-width: 22em; overflow: hidden; text-overflow: ellipsis; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } td.fail { background: #fde2e1; } td.pass { background: #e3f6e3; }
tr.dead td { color: #8b1a12; } tr.qp-drill { cursor: pointer; } tr.qp-drill:hover td, tr.qp-drill:focus td { background: #eef4fb; }
.qp-filters { display: flex; flex-wrap: wrap; gap: 1em; align-items: center; margin: 0.5em 0; } .qp-filters input { width: 18em; }
.qp-pager { margin: 0.4em 0; } #qp-crumbs { font-size: 1.05em; } #qp-crumbs a { color: #1f6fb2; }
svg { max-width: ${W}px; width: 100%; height: auto; font-size: 11px; } .ax { stroke: #555; } .grid { stroke: #eee; } .cdf { fill: none; stroke: #1f6fb2; stroke-width: 2; }
.bar { fill: #1f6fb2; } .bar.fail { fill: #c9372c; } .ts { fill: none; stroke: #1f6fb2; stroke-width: 1.5; } .lbl { fill: #555; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; } .charts section { flex: 1 1 420px; }
#qp-errors { color: #c9372c; white-space: pre-wrap; }
svg#qp-map { max-width: 960px; background: #f4f8fb; touch-action: none; cursor: grab; } .land { fill: #e9ecdf; stroke: #7a8595; stroke-width: 0.6; vector-effect: non-scaling-stroke; }
.qp-site { stroke: #fff; } .qp-site.pass, .key .pass { fill: #2e8b3a; background: #2e8b3a; } .qp-site.fail, .key .fail { fill: #c9372c; background: #c9372c; } .qp-site.none, .key .none { fill: #8a8a8a; background: #8a8a8a; }
/* A site that never answered is dead whatever its group's rating (issue 23). */
.qp-site.dead, .key .dead { fill: #111; background: #111; } .qp-site.silent { fill: #fff; stroke: #111; } .qp-site.dim { opacity: 0.2; }
.key i { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%; margin: 0 0.2em 0 0.8em; }
#qp-worst-ties summary { cursor: pointer; } .qp-tie-members { columns: 3 16em; font-size: 12px; }
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
<h2>${esc(t.regions)}</h2>
<nav id="qp-crumbs"></nav>
<p id="qp-node-summary" class="muted"></p>
<div id="qp-kids-box" class="scroll"><table id="qp-kids"><tbody class="qp-kids-body"></tbody></table>${pager('qp-kids-pager', t)}</div>
<div id="qp-site-box" hidden><h3>${esc(t.siteList)}</h3><div class="scroll"><table id="qp-site-list"><tbody class="qp-site-body"></tbody></table></div>${pager('qp-site-pager', t)}</div>
<h2>${esc(t.groups)}</h2>
<div class="qp-filters"><label>${esc(t.search)} <input type="search" id="qp-search" autocomplete="off"></label>
<label>${esc(t.status)} <select id="qp-status">${(
    [
      ['', t.statusAll],
      ['pass', t.statusPass],
      ['fail', t.statusFail],
      ['none', t.statusNone],
      ['down', t.statusDown],
      ['dead', t.statusDead],
    ] as const
  )
    .map(([v, l]) => `<option value="${v}">${esc(l)}</option>`)
    .join('')}</select></label>
<label id="qp-operator-box" hidden>${esc(t.operator)} <select id="qp-operator"><option value="">${esc(t.statusAll)}</option></select></label></div>
<p class="muted">${esc(t.sortHint)}</p>
<p class="muted" id="qp-not-regions" hidden>${esc(t.notRegions(data.by.join(', ')))}</p>
<div class="scroll"><table id="qp-table"><thead><tr>${model.cols.map((c, i) => `<th data-col="${i}" data-num="${c.t === 'n' ? 1 : 0}">${esc(c.h)}</th>`).join('')}</tr></thead>
<tbody>
${firstPage}
</tbody></table></div>
${pager('qp-pager', t, true)}
${model.dropped.length ? `<p class="muted" id="qp-dropped">${esc(t.dropped(model.dropped.join(', ')))}</p>` : ''}
${notRated.map((l) => `<p class="muted qp-not-rated">${esc(l)}</p>`).join('')}
${expectedHtml}
${mapHtml}
${issues.length ? `<h2>${esc(t.inputProblems)}</h2><pre id="qp-issues">${esc(issues.join('\n'))}</pre>` : ''}
<h2>${esc(t.worstTitle)}</h2>
${worstChart(data.groups, label, data.by.join(', '), t)}
<h2>${esc(t.distributions)}</h2>
<div class="charts">
${data.metrics
  .map((m) => (m.cdf ? cdfChart(`qp-cdf-${idParts(m.id).name}`, m.cdf.title[t.lang], data.cdf[m.id as MetricId] ?? [], m.cdf.axis, m.column.scale, m.column.unit, t) : ''))
  .filter((c) => c !== '')
  .join('\n')}
</div>
${
  model.ser
    ? `<h2>${esc(t.overTime)}</h2>
<p><label>${esc(t.group)} <select id="qp-series-select"></select></label> <span class="muted">${esc(t.seriesNote)}</span></p>
<svg id="qp-series" viewBox="0 0 ${W} ${H}" role="img" aria-label="time series"></svg>`
    : ''
}
${p ? `<h2>Profile: ${esc(p.title)}</h2><ul>${(p.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<p class="muted">Metrics: ${data.metrics
    .map((m) => `${esc(m.label)} from ${esc(sourceText(m))}`)
    .join('; ')}.${opts.generatedAt ? ` ${esc(t.generated)} ${esc(opts.generatedAt)}.` : ''}</p>
<div id="qp-errors" data-count="0" hidden></div>
<script type="application/json" id="qp-data">${jsonForScript(model)}</script>
<script>${pageScript()}</script>
</body>
</html>
`;
}
