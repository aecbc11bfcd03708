import { Command, Option } from 'commander';
import { PUSH_FORMATS } from '../../core/format-names.js';
import type { ScheduleFlags } from '../../app/schedule.js';
import type { CliIo } from '../io.js';
import { examples } from '../options.js';

export function makeScheduleCommand(io: CliIo): Command {
  const cmd = new Command('schedule')
    .description('print (not install) a crontab line, a systemd service + timer and a Windows schtasks command that run qosprobe unattended')
    .option('--every <interval>', 'how often: 1m..30m (dividing an hour), 1h..12h (dividing a day) or 1d')
    .option('--monitor', 'instead of timed runs: qosprobe monitor as a service that runs all the time (systemd service, Windows task at boot)')
    .option('-C, --config <file>', 'config file the runs use (default: the one `run` would find now)')
    .option('--push <url>', 'add --push URL to the scheduled run')
    .addOption(new Option('--push-format <format>', 'body format for --push: required when the URL path does not say which (see qosprobe push --help)').choices(PUSH_FORMATS));
  cmd.addHelpText(
    'after',
    examples(
      'qosprobe schedule --every 15m',
      'qosprobe schedule --every 15m --push http://vm.example:8428/api/v1/import/prometheus',
      'qosprobe schedule --every 1h --config /etc/qosprobe.yaml --push https://collector.example/ingest --push-format ndjson',
      'qosprobe schedule --monitor --config /etc/qosprobe.yaml --push http://vm.example:8428/write',
    ),
  );
  cmd.action(async (opts: ScheduleFlags) => {
    const { scheduleText } = await import('../../app/schedule.js');
    io.stdout.write(await scheduleText(io, opts, { node: process.execPath, platform: process.platform }));
  });
  return cmd;
}
