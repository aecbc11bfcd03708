/**
 * Build a schema v1 record from a probe's outcome plus the run's context. The status
 * rule lives here, once, for every probe.
 */
import type { MeasurementErrorCode } from '../core/errors.js';
import { locationColumns, type Location } from '../core/location.js';
import type { ProbeOutcome } from '../core/samples.js';
import { summarizePackets } from '../stats/packets.js';
import { summarizeHttp } from '../stats/http.js';
import { summarizeTransfer } from '../stats/throughput.js';
import { pathVerdictFields } from './trace.js';
import { SCHEMA_VERSION, emptyRecord, tidy, type Metrics, type ResultRecord } from '../core/schema.js';

/** Who and where: the same for every record of a run. */
export interface RunContext {
  runId: string;
  probeId: string;
  /** Resolved once per run (config/resolve-location.ts); its columns come from locationColumns. */
  location: Location;
  toolVersion: string;
  /** Extra fields every record of the run carries (host network context). */
  extra?: Metrics;
}

export interface TestIdentity {
  endpoint: string;
  test: string;
  startedAt: Date;
  durationMs: number;
  intervalMs: number | null;
  timeoutMs: number | null;
}

/** The run-level fields, as records, incidents and the JSON document's `run` carry them (in this order). */
export function identityOf(ctx: RunContext) {
  return {
    run_id: ctx.runId,
    probe_id: ctx.probeId,
    ...locationColumns(ctx.location),
    tool_version: ctx.toolVersion,
  };
}

/** The run-level columns of every record of a run. */
export type RunIdentity = ReturnType<typeof identityOf>;

/** Metrics derived from the raw samples, by sample type (not by probe kind). */
export function metricsOf(outcome: ProbeOutcome, notes?: string[]): Metrics {
  const s = outcome.samples;
  if (!s) return {};
  switch (s.type) {
    case 'packets':
      return summarizePackets(s.packets, { intervalMs: s.intervalMs, reflectorReceived: s.reflectorReceived, notes });
    case 'http':
      return summarizeHttp(s.attempts, s.intervalMs);
    case 'dns': {
      const m = summarizePackets(s.queries, { intervalMs: s.intervalMs });
      return { ...m, dns_ms: m.rtt_median_ms ?? null };
    }
    case 'transfer':
      return summarizeTransfer(s);
  }
}

/**
 * Status:
 * - error: nothing usable was measured (no sample received), whatever the cause;
 * - partial: interrupted (deadline or signal) after measuring something;
 * - ok: the test ran to completion, whatever its metrics say (100% loss with replies is impossible,
 *   so a completed test with zero replies is an error with the dominant cause).
 */
export function buildRecord(ctx: RunContext, id: TestIdentity, outcome: ProbeOutcome, interruptCode: MeasurementErrorCode = 'ABORTED'): ResultRecord {
  const notes: string[] = [];
  const metrics = { ...metricsOf(outcome, notes), ...pathVerdictFields(outcome) };
  const got = measuredSomething(outcome, metrics);
  let status: 'ok' | 'partial' | 'error';
  let error = outcome.error ?? null;
  if (!got) {
    status = 'error';
    if (!error) {
      error = outcome.interrupted
        ? { code: interruptCode, message: interruptCode === 'DEADLINE' ? 'the deadline passed before anything was measured' : 'interrupted before anything was measured' }
        : outcome.samples?.type === 'transfer'
          ? { code: 'ALL_LOST', message: nothingInWindow(metrics) }
          : { code: 'ALL_LOST', message: 'no reply to any attempt' };
    }
  } else if (outcome.interrupted) {
    status = 'partial';
    error = { code: interruptCode, message: interruptCode === 'DEADLINE' ? 'cut short by the deadline' : 'cut short by an interrupt' };
  } else {
    status = 'ok';
    error = null;
  }
  return tidy({
    ...emptyRecord(),
    ...(ctx.extra ?? {}),
    ...metrics,
    ...(outcome.fields ?? {}),
    schema_version: SCHEMA_VERSION,
    ...identityOf(ctx),
    started_at: id.startedAt.toISOString(),
    duration_ms: id.durationMs,
    endpoint: id.endpoint,
    target: outcome.target,
    target_ip: outcome.targetIp ?? null,
    test: id.test,
    status,
    error_code: error?.code ?? null,
    // A null metric that could have been a number says why (an ok record has no error_code, but may have this).
    error_message: [error?.message, ...notes].filter(Boolean).join('; ') || null,
    // The interval the probe actually used (Windows ping can't set one: it sends every second).
    interval_ms: outcome.samples?.type === 'packets' ? outcome.samples.intervalMs : id.intervalMs,
    timeout_ms: id.timeoutMs,
  });
}


function measuredSomething(outcome: ProbeOutcome, m: Metrics): boolean {
  const t = outcome.samples?.type;
  if (t === 'packets' || t === 'http' || t === 'dns') return (m.received ?? 0) > 0;
  // A transfer whose measurement window saw no byte measured nothing, whatever came before it:
  // a server that stalls after 10 bytes is the same failure as one that sends none, not "ok, 0 bit/s".
  if (t === 'transfer') return (m.bytes ?? 0) > 0 && m.throughput_bps !== 0;
  return outcome.samples !== undefined && !outcome.error;
}

function nothingInWindow(m: Metrics): string {
  const bytes = m.bytes ?? 0;
  return bytes > 0 ? `no bytes in the measurement window (${bytes} bytes before it, then the transfer stalled)` : 'no bytes were transferred';
}
