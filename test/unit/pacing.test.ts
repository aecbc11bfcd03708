/**
 * The send schedule on a fake clock (vi.useFakeTimers): attempt i leaves at start + i × interval even when the
 * loop stalls, so the integration tests need not hold a wall-clock bar to prove it (issue 21).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runSchedule } from '../../src/probes/pacing.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Runs the schedule, stalling the (fake) clock by stallMs[seq] right after each send; returns each send's offset. */
async function offsets(count: number, intervalMs: number, stallMs: Record<number, number> = {}, signal = new AbortController().signal): Promise<number[]> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  const sent: number[] = [];
  const run = runSchedule(count, intervalMs, signal, async (seq, startMs) => {
    sent.push(performance.now() - startMs);
    if (stallMs[seq]) vi.advanceTimersByTime(stallMs[seq]); // the loop held up: time passes, no timer fired on time
    return seq;
  }, () => performance.now()); // the global performance, which vi.useFakeTimers replaces

  // 1 ms at a time, with real loop turns between (the schedule's last stretch waits in setImmediate turns, not faked).
  for (let ms = 0; ms < count * intervalMs * 2 && sent.length < count; ms++) {
    await vi.advanceTimersByTimeAsync(1);
    for (let turn = 0; turn < 3; turn++) await new Promise<void>((r) => setImmediate(r));
  }
  await run;
  return sent;
}

describe('runSchedule on a fake clock', () => {
  it('sends attempt i at exactly i × interval', async () => {
    // 0, 40, 80, ... 200: each slot from the start time, none early
    expect(await offsets(6, 40)).toEqual([0, 40, 80, 120, 160, 200]);
  });

  it('a stall delays only the attempts whose slot it overran: lateness never accumulates into drift', async () => {
    // a 50 ms stall after attempt 1 (at 40): attempt 2's slot (80) is missed, it leaves at 90; attempt 3 keeps its slot, 120
    const sent = await offsets(6, 40, { 1: 50 });
    expect(sent[2]).toBe(90);
    expect(sent.slice(3)).toEqual([120, 160, 200]);
  });

  it('never sends before a slot', async () => {
    const sent = await offsets(10, 7, { 3: 2, 6: 11 });
    sent.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(i * 7));
  });
});
