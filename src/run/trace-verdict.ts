import type { LinkBind } from '../core/samples.js';
import type { Metrics } from '../core/schema.js';
import type { ProbeDef } from '../probes/probe.js';
import { TRACE_DEFAULT_MAX_HOPS, trace, type TraceSpec } from '../probes/trace.js';
import { traceDurationMs } from '../net/trace-run.js';
import { pathVerdictFields } from '../records/trace.js';

/** Rounds of the trace taken after a failed test when --trace-on-failure gives no number. */
export const FAILURE_TRACE_ROUNDS = 10;

/**
 * Fault localisation: a trace to `host` taken right after a test failed or lost packets, reduced
 * to its verdict for that test's record (trace_loss_hop, trace_delay_hop, trace_hops, and which
 * tool). Rounds 200 ms apart (1 s for non-root mtr), bounded by the trace's own deadline; nothing
 * (no fields) when no tool could trace.
 */
export async function traceVerdict(
  host: string,
  rounds: number,
  signal: AbortSignal,
  probe: ProbeDef<TraceSpec> = trace,
  /** The failed test's link (issue 22): the trace goes the same way, never by the default route. */
  bind?: LinkBind,
): Promise<Metrics> {
  const spec: TraceSpec = { kind: 'trace', count: rounds, intervalMs: 200, timeoutMs: 1000, protocol: 'icmp', tool: 'auto', maxHops: TRACE_DEFAULT_MAX_HOPS, ...(bind ? { bind } : {}) };
  const out = await probe.run({ name: host, host }, spec, { signal: AbortSignal.any([signal, AbortSignal.timeout(traceDurationMs(spec))]) });
  if (!out.hops) return {};
  const f = out.fields ?? {};
  const v = pathVerdictFields(out);
  return {
    trace_loss_hop: v.trace_loss_hop ?? null,
    trace_delay_hop: v.trace_delay_hop ?? null,
    trace_hops: f.trace_hops ?? null,
    trace_tool: f.trace_tool ?? null,
    trace_protocol: f.trace_protocol ?? null,
  };
}
