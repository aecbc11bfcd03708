/**
 * The shared path of every measuring command (run, demo, the ad hoc ones) and of a library user's run: apply flags
 * over the config, resolve the location, open the output before measuring (so a bad --out fails in a second, not
 * after ten minutes), run, write to every sink, and decide the exit code, returned as a value (cli/ sets it).
 */
import { randomUUID } from 'node:crypto';
import { EXIT, QosError } from '../core/errors.js';
import { say } from '../core/messages.js';
import type { FormatName } from '../core/format-names.js';
import type { Location } from '../core/location.js';
import type { ResultRecord } from '../core/schema.js';
import type { Config } from '../config/types.js';
import { resolveLocation } from '../config/resolve-location.js';
import { openSinkWaiting } from '../output/sink.js';
import { sinkList } from '../output/record-sink.js';
import type { RunInfo } from '../output/formats.js';
import { identityOf, type RunContext } from '../records/assemble.js';
import { planOverLinks } from '../run/link-plan.js';
import { runPlan, type PlannedTest, type RunOptions as RunnerOptions, type RunResult } from '../run/runner.js';
import { toolVersion } from '../version.js';
import type { AppIo } from './io.js';
import { linkContexts, linksOf } from './links.js';
import type { UnattendedFlags } from './unattended.js';

/** Where a run's records go and how it runs (the measuring commands' flags, less what only the terminal shows). */
export interface RunFlags {
  location?: string;
  locationUnchecked?: boolean;
  format?: FormatName;
  out?: string;
  append?: boolean;
  failOnError?: boolean;
  deadline?: number;
  /** false with --no-host-info. */
  hostInfo?: boolean;
  /** false with --no-gateway-ping. */
  gatewayPing?: boolean;
  /** --trace-on-failure [rounds]: true without a number. */
  traceOnFailure?: number | true;
  /** --interface: the links to measure over (issue 22), over the config's `interfaces:`. */
  interface?: string[] | 'auto';
}

export interface RunOptions {
  config: Config;
  flags: RunFlags;
  io: AppIo;
  /** `run` needs a location; ad hoc commands and the demo may go without. */
  requireLocation: boolean;
  /** Unattended-run features (`run` only): splay, run lock, spool, textfile, push. */
  unattended?: UnattendedFlags;
  /** The error message of a config without a location (the CLI's, in the user's language). */
  noLocation?: (file: string) => string;
}

export interface RunReport extends Pick<RunResult, 'records' | 'status'> {
  /** The exit code the run calls for (docs: exit codes): interrupted, a failed test with --fail-on-error, an unattended step's. */
  exitCode: number;
  /** How many records the output got, where, and for which location. */
  written: { count: number; output: Config['output']; location: Location };
}

