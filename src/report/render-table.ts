/**
 * The human-readable report: a fixed-width text table, one line per group, with the rating
 * per metric and what fails; then input problems and the profile's notes.
 */
import { compareLinks, linkKeyOf, type LinkFigures } from './compare.js';
import type { ReportData } from './pipeline.js';
import { LABELS, type Labels } from './labels.js';
import { shown, statsOf, type ReportMetric, type ShownStat } from './metrics.js';

export function fmt(v: number | null, digits = 1): string {
  if (v === null) return '-';
  return v.toFixed(digits);
}

/** A metric's value as the table and HTML show it: in its display unit (bit/s as Mbit/s; machine formats keep bit/s). */
export function fmtMetric(m: ReportMetric, v: number | null): string {
  return v === null ? '-' : (v / m.column.scale).toFixed(m.column.digits);
}

/** A metric's column heading: "rtt med/p95/mean ms" in the text table, "RTT median ms" per statistic in HTML. */
export function statName(m: ReportMetric, stat: ShownStat, t: Labels, short: boolean): string {
  return stat === 'median' ? (short ? 'med' : 'median') : stat === 'tail' ? m.tail : t.mean;
}

export function renderTable(data: ReportData, t: Labels = LABELS.en): string {
  const metricHeads = data.metrics.map((m) => `${m.column.name[t.lang].toLowerCase()} ${m.column.stats.map((st) => statName(m, st, t, true)).join('/')} ${m.column.unit}`);
  const head = [...data.by, t.name, t.records, t.availPct, ...metricHeads];
  const grouped = data.expected?.grouped === true;
  if (grouped) head.push(t.completePct);
  if (data.profile) head.push(data.profile.name, t.fails);
  const rows: string[][] = [head];
  for (const g of data.groups) {
    const row = [
      ...g.key,
      clip(g.name ?? '', 36),
      String(g.records),
      fmt(g.availabilityPercent),
      ...data.metrics.map((m) => m.column.stats.map((st) => fmtMetric(m, shown(statsOf(g.metrics, m), st))).join('/')),
    ];
    if (grouped) row.push(g.expected ? `${fmt(g.expected.completenessPercent)} (${g.expected.sites - g.expected.silent.length}/${g.expected.sites})` : '-');
    if (g.rating) row.push(t.verdict(g.rating.overall.label), g.rating.failing.map(t.verdict).join(', ') || '-');
    rows.push(row);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const firstNumeric = data.by.length + 1;
  const numeric = new Set(head.map((_, i) => (i >= firstNumeric && i < firstNumeric + 2 + data.metrics.length ? i : -1)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  const span = data.firstStartedAt ? `${data.firstStartedAt} .. ${data.lastStartedAt}` : t.noRecords;
  out.push(`${t.groupsBy(data.groups.length, data.by.join(', '), data.rows, data.input.files.length)}; ${span}`);
  if (data.filteredOut) out.push(t.outsideRange(data.filteredOut));
  if (data.interrupted) out.push(t.interrupted(data.interrupted));
  const v = verdictCounts(data);
  if (data.profile) out.push(t.verdicts(data.profile.name, v.pass, v.fail, v.none));
  if (data.groups.length === 0) out.push(t.noRecords);
  else {
    out.push(line(head), line(head.map((_, i) => '-'.repeat(widths[i] as number))));
    for (const r of rows.slice(1)) out.push(line(r));
  }
  out.push(...bestLinkLines(data, t));
  out.push(...notRatedLines(data, t));
  out.push(...expectedLines(data, t));
  out.push(...issueLines(data, t));
  if (data.profile) {
    out.push('', `${t.profile} ${data.profile.name}: ${data.profile.title}`);
    for (const n of data.profile.notes ?? []) out.push(`  - ${n}`);
  }
  out.push(t.samplesNote);
  return out.join('\n') + '\n';
}

/** Groups that pass, fail and have no verdict: one count for the table, the HTML header and the tests. */
export function verdictCounts(data: Pick<ReportData, 'groups'>): { pass: number; fail: number; none: number } {
  let pass = 0;
  let fail = 0;
  for (const g of data.groups) {
    if (g.rating?.overall.pass === true) pass++;
    else if (g.rating?.overall.pass === false) fail++;
  }
  return { pass, fail, none: data.groups.length - pass - fail };
}

/** Profile metrics that some group could not be rated on for want of a nominal rate: said once, not per row. */
export function notRatedLines(data: ReportData, t: Labels): string[] {
  const out: string[] = [];
  for (const [i, m] of (data.profile?.metrics ?? []).entries()) {
    if (data.groups.some((g) => g.rating?.metrics[i]?.missing === 'no nominal rate')) out.push(t.notRated(m.label, 'no nominal rate in the profile'));
  }
  return out;
}

/** Silent expected sites (the first thing a monitoring centre must see) and expected sites with unusable codes. */
export function expectedLines(data: ReportData, t: Labels): string[] {
  const e = data.expected;
  if (!e) return [];
  const out = ['', `${t.silentSummary(e.silent.length, e.sites - e.unknown.length)} (--expect ${e.file})`];
  if (e.silent.length) {
    out.push(`${t.expectedSilent}:`);
    for (const s of e.silent) out.push(`  ${s.code}  ${s.site}`);
  }
  if (e.unknown.length) {
    out.push(`${t.expectedUnknown}:`);
    for (const s of e.unknown) out.push(`  ${e.file}:${s.line}: ${s.code}  ${s.site}: ${s.unknown}`);
  }
  return out;
}

export function issueLines(data: ReportData, t: Labels = LABELS.en): string[] {
  const s = data.input;
  if (s.malformed + s.unknownSchema + s.duplicates === 0) return [];
  const out = [``];
  if (s.malformed + s.unknownSchema > 0) out.push(t.issuesSummary(s.malformed, s.unknownSchema));
  for (const i of s.issues) out.push(`  ${i.file}:${i.line ?? i.where}: ${i.kind === 'unknown_schema' ? 'unknown schema: ' : ''}${i.reason}`);
  if (s.issuesNotListed) out.push(`  ... and ${s.issuesNotListed} more`);
  if (s.duplicates > 0) {
    out.push(t.duplicatesSummary(s.duplicates));
    for (const [file, n] of Object.entries(s.duplicatesByFile)) out.push(`  ${file}: ${n}`);
  }
  return out;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** The per-site link comparison (compare.ts), when --by holds a link key: the best link of each site and its lead. */
function bestLinkLines(data: ReportData, t: Labels): string[] {
  const key = linkKeyOf(data.by);
  if (key === null) return [];
  const sites = compareLinks(data);
  if (sites.length === 0) return [];
  const f = (x: number | null, unit: string) => (x === null ? '-' : `${fmt(x)}${unit}`);
  const signed = (x: number | null, unit: string) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${fmt(x)}${unit}`);
  const lines = ['', t.bestLinks(key, sites.length)];
  for (const s of sites) {
    const [best, next] = s.links as [LinkFigures, LinkFigures];
    const verdict = best.rating === null ? '-' : t.verdict(best.rating);
    const figures = `${verdict}; ${t.availPct} ${f(best.availabilityPercent, '')}; loss ${f(best.lossMeanPercent, ' %')}; RTT ${f(best.rttMedianMs, ' ms')}`;
    const lead = `${signed(s.lead.availabilityPoints, ' pp')} ${t.availPct}, ${signed(s.lead.lossPoints, ' pp')} loss, ${signed(s.lead.rttMs, ' ms')} RTT`;
    lines.push(t.bestLink(s.site.join(' / '), best.link, figures, next.link, lead));
  }
  return lines;
}
