import { Command, Option } from 'commander';
import { QosError } from '../../core/errors.js';
import { PUSH_FORMATS, type PushFormat } from '../../core/format-names.js';
import type { CliIo } from '../io.js';
import { examples } from '../options.js';
import { packageFile } from '../../core/package-root.js';

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
  cmd.action(async (opts: { every?: string; monitor?: boolean; config?: string; push?: string; pushFormat?: PushFormat }) => {
    const [{ parseEvery }, gen, { findConfig }, { fileURLToPath }, { existsSync }] = await Promise.all([
      import('../../schedule/every.js'),
      import('../../schedule/generate.js'),
      import('../../config/load.js'),
      import('node:url'),
      import('node:fs'),
    ]);
    if (opts.pushFormat && !opts.push) throw new QosError('USAGE', '--push-format needs --push URL');
    // The cron line must not lose data: the same check as run --push, now, not at 3 a.m.
    let pushNote: string | null = null;
    if (opts.push) {
      const [{ parsePushUrl }, { resolvePushTarget }] = await Promise.all([import('../../app/unattended.js'), import('../../spool/receiver.js')]);
      const target = resolvePushTarget(parsePushUrl(opts.push), opts.pushFormat, '--push-format');
      if (!target.keepsTime) {
        pushNote = `# note: ${target.why}: after an outage the backlog is refused (exit 2) rather than stamped with the push time; VictoriaMetrics /api/v1/import/prometheus keeps the measurement time.`;
      }
    }
    if (opts.monitor && opts.every) throw new QosError('USAGE', '--monitor runs all the time: it takes no --every');
    if (!opts.monitor && !opts.every) throw new QosError('USAGE', "required option '--every <interval>' not specified (or --monitor for the continuous monitor)");
    const config = findConfig(opts.config, io.env, io.cwd);
    if (config && !existsSync(config)) throw new QosError('CONFIG_NOT_FOUND', `config file ${config} does not exist (create one with: qosprobe init)`);
    // The package's bin/qosprobe.js: the path survives `npm i -g` and source checkouts alike.
    const bin = fileURLToPath(packageFile('bin/qosprobe.js'));
    const extraArgs = opts.push ? ['--push', opts.push, ...(opts.pushFormat ? ['--push-format', opts.pushFormat] : [])] : [];
    if (opts.monitor) {
      const sd = gen.monitorSystemdService({ node: process.execPath, bin, config, extraArgs });
      const st = gen.monitorSchtasksCommand(gen.windowsPaths({ node: process.execPath, bin, config, extraArgs }, process.platform));
      io.stdout.write(
        [
          '# qosprobe monitor as a service: a packet a second to every endpoint, incidents and alerts (docs/monitor.md).',
          config ? `# config: ${config}` : '# no config found now: the monitor will search $QOSPROBE_CONFIG, ./qosprobe.yaml, the user config dir',
          ...(pushNote ? [pushNote] : []),
          '',
          `## systemd (user unit: ~/.config/systemd/user/${sd.serviceName}; then: systemctl --user daemon-reload && systemctl --user enable --now ${sd.serviceName}; loginctl enable-linger $USER)`,
          sd.service,
          '## Windows Task Scheduler (cmd.exe as administrator): starts at boot',
          ...windowsNote(config),
          st.command,
          ...(st.trLength > 261 ? [`# note: the /TR command is ${st.trLength} characters; schtasks accepts 261. Shorten the paths or wrap it in a .cmd file.`] : []),
          '',
        ].join('\n'),
      );
      return;
    }
    const every = parseEvery(opts.every as string);
    if (!every.ok) throw new QosError('USAGE', `--every: ${every.reason}`);
    const input = { every: every.every, node: process.execPath, bin, config, extraArgs };
    const t = gen.timing(every.every);
    const sd = gen.systemdUnits(input);
    const st = gen.schtasksCommand(gen.windowsPaths(input, process.platform));
    const out = [
      `# qosprobe every ${opts.every}: random start within ${t.splaySeconds} s, deadline ${t.deadlineSeconds} s, overlapping runs exit 5.`,
      config ? `# config: ${config}` : '# no config found now: the run will search $QOSPROBE_CONFIG, ./qosprobe.yaml, the user config dir',
      ...(pushNote ? [pushNote] : []),
      '',
      '## cron (crontab -e)',
      gen.cronLine(input),
      '',
      `## systemd (user units: ~/.config/systemd/user/; then: systemctl --user daemon-reload && systemctl --user enable --now ${sd.timerName}; loginctl enable-linger $USER to run while logged out)`,
      `# ${sd.serviceName}`,
      sd.service,
      `# ${sd.timerName}`,
      sd.timer,
      '## Windows Task Scheduler (cmd.exe, as the user the task runs as; add /RU SYSTEM to run while logged out)',
      ...windowsNote(config),
      st.command,
      ...(st.trLength > 261 ? [`# note: the /TR command is ${st.trLength} characters; schtasks accepts 261. Shorten the paths or wrap the run in a .cmd file.`] : []),
      '',
    ];
    io.stdout.write(out.join('\n'));
  });
  return cmd;
}

/** Off Windows, the schtasks line's paths are Windows defaults, not this machine's: say so, and how to check them. */
function windowsNote(config: string | null): string[] {
  if (process.platform === 'win32') return [];
  return [
    `# generated on ${process.platform}: the paths below are the Windows defaults of \`npm install -g\` (node.exe, %APPDATA%\\npm\\node_modules\\qosprobe)${config ? ' and the user config dir (%APPDATA%\\qosprobe\\config.yaml)' : ''}; check them on the Windows machine with \`where node\` and \`npm root -g\`.`,
  ];
}
