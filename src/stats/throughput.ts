/**
 * Throughput maths (docs/metrics.md, "Throughput"): byte arrivals binned into fixed
 * intervals summed over streams, the warm-up exclusion rule, steady-state throughput,
 * interval percentiles and responsiveness (RPM). Pure: the same rule for download and
 * upload, whatever engine produced the arrivals.
 */
import type { TransferSamples } from '../core/samples.js';
import type { Metrics } from '../core/schema.js';
import { IntervalBins, THROUGHPUT_INTERVAL_MS, keptIntervals } from '../core/intervals.js';
import { quantile, quantileSorted, sortNumbers, trimmedMean } from './summary.js';

/** Bin arrivals (from any number of streams) into intervals of `intervalMs`; index i covers [i·interval, (i+1)·interval). */
export function binArrivals(arrivals: Iterable<{ atMs: number; bytes: number }>, intervalMs: number = THROUGHPUT_INTERVAL_MS): number[] {
  const b = new IntervalBins(intervalMs);
  for (const a of arrivals) b.add(a.atMs, a.bytes);
  return b.bytes;
}

export interface ThroughputInput {
  /** Bytes per interval, summed over streams, index 0 starting at the transfer start. */
  intervalBytes: readonly number[];
  intervalMs: number;
  /** How long the transfer ran, ms since its start (the end of the last, possibly partial, interval). */
  elapsedMs: number;
  /** Warm-up to exclude, ms: every interval that starts before it. */
  warmupMs: number;
}

export interface ThroughputSummary {
  /** 8 × bytes in the kept intervals / their total time, bit/s (integer); null when no interval is kept. */
  throughputBps: number | null;
  p10Bps: number | null;
  p50Bps: number | null;
  p90Bps: number | null;
  /** All bytes, warm-up and trailing partial interval included. */
  totalBytes: number;
  /** Time the kept intervals cover, ms; null when none is kept. */
  measuredMs: number | null;
  /** Index of the first and one past the last kept interval. */
  firstKept: number;
  endKept: number;
}

/**
 * Slow start's loss recovery can end just after the warm-up: a lost segment holds back every
 * byte behind it at the receiver until its retransmission lands, then they arrive in one burst.
 * Those bytes crossed the link during the warm-up, so counting them after it inflates the rate
 * (seen: 20.1 Mbit/s through a 20 Mbit/s shaper). Within the first second after the warm-up (and
 * the first quarter of the kept window), an interval above 2× the kept intervals' median marks such
 * a release: the warm-up is extended past the last one. Steady-state intervals don't reach 2×.
 */
export const RECOVERY_BURST_FACTOR = 2;

export function extendWarmupPastBurst(intervalBytes: readonly number[], intervalMs: number, first: number, end: number): number {
  if (end - first < 4) return first;
  const kept = intervalBytes.slice(first, end).map((b) => b ?? 0);
  const median = quantile(kept, 0.5) as number;
  if (!(median > 0)) return first;
  const limit = first + Math.min(Math.round(1000 / intervalMs), Math.floor((end - first) / 4));
  let newFirst = first;
  for (let i = first; i < limit; i++) if ((intervalBytes[i] ?? 0) > RECOVERY_BURST_FACTOR * median) newFirst = i + 1;
  return newFirst;
}

export function summarizeThroughput(x: ThroughputInput): ThroughputSummary {
  let totalBytes = 0;
  for (const b of x.intervalBytes) totalBytes += b;
  const kept = keptIntervals(x.intervalMs, x.elapsedMs, x.warmupMs);
  const end = kept.end;
  const first = extendWarmupPastBurst(x.intervalBytes, x.intervalMs, kept.first, end);
  const rates: number[] = [];
  let keptBytes = 0;
  for (let i = first; i < end; i++) {
    const b = x.intervalBytes[i] ?? 0; // an interval with no arrival is a real zero, not a gap
    keptBytes += b;
    rates.push((8 * b * 1000) / x.intervalMs);
  }
  if (rates.length === 0) {
    return { throughputBps: null, p10Bps: null, p50Bps: null, p90Bps: null, totalBytes, measuredMs: null, firstKept: first, endKept: end };
  }
  const measuredMs = rates.length * x.intervalMs;
  const sorted = sortNumbers(rates);
  const q = (p: number) => Math.round(quantileSorted(sorted, p) as number);
  return {
    throughputBps: Math.round((8 * keptBytes * 1000) / measuredMs),
    p10Bps: q(0.1),
    p50Bps: q(0.5),
    p90Bps: q(0.9),
    totalBytes,
    measuredMs,
    firstKept: first,
    endKept: end,
  };
}

/** An RTT sample taken during a transfer: when (ms since the transfer start) and how long; null = no answer. */
export interface TimedRtt {
  atMs: number;
  rttMs: number | null;
}

/** Loaded RTTs that count: answered probes sent at or after the warm-up and before the end. */
export function loadedRtts(samples: readonly TimedRtt[], warmupMs: number, elapsedMs: number): number[] {
  return samples.filter((s) => s.rttMs !== null && s.atMs >= warmupMs && s.atMs <= elapsedMs).map((s) => s.rttMs as number);
}

/**
 * Responsiveness in round-trips per minute, after the IETF responsiveness draft:
 * 60 000 / (95% trimmed mean of the loaded RTTs, ms), an integer; null with no RTT.
 */
export function rpm(loadedRttMs: readonly number[]): number | null {
  const m = trimmedMean(loadedRttMs, 0.95);
  if (m === null || !(m > 0)) return null;
  return Math.round(60_000 / m);
}

/** The record's throughput and latency-under-load columns from a transfer's raw samples. */
export function summarizeTransfer(s: TransferSamples): Metrics {
  const t = summarizeThroughput({ intervalBytes: s.intervalBytes, intervalMs: s.intervalMs, elapsedMs: s.elapsedMs, warmupMs: s.warmupMs });
  const idle = s.idleRttMs.filter((x): x is number => x !== null);
  const idleMedian = quantile(idle, 0.5);
  const loaded = sortNumbers(loadedRtts(s.loadedRtt, s.warmupMs, s.elapsedMs));
  const loadedMedian = quantileSorted(loaded, 0.5);
  return {
    throughput_bps: t.throughputBps,
    throughput_p10_bps: t.p10Bps,
    throughput_p50_bps: t.p50Bps,
    throughput_p90_bps: t.p90Bps,
    bytes: t.totalBytes,
    streams: s.streams,
    measured_ms: t.measuredMs,
    idle_rtt_ms: idleMedian,
    loaded_rtt_median_ms: loadedMedian,
    loaded_rtt_p95_ms: quantileSorted(loaded, 0.95),
    loaded_rtt_increase_ms: loadedMedian !== null && idleMedian !== null ? loadedMedian - idleMedian : null,
    rpm: rpm(loaded),
  };
}
