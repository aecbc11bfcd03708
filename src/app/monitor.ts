/**
 * `qosprobe monitor`: config and flags → a monitor session (src/monitor/session.ts), with the
 * same output sink, spool and push as `run`. Loaded only when the command runs.
 */
import { createHash, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { EXIT, QosError, errorMessage } from '../core/errors.js';
import { SERVE_DEFAULTS } from '../core/serve-defaults.js';
import type { Config } from '../config/types.js';
import { MONITOR_DEFAULTS, type MonitorConfig } from '../config/monitor.js';
import { resolveLocation } from '../config/resolve-location.js';
import { openSink } from '../output/sink.js';
import { formats } from '../output/formats.js';
import { APPENDABLE_FORMATS, formatList, type FormatName, type PUSH_FORMATS } from '../core/format-names.js';
import type { ResultRecord } from '../core/schema.js';
import { identityOf } from '../records/assemble.js';
import { alertmanagerReceiver, webhookReceiver, type AlertReceiver } from '../monitor/alerts.js';
import { acquireMonitorLock, runMonitorSession, type SessionEndpoint } from '../monitor/session.js';
import { thresholdsOf, type ThresholdRule } from '../quality/thresholds.js';
import type { MonitorMethod } from '../monitor/core.js';
import { wireBytesPerPacket } from '../probes/continuous.js';
import type { IncidentRecord } from '../monitor/core.js';
import type { AppIo } from './io.js';
import { applyFlags, hostInfoTimeoutMs, runContextOf } from './run.js';
import { linkContexts, linksOf, type LinkChoice } from './links.js';

/** The monitor's options (the monitor command's flags, as commander gives them). */
export interface MonitorFlags {
  location?: string;
  locationUnchecked?: boolean;
  config?: string;
  format?: FormatName;
  out?: string;
  spool?: string | false;
  push?: string;
  pushFormat?: (typeof PUSH_FORMATS)[number];
  pushToken?: string;
  alertmanager?: string;
  webhook?: string;
  incidents?: string;
  duration?: number;
  hostInfo?: boolean;
  /** --interface: monitor every endpoint over each of these links (issue 22), over the config's `interfaces:`. */
  interface?: string[] | 'auto';
  quiet?: boolean;
}

/**
 * The monitor's streams: each endpoint's probe (STAMP where it has a stamp test, a reflector answers there; else TCP,
 * else ICMP), once over each link (issue 22), as `run`'s plan (run/link-plan.ts): with --interface every endpoint over
 * each of them; with the config's `interfaces:` an endpoint whose monitored test (or the endpoint itself) names its own
 * `interface:` over that one only, the others over each; without links, as configured.
 */
export function monitoredEndpoints(config: Config, m: MonitorConfig, links: LinkChoice = { names: null, override: false }): SessionEndpoint[] {
  return config.endpoints.flatMap((e) => {
    const port = (kind: string) => (e.tests.find((t) => t.kind === kind) as { port?: number } | undefined)?.port ?? null;
    let method: MonitorMethod;
    if (m.method !== 'auto') method = m.method;
    else method = port('stamp') !== null ? 'stamp' : port('tcp') !== null ? 'tcp' : 'icmp';
    const p = method === 'icmp' ? null : (port(method) ?? (method === 'stamp' ? SERVE_DEFAULTS.stampPort : null));
    if (method === 'tcp' && p === null) {
      throw new QosError('CONFIG_INVALID', `${config.file}: monitor.method: tcp needs a port, but endpoint "${e.name}" has no tcp test with one`);
    }
    // The endpoint's own test of that kind (its size, family...) at the monitor's pace.
    const test = e.tests.find((t) => t.kind === method);
    const spec = test ? { ...test, intervalMs: m.intervalMs, timeoutMs: m.timeoutMs } : undefined;
    const base: SessionEndpoint = { name: e.name, host: e.host, port: p, method, target: p === null ? e.host : `${e.host}:${p}`, ...(spec ? { spec } : {}) };
    // Its own link: the monitored test's `interface:`, else the endpoint's (validate.ts gives it to every test of the endpoint).
    const own = test?.bind?.device ?? (e.tests.length > 0 && e.tests.every((t) => t.bind?.device === e.tests[0]?.bind?.device) ? e.tests[0]?.bind?.device : undefined);
    const over = (link: string | undefined): SessionEndpoint => (link ? { ...base, link } : base);
    if (!links.names || links.names.length === 0) return [over(own)];
    if (own && !links.override) return [over(own)];
    return links.names.map((l) => over(l));
  });
}

export interface MonitorOptions {
  config: Config;
  flags: MonitorFlags;
  io: AppIo;
  /** The error message of a config without a location (the CLI's, in the user's language). */
  noLocation?: (file: string) => string;
  /** Each window record, as it is written (a library user's hook; the sinks get it anyway). */
  onWindow?(r: ResultRecord): void;
  /** Each incident record (open, then closed), as it is written. */
  onIncident?(r: IncidentRecord): void;
  /** What the monitor says in the user's language (the CLI's catalogue); English by default. */
  messages?: MonitorMessages;
}

export interface MonitorMessages {
  /** A second monitor of the same config (exit 5). */
  locked(config: string, holder: string, lockPath: string): string;
  /** What the start-up line says it detects: outages and degradations against a profile, or outages only. */
  detects(profile: string | null): string;
}

const ENGLISH: MonitorMessages = {
  locked: (config, holder, lockPath) =>
    `another monitor of ${config} is already running (${holder}; lock ${lockPath}): two would close each other's incidents. Stop it first (systemctl stop, or kill that pid).`,
  detects: (profile) => (profile ? `outages and degradations against profile ${profile}` : 'outages only (no monitor.degradation.profile)'),
};

const NO_LOCATION = (file: string) => `${file}: location: the monitor needs a location code (location.code, --location or QOSPROBE_LOCATION)`;

/**
 * Run a config's monitor until the signal (or --duration): window records to the same places as `run`'s records
 * (output, spool, push), incidents to the incidents file and the alert receivers. Returns the exit code it calls for.
 */
export async function runMonitor({ config, flags, io, noLocation = NO_LOCATION, onWindow, onIncident, messages = ENGLISH }: MonitorOptions): Promise<{ exitCode: number; windows: number; incidents: number }> {
  const m: MonitorConfig = {
    ...(config.monitor ?? MONITOR_DEFAULTS),
    ...(flags.alertmanager ? { alertmanager: flags.alertmanager } : {}),
    ...(flags.webhook ? { webhook: flags.webhook } : {}),
  };
  if (config.endpoints.length === 0) throw new QosError('CONFIG_INVALID', `${config.file}: endpoints: expected at least one endpoint to monitor, found none`);
  const location = await resolveLocation({ flag: flags.location, unchecked: Boolean(flags.locationUnchecked), env: io.env, config });
  if (location.code === null) throw new QosError('CONFIG_INVALID', noLocation(config.file ?? 'config'));
  (await import('../config/locations.js')).releaseRegionTable();

  const endpoints = monitoredEndpoints(config, m, await linksOf(config, flags.interface));
  let rules: ThresholdRule[] = [];
  if (m.profile) {
    const { loadProfile } = await import('../quality/profiles.js');
    try {
      rules = thresholdsOf(await loadProfile(m.profile, config.file ? resolve(config.file, '..') : io.cwd));
    } catch (err) {
      // The name came from the config, not a flag: a config error (exit 3) naming the file and the field.
      if (!(err instanceof QosError)) throw err;
      throw new QosError('CONFIG_INVALID', `${config.file ?? 'config'}: monitor.degradation.profile: ${err.message.replace(/^--profile /, '')}`, { cause: err });
    }
  }
  const { stateDir, defaultSpoolDir } = await import('../spool/paths.js');
  const configKey = config.file ? resolve(io.cwd, config.file) : `builtin:${io.cwd}`;
  const dir = join(stateDir(io.env), 'monitor', createHash('sha256').update(configKey).digest('hex').slice(0, 16));
  // One monitor per config, before anything is opened or measured (exit 5 for the second).
  const lock = acquireMonitorLock(dir, (holder, lockPath) => messages.locked(config.file ? resolve(io.cwd, config.file) : 'the built-in config', holder, lockPath));
  const unregister = io.atExit?.(() => lock.release()); // a lock must not outlive the process whatever path it takes out
  try {
    return await monitorWithLock({ config, flags, io, onWindow, onIncident }, m, endpoints, rules, location, dir, defaultSpoolDir, messages);
  } finally {
    lock.release();
    unregister?.();
  }
}

async function monitorWithLock(
  { config, flags, io, onWindow, onIncident }: Pick<MonitorOptions, 'config' | 'flags' | 'io' | 'onWindow' | 'onIncident'>,
  m: MonitorConfig,
  endpoints: SessionEndpoint[],
  rules: ThresholdRule[],
  location: Awaited<ReturnType<typeof resolveLocation>>,
  dir: string,
  defaultSpoolDir: (env: NodeJS.ProcessEnv) => string,
  messages: MonitorMessages,
): Promise<{ exitCode: number; windows: number; incidents: number }> {
  // `run`'s rule for where records go (app/run.ts applyFlags): the config's output file only in the config's format.
  const output = applyFlags(config, { format: flags.format, out: flags.out }).output;
  const format = output.format;
  const fmt = formats[format];
  if (!fmt.streaming) throw new QosError('USAGE', `monitor writes a record a window for as long as it runs: use a streaming format (${formatList(APPENDABLE_FORMATS)}), not ${format}`);
  const path = output.path;
  // resumeAfterFailure: a transient full disk costs the windows it hit, not every later one.
  const sink = openSink({ format, path: path ? resolve(io.cwd, path) : null, append: path !== null, stdout: io.stdout, resumeAfterFailure: true });

  const receivers: AlertReceiver[] = [];
  try {
    if (m.alertmanager) receivers.push(alertmanagerReceiver(m.alertmanager));
    if (m.webhook) receivers.push(webhookReceiver(m.webhook, io.env.QOSPROBE_WEBHOOK_TOKEN ?? null));
  } catch (err) {
    throw new QosError('USAGE', `--alertmanager/--webhook: ${errorMessage(err)}`);
  }

  const ctx = await runContextOf(config, location, randomUUID(), flags.hostInfo !== false, hostInfoTimeoutMs(io.env));
  // Each link's own context, read once like the default route's: a stream over wwan1 is labelled wwan1's operator.
  const perLink = await linkContexts(
    endpoints.flatMap((e) => (e.link ? [e.link] : [])),
    ctx,
    flags.hostInfo !== false,
  );

  // Store and forward: every round of windows becomes a spool batch; --push sends the spool after each.
  const spoolDir = flags.spool === false ? null : typeof flags.spool === 'string' ? resolve(io.cwd, flags.spool) : flags.push ? defaultSpoolDir(io.env) : null;
  const pushUrl = flags.push ? (await import('./unattended.js')).parsePushUrl(flags.push) : null;
  // The receiver decides the format (docs/field-operations.md): settled now, a usage error before monitoring.
  const pushTarget = pushUrl ? (await import('../spool/receiver.js')).resolvePushTarget(pushUrl, flags.pushFormat, '--push-format') : null;
  let batch: ResultRecord[] = [];
  let pushedPending = 0;
  const onWindowsDone = async () => {
    if (!spoolDir) return;
    const records = batch;
    batch = [];
    const { writeBatch } = await import('../spool/spool.js');
    try {
      writeBatch(spoolDir, `monitor-${randomUUID()}`, records);
    } catch (err) {
      log(`spool: ${errorMessage(err)}`);
    }
    if (pushUrl && pushTarget) {
      const { pushAndReport } = await import('./unattended.js');
      // The last push, after SIGTERM, gets its own bounded time: stopping the service must not drop the last windows.
      const pushIo = io.signal.aborted ? { ...io, signal: AbortSignal.timeout(10_000) } : io;
      const res = await pushAndReport(pushIo, {
        dir: spoolDir,
        url: pushUrl,
        target: pushTarget,
        token: flags.pushToken ?? io.env.QOSPROBE_PUSH_TOKEN ?? null,
        deadlineMs: 20_000,
        // The row check waits 2.5 s after a push: not between every round of windows.
        verify: false,
        summary: false,
      });
      pushedPending = res.pending.length;
    }
  };

  const log = (line: string) => {
    if (!flags.quiet) io.events.say(`qosprobe monitor: ${line}\n`);
  };
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  io.signal.addEventListener('abort', stop, { once: true });
  const durationTimer = flags.duration ? setTimeout(stop, flags.duration * 1000) : undefined;
  // Where the file really is (a relative monitor.incidents is relative to the config file).
  const incidentsPath = flags.incidents ? resolve(io.cwd, flags.incidents) : m.incidentsPath ? resolve(config.file ? resolve(io.cwd, config.file, '..') : io.cwd, m.incidentsPath) : join(dir, 'incidents.ndjson');
  const bytesPerHour = endpoints.reduce((n, e) => n + wireBytesPerPacket(e.method) * (3_600_000 / m.intervalMs), 0);
  log(
    `${endpoints.map((e) => `${e.name} (${e.method} ${e.target}${e.link ? ` over ${e.link}` : ''})`).join(', ')}; a packet every ${m.intervalMs} ms, lost after ${m.timeoutMs} ms; ` +
      `windows of ${m.windowS} s; about ${(bytesPerHour / 1e6).toFixed(2)} MB/h on the wire; detects ${messages.detects(m.profile)}; incidents: ${incidentsPath}`,
  );
  let sinkError: unknown = null;
  let windowsLost = 0;
  const startedAt = new Date();
  let done: { windows: number; incidents: number };
  try {
    done = await runMonitorSession({
      ctx,
      linkContexts: perLink,
      endpoints,
      intervalMs: m.intervalMs,
      timeoutMs: m.timeoutMs,
      windowMs: m.windowS * 1000,
      detection: {
        lossCount: m.lossCount,
        recoverCount: m.recoverCount,
        windowMs: m.degradationWindowS * 1000,
        minSamples: m.minSamples,
        holdDownMs: m.holdDownS * 1000,
      },
      rules,
      profile: m.profile,
      stateDir: dir,
      incidentsPath,
      receivers,
      resendMs: m.resendS * 1000,
      signal: ctl.signal,
      onIncident,
      onWindow: (r) => {
        onWindow?.(r);
        if (spoolDir) batch.push(r);
        try {
          sink.write(r);
          if (windowsLost > 0) log(`writing windows again (${windowsLost} lost while the output could not take them)`);
          windowsLost = 0;
        } catch (err) {
          // A full disk must not stop the monitor: the spool still keeps the windows, the next window is tried again; exit 4 at the end.
          sinkError ??= err;
          if (windowsLost++ === 0) log(errorMessage(err));
        }
      },
      onWindowsDone: spoolDir ? onWindowsDone : undefined,
      log,
    });
  } finally {
    clearTimeout(durationTimer);
    io.signal.removeEventListener('abort', stop);
    try {
      sink.close({ ...identityOf(ctx), started_at: startedAt.toISOString(), finished_at: new Date().toISOString(), status: 'completed' });
    } catch (err) {
      sinkError ??= err;
    }
  }
  if (sinkError !== null) throw sinkError;
  // Stopping a service is its normal end (exit 0, not 130); windows still waiting to be pushed say so.
  return { exitCode: pushedPending > 0 ? EXIT.PUSH_PENDING : EXIT.OK, ...done };
}
