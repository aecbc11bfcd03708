import { performance } from 'node:perf_hooks';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';

/**
 * How long before a send time the schedule stops trusting setTimeout. Node timers work on the
 * loop's whole-millisecond clock: one can fire up to ~1 ms early (and a little late), so the
 * last stretch is waited in event-loop turns (setImmediate), never in a synchronous spin.
 */
export const TIMER_SLACK_MS = 1.5;

/**
 * Isochronous send schedule: attempt i fires at start + i × interval, computed from the
 * start time, so timer lateness never accumulates into drift. Stops early on abort.
 * `send` must not block; its promise is awaited only at the end (attempts overlap when
 * their timeout exceeds the interval, as real packets do).
 * The loop yields to the event loop at least once per packet, whatever the interval (even when
 * behind schedule), so replies, timers (deadlines) and signals are served while it paces.
 * Returns the test start time (performance.now() ms) and the attempts that were started.
 * `now` is the monotonic clock (ms), a parameter so tests can drive the schedule on a fake clock.
 */
export async function runSchedule<T>(
  count: number,
  intervalMs: number,
  signal: AbortSignal,
  send: (seq: number, startMs: number) => Promise<T>,
  now: () => number = () => performance.now(),
): Promise<{ startMs: number; results: T[] }> {
  const startMs = now();
  const pending: Promise<T>[] = [];
  for (let seq = 0; seq < count; seq++) {
    if (signal.aborted) break;
    const due = startMs + seq * intervalMs;
    if (!(await waitUntil(due, signal, now))) break;
    pending.push(send(seq, startMs));
    // After the send, not before: the packet leaves on time and the loop turn falls in the gap.
    await nextLoopTurn();
  }
  return { startMs, results: await Promise.all(pending) };
}

/**
 * Wait until performance.now() ≥ due: a timer until TIMER_SLACK_MS before, then one event-loop
 * turn per check (I/O and timers are served between checks; the CPU stays busy for that last
 * stretch only). A packet never leaves before its slot. False if aborted.
 */
export async function waitUntil(due: number, signal: AbortSignal, now: () => number = () => performance.now()): Promise<boolean> {
  for (;;) {
    if (signal.aborted) return false;
    const left = due - now();
    if (left <= 0) return true;
    if (left > TIMER_SLACK_MS) {
      if (!(await sleep(left - TIMER_SLACK_MS, signal))) return false;
    } else await nextLoopTurn();
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
