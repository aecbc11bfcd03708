/**
 * From per-packet samples to the record's packet metrics. Every packet probe (icmp, tcp,
 * stamp) goes through here, so loss, RTT and jitter mean the same whatever measured them.
 */
import type { PacketSample } from '../core/samples.js';
import type { Metrics } from '../core/schema.js';
import { ipdv, pdv, rfc3550Jitter } from './jitter.js';
import { longestLossRun, lossPercent, reorderedCount } from './loss.js';
import { summarizeDelays } from './summary.js';

export interface PacketSummaryOptions {
  intervalMs: number;
  /** Stateful reflector count of packets that reached it; enables the up/down loss split. */
  reflectorReceived?: number | null;
  /** Why a metric is null although packets came back (e.g. implausible reflector timestamps): reasons are pushed here. */
  notes?: string[];
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
    const implausible = implausibleOneWay(bySeq);
    if (implausible === null) {
      m.jitter_up_ms = ipdv(bySeq.map((p) => (p.rttMs != null ? (p.upMs ?? null) : null)));
      m.jitter_down_ms = ipdv(bySeq.map((p) => (p.rttMs != null ? (p.downMs ?? null) : null)));
    } else {
      m.jitter_up_ms = null;
      m.jitter_down_ms = null;
      opts.notes?.push(`jitter_up_ms and jitter_down_ms are null: ${implausible}`);
    }
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

/** Slack on the one-way plausibility bounds: timestamp resolution, plus clock drift (1000 ppm, 20× a poor crystal) over the gap. */
const ONE_WAY_SLACK_MS = 2;
const ONE_WAY_DRIFT = 1e-3;
/**
 * How far u + d (the round trip on our wall clock less the reflector's residence) may exceed the
 * RTT: our wall timestamp is taken just before the send and the RTT's clock just after it, so a
 * process descheduled in between (a loaded machine) widens the sum by that long; far below garbage.
 */
const LOCAL_DELAY_SLACK_MS = 1000;

/**
 * Whether the far end's timestamps can be a clock. For each packet, u + d is free of the clock
 * offset and must be its round trip (less the residence): between the RTT and the RTT plus our
 * own send delay. Between two consecutive packets, each true one-way delay lies in [0, round
 * trip], so u (and d) can change by at most the larger round trip of the pair, plus drift. A
 * reflector that fills its timestamps with garbage (1.03e12 ms of "jitter" was recorded) or a
 * clock that steps mid-test fails one of these; then no one-way jitter can be computed. Returns
 * why, or null when every packet and consecutive pair is plausible.
 */
export function implausibleOneWay(bySeq: readonly PacketSample[]): string | null {
  const sumOf = (p: PacketSample) => (p.upMs ?? NaN) + (p.downMs ?? NaN);
  for (const p of bySeq) {
    if (p.rttMs == null || p.upMs == null || p.downMs == null) continue;
    const sum = sumOf(p);
    if (!(sum >= -ONE_WAY_SLACK_MS && sum <= p.rttMs + LOCAL_DELAY_SLACK_MS)) {
      return `the reflector's timestamps are implausible (for packet ${p.seq}, up + down one-way delay is ${formatMs(sum)} against a round trip of ${formatMs(p.rttMs)})`;
    }
  }
  for (let i = 1; i < bySeq.length; i++) {
    const a = bySeq[i - 1]!;
    const b = bySeq[i]!;
    if (a.rttMs == null || b.rttMs == null || a.seq + 1 !== b.seq) continue;
    const roundTrip = Math.max(a.rttMs, b.rttMs, ...[sumOf(a), sumOf(b)].filter(Number.isFinite));
    const bound = roundTrip + ONE_WAY_SLACK_MS + ONE_WAY_DRIFT * Math.abs(b.sentAtMs - a.sentAtMs);
    for (const [dir, x, y] of [
      ['up', a.upMs, b.upMs],
      ['down', a.downMs, b.downMs],
    ] as const) {
      if (x == null || y == null) continue;
      const step = Math.abs(y - x);
      if (!(step <= bound)) {
        return `the reflector's timestamps are implausible (the ${dir} one-way delay changed by ${formatMs(step)} between packets ${a.seq} and ${b.seq}, more than their round trip allows, ${formatMs(bound)})`;
      }
    }
  }
  return null;
}

function formatMs(ms: number): string {
  return Math.abs(ms) >= 1e6 || !Number.isFinite(ms) ? `${ms.toExponential(2)} ms` : `${ms.toFixed(3)} ms`;
}
