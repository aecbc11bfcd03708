/**
 * Waiting on a readiness condition rather than sleeping a guessed time: the one polling loop the tests share,
 * for conditions that raise no event (a lock file appears, a log line arrives). The bound is a hang guard that
 * fails naming what never came, generous so that a loaded host never reaches it.
 */
import { setTimeout as delay } from 'node:timers/promises';

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000, pollMs = 25): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = cond();
    } catch {
      ok = false; // not there yet (e.g. a directory not created yet)
    }
    if (ok) return;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(pollMs);
  }
}
