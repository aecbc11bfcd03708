/**
 * Waiting on a readiness condition rather than sleeping a guessed time: the one polling loop the tests share,
 * for conditions that raise no event (a lock file appears, a log line arrives, a daemon's API shows a state). The
 * bound is a hang guard that fails naming what never came, generous so that a loaded host never reaches it.
 */
import { setTimeout as delay } from 'node:timers/promises';

type Truthy<T> = Exclude<T, null | undefined | false | 0 | ''>;

/** Resolves with the condition's first truthy value (a condition may be async: a daemon's API asked each turn). */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 60_000, pollMs = 25): Promise<Truthy<T>> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    try {
      v = await cond();
    } catch {
      v = undefined; // not there yet (e.g. a directory not created yet, a daemon not listening yet)
    }
    if (v) return v as Truthy<T>;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(pollMs);
  }
}

/**
 * Block this thread for `ms` (no event loop turn): for synchronous code that polls what raises no event (the
 * kernel's namespace teardown, another process's lock gate) or measures the host over a fixed span.
 */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
