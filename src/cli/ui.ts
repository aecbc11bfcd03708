/**
 * Human output: a spinner while tests run and a summary table after. stderr only, and
 * only on a TTY (cron mail and pipes get nothing); NO_COLOR honoured. chalk and ora are
 * imported only when there is a terminal to draw on.
 */
import type { ResultRecord } from '../core/schema.js';
import type { MeasurementErrorCode } from '../core/errors.js';
import { MESSAGES, messagesFor, type Messages } from './i18n.js';
import { colorAllowed, type CliIo } from './io.js';

export interface Ui {
  testStarted(label: string, index: number, total: number): void;
  testFinished(r: ResultRecord): void;
  stop(): void;
  summary(records: readonly ResultRecord[], status: string): void;
}

const silent: Ui = { testStarted() {}, testFinished() {}, stop() {}, summary() {} };

export async function createUi(io: CliIo, opts: { quiet: boolean }): Promise<Ui> {
  if (opts.quiet || !io.stderr.isTTY) return silent;
  const [{ Chalk }, { default: ora }] = await Promise.all([import('chalk'), import('ora')]);
  const color = colorAllowed(io);
  const c = new Chalk({ level: color ? 1 : 0 });
  const m = messagesFor(io);
  // A terminal that reports 0 columns (a serial console, `script`, some ssh sessions) sends
  // ora 9's line counting into an endless loop: no spinner there, the lines and table still print.
  const spinner = ora({ stream: io.stderr as NodeJS.WriteStream, color: 'cyan', isEnabled: true, isSilent: !((io.stderr.columns ?? 0) > 0), discardStdin: false });
  return {
    testStarted(label, i, n) {
      spinner.start(`[${i + 1}/${n}] ${label}`);
    },
    testFinished(r) {
      spinner.stop();
      const mark = r.status === 'ok' ? c.green(m.status.ok) : r.status === 'partial' ? c.yellow(m.status.partial) : c.red(m.status.error);
      io.stderr.write(`${mark} ${r.endpoint} ${r.test} ${r.target}${r.error_code ? c.dim(` ${r.error_code}`) : ''}\n`);
      // A failure on a terminal says what happened and what to check next, not only its code.
      for (const line of failureLines(r, m)) io.stderr.write(`  ${c.dim(line)}\n`);
    },
    stop() {
      spinner.stop();
    },
    summary(records, status) {
      io.stderr.write('\n' + formatTable(records, c, m) + '\n');
      if (status !== 'completed') io.stderr.write(c.yellow(`${m.runEnded(status, records.length)}\n`));
    },
  };
}

/** What a person reads under a failed test: the record's message, then the next step for its code (both may be absent). */
export function failureLines(r: Pick<ResultRecord, 'error_code' | 'error_message' | 'target'>, m: Messages): string[] {
  if (!r.error_code) return [];
  const lines: string[] = [];
  if (r.error_message && r.error_message !== r.error_code) lines.push(r.error_message);
  const step = m.nextStep[r.error_code as MeasurementErrorCode]?.(r.target ?? '');
  if (step) lines.push(`→ ${step}`);
  return lines;
}

type Paint = { bold(s: string): string; red(s: string): string; green(s: string): string; yellow(s: string): string; dim(s: string): string };

/** A plain text table of the key metrics; exported for tests. */
export function formatTable(records: readonly ResultRecord[], c: Paint, m: Messages = MESSAGES.en): string {
  const head = [...m.tableHead];
  const shown = (s: string) => m.status[s as keyof Messages['status']] ?? s;
  const rows = records.map((r) => [
    r.endpoint ?? '',
    r.test ?? '',
    shown(r.status ?? ''),
    cell(r.sent),
    cell(r.received),
    cell(r.loss_percent, 1),
    cell(r.rtt_median_ms, 2, ' ms'),
    cell(r.rtt_p95_ms, 2, ' ms'),
    cell(r.jitter_ms, 2, ' ms'),
    r.throughput_bps != null ? `${(r.throughput_bps / 1e6).toFixed(1)} Mbit/s` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  // The status cell is painted by the record's status, whatever word shows it (and never a match in an endpoint name).
  const paint = (status: string | null | undefined) => (status === 'ok' ? c.green : status === 'partial' ? c.yellow : c.red);
  const line = (cells: string[], status?: string | null) =>
    cells.map((s, i) => (i === 2 && status !== undefined ? paint(status)(s.padEnd(widths[i] ?? 0)) : s.padEnd(widths[i] ?? 0))).join('  ');
  return [c.bold(line(head)), ...rows.map((row, i) => line(row, records[i]?.status ?? null))].join('\n');
}

function cell(v: number | null | undefined, digits = 0, unit = ''): string {
  return v == null ? '-' : `${v.toFixed(digits)}${unit}`;
}
