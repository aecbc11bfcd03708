/**
 * Rules the probes (and the server) once wrote more than once, each with one owner now (issue 11): resolving the
 * target before the first attempt, the attempts a paced test keeps, an HTTP attempt as a packet, the random payload
 * of throughput tests, and the serve ports the probes aim at by default.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { QosError } from '../../src/core/errors.js';
import type { HttpAttempt } from '../../src/core/samples.js';
import { SERVE_DEFAULTS } from '../../src/core/serve-defaults.js';
import { validateConfig } from '../../src/config/validate.js';
import { MAX_SLICE_BYTES, RANDOM_POOL_BYTES, randomSlices } from '../../src/net/random-payload.js';
import { keptAttempts, resolveTarget } from '../../src/probes/common.js';
import { settleOutcome } from '../../src/probes/failures.js';
import { probes } from '../../src/probes/index.js';
import type { BaseSpec } from '../../src/core/samples.js';
import { summarizeHttp } from '../../src/stats/http.js';
import { attemptAsPacket } from '../../src/core/samples.js';

const never = new AbortController().signal;

describe('resolveTarget: resolved once before the first attempt, or the outcome of a test that made none', () => {
  it('an address, or DNS_FAILED / ABORTED with the resolver\'s message', async () => {
    expect(await resolveTarget('h', 'h:1', { signal: never }, async () => ({ address: '10.77.0.1', family: 4 }))).toEqual({ ok: true, address: '10.77.0.1', family: 4 });
    const fail = (err: unknown) => resolveTarget('h', 'h:1', { signal: never }, () => Promise.reject(err));
    expect(await fail(new QosError('DNS_FAILED', 'cannot resolve h (system resolver)'))).toEqual({
      ok: false,
      failed: { target: 'h:1', error: { code: 'DNS_FAILED', message: 'cannot resolve h (system resolver)' }, interrupted: false },
    });
    // Whatever a resolver throws, the test could not start for want of an address.
    expect(await fail(new Error('odd'))).toMatchObject({ failed: { error: { code: 'DNS_FAILED', message: 'odd' }, interrupted: false } });
    expect(await fail(new QosError('ABORTED', 'aborted'))).toMatchObject({ failed: { error: { code: 'ABORTED' }, interrupted: true } });
  });

  it('icmp, tcp, stamp and trace end the same way when the run stops while resolving ("localhost": /etc/hosts, no DNS traffic)', async () => {
    const stopped = AbortSignal.abort();
    const specs: Record<string, Record<string, unknown>> = { icmp: {}, tcp: { port: 9 }, stamp: { port: 9 }, trace: {} };
    for (const [kind, extra] of Object.entries(specs)) {
      const spec = validateConfig({ endpoints: [{ host: 'localhost', tests: [{ kind, ...extra }] }] }, 'f.yaml').endpoints[0]!.tests[0] as BaseSpec;
      const def = probes[kind as keyof typeof probes] as unknown as { run(e: unknown, s: BaseSpec, c: unknown): Promise<Record<string, unknown>> };
      const out = await def.run({ name: 'l', host: 'localhost' }, spec, { signal: stopped });
      expect(out, kind).toMatchObject({ error: { code: 'ABORTED', message: 'cannot resolve localhost: aborted' }, interrupted: true });
      expect(out.samples, kind).toBeUndefined();
    }
  });
});

describe('keptAttempts: the samples of a paced test (tcp, dns)', () => {
  it('drops the attempts the abort cut short, keeps answered and lost ones with their cause', () => {
    const kept = keptAttempts([
      { seq: 0, sentAtMs: 0, rttMs: 1.5, cut: false },
      { seq: 1, sentAtMs: 10, rttMs: null, errorCode: 'TIMEOUT', errorMessage: 'no handshake within 5 ms', cut: false },
      { seq: 2, sentAtMs: 20, rttMs: null, cut: true },
    ]);
    expect(kept.map((p) => [p.seq, p.rttMs, p.errorCode])).toEqual([
      [0, 1.5, undefined],
      [1, null, 'TIMEOUT'],
    ]);
    expect(kept[1]).not.toHaveProperty('cut');
  });
});

describe('attemptAsPacket: one mapping of HTTP attempts for the statistics and the failure rule', () => {
  const attempt = (o: Partial<HttpAttempt>): HttpAttempt => ({
    seq: 0,
    sentAtMs: 0,
    cold: false,
    dnsMs: null,
    connectMs: null,
    tlsMs: null,
    ttfbMs: null,
    totalMs: null,
    status: null,
    ok: false,
    ...o,
  });

  it('answered only when ok (a 500 with a body is a loss), the RTT being the total time', () => {
    expect(attemptAsPacket(attempt({ ok: true, totalMs: 12, status: 200 }))).toEqual({ seq: 0, sentAtMs: 0, rttMs: 12, errorCode: undefined, errorMessage: undefined });
    expect(attemptAsPacket(attempt({ seq: 1, totalMs: 12, status: 500, errorCode: 'HTTP_STATUS', errorMessage: 'HTTP 500' }))).toMatchObject({ rttMs: null, errorCode: 'HTTP_STATUS' });
  });

  it('the statistics and the failure rule agree with it', () => {
    const unreachable = attempt({ errorCode: 'NETWORK_UNREACHABLE', errorMessage: 'no route' });
    const attempts = [attempt({ ok: true, totalMs: 10, status: 204 }), attempt({ seq: 1, totalMs: 9, status: 500, errorCode: 'HTTP_STATUS' })];
    expect(summarizeHttp(attempts, 100)).toMatchObject({ sent: 2, received: 1, loss_percent: 50, rtt_median_ms: 10 });
    // Every attempt refused by this host: none left it (sent = 0), as for the packet probes.
    const settled = settleOutcome('http', { target: 't', samples: { type: 'http', intervalMs: 100, attempts: [unreachable, { ...unreachable, seq: 1 }] } });
    expect(settled).toMatchObject({ samples: { attempts: [] }, error: { code: 'NETWORK_UNREACHABLE' } });
  });
});

describe('randomSlices: the random payload of /down and the upload probe', () => {
  it('slices of the asked length, wrapping round the pool, incompressible', () => {
    const next = randomSlices();
    let total = 0;
    // More than the pool: the cursor wraps and every slice still has its full length.
    while (total < RANDOM_POOL_BYTES + 3 * MAX_SLICE_BYTES) {
      const s = next(MAX_SLICE_BYTES - 1);
      expect(s.length).toBe(MAX_SLICE_BYTES - 1);
      total += s.length;
    }
    const slice = next(MAX_SLICE_BYTES);
    expect(gzipSync(slice).length).toBeGreaterThan(0.99 * slice.length);
    expect(next(0).length).toBe(0);
    expect(() => next(MAX_SLICE_BYTES + 1)).toThrow(RangeError);
  });

  it('each cursor starts at its own random offset in the one pool', () => {
    const a = randomSlices()(64);
    const b = randomSlices()(64);
    expect(a.buffer).toBe(b.buffer);
    expect(a.equals(b)).toBe(false);
  });
});

describe('serve ports: the probes aim at qosprobe serve by default', () => {
  it('a stamp test without a port and an http, download or upload test with a bare path', () => {
    const tests = validateConfig(
      { endpoints: [{ host: 'h', tests: [{ kind: 'stamp' }, { kind: 'http' }, { kind: 'download' }, { kind: 'upload', url: '/up' }] }] },
      'f.yaml',
    ).endpoints[0]!.tests as unknown as { port: number }[];
    expect(tests.map((t) => t.port)).toEqual([SERVE_DEFAULTS.stampPort, SERVE_DEFAULTS.httpPort, SERVE_DEFAULTS.httpPort, SERVE_DEFAULTS.httpPort]);
    expect(probes.http.targetOf({ name: 'h', host: 'h' }, tests[1] as never)).toBe(`http://h:${SERVE_DEFAULTS.httpPort}/ping`);
  });
});
