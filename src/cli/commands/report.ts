/**
 * `qosprobe report FILES...`: aggregate result files per location (or endpoint, test, province,
 * probe) and rate the groups against a quality profile. The CLI edge only: files, stdin, stdout;
 * the work is in src/report/ (imported when the command runs, so --version never loads it).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliIo } from '../io.js';
import { examples } from '../options.js';
import type { ReportOptions } from '../../report/pipeline.js';
import { GROUP_KEYS as BY_KEYS, REGION_PREFIX, isRegionKey, type GroupKey as ByKey } from '../../report/group-keys.js';
import { DEFAULT_PROFILE, bundledProfilesHelp } from '../../quality/registry.js';
const REPORT_FORMATS = ['table', 'csv', 'json', 'html', 'geojson'] as const;

export interface ReportFlags {
  by?: ByKey[];
  since?: string;
  until?: string;
  profile?: string;
  format?: (typeof REPORT_FORMATS)[number];
  out?: string;
  strict?: boolean;
  lang?: 'en' | 'id';
  expect?: string;
}

/** --by location,endpoint or --by location --by endpoint; keys accumulate in order, without repeats. */
function byKeys(value: string, previous: ByKey[] | undefined): ByKey[] {
  const out = [...(previous ?? [])];
  for (const raw of value.split(',')) {
    const k = raw.trim();
    if (!(BY_KEYS as readonly string[]).includes(k)) throw new InvalidArgumentError(`expected one or more of ${BY_KEYS.join(', ')} (comma-separated), got "${k}"`);
    if (!out.includes(k as ByKey)) out.push(k as ByKey);
  }
  return out;
}

