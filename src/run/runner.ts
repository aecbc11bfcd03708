/**
 * The runner: endpoints × tests, one test at a time (tests on one link disturb each
 * other, so nothing runs in parallel), each under its own deadline and the run's.
 * A run never hangs: a probe that ignores its abort signal is abandoned at its deadline
 * plus a grace period and reported as such.
 */
import { performance } from 'node:perf_hooks';
import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import type { ProbeDef } from '../probes/probe.js';
import type { BaseSpec, Endpoint, ProbeOutcome } from '../core/samples.js';
import { buildRecord, type RunContext } from '../records/assemble.js';
import { hopRecords } from '../records/trace.js';
import { tidy } from '../core/schema.js';
import type { Metrics, ResultRecord } from '../core/schema.js';

export interface PlannedTest {
  endpoint: Endpoint;
  spec: BaseSpec;
  probe: ProbeDef<BaseSpec>;
}

export interface RunOptions {
  /** Fires on SIGINT/SIGTERM: stop measuring, keep what was measured. */
  signal?: AbortSignal;
  /** Overall run deadline in ms from the start of the run. */
  deadlineMs?: number | null;
  /** Extra time a probe gets after its own deadline to return what it has. */
  graceMs?: number;
  /**
   * Added to each probe's deadline (ProbeDef.deadlineMs, from when it starts measuring), so a test that
   * runs to its own end (last send + timeout) is never cut short by timer lateness on a loaded machine.
   */
  endMarginMs?: number;
  /**
   * Measured alongside each test (the gateway's RTT and loss): started with the test, stopped at
   * most ALONGSIDE_WAIT_MS after it; its fields go on the test's record. Must not throw.
   */
  alongside?(signal: AbortSignal, t: PlannedTest): Promise<Metrics>;
  /** The context of one test's record when it differs from the run's (a test bound to a link: that link's columns). */
  contextFor?(t: PlannedTest): RunContext;
  /**
   * After a test that failed or lost packets (status not ok, or loss_percent > 0; not a trace
   * itself): fields to add to its record, e.g. where a trace taken at that moment says loss
   * begins (--trace-on-failure). Stops when the run is interrupted; must not throw.
   */
  onFailure?(t: PlannedTest, record: ResultRecord, signal: AbortSignal): Promise<Metrics>;
  onTestStart?(t: PlannedTest, index: number, total: number): void;
  /** Called with each record as soon as its test finishes (streaming outputs write here). */
  onRecord(r: ResultRecord): void;
}

export type RunStatus = 'completed' | 'interrupted' | 'deadline';

export interface RunResult {
  status: RunStatus;
  records: ResultRecord[];
}

/** Timer lateness on a loaded 2-core machine reaches hundreds of ms; a second keeps completed tests `ok`. */
const END_MARGIN_MS = 1000;
/** How long a measurement alongside a test may go on after the test ended (a short tcp test still gets a few gateway pings). */
export const ALONGSIDE_WAIT_MS = 1000;

class Reason extends Error {
  constructor(readonly code: MeasurementErrorCode) {
    super(code);
  }
}

export async function runPlan(plan: readonly PlannedTest[], ctx: RunContext, opts: RunOptions): Promise<RunResult> {
  const records: ResultRecord[] = [];
  // Stopped before measuring began (Ctrl-C during --splay or the lock wait): the run never ran, so no record.
  if (opts.signal?.aborted) return { status: 'interrupted', records };
  const runCtl = new AbortController();
  const onInterrupt = () => runCtl.abort(new Reason('ABORTED'));
  opts.signal?.addEventListener('abort', onInterrupt, { once: true });
  const runTimer =
    opts.deadlineMs != null ? setTimeout(() => runCtl.abort(new Reason('DEADLINE')), opts.deadlineMs) : undefined;
  const grace = opts.graceMs ?? 2000;
  const margin = opts.endMarginMs ?? END_MARGIN_MS;

  const emit = (r: ResultRecord) => {
    records.push(r);
    opts.onRecord(r);
  };

  try {
    for (const [i, t] of plan.entries()) {
      if (runCtl.signal.aborted) {
        // One rule for every stop (issue 25): each planned test has its record, so a gap is visible in the data.
        // An interrupt's records say ABORTED, which `report` leaves out of the site's availability (a person stopped it).
        const code = reasonOf(runCtl.signal);
        emit(notRun(opts.contextFor?.(t) ?? ctx, t, code, code === 'DEADLINE' ? 'the run deadline passed before this test started' : 'the run was interrupted (SIGINT/SIGTERM) before this test started'));
        continue;
      }
      opts.onTestStart?.(t, i, plan.length);
      for (const r of await runOne(t, opts.contextFor?.(t) ?? ctx, runCtl.signal, grace, margin, opts)) emit(r);
    }
  } finally {
    clearTimeout(runTimer);
    opts.signal?.removeEventListener('abort', onInterrupt);
  }
  const reason = runCtl.signal.aborted ? reasonOf(runCtl.signal) : null;
  return { status: reason === 'ABORTED' ? 'interrupted' : reason === 'DEADLINE' ? 'deadline' : 'completed', records };
}

