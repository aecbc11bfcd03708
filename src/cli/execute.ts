/**
 * The shared path of every measuring command (run, demo, the ad hoc ones): apply flags
 * over the config, resolve the location, open the output before measuring (so a bad
 * --out fails in a second, not after ten minutes), run, write, pick the exit code.
 */
import { randomUUID } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { EXIT, QosError } from '../core/errors.js';
import type { Config } from '../config/types.js';
import { resolveLocation } from '../config/resolve-location.js';
import type { Location } from '../core/location.js';
import { openSinkWaiting } from '../output/sink.js';
import { sinkList } from '../output/record-sink.js';
import type { RunInfo } from '../output/formats.js';
import { probeFor } from '../probes/index.js';
import { identityOf, type RunContext } from '../records/assemble.js';
import { runPlan, type PlannedTest } from '../run/runner.js';
import { toolVersion } from '../version.js';
import type { CliIo } from './io.js';
import type { UnattendedFlags } from './unattended.js';
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
}

/** Output flags over the file's output block (the location has its own resolver: config/resolve-location.ts). */
export function applyFlags(config: Config, flags: MeasureFlags): Config {
  // The config's output file belongs to the config's format: `run --format ndjson | jq` means
  // stdout, not ndjson appended to results.csv. Another format without --out goes to stdout.
  const format = flags.format ?? config.output.format;
  const keepFile = flags.out === undefined && format === config.output.format;
  // `-o -` is stdout, whatever the config says (`run -o - | mlr ...` with init's config).
  const stdout = flags.out === '-';
  return {
    ...config,
    output: {
      format,
      path: stdout ? null : (flags.out ?? (keepFile ? config.output.path : null)),
      append: stdout ? false : (flags.append ?? (keepFile ? config.output.append : false)),
    },
  };
}

/**
 * How long the network context may take (3 s): QOSPROBE_HOST_INFO_TIMEOUT_MS raises it where a loaded machine is
 * slower than that (the test suite compares it with what it sees itself; under load the 3 s ran out).
 */
function hostInfoTimeoutMs(): number {
  const ms = Number(process.env.QOSPROBE_HOST_INFO_TIMEOUT_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : 3000;
}

/** Who and where every record of a run (or a monitor's windows) says it was measured, with the host's network context. */
export async function runContextOf(config: Config, location: Location, runId: string, hostInfo: boolean): Promise<RunContext> {
  return {
    runId,
    probeId: config.probeId,
    location,
    toolVersion: toolVersion(),
    extra: hostInfo ? await (await import('../host/host-info.js')).gatherHostInfo({ timeoutMs: hostInfoTimeoutMs() }) : undefined,
  };
}

export async function execute({ config: fileConfig, flags, io, requireLocation, unattended: unattendedFlags }: ExecuteOptions): Promise<void> {
  const config = applyFlags(fileConfig, flags);
  const location = await resolveLocation({ flag: flags.location, unchecked: Boolean(flags.locationUnchecked), env: io.env, config });
  if (requireLocation && location.code === null) {
    throw new QosError(
      'CONFIG_INVALID',
      messagesFor(io).noLocation(config.file ?? 'config'),
    );
  }
  if (config.endpoints.length === 0) {
    throw new QosError('CONFIG_INVALID', `${config.file ?? 'config'}: endpoints: expected at least one endpoint with tests, found none`);
  }

  const plan: PlannedTest[] = config.endpoints.flatMap((e) =>
    e.tests.map((spec) => ({ endpoint: { name: e.name, host: e.host }, spec, probe: probeFor(spec.kind)! })),
  );
  const runId = randomUUID();
  // After validation (a bad config fails at once, not after a splay); before measuring.
  const unattended = unattendedFlags ? await (await import('./unattended.js')).prepareUnattendedRun(unattendedFlags, config, io, runId) : null;
  // Network context on every record, read once, after any splay and just before measuring.
  const ctx = await runContextOf(config, location, runId, flags.hostInfo !== false);
  // The first hop on every record: the gateway pinged alongside each test, where one is known.
  // QOSPROBE_GATEWAY_PING=0 turns it off for every command (the test suite: no packet to a real gateway).
  const gateway = flags.gatewayPing === false || io.env.QOSPROBE_GATEWAY_PING === '0' ? null : (ctx.extra?.gateway ?? null);
  const alongside = gateway ? (await import('../host/gateway.js')).alongsideGateway(gateway) : undefined;
  const startedAt = new Date();
  // --wait-lock queues behind another writer of the same output file too, not only the same config.
  const sink = await openSinkWaiting(
    { format: config.output.format, path: config.output.path, append: config.output.append, stdout: io.stdout, onNote: (m) => io.stderr.write(`qosprobe: ${m}\n`) },
    { waitMs: (unattendedFlags?.waitLock ?? 0) * 1000, signal: io.signal },
  ).catch((err: unknown) => {
    for (const e of unattended?.sinks ?? []) e.sink.abort();
    unattended?.release();
    throw err;
  });
  const ui = await createUi(io, { quiet: Boolean(flags.quiet) });
  // Every record to every sink: the spool and the textfile first, then the output. A sink that
  // fails mid-run (disk full) gets no more records and the others keep theirs; a failed --out is
  // reported (exit 4) once the run is over.
  let outError: unknown = null;
  const sinks = sinkList([
    ...(unattended?.sinks ?? []),
    {
      sink,
      onError: (err) => {
        outError = err;
      },
    },
  ]);
  let result;
  try {
    result = await runPlan(plan, ctx, {
      signal: io.signal,
      deadlineMs: flags.deadline != null ? flags.deadline * 1000 : null,
      alongside,
      onFailure: flags.traceOnFailure
        ? async (t, _r, signal) => {
            const { traceVerdict, FAILURE_TRACE_ROUNDS } = await import('../probes/trace.js');
            return traceVerdict(t.endpoint.host, flags.traceOnFailure === true ? FAILURE_TRACE_ROUNDS : (flags.traceOnFailure ?? FAILURE_TRACE_ROUNDS), signal);
          }
        : undefined,
      onTestStart: (t, i, n) => ui.testStarted(`${t.endpoint.name} ${t.spec.kind} ${t.probe.targetOf(t.endpoint, t.spec)}`, i, n),
      onRecord: (r) => {
        sinks.write(r);
        ui.testFinished(r);
      },
    });
  } catch (err) {
    sinks.abort();
    unattended?.release();
    throw err;
  } finally {
    ui.stop();
  }
  const run: RunInfo = { ...identityOf(ctx), started_at: startedAt.toISOString(), finished_at: new Date().toISOString(), status: result.status };
  sinks.close(run);
  // The spool's batch is committed: push it (nothing is reported sent that the receiver did not take).
  const unattendedCode = unattended ? await unattended.finish().finally(() => unattended.release()) : null;
  if (outError !== null) throw outError;
  ui.summary(result.records, result.status);
  // A person at a terminal is told where the records went (a config's output.path is easy to forget) and for which site.
  if (io.stderr.isTTY && !flags.quiet) io.stderr.write(whereWritten(sink.count, config.output, location, io.cwd, messagesFor(io)) + '\n');

  if (result.status === 'interrupted') io.setExitCode(EXIT.INTERRUPTED);
  else if (flags.failOnError && result.records.some((r) => r.status !== 'ok')) io.setExitCode(EXIT.TEST_FAILED);
  else io.setExitCode(unattendedCode ?? EXIT.OK);
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
