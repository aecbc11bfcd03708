/**
 * The human-readable report: a fixed-width text table, one line per group, with the rating
 * per metric and what fails; then input problems and the profile's notes.
 */
import type { ReportData } from './build.js';

export function fmt(v: number | null, digits = 1): string {
  if (v === null) return '-';
  return v.toFixed(digits);
}

/** Bits per second as Mbit/s text (display only: machine formats keep bit/s). */
export function fmtMbps(v: number | null): string {
  return v === null ? '-' : (v / 1e6).toFixed(2);
}

export function renderTable(data: ReportData): string {
  const head = [...data.by, 'name', 'records', 'avail%', 'rtt med/p95/mean ms', 'jitter med/p95 ms', 'loss mean/p95 %', 'down med/p10 Mbit/s', 'up med/p10 Mbit/s'];
  if (data.profile) head.push(data.profile.name, 'fails');
  const rows: string[][] = [head];
  for (const g of data.groups) {
    const m = g.metrics;
    const row = [
      ...g.key,
      clip(g.name ?? '', 36),
      String(g.records),
      fmt(g.availabilityPercent),
      `${fmt(m.latency_ms.median)}/${fmt(m.latency_ms.tail)}/${fmt(m.latency_ms.mean)}`,
      `${fmt(m.jitter_ms.median)}/${fmt(m.jitter_ms.tail)}`,
      `${fmt(m.loss_percent.mean, 2)}/${fmt(m.loss_percent.tail, 2)}`,
      `${fmtMbps(m.download_bps.median)}/${fmtMbps(m.download_bps.tail)}`,
      `${fmtMbps(m.upload_bps.median)}/${fmtMbps(m.upload_bps.tail)}`,
    ];
    if (g.rating) row.push(g.rating.overall.label, g.rating.failing.join(', ') || '-');
    rows.push(row);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const numeric = new Set(head.map((h, i) => (/^(records|avail%|rtt|jitter|loss|down|up)/.test(h) ? i : -1)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  const span = data.firstStartedAt ? `${data.firstStartedAt} .. ${data.lastStartedAt}` : 'no records';
  out.push(`${data.groups.length} group(s) by ${data.by.join(', ')} from ${data.rows} record(s) in ${data.input.files.length} file(s); ${span}`);
  if (data.filteredOut) out.push(`${data.filteredOut} record(s) outside --since/--until left out`);
  if (data.groups.length === 0) out.push('no records to report');
  else {
    out.push(line(head), line(head.map((_, i) => '-'.repeat(widths[i] as number))));
    for (const r of rows.slice(1)) out.push(line(r));
  }
  out.push(...issueLines(data));
  if (data.profile) {
    out.push('', `Profile ${data.profile.name}: ${data.profile.title}`);
    for (const n of data.profile.notes ?? []) out.push(`  - ${n}`);
  }
  out.push('Samples are per record: latency = rtt_median_ms of each test; quantiles type 7 (docs/report.md).');
  return out.join('\n') + '\n';
}

export function issueLines(data: ReportData): string[] {
  const s = data.input;
  if (s.malformed + s.unknownSchema === 0) return [];
  const out = [``, `${s.malformed} malformed row(s), ${s.unknownSchema} row(s) of an unknown schema: not aggregated`];
  for (const i of s.issues) out.push(`  ${i.file}:${i.line ?? i.where}: ${i.kind === 'unknown_schema' ? 'unknown schema: ' : ''}${i.reason}`);
  if (s.issuesNotListed) out.push(`  ... and ${s.issuesNotListed} more`);
  return out;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
