/**
 * A trace's figures after the probe: where along the path loss and delay begin (stats/path.ts, from
 * the same per-hop statistics the hop rows carry), and one row per hop. The trace probe returns the
 * hops' packets and whether it reached the target (`trace_hops` set); the verdict is computed here.
 */
import type { ProbeOutcome, TraceHopSamples } from '../core/samples.js';
import { tidy, type Metrics, type ResultRecord } from '../core/schema.js';
import { summarizePackets } from '../stats/packets.js';
import { localise, type PathVerdict } from '../stats/path.js';

/** The path's verdict from a trace's hops; null for an outcome without hops (not a trace, or one that could not run). */
export function pathVerdictOf(outcome: ProbeOutcome): PathVerdict | null {
  if (!outcome.hops) return null;
  const intervalMs = outcome.samples?.type === 'packets' ? outcome.samples.intervalMs : 0;
  const reached = outcome.fields?.trace_hops !== null && outcome.fields?.trace_hops !== undefined;
  const figures = outcome.hops.map((h) => {
    const m = summarizePackets(h.packets, { intervalMs });
    return { hop: h.hop, sent: m.sent ?? 0, received: m.received ?? 0, medianMs: m.rtt_median_ms ?? null };
  });
  return localise(figures, reached);
}

/** The trace record's verdict columns; none for an outcome without hops. */
export function pathVerdictFields(outcome: ProbeOutcome): Metrics {
  const v = pathVerdictOf(outcome);
  return v ? { trace_loss_hop: v.lossHop, trace_delay_hop: v.delayHop } : {};
}

/** The tool's own note on a hop (unreachable), else what the path's figures say of it. */
function hopNote(h: TraceHopSamples, rateLimited: readonly number[]): string | null {
  if (h.note !== null) return h.note;
  if (rateLimited.includes(h.hop)) return 'icmp_rate_limit_suspected';
  if (h.packets.length > 0 && h.packets.every((p) => p.rttMs === null)) return 'no_reply';
  return null;
}

/** One row per hop: the trace record's identity and parameters, the hop's own figures. */
export function hopRecords(traceRecord: ResultRecord, outcome: ProbeOutcome): ResultRecord[] {
  if (!outcome.hops) return [];
  const partial = outcome.interrupted === true;
  const cut = traceRecord.error_code === 'DEADLINE' ? 'DEADLINE' : 'ABORTED';
  const rateLimited = pathVerdictOf(outcome)?.rateLimited ?? [];
  return outcome.hops.map((h) =>
    tidy({
      ...traceRecord,
      ...summarizePackets(h.packets, { intervalMs: traceRecord.interval_ms ?? 0 }),
      // The trace's verdict belongs to its own record; a hop row says what happened at the hop.
      trace_loss_hop: null,
      trace_delay_hop: null,
      trace_hops: null,
      hop: h.hop,
      hop_address: h.address,
      hop_note: hopNote(h, rateLimited),
      // A silent router is data about the path, not a failed test: the hop row is ok.
      status: partial ? 'partial' : 'ok',
      error_code: partial ? cut : null,
      error_message: partial ? 'the trace was cut short' : null,
    }),
  );
}