/** The test's record, then any rows its probe derives from it (trace: one per hop). */
async function runOne(
  t: PlannedTest,
  ctx: RunContext,
  runSignal: AbortSignal,
  graceMs: number,
  marginMs: number,
  { alongside, onFailure }: Pick<RunOptions, 'alongside' | 'onFailure'>,
): Promise<ResultRecord[]> {
  const testCtl = new AbortController();
  const sideCtl = new AbortController();
  const side = alongside?.(sideCtl.signal, t).catch((): Metrics => ({}));
  const forward = () => testCtl.abort(runSignal.reason);
  runSignal.addEventListener('abort', forward, { once: true });
  const budget = t.probe.deadlineMs(t.spec) + marginMs;
  const onDeadline = () => testCtl.abort(new Reason('DEADLINE'));
  let testTimer = setTimeout(onDeadline, budget);
  // The budget covers the timed part; set-up before it (DNS, sockets) must not eat into it.
  const measuring = () => {
    if (testCtl.signal.aborted) return;
    clearTimeout(testTimer);
    testTimer = setTimeout(onDeadline, budget);
  };
  const startedAt = new Date();
  const t0 = performance.now();
  let hardTimer: NodeJS.Timeout | undefined;
  let outcome: ProbeOutcome;
  try {
    const abandoned = new Promise<ProbeOutcome>((resolve) => {
      // Armed only once the test is aborted: the probe then has graceMs to hand back what it has.
      testCtl.signal.addEventListener(
        'abort',
        () => {
          hardTimer = setTimeout(
            () =>
              resolve({
                target: t.probe.targetOf(t.endpoint, t.spec),
                interrupted: true,
                error: { code: reasonOf(testCtl.signal), message: 'the probe did not stop at its deadline; its samples were lost' },
              }),
            graceMs,
          );
        },
        { once: true },
      );
    });
    outcome = await Promise.race([t.probe.run(t.endpoint, t.spec, { signal: testCtl.signal, measuring }), abandoned]);
  } catch (err) {
    // A probe should return failures as data; a throw here is a bug, still recorded, never fatal.
    outcome = { target: t.probe.targetOf(t.endpoint, t.spec), error: { code: codeOfThrown(err), message: errorMessage(err) } };
  } finally {
    clearTimeout(testTimer);
    clearTimeout(hardTimer);
    runSignal.removeEventListener('abort', forward);
  }
  const durationMs = performance.now() - t0;
  let sideFields: Metrics = {};
  if (side) {
    if (runSignal.aborted) sideCtl.abort();
    const stop = setTimeout(() => sideCtl.abort(), ALONGSIDE_WAIT_MS);
    sideFields = await side;
    clearTimeout(stop);
  }
  const record = buildRecord(
    side ? { ...ctx, extra: { ...ctx.extra, ...sideFields } } : ctx,
    {
      endpoint: t.endpoint.name,
      test: t.spec.kind,
      startedAt,
      durationMs,
      intervalMs: t.spec.intervalMs,
      timeoutMs: t.spec.timeoutMs,
    },
    outcome,
    testCtl.signal.aborted ? reasonOf(testCtl.signal) : 'ABORTED',
  );
  const failed = record.status !== 'ok' || (record.loss_percent ?? 0) > 0;
  if (onFailure && failed && t.spec.kind !== 'trace' && !runSignal.aborted) {
    const extra = await onFailure(t, record, runSignal).catch((): Metrics => ({}));
    Object.assign(record, tidy({ ...record, ...extra }));
  }
  return [record, ...hopRecords(record, outcome)];
}

function notRun(ctx: RunContext, t: PlannedTest, code: MeasurementErrorCode, message: string): ResultRecord {
  return buildRecord(
    ctx,
    { endpoint: t.endpoint.name, test: t.spec.kind, startedAt: new Date(), durationMs: 0, intervalMs: t.spec.intervalMs, timeoutMs: t.spec.timeoutMs },
    { target: t.probe.targetOf(t.endpoint, t.spec), error: { code, message } },
  );
}

function reasonOf(signal: AbortSignal): MeasurementErrorCode {
  return signal.reason instanceof Reason ? signal.reason.code : 'ABORTED';
}

function codeOfThrown(err: unknown): MeasurementErrorCode {
  const c = measurementCodeFor(err);
  return c === 'SOCKET_ERROR' && !(err as { code?: unknown })?.code ? 'INTERNAL' : c;
}
