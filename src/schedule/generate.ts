/**
 * Ready-to-paste schedules for an unattended `qosprobe run`: a crontab line, a systemd
 * service + timer pair, and a Windows `schtasks` command. Pure: paths in, text out. They
 * are printed, never installed: scheduling is the administrator's decision.
 */
import type { Every } from './every.js';

export interface ScheduleInput {
  every: Every;
  /** Absolute path of the node binary (process.execPath). */
  node: string;
  /** Absolute path of bin/qosprobe.js. */
  bin: string;
  /** Absolute path of the config file, or null to let run search for it. */
  config: string | null;
  /** Extra `run` arguments, already split (e.g. ['--push', 'https://...']). */
  extraArgs?: readonly string[];
  /** Unit/task name. */
  name?: string;
}

/** Defaults that keep consecutive runs apart: a random start within 10% of the interval (max 5 min), finished before the next one starts. */
export function timing(every: Every): { splaySeconds: number; deadlineSeconds: number } {
  const splaySeconds = Math.min(300, Math.round(every.seconds * 0.1));
  const deadlineSeconds = Math.max(30, every.seconds - splaySeconds - Math.min(60, Math.round(every.seconds * 0.05)));
  return { splaySeconds, deadlineSeconds };
}

function runArgs(input: ScheduleInput, splay: boolean): string[] {
  const t = timing(input.every);
  return [
    'run',
    ...(input.config ? ['--config', input.config] : []),
    '--quiet',
    ...(splay ? ['--splay', String(t.splaySeconds)] : []),
    '--deadline',
    String(t.deadlineSeconds),
    ...(input.extraArgs ?? []),
  ];
}