export function makeReportCommand(io: CliIo): Command {
  return new Command('report')
    .description('aggregate result files (CSV, NDJSON, JSON; files, directories, globs, - for stdin) per location and rate them against a quality profile')
    .argument('<inputs...>', 'result files, directories (searched for *.csv, *.ndjson, *.json), quoted globs ("results/**/*.csv"), or - for stdin')
    .option('-b, --by <keys>', `group by ${BY_KEYS.join('|')} (region levels: the code's first ${Object.values(REGION_PREFIX).join(', ')} characters); comma-separated or repeated for several keys (default location)`, byKeys)
    .option('--since <time>', 'only records that started at or after this ISO 8601 date or date-time (UTC unless an offset is given)')
    .option('--until <time>', 'only records that started before this ISO 8601 date or date-time')
    .option('-p, --profile <name|file>', `quality profile: a bundled one (listed below), a profile file (.json/.yaml), or none (default ${DEFAULT_PROFILE})`)
    .addOption(new Option('-f, --format <format>', 'output format (default table)').choices(REPORT_FORMATS))
    .option('-o, --out <file>', 'write the report to this file (atomically) instead of stdout')
    .addOption(new Option('--lang <lang>', 'language of the table and HTML labels (default from LC_ALL/LANG: id* → Indonesian, else English)').choices(['en', 'id']))
    .option('--expect <sites.csv>', 'sites that should have sent records (location_code,site[,lat,lon] per line): silent ones are listed per group and count in its completeness')
    .option('--strict', 'fail (exit 3) when any row is malformed or of an unknown schema version, instead of counting and listing them')
    .addHelpText(
      'after',
      // A function: the profile list is read from the registry only when help is shown.
      () =>
        examples(
        'qosprobe report results/                                  # every result file under results/, by location',
        'qosprobe report "field/**/*.ndjson" day1.csv --by province --profile itu-y1541',
        'qosprobe report results/ --by location,endpoint --since 2026-11-01 --until 2026-12-01 --format csv -o nov.csv',
        'qosprobe report results/ --format html -o report.html     # one self-contained page with charts',
        'cat a.ndjson | qosprobe report - --profile ./my-profile.json --strict',
        'qosprobe report results/ --by district --expect tps.csv   # silent polling stations per district',
        'qosprobe report results/ --format geojson -o sites.geojson # for QGIS or kepler.gl',
      ) +
        '\nSamples are per record (latency = each test\'s rtt_median_ms); see docs/report.md. Exit 3 when the input holds no record, or with --strict when any row is unusable.\n\n' +
        bundledProfilesHelp(),
    )
    .action(async (inputs: string[], flags: ReportFlags) => {
      const [{ expandInputs }, { buildReport }, { parseTimeBound }, { loadProfile }, { QosError }, { loadRegionTable }, { LABELS, langFromEnv }] = await Promise.all([
        import('../../report/inputs.js'),
        import('../../report/pipeline.js'),
        import('../../report/aggregate.js'),
        import('../../quality/profiles.js'),
        import('../../core/errors.js'),
        import('../../config/locations.js'),
        import('../../report/labels.js'),
      ]);
      const labels = LABELS[flags.lang ?? langFromEnv(io.env)];
      const bound = (name: string, v: string | undefined): number | undefined => {
        if (v === undefined) return undefined;
        const t = parseTimeBound(v);
        if (t === null) throw new QosError('USAGE', `--${name}: expected an ISO 8601 date (2026-11-24) or date-time (2026-11-24T08:00:00Z), got "${v}"`);
        return t;
      };
      const sinceMs = bound('since', flags.since);
      const untilMs = bound('until', flags.until);
      if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) throw new QosError('USAGE', '--until must be later than --since');
      const by = flags.by ?? ['location'];
      const format = flags.format ?? 'table';
      const profileName = flags.profile ?? DEFAULT_PROFILE;
      const profile = profileName === 'none' ? null : await loadProfile(profileName, io.cwd);
      const sources = await expandInputs(inputs, io.cwd, () => process.stdin);
      if (inputs.filter((i) => i === '-').length > 1) throw new QosError('USAGE', 'stdin (-) can be read only once');
      const table = by.some(isRegionKey) || flags.expect !== undefined ? await loadRegionTable() : null;
      let expected: ReportOptions['expected'];
      if (flags.expect !== undefined) {
        const [{ readExpected }, { resolve }] = await Promise.all([import('../../report/expect.js'), import('node:path')]);
        expected = { file: flags.expect, sites: await readExpected(resolve(io.cwd, flags.expect), flags.expect, (c) => table!.has(c)) };
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
      });

      const { malformed, unknownSchema } = data.input;
      // An input that holds no record at all is a mistake (a config file, garbage on stdin), never an empty report.
      if (data.input.rows === 0 && (expected === undefined || malformed + unknownSchema > 0)) {
        const first = data.input.issues[0];
        throw new QosError(
          'REPORT_INPUT_INVALID',
          `no records in the input (${data.input.files.length} file(s)` +
            (malformed + unknownSchema > 0 ? `; ${malformed} malformed line(s), ${unknownSchema} of an unknown schema` : '') +
            ')' +
            (first ? `; first problem: ${first.file}:${first.line ?? first.where}: ${first.reason}` : '; the input is empty'),
        );
      }
      if (flags.strict && malformed + unknownSchema > 0) {
        const first = data.input.issues[0];
        throw new QosError(
          'REPORT_INPUT_INVALID',
          `--strict: ${malformed} malformed row(s) and ${unknownSchema} row(s) of an unknown schema version` +
            (first ? `; first: ${first.file}:${first.line ?? first.where}: ${first.reason}` : '') +
            ' (run without --strict to see them all)',
        );
      }
      let text: string;
      switch (format) {
        case 'table':
          text = (await import('../../report/render-table.js')).renderTable(data, labels);
          break;
        case 'csv':
          text = (await import('../../report/render-data.js')).renderCsv(data);
          break;
        case 'json':
          text = (await import('../../report/render-data.js')).renderJson(data);
          break;
        case 'html': {
          const [{ renderHtml }, { loadOutline }] = await Promise.all([import('../../report/render-html.js'), import('../../report/map.js')]);
          text = renderHtml(data, { generatedAt: new Date().toISOString(), labels, outline: await loadOutline() });
          break;
        }
        case 'geojson':
          text = (await import('../../report/map.js')).renderGeoJson(data);
          break;
      }
      if (flags.out !== undefined) {
        const [{ writeFileAtomic }, { resolve }] = await Promise.all([import('../../output/sink.js'), import('node:path')]);
        writeFileAtomic(resolve(io.cwd, flags.out), text);
      } else io.stdout.write(text);
      // The table on stdout lists the problems itself; otherwise say so on stderr.
      if (malformed + unknownSchema > 0 && (format !== 'table' || flags.out !== undefined)) {
        const { issueLines } = await import('../../report/render-table.js');
        io.stderr.write(issueLines(data, labels).slice(1).join('\n') + '\n');
      }
      if (flags.out !== undefined) io.stderr.write(`wrote ${flags.out}: ${data.groups.length} group(s) from ${data.rows} record(s)\n`);
    });
}
