import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcp, type TcpSpec } from '../../src/probes/tcp.js';
import { buildRecord } from '../../src/records/assemble.js';
import { ctx } from '../helpers/records.js';
import { refusedPort, startBlackholeListener, startTcpListener } from '../helpers/servers.js';
import { packetsOf } from '../helpers/fakes.js';
import { loadMeter, skipIfBusy } from '../helpers/host-load.js';

const spec = (port: number, over: Partial<TcpSpec> = {}): TcpSpec => ({ kind: 'tcp', port, count: 5, intervalMs: 50, timeoutMs: 500, ...over });
const endpoint = { name: 'lo', host: '127.0.0.1' };
const record = (o: Parameters<typeof buildRecord>[2]) =>
  buildRecord(ctx, { endpoint: 'lo', test: 'tcp', startedAt: new Date(), durationMs: 0, intervalMs: 50, timeoutMs: 500 }, o);

describe('tcp probe on loopback', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  beforeAll(async () => {
    listener = await startTcpListener();
  });
  afterAll(() => listener.close());

  it('measures every handshake against a listener', async () => {
    const out = await tcp.run(endpoint, spec(listener.port), { signal: new AbortController().signal });
    const r = record(out);
    expect(r).toMatchObject({ status: 'ok', sent: 5, received: 5, loss_percent: 0, target: `127.0.0.1:${listener.port}`, target_ip: '127.0.0.1' });
    // A loopback handshake takes microseconds to a few ms on a loaded machine; never 0, never seconds.
    expect(r.rtt_min_ms).toBeGreaterThan(0);
    expect(r.rtt_max_ms).toBeLessThan(100);
    expect(r.jitter_ms).not.toBeNull();
  });

  it('sends on an isochronous schedule (attempt i at i × interval)', async (ctx) => {
    // The schedule itself is proved on a fake clock (unit/pacing.test.ts); here, that the probe uses it.
    const meter = loadMeter();
    const out = await tcp.run(endpoint, spec(listener.port, { count: 6, intervalMs: 40 }), { signal: new AbortController().signal });
    const load = meter.stop();
    const sent = packetsOf(out.samples).packets.map((p) => p.sentAtMs);
    sent.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(i * 40 - 1)); // never early (libuv's clock has whole ms)
    skipIfBusy(ctx, load, 'each attempt within 25 ms of its slot');
    sent.forEach((t, i) => expect(Math.abs(t - i * 40)).toBeLessThan(25));
  });

  it('a refused port: every attempt lost, status error CONNECT_REFUSED', async () => {
    const r = record(await tcp.run(endpoint, spec(await refusedPort()), { signal: new AbortController().signal }));
    expect(r).toMatchObject({ status: 'error', error_code: 'CONNECT_REFUSED', sent: 5, received: 0, loss_percent: 100, rtt_median_ms: null });
  });

  it('a listener that never answers: TIMEOUT after timeout_ms per attempt', async (t) => {
    const bh = await startBlackholeListener();
    if (!bh) return t.skip('python3 not available to hold a non-accepting listener');
    try {
      const meter = loadMeter();
      const t0 = performance.now();
      const r = record(await tcp.run(endpoint, spec(bh.port, { count: 3, timeoutMs: 300 }), { signal: new AbortController().signal }));
      const load = meter.stop();
      expect(r).toMatchObject({ status: 'error', error_code: 'TIMEOUT', sent: 3, received: 0 });
      // 3 attempts 50 ms apart, each waiting 300 ms: about 400 ms in all, not 3 × 300
      expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
      skipIfBusy(t, load, 'the attempts overlapping (under 1.5 s in all)');
      expect(performance.now() - t0).toBeLessThan(1500);
    } finally {
      await bh.close();
    }
  });

  it('an unresolvable name is DNS_FAILED', async () => {
    const out = await tcp.run({ name: 'x', host: 'no-such-host.invalid' }, spec(80), { signal: new AbortController().signal });
    expect(record(out)).toMatchObject({ status: 'error', error_code: 'DNS_FAILED' });
  });

  it('abort mid-test returns the attempts completed so far (partial)', async () => {
    const ctl = new AbortController();
    // Aborted when the listener accepts the 4th handshake, not after 120 ms (two suites at once: 1 attempt by then).
    // The first two completed 50 ms and more before it, so at least those are in the record.
    let accepted = 0;
    const server = createServer((sock) => {
      sock.end();
      if (++accepted === 4) ctl.abort();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const out = await tcp.run(endpoint, spec((server.address() as AddressInfo).port, { count: 100, intervalMs: 50 }), { signal: ctl.signal }).finally(
      () => new Promise<void>((r) => server.close(() => r())),
    );
    expect(out.interrupted).toBe(true);
    const r = buildRecord(ctx, { endpoint: 'lo', test: 'tcp', startedAt: new Date(), durationMs: 0, intervalMs: 50, timeoutMs: 500 }, out, 'ABORTED');
    expect(r.status).toBe('partial');
    expect(r.sent).toBeGreaterThanOrEqual(2);
    expect(r.sent).toBeLessThan(10);
    expect(r.loss_percent).toBe(0); // attempts cut by the abort are not counted as lost
  });
});