/** POSIX sh single quotes; cron additionally treats % as a newline unless escaped. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function cronLine(input: ScheduleInput): string {
  const e = input.every;
  const when = e.unit === 'minute' ? (e.n === 1 ? '* * * * *' : `*/${e.n} * * * *`) : e.unit === 'hour' ? (e.n === 1 ? '0 * * * *' : `0 */${e.n} * * *`) : '0 0 * * *';
  const cmd = [input.node, input.bin, ...runArgs(input, true)].map(shQuote).join(' ').replace(/%/g, '\\%');
  // Records go to the spool (and the config's output.path); stdout would be mailed by cron every time. Errors still are.
  return `${when} ${cmd} >/dev/null`;
}

/** systemd quoting for ExecStart: double quotes, backslash and quote escaped, % doubled (specifier). */
function sdQuote(s: string): string {
  const q = /^[A-Za-z0-9_@+=:,./-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return q.replace(/%/g, '%%');
}

/** How long the scheduled service waits for a default route before it runs anyway. */
export const NETWORK_WAIT_SECONDS = 60;

export interface SystemdUnits {
  serviceName: string;
  service: string;
  timerName: string;
  timer: string;
}

export function systemdUnits(input: ScheduleInput): SystemdUnits {
  const name = input.name ?? 'qosprobe';
  const e = input.every;
  const t = timing(e);
  const onCalendar = e.unit === 'minute' ? `*:0/${e.n}` : e.unit === 'hour' ? `0/${e.n}:00` : 'daily';
  const exec = [input.node, input.bin, ...runArgs(input, false)].map(sdQuote).join(' ');
  const service = [
    '[Unit]',
    'Description=qosprobe field QoS measurement',
    '',
    '[Service]',
    'Type=oneshot',
    // A user unit cannot order itself after network-online.target (a system target: it would do nothing), and a
    // catch-up run right after resume (Persistent=true) would start before Wi-Fi or the modem is back.
    `# Waits up to ${NETWORK_WAIT_SECONDS} s for a default route (a user unit cannot use network-online.target); then runs anyway: no network is a record (NETWORK_UNREACHABLE).`,
    `ExecStartPre=-/usr/bin/timeout ${NETWORK_WAIT_SECONDS} /bin/sh -c "until ip route show default | grep -q default; do sleep 1; done"`,
    `ExecStart=${exec}`,
    '# 6: measured and spooled, but some batches wait for the next push; not a failure of this unit.',
    'SuccessExitStatus=6',
    `TimeoutStartSec=${t.deadlineSeconds + 60 + NETWORK_WAIT_SECONDS}`,
    'Nice=10',
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=Run qosprobe every ${e.unit === 'day' ? 'day' : `${e.n} ${e.unit}${e.n > 1 ? 's' : ''}`}`,
    '',
    '[Timer]',
    `OnCalendar=${onCalendar}`,
    // systemd spreads the start itself (RandomizedDelaySec), so the service does not --splay.
    `RandomizedDelaySec=${t.splaySeconds}`,
    'Persistent=true',
    'AccuracySec=1s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { serviceName: `${name}.service`, service, timerName: `${name}.timer`, timer };
}

/**
 * The schtasks line is pasted on a Windows machine: paths generated elsewhere (a Linux build host) would be wrong there.
 * Off Windows, node, qosprobe and the config take where `npm install -g` and qosprobe put them on Windows (marked as
 * such by the caller); on Windows they stay as found.
 */
export function windowsPaths<T extends { node: string; bin: string; config: string | null }>(input: T, platform: NodeJS.Platform): T {
  if (platform === 'win32') return input;
  return { ...input, node: WINDOWS_DEFAULTS.node, bin: WINDOWS_DEFAULTS.bin, config: input.config === null ? null : WINDOWS_DEFAULTS.config };
}

export const WINDOWS_DEFAULTS = {
  node: 'C:\\Program Files\\nodejs\\node.exe',
  bin: '%APPDATA%\\npm\\node_modules\\qosprobe\\bin\\qosprobe.js',
  config: '%APPDATA%\\qosprobe\\config.yaml',
} as const;

/** Windows: quote for the command line inside /TR (quotes escaped as \"). */
function winQuote(s: string): string {
  return /^[A-Za-z0-9_@+=:,./\\-]+$/.test(s) ? s : `\\"${s}\\"`;
}

export function schtasksCommand(input: ScheduleInput): { command: string; trLength: number } {
  const name = input.name ?? 'qosprobe';
  const e = input.every;
  const sc = e.unit === 'minute' ? `/SC MINUTE /MO ${e.n}` : e.unit === 'hour' ? `/SC HOURLY /MO ${e.n}` : '/SC DAILY /ST 00:00';
  const tr = [input.node, input.bin, ...runArgs(input, true)].map(winQuote).join(' ');
  return { command: `schtasks /Create /F /TN "${name}" ${sc} /TR "${tr}"`, trLength: tr.replace(/\\"/g, '"').length };
}

/** `qosprobe monitor` as a service: it runs all the time, so a service that restarts it, not a timer. */
export interface MonitorServiceInput {
  node: string;
  bin: string;
  config: string | null;
  extraArgs?: readonly string[];
  name?: string;
}

function monitorArgs(input: MonitorServiceInput): string[] {
  return ['monitor', ...(input.config ? ['--config', input.config] : []), ...(input.extraArgs ?? [])];
}

export function monitorSystemdService(input: MonitorServiceInput): { serviceName: string; service: string } {
  const name = input.name ?? 'qosprobe-monitor';
  const exec = [input.node, input.bin, ...monitorArgs(input)].map(sdQuote).join(' ');
  const service = [
    '[Unit]',
    'Description=qosprobe continuous monitor (outages, degradations, alerts)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    `ExecStart=${exec}`,
    // Window records go to the config's output or the spool; stdout would fill the journal.
    'StandardOutput=null',
    '# SIGTERM stops it cleanly (exit 0: last windows written, open incidents closed); 6: windows still wait in the spool.',
    'SuccessExitStatus=6',
    'Restart=always',
    'RestartSec=10',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
  return { serviceName: `${name}.service`, service };
}

/** Windows: a task that starts the monitor at boot and restarts it when it ends. */
export function monitorSchtasksCommand(input: MonitorServiceInput): { command: string; trLength: number } {
  const name = input.name ?? 'qosprobe-monitor';
  const tr = [input.node, input.bin, ...monitorArgs(input)].map(winQuote).join(' ');
  return { command: `schtasks /Create /F /TN "${name}" /SC ONSTART /RU SYSTEM /TR "${tr}"`, trLength: tr.replace(/\\"/g, '"').length };
}
