import { performance } from 'node:perf_hooks';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { sleep } from '../core/sleep.js';
import { takeToken, type TokenBucket } from '../core/token-bucket.js';

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
    if (!(await waitUntil(due, signal, TIMER_SLACK_MS, now))) break;
    pending.push(send(seq, startMs));
    // After the send, not before: the packet leaves on time and the loop turn falls in the gap.
    await nextLoopTurn();
  }
  return { startMs, results: await Promise.all(pending) };
}

/**
 * Wait until performance.now() ≥ due: a timer until TIMER_SLACK_MS before, then one event-loop
 * turn per check (I/O and timers are served between checks; the CPU stays busy for that last
 * stretch only). A packet never leaves before its slot. False if aborted. A slack of 0 waits on timers only (a
 * continuous schedule of many endpoints: within a millisecond, without a busy loop per endpoint).
 */
export async function waitUntil(
  due: number,
  signal: AbortSignal,
  slackMs: number = TIMER_SLACK_MS,
  now: () => number = () => performance.now(),
): Promise<boolean> {
  for (;;) {
    if (signal.aborted) return false;
    const left = due - now();
    if (left <= 0) return true;
    if (left > slackMs) {
      if (!(await sleep(left - slackMs, signal))) return false;
    } else await nextLoopTurn();
  }
}

/**
 * A cap on the sends of many schedules together (a monitor's endpoints): `perSecond` with bursts of `burst`. Spread
 * slots keep a monitor's sends apart; this keeps them apart after the process was held up (a busy host, a pause):
 * the slots that fell due meanwhile drain at the cap instead of leaving in one burst that a reflector's per-source
 * limit would drop. `take` resolves when a send may go (at once while tokens last), false if the signal fired.
 */
export function sharedPace(perSecond: number, burst: number, signal: AbortSignal): { take(): Promise<boolean> } {
  const bucket: TokenBucket = { tokens: burst, lastMs: performance.now() };
  const waiting: ((ok: boolean) => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const drain = () => {
    timer = undefined;
    while (waiting.length > 0 && takeToken(bucket, performance.now(), perSecond, burst)) waiting.shift()!(true);
    if (waiting.length > 0) timer = setTimeout(drain, Math.max(1, ((1 - bucket.tokens) / perSecond) * 1000));
  };
  signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      for (const w of waiting.splice(0)) w(false);
    },
    { once: true },
  );
  return {
    take() {
      if (signal.aborted) return Promise.resolve(false);
      if (waiting.length === 0 && takeToken(bucket, performance.now(), perSecond, burst)) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        waiting.push(resolve);
        timer ??= setTimeout(drain, Math.max(1, ((1 - bucket.tokens) / perSecond) * 1000));
      });
    },
  };
}
