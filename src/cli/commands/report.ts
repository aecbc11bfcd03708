/**
 * `qosprobe report FILES...`: aggregate result files per location (or endpoint, test, province,
 * probe) and rate the groups against a quality profile. The flags only: the action is app/report.ts's,
 * the work src/report/'s (imported when the command runs, so --version never loads it).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { appIoOf, type CliIo } from '../io.js';
import { examples, positiveInt } from '../options.js';
import { GROUP_KEYS as BY_KEYS, REGION_PREFIX, type GroupKey as ByKey } from '../../report/group-keys.js';
import { DEFAULT_PROFILE, bundledProfilesHelp } from '../../quality/registry.js';
import { MAX_DEFAULT_THREADS, REPORT_FORMATS, type ReportFlags } from '../../app/report.js';

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
    .option('--threads <n>', `worker threads reading input files in parallel (default the CPUs, at most ${MAX_DEFAULT_THREADS}; 1: no worker). The figures are the same either way`, positiveInt)
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
      const { runReport } = await import('../../app/report.js');
      await runReport({ inputs, flags, io: appIoOf(io), stdin: () => process.stdin });
    });
}
