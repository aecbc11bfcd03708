/**
 * `qosprobe schedule` (and a library user's): the text that runs qosprobe unattended, printed not installed: a
 * crontab line, systemd units and a Windows schtasks command for timed runs, or a service for the continuous
 * monitor. The --push URL is checked now, as `run --push` would check it, not at 3 a.m.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { QosError } from '../core/errors.js';
import type { PushFormat } from '../core/format-names.js';
import { packageFile } from '../core/package-root.js';
import type { AppIo } from './io.js';

export interface ScheduleFlags {
  /** 1m..30m (dividing an hour), 1h..12h (dividing a day) or 1d; not with monitor. */
  every?: string;
  /** The continuous monitor as a service instead of timed runs. */
  monitor?: boolean;
  /** The config the runs use; absent: the one `run` would find now. */
  config?: string;
  push?: string;
  pushFormat?: PushFormat;
}

/** The machine the text is for: node's path (the scheduled command runs it) and the platform (Windows paths differ). */
export interface ScheduleHost {
  node: string;
  platform: NodeJS.Platform;
}

/** The schedule's text, ready to print; usage errors (QosError USAGE, CONFIG_NOT_FOUND) thrown. */
export async function scheduleText({ env, cwd }: Pick<AppIo, 'env' | 'cwd'>, opts: ScheduleFlags, host: ScheduleHost): Promise<string> {
  const [{ parseEvery }, gen, { findConfig }] = await Promise.all([import('../schedule/every.js'), import('../schedule/generate.js'), import('../config/load.js')]);
  if (opts.pushFormat && !opts.push) throw new QosError('USAGE', '--push-format needs --push URL');
  // The cron line must not lose data: the same check as run --push, now, not at 3 a.m.
  let pushNote: string | null = null;
  if (opts.push) {
    const [{ parsePushUrl }, { resolvePushTarget }] = await Promise.all([import('./unattended.js'), import('../spool/receiver.js')]);
    const target = resolvePushTarget(parsePushUrl(opts.push), opts.pushFormat, '--push-format');
    if (!target.keepsTime) {
      pushNote = `# note: ${target.why}: after an outage the backlog is refused (exit 2) rather than stamped with the push time; VictoriaMetrics /api/v1/import/prometheus keeps the measurement time.`;
    }
  }
  if (opts.monitor && opts.every) throw new QosError('USAGE', '--monitor runs all the time: it takes no --every');
  if (!opts.monitor && !opts.every) throw new QosError('USAGE', "required option '--every <interval>' not specified (or --monitor for the continuous monitor)");
  const config = findConfig(opts.config, env, cwd);
  if (config && !existsSync(config)) throw new QosError('CONFIG_NOT_FOUND', `config file ${config} does not exist (create one with: qosprobe init)`);
  // The package's bin/qosprobe.js: the path survives `npm i -g` and source checkouts alike.
  const bin = fileURLToPath(packageFile('bin/qosprobe.js'));
  const extraArgs = opts.push ? ['--push', opts.push, ...(opts.pushFormat ? ['--push-format', opts.pushFormat] : [])] : [];
  if (opts.monitor) {
    const sd = gen.monitorSystemdService({ node: host.node, bin, config, extraArgs });
    const st = gen.monitorSchtasksCommand(gen.windowsPaths({ node: host.node, bin, config, extraArgs }, host.platform));
    return [
      '# qosprobe monitor as a service: a packet a second to every endpoint, incidents and alerts (docs/monitor.md).',
      config ? `# config: ${config}` : '# no config found now: the monitor will search $QOSPROBE_CONFIG, ./qosprobe.yaml, the user config dir',
      ...(pushNote ? [pushNote] : []),
      '',
      `## systemd (user unit: ~/.config/systemd/user/${sd.serviceName}; then: systemctl --user daemon-reload && systemctl --user enable --now ${sd.serviceName}; loginctl enable-linger $USER)`,
      sd.service,
      '## Windows Task Scheduler (cmd.exe as administrator): starts at boot',
      ...windowsNote(config, host.platform),
      st.command,
      ...(st.trLength > 261 ? [`# note: the /TR command is ${st.trLength} characters; schtasks accepts 261. Shorten the paths or wrap it in a .cmd file.`] : []),
      '',
    ].join('\n');
  }
  const every = parseEvery(opts.every as string);
  if (!every.ok) throw new QosError('USAGE', `--every: ${every.reason}`);
  const input = { every: every.every, node: host.node, bin, config, extraArgs };
  const t = gen.timing(every.every);
  const sd = gen.systemdUnits(input);
  const st = gen.schtasksCommand(gen.windowsPaths(input, host.platform));
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
    ...windowsNote(config, host.platform),
    st.command,
    ...(st.trLength > 261 ? [`# note: the /TR command is ${st.trLength} characters; schtasks accepts 261. Shorten the paths or wrap the run in a .cmd file.`] : []),
    '',
  ];
  return out.join('\n');
}

/** Off Windows, the schtasks line's paths are Windows defaults, not this machine's: say so, and how to check them. */
function windowsNote(config: string | null, platform: NodeJS.Platform): string[] {
  if (platform === 'win32') return [];
  return [
    `# generated on ${platform}: the paths below are the Windows defaults of \`npm install -g\` (node.exe, %APPDATA%\\npm\\node_modules\\qosprobe)${config ? ' and the user config dir (%APPDATA%\\qosprobe\\config.yaml)' : ''}; check them on the Windows machine with \`where node\` and \`npm root -g\`.`,
  ];
}
