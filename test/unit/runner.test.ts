import { describe, expect, it, vi } from 'vitest';
import type { ProbeDef } from '../../src/probes/probe.js';
import type { BaseSpec, ProbeOutcome } from '../../src/core/samples.js';
import { runPlan, type PlannedTest } from '../../src/run/runner.js';
import { ctx } from '../helpers/records.js';
import { fakeProbe as sharedFakeProbe, fakeSpec, packetOutcome } from '../helpers/fakes.js';

/** Test probes with known behaviour: the runner's deadlines and ordering are what is under test. */
const fakeProbe = (behaviour: (signal: AbortSignal) => Promise<ProbeOutcome>, deadlineMs = 1000): ProbeDef<BaseSpec> =>
  sharedFakeProbe(({ signal }) => behaviour(signal), { deadlineMs });
const spec = fakeSpec;
const okOutcome = (): ProbeOutcome => packetOutcome();
const plan = (probe: ProbeDef<BaseSpec>, n = 1): PlannedTest[] =>
  Array.from({ length: n }, (_, i) => ({ endpoint: { name: `e${i}`, host: 'h' }, spec, probe }));

describe('runner', () => {
  it('runs tests one at a time, in order, and streams each record', async () => {
    let running = 0;
    let maxRunning = 0;
    const probe = fakeProbe(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      // Yield to the event loop: a runner that started the next test without awaiting this one would start it now.
      await new Promise((r) => setImmediate(r));
      running--;
      return okOutcome();
    });
    const seen: string[] = [];
    const res = await runPlan(plan(probe, 3), ctx, { onRecord: (r) => seen.push(r.endpoint as string) });
    expect(seen).toEqual(['e0', 'e1', 'e2']);
    expect(maxRunning).toBe(1);
    expect(res.status).toBe('completed');
    expect(res.records.every((r) => r.status === 'ok' && r.location_code === '32.73')).toBe(true);
  });

  it('aborts a test at its deadline; the probe returns what it measured → partial DEADLINE', async () => {
    const probe = fakeProbe(
      (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ...okOutcome(), interrupted: true }))),
      50,
    );
    const res = await runPlan(plan(probe), ctx, { endMarginMs: 0, onRecord: () => {} });
    expect(res.records[0]).toMatchObject({ status: 'partial', error_code: 'DEADLINE', received: 1 });
    expect(res.status).toBe('completed'); // the run itself went on
  });

  it('abandons a probe that ignores its signal, after the grace period: the run never hangs', async () => {
    const probe = fakeProbe(() => new Promise(() => {}), 30); // never settles
    // On a fake clock: each test is given up at its 30 ms deadline + 30 ms grace, so the run ends by 2 × 60 ms.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    let res: Awaited<ReturnType<typeof runPlan>>;
    try {
      const t0 = Date.now();
      let endedAt: number | null = null;
      const run = runPlan(plan(probe, 2), ctx, { graceMs: 30, endMarginMs: 0, onRecord: () => {} }).then((r) => ((endedAt = Date.now() - t0), r));
      await vi.advanceTimersByTimeAsync(2 * 60);
      expect(endedAt).not.toBeNull();
      expect(endedAt).toBeLessThanOrEqual(2 * 60);
      res = await run;
    } finally {
      vi.useRealTimers();
    }
    expect(res.records).toHaveLength(2);
    expect(res.records[0]).toMatchObject({ status: 'error', error_code: 'DEADLINE' });
  });

  it('a throwing probe becomes an error record and the run goes on', async () => {
    let calls = 0;
    const probe = fakeProbe(async () => {
      if (calls++ === 0) throw new Error('boom');
      return okOutcome();
    });
    const res = await runPlan(plan(probe, 2), ctx, { onRecord: () => {} });
    expect(res.records.map((r) => r.status)).toEqual(['error', 'ok']);
    expect(res.records[0]).toMatchObject({ error_code: 'INTERNAL', error_message: 'boom' });
  });

  it('an interrupt stops measuring: the running test is partial, later tests are not run and each has its ABORTED record (issue 25: the deadline\'s rule)', async () => {
    const ctl = new AbortController();
    let calls = 0;
    const probe = fakeProbe(
      (signal) =>
        new Promise((resolve) => {
          calls++;
          setTimeout(() => ctl.abort(), 20);
          signal.addEventListener('abort', () => resolve({ ...okOutcome(), interrupted: true }));
        }),
    );
    const res = await runPlan(plan(probe, 3), ctx, { signal: ctl.signal, onRecord: () => {} });
    expect(res.status).toBe('interrupted');
    expect(res.records).toHaveLength(3);
    expect(res.records[0]).toMatchObject({ status: 'partial', error_code: 'ABORTED' });
    // Not run: no count (null, not 0), the same shape as a test the run deadline prevented.
    for (const r of res.records.slice(1)) expect(r).toMatchObject({ status: 'error', error_code: 'ABORTED', sent: null, received: null, loss_percent: null });
    expect(calls).toBe(1);
  });

  it('the run deadline leaves a visible record for each test it prevented', async () => {
    const probe = fakeProbe((signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ...okOutcome(), interrupted: true }))), 10_000);
    const res = await runPlan(plan(probe, 3), ctx, { deadlineMs: 50, onRecord: () => {} });
    expect(res.status).toBe('deadline');
    expect(res.records.map((r) => [r.status, r.error_code])).toEqual([
      ['partial', 'DEADLINE'],
      ['error', 'DEADLINE'],
      ['error', 'DEADLINE'],
    ]);
  });
});
