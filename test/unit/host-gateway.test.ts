import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QosError } from '../../src/core/errors.js';
import { GATEWAY_PINGS, measureGateway } from '../../src/host/gateway.js';
import type { PingOptions, PingRun } from '../../src/net/ping.js';
import type { ProbeDef } from '../../src/probes/probe.js';
import type { BaseSpec } from '../../src/core/samples.js';
import { ALONGSIDE_WAIT_MS, runPlan } from '../../src/run/runner.js';
import { ctx } from '../helpers/records.js';
import { fakeProbe, fakeSpec, packetOutcome } from '../helpers/fakes.js';

const pingRun = (stdout: string, stoppedBy: PingRun['stoppedBy'] = null): PingRun => ({
  stdout,
  stderr: '',
  exitCode: 0,
  exitSignal: null,
  stoppedBy,
  stoppedAtMs: stoppedBy ? 500 : null,
  durationMs: 900,
  intervalMs: 200,
  platform: 'linux',
  command: ['ping'],
});

const iputils = (replies: (number | null)[]) =>
  [
    'PING 10.77.80.1 (10.77.80.1) 16(44) bytes of data.',
    ...replies.flatMap((t, i) => (t === null ? [] : [`24 bytes from 10.77.80.1: icmp_seq=${i + 1} ttl=64 time=${t} ms`])),
    '',
    '--- 10.77.80.1 ping statistics ---',
    `${replies.length} packets transmitted, ${replies.filter((t) => t !== null).length} received, ${(100 * replies.filter((t) => t === null).length) / replies.length}% packet loss, time 800ms`,
    '',
  ].join('\n');

describe('measureGateway', () => {
  it('5 small pings, 200 ms apart; median RTT and loss from the packet statistics', async () => {
    const seen: PingOptions[] = [];
    const m = await measureGateway('10.77.80.1', new AbortController().signal, async (o) => {
      seen.push(o);
      return pingRun(iputils([1.2, null, 0.8, 3.0, 1.0])); // answered 1.2 0.8 3.0 1.0 → median (1.0 + 1.2) / 2
    });
    expect(seen[0]).toMatchObject({ address: '10.77.80.1', family: 4, count: GATEWAY_PINGS, intervalMs: 200 });
    expect(m).toEqual({ gateway_rtt_ms: 1.1, gateway_loss_percent: 20 });
  });

  it('a gateway that answers nothing: 100% loss, RTT null (never 0)', async () => {
    const m = await measureGateway('10.77.80.1', new AbortController().signal, async () => pingRun(iputils([null, null, null, null, null])));
    expect(m).toEqual({ gateway_rtt_ms: null, gateway_loss_percent: 100 });
  });

  it('no ping, an unreadable ping, or a gateway that is not an address: both null', async () => {
    const signal = new AbortController().signal;
    expect(await measureGateway('10.77.80.1', signal, () => Promise.reject(new QosError('PING_UNAVAILABLE', 'no ping')))).toEqual({ gateway_rtt_ms: null, gateway_loss_percent: null });
    expect(await measureGateway('10.77.80.1', signal, async () => pingRun('garbage'))).toEqual({ gateway_rtt_ms: null, gateway_loss_percent: null });
    let called = false;
    const m = await measureGateway('fe80::1%eth0; rm -rf /', signal, async () => {
      called = true;
      return pingRun('');
    });
    expect(m).toEqual({ gateway_rtt_ms: null, gateway_loss_percent: null });
    expect(called).toBe(false);
  });
});

describe('runner: measured alongside each test', () => {
  // A fake clock (timers and performance.now): a test of `ms` takes exactly that, and the runner's wait for what it
  // measures alongside is its own timer, so durations are exact whatever the host's load.
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'performance'] }));
  afterEach(() => void vi.useRealTimers());
  /** Runs a plan to its end on the fake clock. */
  const run = async (...args: Parameters<typeof runPlan>) => {
    const ran = runPlan(...args);
    await vi.runAllTimersAsync();
    return ran;
  };
  const probe = (ms: number): ProbeDef<BaseSpec> =>
    fakeProbe(async () => {
      await new Promise((r) => setTimeout(r, ms)); // on the fake clock
      return packetOutcome();
    }, { deadlineMs: 5000 });
  const spec = fakeSpec;

  it('starts with each test, its fields go on that test\'s record; duration_ms is the test\'s alone', async () => {
    let n = 0;
    const res = await run(
      [0, 1].map((i) => ({ endpoint: { name: `e${i}`, host: 'h' }, spec, probe: probe(30) })),
      ctx,
      { onRecord: () => {}, alongside: async () => ({ gateway_rtt_ms: ++n, gateway_loss_percent: 0 }) },
    );
    expect(res.records.map((r) => r.gateway_rtt_ms)).toEqual([1, 2]);
    expect(res.records[0]!.duration_ms).toBeLessThan(1000);
  });

  it('stopped at most ALONGSIDE_WAIT_MS after a short test; what it had by then counts', async () => {
    const t0 = performance.now();
    const res = await run([{ endpoint: { name: 'e', host: 'h' }, spec, probe: probe(10) }], ctx, {
      onRecord: () => {},
      alongside: (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve({ gateway_rtt_ms: 0.5, gateway_loss_percent: 40 }))),
    });
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(ALONGSIDE_WAIT_MS - 50);
    expect(took).toBeLessThan(ALONGSIDE_WAIT_MS + 1500);
    expect(res.records[0]).toMatchObject({ gateway_rtt_ms: 0.5, gateway_loss_percent: 40, status: 'ok' });
  });

  it('without it (no gateway known, --no-gateway-ping): the columns are null, never 0', async () => {
    const res = await run([{ endpoint: { name: 'e', host: 'h' }, spec, probe: probe(1) }], ctx, { onRecord: () => {} });
    expect(res.records[0]).toMatchObject({ gateway_rtt_ms: null, gateway_loss_percent: null });
  });
});
