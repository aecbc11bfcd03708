/**
 * Throughput maths (docs/metrics.md, "Throughput"): byte arrivals binned into fixed
 * intervals summed over streams, the warm-up exclusion rule, steady-state throughput,
 * interval percentiles and responsiveness (RPM). Pure: the same rule for download and
 * upload, whatever engine produced the arrivals.
 */
import type { TransferSamples } from '../core/samples.js';
import type { Metrics } from '../core/schema.js';
import { quantile, quantileSorted, sortNumbers, trimmedMean } from './summary.js';

/** Interval length used by the transfer probes, ms. 100 ms: short enough to see dips, long enough to hold several RTTs' worth of bytes on a LAN. */
export const THROUGHPUT_INTERVAL_MS = 100;

/** Default warm-up for a test of `durationS` seconds: min(20% of the test, 2 s) (crusader's rule). */
export function defaultWarmupS(durationS: number): number {
  return Math.min(0.2 * durationS, 2);
}

/**
 * Accumulates byte arrivals into fixed intervals since the transfer start. Memory is one
 * number per interval (100 per 10 s), whatever the rate: arrivals themselves are not kept.
 */
export class IntervalBins {
  readonly bytes: number[] = [];
  constructor(readonly intervalMs: number = THROUGHPUT_INTERVAL_MS) {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
  }
  /** `atMs`: arrival time, ms since the transfer start; arrivals before 0 go to interval 0. */
  add(atMs: number, bytes: number): void {
    const i = Math.max(0, Math.floor(atMs / this.intervalMs));
    while (this.bytes.length <= i) this.bytes.push(0);
    this.bytes[i] = (this.bytes[i] as number) + bytes;
  }
  /** Add another set of bins with the same interval and origin (one request's bytes into the test's). */
  merge(other: IntervalBins): void {
    other.bytes.forEach((b, i) => {
      if (b !== 0) this.add(i * this.intervalMs, b);
    });
  }
}

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
 * The warm-up rule, the same for both directions:
 * - intervals starting before `warmupMs` are dropped (slow start, connection set-up):
 *   first kept index = ceil(warmupMs / intervalMs);
 * - the trailing partial interval is dropped (streams winding down, or cut by the deadline):
 *   only intervals that ended by `elapsedMs` count, end = floor(elapsedMs / intervalMs).
 */
export function keptIntervals(intervalMs: number, elapsedMs: number, warmupMs: number): { first: number; end: number } {
  // The small epsilon keeps 2000 / 100 from becoming 20.000000000000004 → 21.
  const first = Math.max(0, Math.ceil(warmupMs / intervalMs - 1e-9));
  const end = Math.max(0, Math.floor(elapsedMs / intervalMs + 1e-9));
  return { first, end: Math.max(first, end) };
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
