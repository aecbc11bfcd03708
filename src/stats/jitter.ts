/**
 * Delay variation. Definitions in docs/metrics.md; the same functions serve every probe,
 * so jitter_ms means one thing whatever measured it.
 */
import { quantile, min } from './summary.js';

/**
 * IPDV jitter (RFC 3393 / RFC 5481 §1.2, "consecutive packets" selection): the mean of
 * |d(i+1) − d(i)| over packets i, i+1 consecutive in send order and both received.
 * `delays` is indexed by sequence number; null marks a lost packet, which breaks the pair.
 * Null when there is no pair.
 */
export function ipdv(delays: readonly (number | null)[]): number | null {
  let sum = 0;
  let pairs = 0;
  for (let i = 1; i < delays.length; i++) {
    const a = delays[i - 1];
    const b = delays[i];
    if (a == null || b == null) continue;
    sum += Math.abs(b - a);
    pairs++;
  }
  return pairs === 0 ? null : sum / pairs;
}

/**
 * RFC 3550 §6.4.1 interarrival jitter over delays in arrival order: D = d(i) − d(i−1),
 * J += (|D| − J)/16, seeded with the first |D| instead of 0 (a zero seed biases short
 * tests low; iperf3 issue #755). Null with fewer than 2 delays.
 */
export function rfc3550Jitter(delaysInArrivalOrder: readonly number[]): number | null {
  if (delaysInArrivalOrder.length < 2) return null;
  let j = Math.abs((delaysInArrivalOrder[1] as number) - (delaysInArrivalOrder[0] as number));
  for (let i = 2; i < delaysInArrivalOrder.length; i++) {
    const d = Math.abs((delaysInArrivalOrder[i] as number) - (delaysInArrivalOrder[i - 1] as number));
    j += (d - j) / 16;
  }
  return j;
}

/** PDV (RFC 5481): p99 − min of the delays. Null with fewer than 2 delays. */
export function pdv(delays: readonly number[]): number | null {
  if (delays.length < 2) return null;
  return (quantile(delays, 0.99) as number) - (min(delays) as number);
}
