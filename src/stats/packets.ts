/**
 * From per-packet samples to the record's packet metrics. Every packet probe (icmp, tcp,
 * stamp) goes through here, so loss, RTT and jitter mean the same whatever measured them.
 */
import type { PacketSample } from '../probes/types.js';
import type { Metrics } from '../records/schema.js';
import { ipdv, pdv, rfc3550Jitter } from './jitter.js';
import { longestLossRun, lossPercent, reorderedCount } from './loss.js';
import { summarizeDelays } from './summary.js';

export interface PacketSummaryOptions {
  intervalMs: number;
  /** Stateful reflector count of packets that reached it; enables the up/down loss split. */
  reflectorReceived?: number | null;
}

export function summarizePackets(packets: readonly PacketSample[], opts: PacketSummaryOptions): Metrics {
  const bySeq = [...packets].sort((a, b) => a.seq - b.seq);
  const sent = bySeq.length;
  const received = bySeq.filter((p) => p.rttMs != null);
  const rtts = received.map((p) => p.rttMs as number);
  const arrival = [...received].sort((a, b) => arrivalTime(a) - arrivalTime(b) || a.seq - b.seq);
  const delay = summarizeDelays(rtts);
  const runLost = longestLossRun(bySeq.map((p) => p.rttMs != null));
  const hasOneWay = received.some((p) => p.upMs != null && p.downMs != null);

  const m: Metrics = {
    sent,
    received: received.length,
    loss_percent: lossPercent(sent, received.length),
    rtt_min_ms: delay.minMs,
    rtt_mean_ms: delay.meanMs,
    rtt_median_ms: delay.medianMs,
    rtt_p95_ms: delay.p95Ms,
    rtt_max_ms: delay.maxMs,
    rtt_stddev_ms: delay.stddevMs,
    jitter_ms: ipdv(bySeq.map((p) => p.rttMs)),
    jitter_rfc3550_ms: rfc3550Jitter(arrival.map((p) => p.rttMs as number)),
    pdv_ms: pdv(rtts),
    late: bySeq.filter((p) => p.late).length,
    duplicates: bySeq.reduce((n, p) => n + (p.duplicates ?? 0), 0),
    reordered: reorderedCount(arrival.map((p) => p.seq)),
    outage_ms: sent > 0 ? runLost * opts.intervalMs : null,
  };
  if (hasOneWay) {
    m.jitter_up_ms = ipdv(bySeq.map((p) => (p.rttMs != null ? (p.upMs ?? null) : null)));
    m.jitter_down_ms = ipdv(bySeq.map((p) => (p.rttMs != null ? (p.downMs ?? null) : null)));
  }
  if (opts.reflectorReceived != null && sent > 0) {
    // Each direction's loss over what entered that direction: up over sent, down over
    // what the reflector sent back (so up and down are one-way loss ratios, RFC 7680).
    const reflected = Math.min(opts.reflectorReceived, sent);
    m.loss_up_percent = lossPercent(sent, reflected);
    m.loss_down_percent = lossPercent(reflected, Math.min(received.length, reflected));
  }
  return m;
}

function arrivalTime(p: PacketSample): number {
  return p.receivedAtMs ?? p.sentAtMs + (p.rttMs as number);
}
