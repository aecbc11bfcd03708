import { performance } from 'node:perf_hooks';

/**
 * Isochronous send schedule: attempt i fires at start + i × interval, computed from the
 * start time, so timer lateness never accumulates into drift. Stops early on abort.
 * `send` must not block; its promise is awaited only at the end (attempts overlap when
 * their timeout exceeds the interval, as real packets do).
 * Returns the test start time (performance.now() ms) and the attempts that were started.
 */
export async function runSchedule<T>(
  count: number,
  intervalMs: number,
  signal: AbortSignal,
  send: (seq: number, startMs: number) => Promise<T>,
): Promise<{ startMs: number; results: T[] }> {
  const startMs = performance.now();
  const pending: Promise<T>[] = [];
  for (let seq = 0; seq < count; seq++) {
    if (signal.aborted) break;
    const due = startMs + seq * intervalMs;
    if (!(await waitUntil(due, signal))) break;
    pending.push(send(seq, startMs));
  }
  return { startMs, results: await Promise.all(pending) };
}

/**
 * Wait until performance.now() ≥ due. Node timers may fire up to ~1 ms early, so the last
 * millisecond is spun: a packet must never leave before its slot. False if aborted.
 */
export async function waitUntil(due: number, signal: AbortSignal): Promise<boolean> {
  for (;;) {
    if (signal.aborted) return false;
    const left = due - performance.now();
    if (left <= 0) return true;
    if (left > 1.5) {
      if (!(await sleep(left - 1, signal))) return false;
    } else {
      while (performance.now() < due) {
        // spin: at most ~1.5 ms per packet
      }
      return !signal.aborted;
    }
  }
}

/** Sleep that resolves false (instead of rejecting) when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
