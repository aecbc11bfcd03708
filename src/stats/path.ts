/**
 * Where along a traced path loss and delay begin. Pure functions over per-hop figures; the
 * definitions are in docs/trace.md ("Reading a trace").
 *
 * A router's answer to a TTL-expired probe is made by its control plane, which many routers
 * rate-limit or deprioritise: a hop can look lossy or slow while every hop after it is fine,
 * because what it forwards is not what it answers. So a hop's loss (or delay) counts for the
 * path only when it persists: the path figure at hop k is the smallest one over hops k..end.
 */

export interface HopFigures {
  hop: number;
  sent: number;
  received: number;
  /** Median RTT of the hop's answers, ms; null when none. */
  medianMs: number | null;
}

export interface PathVerdict {
  /** First hop from which every later answering hop (and the target) loses probes; null when the path loses nothing. */
  lossHop: number | null;
  /** First hop from which every later hop is at least DELAY_STEP_MS (and a quarter of the target's delay) slower than before it; null otherwise. */
  delayHop: number | null;
  /** Hops that lose clearly more than the hops after them: their own ICMP answers are limited, not the path. */
  rateLimited: number[];
}

/** A rise in the persistent median smaller than this is not "where delay begins" (LAN noise, a few ms per hop). */
export const DELAY_STEP_MS = 10;
/** ... nor a rise smaller than this share of the target's delay. */
export const DELAY_STEP_SHARE = 0.25;

/**
 * `hops` in hop order, the answering ones and the silent ones (received 0). Silent hops in the
 * middle of the path are routers that do not answer: they carry no verdict. When the target
 * was not reached (`reached` false), everything past the last answering hop is lost: the hop
 * after it is where loss begins, unless it began earlier.
 */
export function localise(hops: readonly HopFigures[], reached: boolean): PathVerdict {
  const answering = hops.filter((h) => h.sent > 0 && h.received > 0);
  const lossOf = (h: HopFigures) => (h.sent - h.received) / h.sent;
  const seq = answering.map((h) => ({ hop: h.hop, loss: lossOf(h), sent: h.sent, lost: h.sent - h.received, medianMs: h.medianMs }));
  if (!reached) {
    const last = answering[answering.length - 1];
    // The first hop past the last answer: nothing came back from there on.
    const beyond = last ? last.hop + 1 : (hops[0]?.hop ?? 1);
    seq.push({ hop: beyond, loss: 1, sent: 0, lost: 0, medianMs: null });
  }
  // Persistent loss: the least loss from this hop to the end.
  const floor: number[] = new Array<number>(seq.length);
  let m = Infinity;
  for (let i = seq.length - 1; i >= 0; i--) {
    m = Math.min(m, seq[i]!.loss);
    floor[i] = m;
  }
  const lossIdx = floor.findIndex((f) => f > 0);
  const rateLimited = seq
    .filter((s, i) => {
      const later = seq.slice(i + 1).filter((x) => x.sent > 0);
      return s.sent > 0 && later.length > 0 && excessIsReal(s, later);
    })
    .map((s) => s.hop);

  // Persistent delay: the least median from this hop to the end, over hops with one.
  const timed = seq.filter((s) => s.medianMs !== null) as { hop: number; medianMs: number }[];
  let delayHop: number | null = null;
  if (timed.length > 0) {
    const floorMs: number[] = new Array<number>(timed.length);
    let d = Infinity;
    for (let i = timed.length - 1; i >= 0; i--) {
      d = Math.min(d, timed[i]!.medianMs);
      floorMs[i] = d;
    }
    const targetMs = floorMs[timed.length - 1]!;
    const step = Math.max(DELAY_STEP_MS, DELAY_STEP_SHARE * targetMs);
    for (let i = 0; i < timed.length; i++) {
      if (floorMs[i]! - (i === 0 ? 0 : floorMs[i - 1]!) >= step) {
        delayHop = timed[i]!.hop;
        break;
      }
    }
  }
  return { lossHop: lossIdx >= 0 ? seq[lossIdx]!.hop : null, delayHop, rateLimited };
}

/**
 * A hop loses more probes than the hops after it, beyond binomial counting noise. The later
 * hops' loss rate f is pooled (Σ lost / Σ sent: the minimum of several noisy rates would be
 * biased low); the hop's excess over n·f must be at least 2 probes and 3 standard deviations
 * of that difference, √(n·f·(1−f) + n²·f·(1−f)/N) with N the later hops' probes.
 */
function excessIsReal(h: { lost: number; sent: number }, later: readonly { lost: number; sent: number }[]): boolean {
  const n = h.sent;
  const total = later.reduce((a, x) => a + x.sent, 0);
  const f = later.reduce((a, x) => a + x.lost, 0) / total;
  const sd = Math.sqrt(n * f * (1 - f) + (n * n * f * (1 - f)) / total);
  return h.lost - n * f >= Math.max(2, 3 * sd);
}
