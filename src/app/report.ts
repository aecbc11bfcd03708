/**
 * `qosprobe report`'s action: read result files (or stdin), aggregate per group, rate against a quality profile,
 * render, and write the report to a file or to stdout; problems with the input are said through the events.
 */
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { say } from '../core/messages.js';
import type { AppIo } from './io.js';
import { DEFAULT_PROFILE } from '../quality/registry.js';
import type { ReportOptions } from '../report/pipeline.js';
import { isRegionKey, type GroupKey } from '../report/group-keys.js';

export const REPORT_FORMATS = ['table', 'csv', 'json', 'html', 'geojson'] as const;

export interface ReportFlags {
  by?: GroupKey[];
  since?: string;
  until?: string;
  profile?: string;
  format?: (typeof REPORT_FORMATS)[number];
  out?: string;
  strict?: boolean;
  lang?: 'en' | 'id';
  expect?: string;
  /** Worker threads reading input files (default the CPUs, at most MAX_DEFAULT_THREADS). */
  threads?: number;
}

/** Past a few threads the disk and the merge on the main thread, not parsing, set the pace. */
export const MAX_DEFAULT_THREADS = 4;

export interface ReportRunOptions {
  /** Files, directories, globs, or - for stdin. */
  inputs: string[];
  flags: ReportFlags;
  io: AppIo;
  /** What `-` reads. */
  stdin: () => Readable;
}

export async function runReport({ inputs, flags, io, stdin }: ReportRunOptions): Promise<void> {
  const [{ expandInputs }, { buildReport }, { parseTimeBound }, { loadProfile }, { QosError }, { loadRegionTable }, { LABELS, langFromEnv }] = await Promise.all([
    import('../report/inputs.js'),
    import('../report/pipeline.js'),
    import('../report/aggregate.js'),
    import('../quality/profiles.js'),
    import('../core/errors.js'),
    import('../config/locations.js'),
    import('../report/labels.js'),
  ]);
  const labels = LABELS[flags.lang ?? langFromEnv(io.env)];
  const bound = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const t = parseTimeBound(v);
    if (t === null) throw new QosError('USAGE', say('badTimeBound', `--${name}`, v));
    return t;
  };
  const sinceMs = bound('since', flags.since);
  const untilMs = bound('until', flags.until);
  if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) throw new QosError('USAGE', say('untilBeforeSince'));
  const by = flags.by ?? ['location'];
  const format = flags.format ?? 'table';
  const profileName = flags.profile ?? DEFAULT_PROFILE;
  const profile = profileName === 'none' ? null : await loadProfile(profileName, io.cwd);
  const warn = (m: string): void => io.events.say(`qosprobe: warning: ${m}\n`);
  const sources = await expandInputs(inputs, io.cwd, stdin, warn);
  if (inputs.filter((i) => i === '-').length > 1) throw new QosError('USAGE', say('stdinTwice'));
  const table = by.some(isRegionKey) || flags.expect !== undefined ? await loadRegionTable() : null;
  let expected: ReportOptions['expected'];
  if (flags.expect !== undefined) {
    const [{ readExpected }, { resolve }] = await Promise.all([import('../report/expect.js'), import('node:path')]);
    expected = { file: flags.expect, sites: await readExpected(resolve(io.cwd, flags.expect), flags.expect, (c) => table!.has(c), warn) };
  }

  const data = await buildReport(sources, {
    by,
    sinceMs,
    untilMs,
    profile,
    series: format === 'html',
    sites: format === 'html' || format === 'geojson',
    expected,
    regionName: table ? (code) => table.get(code) : undefined,
    threads: flags.threads ?? Math.min(availableParallelism(), MAX_DEFAULT_THREADS),
  });

  const { malformed, unknownSchema } = data.input;
  // An input that holds no record at all is a mistake (a config file, garbage on stdin), never an empty report.
  if (data.input.rows === 0 && (expected === undefined || malformed + unknownSchema > 0)) {
    const first = data.input.issues[0];
    throw new QosError(
      'REPORT_INPUT_INVALID',
      say(
        'reportNoRecords',
        String(data.input.files.length),
        malformed + unknownSchema > 0 ? say('reportProblems', String(malformed), String(unknownSchema)) : '',
        first ? say('reportFirstProblem', `${first.file}:${first.line ?? first.where}`, first.reason) : say('reportEmpty'),
      ),
    );
  }
  if (flags.strict && malformed + unknownSchema > 0) {
    const first = data.input.issues[0];
    throw new QosError('REPORT_INPUT_INVALID', say('reportStrict', String(malformed), String(unknownSchema), first ? `${first.file}:${first.line ?? first.where}: ${first.reason}` : ''));
  }
  let text: string;
  switch (format) {
    case 'table':
      text = (await import('../report/render-table.js')).renderTable(data, labels);
      break;
    case 'csv':
      text = (await import('../report/render-data.js')).renderCsv(data);
      break;
    case 'json':
      text = (await import('../report/render-data.js')).renderJson(data);
      break;
    case 'html': {
      const [{ renderHtml }, { loadOutline }] = await Promise.all([import('../report/render-html.js'), import('../report/map.js')]);
      text = renderHtml(data, { generatedAt: new Date().toISOString(), labels, outline: await loadOutline(), regionName: table ? (code) => table.get(code) : undefined });
      break;
    }
    case 'geojson':
      text = (await import('../report/map.js')).renderGeoJson(data);
      break;
  }
  if (flags.out !== undefined) {
    const [{ writeFileAtomic }, { resolve }] = await Promise.all([import('../output/sink.js'), import('node:path')]);
    writeFileAtomic(resolve(io.cwd, flags.out), text);
  } else io.stdout.write(text);
  // The table on stdout lists the problems itself; otherwise say so on stderr.
  if (malformed + unknownSchema + data.input.duplicates > 0 && (format !== 'table' || flags.out !== undefined)) {
    const { issueLines } = await import('../report/render-table.js');
    io.events.say(issueLines(data, labels).slice(1).join('\n') + '\n');
  }
  if (flags.out !== undefined) io.events.say(`wrote ${flags.out}: ${data.groups.length} group(s) from ${data.rows} record(s)\n`);
}
