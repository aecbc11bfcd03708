import { Command, InvalidArgumentError, Option } from 'commander';
import { APPENDABLE_FORMATS, PUSH_FORMATS } from '../../core/format-names.js';
import type { CliIo } from '../io.js';
import type { MonitorFlags } from '../../app/monitor.js';
import { addLocationOptions, examples, interfaceList, positiveNumber } from '../options.js';
import { bundledProfilesHelp } from '../../quality/registry.js';
import { RULES_BY, type RulesBy } from '../../monitor/rules-by.js';

/** rules --by: operator, interface, or both, separated by commas. */
export function rulesBy(v: string): RulesBy[] {
  const keys = v.split(',').map((k) => k.trim());
  const bad = keys.find((k) => !Object.hasOwn(RULES_BY, k));
  if (bad !== undefined) throw new InvalidArgumentError(`expected ${Object.keys(RULES_BY).join(' or ')} (comma-separated for both); found "${bad}"`);
  return [...new Set(keys)] as RulesBy[];
}

export function makeMonitorCommand(io: CliIo): Command {
  const cmd = addLocationOptions(
    new Command('monitor')
      .description('continuous availability: a small packet a second to every endpoint, a window record a minute, outage and degradation incidents, alerts')
      .option('-C, --config <file>', 'config file (endpoints, location, and its monitor: section)'),
  )
    .addOption(new Option('-f, --format <format>', 'format of the window records (a record a window, so a streaming one)').choices(APPENDABLE_FORMATS))
    .option('-o, --out <file>', 'append window records to this file (default: the config output, else stdout)')
    .option('--spool <dir>', 'keep window records in this spool for `qosprobe push` (default with --push: the user state dir)')
    .option('--push <url>', 'push the spool after every window (store and forward: unsent windows wait for the link)')
    .addOption(new Option('--push-format <format>', 'body format for --push').choices(PUSH_FORMATS))
    .option('--push-token <token>', 'bearer token for --push (prefer $QOSPROBE_PUSH_TOKEN)')
    .option('--alertmanager <url>', 'send incidents to this Prometheus Alertmanager (POST /api/v2/alerts)')
    .option('--webhook <url>', 'send incident records as JSON to this URL (Idempotency-Key per event)')
    .option('--incidents <file>', 'append incident records (NDJSON) here (default: the state dir)')
    .option('--duration <seconds>', 'stop after this long (default: until SIGINT/SIGTERM)', positiveNumber)
    .option('--no-host-info', 'do not record the network context')
    .option('--interface <names>', 'monitor every endpoint over each of these links (comma-separated, or "auto"): each endpoint × link its own stream, windows and incidents, labelled with its interface and operator. Overrides the config\'s interfaces and interface', interfaceList)
    .option('-q, --quiet', 'no incident lines on stderr');
  cmd.addHelpText(
    'after',
    examples(
      'qosprobe monitor --config /etc/qosprobe.yaml',
      'qosprobe monitor --alertmanager http://127.0.0.1:9093 --push http://127.0.0.1:8428/write --push-format influx',
      'qosprobe monitor --config /etc/qosprobe.yaml --interface wwan0,wwan1     # one stream per endpoint and modem',
      'qosprobe rules --profile itu-y1541 > qosprobe-rules.yml     # the centre side, for vmalert',
    ) + '\nRuns until SIGINT/SIGTERM (exit 0). Incidents and defaults: docs/monitor.md.\n',
  );
  cmd.action(async (opts: MonitorFlags) => {
    const [{ loadRequiredConfig }, { runMonitor }, { messagesFor }, { appIoOf }] = await Promise.all([
      import('../context.js'),
      import('../../app/monitor.js'),
      import('../i18n.js'),
      import('../io.js'),
    ]);
    const config = await loadRequiredConfig(opts.config, io);
    const m = messagesFor(io);
    const { exitCode } = await runMonitor({ config, flags: opts, io: appIoOf(io), noLocation: m.noLocation, messages: { locked: m.monitorLocked, detects: m.monitorDetects } });
    io.setExitCode(exitCode);
  });
  return cmd;
}

export function makeRulesCommand(io: CliIo): Command {
  const cmd = new Command('rules')
    .description('print Prometheus/vmalert alerting rules over the pushed metrics: a quality profile per location, and silent sites')
    .option('--profile <name>', 'quality profile: a bundled one (listed below) or a file', 'itu-y1541')
    .option('--silent-after <minutes>', 'a location that has not reported for this long is itself an alert', positiveNumber, 30)
    .option('--for <minutes>', 'how long a threshold must be broken before the alert fires', positiveNumber, 10)
    .option('--over <minutes>', 'averaging window of the quality rules', positiveNumber, 15)
    .option('--window <seconds>', "the monitor's window_s (the rules sample once a window)", positiveNumber, 60)
    .option('--interval <ms>', "the monitor's interval_ms", positiveNumber, 1000)
    .option('--loss-count <n>', "the monitor's outage.loss_count: windows with that many losses in a row, and their neighbours, are an outage, left out of the averages", positiveNumber, 3)
    .option('--by <keys>', `alert apart per ${Object.keys(RULES_BY).join(' or per ')} at a site (comma-separated for both), from the pushed series' operator and net_iface labels; default: per endpoint, links together`, rulesBy);
  cmd.addHelpText('after', () => examples('qosprobe rules --profile itu-y1541 > /etc/vmalert/qosprobe.yml', 'qosprobe rules --profile itu-y1541 --by operator > /etc/vmalert/qosprobe.yml     # one alert per operator at a site', 'vmalert -rule=/etc/vmalert/qosprobe.yml -datasource.url=http://127.0.0.1:8428 -notifier.url=http://127.0.0.1:9093') + '\n' + bundledProfilesHelp());
  cmd.action(async (opts: { profile: string; silentAfter: number; for: number; over: number; window: number; interval: number; lossCount: number; by?: RulesBy[] }) => {
    const [{ loadProfile }, { alertingRules }] = await Promise.all([import('../../quality/profiles.js'), import('../../monitor/rules.js')]);
    const profile = await loadProfile(opts.profile, io.cwd);
    io.stdout.write(
      alertingRules(profile, { silentAfterMin: opts.silentAfter, forMin: opts.for, overMin: opts.over, windowS: opts.window, intervalMs: opts.interval, lossCount: opts.lossCount, by: opts.by }),
    );
  });
  return cmd;
}
