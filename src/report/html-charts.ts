/**
 * The HTML report's server-drawn charts (inline SVG): the worst list, ranked by a stated
 * severity with every tie counted, and the CDFs on an axis that shows the bulk (issue 23).
 */
import { AVAILABILITY_PASS_PERCENT } from '../quality/profiles.js';
import type { ReportGroup } from './pipeline.js';
import type { Labels } from './labels.js';
import { fmt } from './render-table.js';

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export const W = 640;
export const H = 260;
export const PAD = { l: 56, r: 16, t: 12, b: 36 };

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

/**
 * The x axis of a CDF: to p99 when the tail is long (max above 1.05 × p99), else to the maximum.
 * A 13 s outlier on a 13 s axis squeezed 95 % of an RTT curve into its leftmost 5 % (issue 23).
 */
export function cdfAxisMax(points: readonly { p: number; value: number }[]): { xMax: number; cut: boolean } {
  const max = Math.max(...points.map((p) => p.value));
  const p99 = points.find((p) => p.p >= 0.99 - 1e-9)?.value ?? max;
  return p99 > 0 && max > 1.05 * p99 ? { xMax: p99, cut: true } : { xMax: max, cut: false };
}

/** Empirical CDF as a polyline over its quantile points, on the axis cdfAxisMax chooses; the cut tail is stated under it. */
export function cdfChart(id: string, title: string, points: { p: number; value: number }[], xLabel: string, scale: number, unit: string, t: Labels): string {
  if (points.length === 0) return `<section><h3>${esc(title)}</h3><p class="muted">No values.</p></section>`;
  const { xMax: rawMax, cut } = cdfAxisMax(points);
  const xMax = rawMax / scale || 1;
  const pw = W - PAD.l - PAD.r;
  const ph = H - PAD.t - PAD.b;
  const shownPts = points.filter((p) => p.value / scale <= xMax * (1 + 1e-9));
  const d = shownPts.map((p, i) => `${i ? 'L' : 'M'}${(PAD.l + (p.value / scale / xMax) * pw).toFixed(1)},${(PAD.t + ph - p.p * ph).toFixed(1)}`).join('');
  const y = [0, 0.25, 0.5, 0.75, 1].map((v) => ({ v, text: `${v * 100}%` }));
  const num = (v: number) => String(+(v / scale).toPrecision(4));
  const max = Math.max(...points.map((p) => p.value));
  const note = cut ? `<p class="muted qp-cdf-tail" data-axis-max="${num(rawMax)}" data-max="${num(max)}">${esc(t.cdfTail(`${num(rawMax)} ${unit}`, `${num(max)} ${unit}`))}</p>` : '';
  return `<section><h3>${esc(title)}</h3><svg id="${id}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${axes(xMax, y, xLabel, (v) => `${+v.toPrecision(4)}`)}<path d="${d}" class="cdf"/></svg>${note}</section>`;
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

const spanMs = (g: ReportGroup): number => (g.firstStartedAt && g.lastStartedAt ? Date.parse(g.lastStartedAt) - Date.parse(g.firstStartedAt) : 0);

/**
 * Severity of unreachable groups, worst first: availability (no record at all before 0 %), then
 * how long (the span of the group's records: failing for a month is worse than for a day), then
 * how many records failed; the key last, so the order is total.
 */
export function compareSeverity(a: ReportGroup, b: ReportGroup): number {
  return (
    (a.availabilityPercent ?? -1) - (b.availabilityPercent ?? -1) ||
    spanMs(b) - spanMs(a) ||
    b.error + b.partial - (a.error + a.partial) ||
    a.key.join('\u0001').localeCompare(b.key.join('\u0001'), 'en', { numeric: true })
  );
}

/** The groups a reader must see first: unreachable ones by compareSeverity, then the highest median latency. */
export function worstGroups(groups: readonly ReportGroup[], limit = 15): ReportGroup[] {
  const down = groups.filter(unreachable).sort(compareSeverity);
  const slow = groups
    .filter((g) => !unreachable(g) && g.metrics.latency_ms.median !== null)
    .sort((a, b) => (b.metrics.latency_ms.median as number) - (a.metrics.latency_ms.median as number));
  return [...down, ...slow].slice(0, limit);
}

/** Unreachable groups tied at one availability as the page prints it (0.1 %), worst first; classes of one included. */
export function availabilityTies(groups: readonly ReportGroup[]): { value: string; groups: ReportGroup[] }[] {
  const out: { value: string; groups: ReportGroup[] }[] = [];
  for (const g of groups.filter(unreachable).sort(compareSeverity)) {
    const v = fmt(g.availabilityPercent);
    const last = out.at(-1);
    if (last?.value === v) last.groups.push(g);
    else out.push({ value: v, groups: [g] });
  }
  return out;
}

/**
 * Horizontal bars in two sections, each with its own stated scale: unreachable groups (bar =
 * unavailability on 0–100 %, so 78.6 % and 91.6 % differ), then the slowest of the rest (bar =
 * median RTT). Under it, every availability tie with its full count and members.
 */
export function worstChart(groups: readonly ReportGroup[], label: (g: ReportGroup) => string, by: string, t: Labels, limit = 15): string {
  const ranked = worstGroups(groups, limit);
  if (ranked.length === 0) return `<p class="muted">${esc(t.noLatency)}</p>`;
  const down = ranked.filter(unreachable);
  const slow = ranked.filter((g) => !unreachable(g));
  const max = Math.max(0, ...slow.map((g) => g.metrics.latency_ms.median as number)) || 1;
  const rowH = 20;
  const headH = 18;
  const lw = 220;
  const bw = W - lw - 150;
  const h = ranked.length * rowH + (down.length ? headH : 0) + (slow.length ? headH : 0) + 8;
  let y = 4;
  let s = `<svg id="qp-worst" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(t.worstTitle)}">`;
  const section = (text: string) => {
    s += `<text x="4" y="${y + 12}" class="lbl">${esc(text)}</text>`;
    y += headH;
  };
  const row = (g: ReportGroup, isDown: boolean) => {
    const v = g.metrics.latency_ms.median;
    const frac = isDown ? (100 - (g.availabilityPercent ?? 0)) / 100 : (v as number) / max;
    const w = Math.max(0, frac) * bw;
    const text = isDown ? `${t.availability} ${fmt(g.availabilityPercent)} %` : `${fmt(v)} ms`;
    const fail = isDown || g.rating?.overall.pass === false;
    s += `<g class="qp-worst-row" data-key="${esc(g.key.join('|'))}" data-unreachable="${isDown ? 1 : 0}"><text x="${lw - 6}" y="${y + 13}" text-anchor="end">${esc(clip(label(g), 34))}</text><rect x="${lw}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 6}" class="${fail ? 'bar fail' : 'bar'}${isDown ? ' down' : ''}"><title>${esc(label(g))}: ${esc(text)}</title></rect><text x="${(lw + w + 4).toFixed(1)}" y="${y + 13}">${esc(text)}</text></g>`;
    y += rowH;
  };
  if (down.length) section(t.worstDown);
  down.forEach((g) => row(g, true));
  if (slow.length) section(t.worstSlow);
  slow.forEach((g) => row(g, false));
  s += '</svg>';

  // Every tie among unreachable groups, whether or not the chart reached it: "94 at 0 %", not 15 bars and silence.
  const shown = new Set(down);
  const ties = availabilityTies(groups)
    .filter((c) => c.groups.length > 1)
    .map((c) => {
      const n = c.groups.filter((g) => shown.has(g)).length;
      const names = c.groups.map((g) => `<li>${esc(label(g))}</li>`).join('');
      return `<li class="qp-tie" data-availability="${c.value}" data-count="${c.groups.length}" data-shown="${n}"><details><summary>${esc(t.tied(c.groups.length, by, c.value, n))}</summary><ul class="qp-tie-members">${names}</ul></details></li>`;
    });
  const moreDown = availabilityTies(groups).filter((c) => c.groups.length === 1 && !shown.has(c.groups[0] as ReportGroup)).length;
  if (moreDown) ties.push(`<li class="qp-more-down" data-count="${moreDown}">${esc(t.moreDown(moreDown))}</li>`);
  // The slow list's last bar may tie with groups beyond the cut.
  const lastSlow = slow.at(-1);
  let slowTie = '';
  if (lastSlow && ranked.length === limit) {
    const v = fmt(lastSlow.metrics.latency_ms.median);
    const more = groups.filter((g) => !unreachable(g) && !slow.includes(g) && fmt(g.metrics.latency_ms.median) === v).length;
    if (more) slowTie = `<li class="qp-tie-slow" data-count="${more}">${esc(t.slowTied(more, v))}</li>`;
  }
  return s + (ties.length || slowTie ? `<ul id="qp-worst-ties">${ties.join('')}${slowTie}</ul>` : '');
}

export function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