/** Output flags over the file's output block (the location has its own resolver: config/resolve-location.ts). */
export function applyFlags(config: Config, flags: Pick<RunFlags, 'format' | 'out' | 'append'>): Config {
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
export function hostInfoTimeoutMs(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.QOSPROBE_HOST_INFO_TIMEOUT_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : 3000;
}

/** Who and where every record of a run (or a monitor's windows) says it was measured, with the host's network context. */
export async function runContextOf(config: Config, location: Location, runId: string, hostInfo: boolean, hostInfoMs = 3000): Promise<RunContext> {
  return {
    runId,
    probeId: config.probeId,
    location,
    toolVersion: toolVersion(),
    extra: hostInfo ? await (await import('../host/host-info.js')).gatherHostInfo({ timeoutMs: hostInfoMs }) : undefined,
  };
}

const NO_LOCATION = (file: string) => `${file}: location: a run needs a location code (location.code, --location or QOSPROBE_LOCATION)`;

/** Run a config's plan: every endpoint's tests, one at a time, each record to every sink. */
export async function runTests({ config: fileConfig, flags, io, requireLocation, unattended: unattendedFlags, noLocation = NO_LOCATION }: RunOptions): Promise<RunReport> {
  const config = applyFlags(fileConfig, flags);
  const location = await resolveLocation({ flag: flags.location, unchecked: Boolean(flags.locationUnchecked), env: io.env, config });
  if (requireLocation && location.code === null) throw new QosError('CONFIG_INVALID', noLocation(config.file ?? 'config'));
  if (config.endpoints.length === 0) {
    throw new QosError('CONFIG_INVALID', say('noEndpoints', config.file ?? 'config'));
  }

  const links = await linksOf(config, flags.interface);
  const plan: PlannedTest[] = planOverLinks(config.endpoints, links.names, links.override);
  const runId = randomUUID();
  // After validation (a bad config fails at once, not after a splay); before measuring.
  const unattended = unattendedFlags ? await (await import('./unattended.js')).prepareUnattendedRun(unattendedFlags, config, io, runId) : null;
  // Network context on every record, read once, after any splay and just before measuring.
  const ctx = await runContextOf(config, location, runId, flags.hostInfo !== false, hostInfoTimeoutMs(io.env));
  // The first hop on every record: the gateway pinged alongside each test, where one is known.
  // QOSPROBE_GATEWAY_PING=0 turns it off for every command (the test suite: no packet to a real gateway).
  const gatewayPing = !(flags.gatewayPing === false || io.env.QOSPROBE_GATEWAY_PING === '0');
  const perLink = await linkContexts(
    plan.flatMap((t) => (t.spec.bind ? [t.spec.bind.device] : [])),
    ctx,
    flags.hostInfo !== false,
  );
  const alongside = gatewayPing ? await gatewayAlongside(ctx, perLink) : undefined;
  const startedAt = new Date();
  // --wait-lock queues behind another writer of the same output file too, not only the same config.
  const sink = await openSinkWaiting(
    { format: config.output.format, path: config.output.path, append: config.output.append, stdout: io.stdout, onNote: (m) => io.events.say(`qosprobe: ${m}\n`) },
    { waitMs: (unattendedFlags?.waitLock ?? 0) * 1000, signal: io.signal },
  ).catch((err: unknown) => {
    for (const e of unattended?.sinks ?? []) e.sink.abort();
    unattended?.release();
    throw err;
  });
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
  let result: RunResult;
  try {
    result = await runPlan(plan, ctx, {
      signal: io.signal,
      deadlineMs: flags.deadline != null ? flags.deadline * 1000 : null,
      alongside,
      contextFor: (t) => (t.spec.bind ? (perLink.get(t.spec.bind.device) ?? ctx) : ctx),
      onFailure: flags.traceOnFailure
        ? async (t, _r, signal) => {
            const { traceVerdict, FAILURE_TRACE_ROUNDS } = await import('../run/trace-verdict.js');
            return traceVerdict(t.endpoint.host, flags.traceOnFailure === true ? FAILURE_TRACE_ROUNDS : (flags.traceOnFailure ?? FAILURE_TRACE_ROUNDS), signal, undefined, t.spec.bind);
          }
        : undefined,
      onTestStart: (t, i, n) => io.events.testStarted?.(`${t.endpoint.name} ${t.spec.kind} ${t.probe.targetOf(t.endpoint, t.spec)}`, i, n),
      onRecord: (r: ResultRecord) => {
        sinks.write(r);
        io.events.testFinished?.(r);
      },
    });
  } catch (err) {
    sinks.abort();
    unattended?.release();
    throw err;
  }
  const run: RunInfo = { ...identityOf(ctx), started_at: startedAt.toISOString(), finished_at: new Date().toISOString(), status: result.status };
  sinks.close(run);
  // The spool's batch is committed: push it (nothing is reported sent that the receiver did not take).
  const unattendedCode = unattended ? await unattended.finish().finally(() => unattended.release()) : null;
  if (outError !== null) throw outError;
  const exitCode =
    result.status === 'interrupted'
      ? EXIT.INTERRUPTED
      : flags.failOnError && result.records.some((r) => r.status !== 'ok')
        ? EXIT.TEST_FAILED
        : (unattendedCode ?? EXIT.OK);
  return { records: result.records, status: result.status, exitCode, written: { count: sink.count, output: config.output, location } };
}

/** The first hop alongside each test: the default gateway, or a bound test's own link's gateway pinged through that link. */
async function gatewayAlongside(ctx: RunContext, perLink: Map<string, RunContext>): Promise<RunnerOptions['alongside']> {
  const { measureGateway } = await import('../host/gateway.js');
  const none = () => Promise.resolve({});
  const gatewayOf = (c: RunContext | undefined) => (typeof c?.extra?.gateway === 'string' ? c.extra.gateway : null);
  return (signal, t) => {
    const link = t.spec.bind;
    const gw = gatewayOf(link ? perLink.get(link.device) : ctx);
    return gw ? measureGateway(gw, signal, undefined, link) : none();
  };
}
