/**
 * A test that ran to its end is `ok`, never `partial`/DEADLINE (issue 9, item 2): the runner counts a
 * probe's deadline from when it starts measuring, and the deadline comes after the probe's own end
 * (last send + timeout), with a margin for timer lateness.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProbeDef } from '../../src/probes/probe.js';
import { stamp, type StampSpec } from '../../src/probes/stamp.js';
import type { BaseSpec } from '../../src/core/samples.js';
import { runPlan } from '../../src/run/runner.js';
import { startStampReflector, type StampReflector } from '../../src/serve/stamp-reflector.js';
import { startRelay, type Relay, type Schedule } from '../helpers/impairment-relay.js';
import { ctx } from '../helpers/records.js';
import { fakeProbe, packetOutcome } from '../helpers/fakes.js';

describe('runner budget', () => {
  it('is counted from when the probe starts measuring, not from before its set-up', async () => {
    // A fake clock: the set-up and the probe's duration pass in order with the runner's own timers, whatever the host's load.
    vi.useFakeTimers();
    try {
      // 300 ms of set-up (a slow resolver), then exactly its declared duration.
      const probe: ProbeDef<BaseSpec> = fakeProbe(
        async ({ signal, measuring }) => {
          await new Promise((r) => setTimeout(r, 300)); // on the fake clock
          measuring?.();
          await new Promise((r) => setTimeout(r, 200));
          return packetOutcome(undefined, { interrupted: signal.aborted });
        },
        { deadlineMs: 200 },
      );
      const spec: BaseSpec = { kind: 'fake', count: 1, intervalMs: 100, timeoutMs: 100 };
      const ran = runPlan([{ endpoint: { name: 'e', host: 'h' }, spec, probe }], ctx, { onRecord: () => {} });
      await vi.runAllTimersAsync();
      const res = await ran;
      expect(res.records[0]).toMatchObject({ status: 'ok', error_code: null });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('stamp with the last packet lost, through the impairment relay', () => {
  let reflector: StampReflector;
  let relay: Relay;
  // Every 10th packet dropped going up, the last one included: the probe waits its full loss threshold.
  const drop10: Schedule = {
    up: (seq) => ({ delayMs: 0, drop: seq % 10 === 9, duplicate: false, overtake: false }),
    down: () => ({ delayMs: 0, drop: false, duplicate: false, overtake: false }),
  };
  beforeAll(async () => {
    reflector = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: true, rateLimitPps: 1_000_000, log: () => {} });
    relay = await startRelay(reflector.port, drop10);
  });
  afterAll(async () => {
    await relay.close();
    await reflector.close();
  });

  it('is ok in every run, with the loss exactly as dropped (12 runs)', async () => {
    const spec: StampSpec = { kind: 'stamp', count: 50, intervalMs: 1, timeoutMs: 500, port: relay.port, sizeBytes: 44, stateful: true };
    const plan = Array.from({ length: 12 }, (_, i) => ({ endpoint: { name: `r${i}`, host: '127.0.0.1' }, spec, probe: stamp as unknown as ProbeDef<BaseSpec> }));
    const res = await runPlan(plan, ctx, { onRecord: () => {} });
    const summary = res.records.map((r) => `${r.status}/${r.error_code}/${r.sent}/${r.received}/${r.loss_up_percent}`);
    // Old runner: budget = count × interval + timeout from before the socket set-up, the probe waits
    // last send + timeout + 1 ms: the two raced and most runs came out partial/DEADLINE.
    expect(summary).toEqual(Array.from({ length: 12 }, () => 'ok/null/50/45/10'));
  }, 20_000);
});
