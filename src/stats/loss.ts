/** Loss, outage and reordering counts. Definitions in docs/metrics.md. */

/** 100 × (sent − received) / sent; null when nothing was sent. */
export function lossPercent(sent: number, received: number): number | null {
  if (sent <= 0) return null;
  return (100 * (sent - received)) / sent;
}

/** Length of the longest run of consecutive lost packets (false = lost), in packets. */
export function longestLossRun(received: readonly boolean[]): number {
  let best = 0;
  let run = 0;
  for (const ok of received) {
    run = ok ? 0 : run + 1;
    if (run > best) best = run;
  }
  return best;
}

/**
 * RFC 4737 reordering: packets (given by sequence number in arrival order, first copies only)
 * whose sequence number is below the highest one already received.
 */
export function reorderedCount(seqsInArrivalOrder: readonly number[]): number {
  let highest = -Infinity;
  let reordered = 0;
  for (const s of seqsInArrivalOrder) {
    if (s < highest) reordered++;
    else highest = s;
  }
  return reordered;
}
