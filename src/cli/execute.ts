/**
 * The measuring commands' face (run, demo, the ad hoc ones): the run itself is the application's (app/run.ts);
 * here its events become the spinner and the lines on stderr, its report the summary table and the "records
 * written to" line, and its exit code the process's.
 */
import { resolve as resolvePath } from 'node:path';
import type { Config } from '../config/types.js';
import type { Location } from '../core/location.js';
import { runTests, type RunOptions, type RunReport } from '../app/run.js';
import type { UnattendedFlags } from '../app/unattended.js';
import { appIoOf, type CliIo } from './io.js';
import type { MeasureFlags } from './options.js';
import { MESSAGES, messagesFor, type Messages } from './i18n.js';
import { createUi } from './ui.js';

export interface ExecuteOptions {
  config: Config;
  flags: MeasureFlags;
  io: CliIo;
  /** `run` needs a location; ad hoc commands and the demo may go without. */
  requireLocation: boolean;
  /** Unattended-run features (`run` only): splay, run lock, spool, textfile, push. */
  unattended?: UnattendedFlags;
  /** What runs the plan: app/run.ts's runTests, or a variant of it (the demo's, around its own targets). */
  run?: (options: RunOptions) => Promise<RunReport>;
}

export async function execute({ config, flags, io, requireLocation, unattended, run = runTests }: ExecuteOptions): Promise<void> {
  const m = messagesFor(io);
  const ui = await createUi(io, { quiet: Boolean(flags.quiet) });
  let report;
  try {
    report = await run({
      config,
      flags,
      io: appIoOf(io, { testStarted: (label, i, n) => ui.testStarted(label, i, n), testFinished: (r) => ui.testFinished(r) }),
      requireLocation,
      unattended,
      noLocation: m.noLocation,
    });
  } finally {
    ui.stop();
  }
  ui.summary(report.records, report.status);
  // A person at a terminal is told where the records went (a config's output.path is easy to forget) and for which site.
  if (io.stderr.isTTY && !flags.quiet) io.stderr.write(whereWritten(report.written.count, report.written.output, report.written.location, io.cwd, m) + '\n');
  io.setExitCode(report.exitCode);
}

/** "qosprobe: 3 records appended to /home/t/results.csv (csv); location 32.73 Jawa Barat / Kota Bandung" */
export function whereWritten(
  count: number,
  output: Config['output'],
  location: Pick<Location, 'code' | 'name'>,
  cwd: string,
  m: Messages = MESSAGES.en,
): string {
  const w = m.written;
  const where = output.path === null || output.path === '-' ? w.stdout : (output.append ? w.appendedTo : w.writtenTo)(resolvePath(cwd, output.path));
  const loc = location.code === null ? w.noLocation : w.location(location.code, location.name);
  return `qosprobe: ${w.records(count)} ${where} (${output.format}); ${loc}`;
}
