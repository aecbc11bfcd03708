/**
 * How a transfer's samples are taken: byte arrivals binned into fixed intervals since its start,
 * and which of those intervals a throughput counts (the warm-up and trailing rule). The probes
 * bin and wait for the intervals that count; stats/throughput.ts computes from them; serve bins
 * its /up-stats the same way.
 */

/** Interval length used by the transfer probes, ms. 100 ms: short enough to see dips, long enough to hold several RTTs' worth of bytes on a LAN. */
export const THROUGHPUT_INTERVAL_MS = 100;

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
