/**
 * Implausible values are not recorded as fact (issue 10 item 11): one-way jitter from a reflector
 * whose timestamps are garbage, a stalled download reported ok at 0 bit/s, HTTP_STATUS transfers
 * without their status, `bytes: 1e30` accepted until run time, an http request cut by the
 * deadline not counted as sent. Loopback servers on port 0 only.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QosError } from '../../src/core/errors.js';
import { validateConfig } from '../../src/config/validate.js';
import { http as httpProbe } from '../../src/probes/http.js';
import { runStamp } from '../../src/probes/stamp.js';
import type { PacketSample } from '../../src/core/samples.js';
import { buildRecord } from '../../src/records/assemble.js';
import { startStampReflector } from '../../src/serve/stamp-reflector.js';
import { decodeSenderPacket, encodeReflectorPacket } from '../../src/stamp/packet.js';
import { implausibleOneWay, summarizePackets } from '../../src/stats/packets.js';
import { runProbe } from '../helpers/probe-run.js';
import { ctx } from '../helpers/records.js';

const never = new AbortController().signal;
const identity = (test: string) => ({ endpoint: 'e', test, startedAt: new Date(0), durationMs: 1, intervalMs: 10, timeoutMs: 500 });

describe('STAMP one-way jitter: null with a reason when the reflector timestamps are implausible', () => {
  // RTT 1 ms each; a clock offset of 5e9 ms (the far clock is ~58 days off) cancels in the differences.
  const good: PacketSample[] = [0, 1, 2, 3].map((seq) => ({ seq, sentAtMs: seq * 10, rttMs: 1, upMs: 5e9 + 0.4 + 0.1 * (seq % 2), downMs: -5e9 + 0.5 }));

  it('plausible timestamps (any constant offset) give numbers', () => {
    expect(implausibleOneWay(good)).toBeNull();
    const m = summarizePackets(good, { intervalMs: 10 });
    expect(m.jitter_up_ms).toBeCloseTo(0.1, 6); // |0.5-0.4| = 0.1 for each of the 3 pairs
    expect(m.jitter_down_ms).toBe(0);
  });

  // u + d is the round trip less the residence whatever the far clock says, so a reflector that sets
  // its receive and send times to the same junk (or whose clock steps) keeps the sum and moves u and d.
  const sameJunk = (ups: number[]) => good.map((p, i) => ({ ...p, upMs: ups[i]!, downMs: 0.9 - ups[i]! }));
  it.each([
    ['random reflector timestamps (receive = send time)', sameJunk([0.3e12, -0.7e12, 0.2e12, 0.9e12]), /up one-way delay changed by/],
    ['a reflector clock step of 1 s mid-test', sameJunk([0.4, 0.4, 1000.4, 1000.4]), /up one-way delay changed by 1000\.000 ms between packets 1 and 2/],
    ['independent random receive and send times', good.map((p, i) => ({ ...p, upMs: [3e11, -2e11, 5e11, 1e11][i]! })), /for packet 0, up \+ down one-way delay is/],
  ])('%s → null, with the reason in error_message, status still ok', (_label, packets, why) => {
    const notes: string[] = [];
    const m = summarizePackets(packets, { intervalMs: 10, notes });
    expect(m).toMatchObject({ jitter_up_ms: null, jitter_down_ms: null, received: 4, rtt_median_ms: 1 });
    expect(notes[0]).toMatch(why);
    const r = buildRecord(ctx, identity('stamp'), { target: 't', samples: { type: 'packets', intervalMs: 10, packets } });
    expect(r).toMatchObject({ status: 'ok', error_code: null, jitter_up_ms: null, jitter_down_ms: null });
    expect(r.error_message).toMatch(/^jitter_up_ms and jitter_down_ms are null: the reflector's timestamps are implausible/);
  });

  it('a loaded probe host: 15 ms between our timestamp and the send widens u and u + d alike, and is plausible', () => {
    const packets = good.map((p, i) => (i === 2 ? { ...p, upMs: p.upMs! + 15 } : p));
    expect(implausibleOneWay(packets)).toBeNull();
  });

  it('a change up to the larger RTT of the pair is plausible (the path really can do that)', () => {
    const packets: PacketSample[] = [
      { seq: 0, sentAtMs: 0, rttMs: 50, upMs: 1, downMs: 49 },
      { seq: 1, sentAtMs: 10, rttMs: 50, upMs: 49, downMs: 1 },
    ];
    expect(implausibleOneWay(packets)).toBeNull();
  });

  describe('on loopback', () => {
    let fake: Socket;
    let port: number;
    beforeAll(async () => {
      // A reflector that fills its timestamps with random values (seen in the field: 1.03e12 ms of "jitter").
      fake = createSocket('udp4');
      await new Promise<void>((r) => fake.bind(0, '127.0.0.1', () => r()));
      port = fake.address().port;
      fake.on('message', (msg, rinfo) => {
        const d = decodeSenderPacket(msg);
        if (!d.ok) return;
        const p = d.packet;
        const junk = () => ({ seconds: Math.floor(Math.random() * 2 ** 32), fraction: Math.floor(Math.random() * 2 ** 32) });
        const t = junk();
        const reply = encodeReflectorPacket({
          seq: p.seq,
          timestamp: t,
          errorEstimate: p.errorEstimate,
          ssid: p.ssid,
          receiveTimestamp: t, // residence 0, so the RTT itself stays measurable
          senderSeq: p.seq,
          senderTimestamp: p.timestamp,
          senderErrorEstimate: p.errorEstimate,
          senderTtl: 255,
        });
        fake.send(reply, rinfo.port, rinfo.address);
      });
    });
    afterAll(() => fake.close());

    it('a reflector with random timestamps: RTT measured, one-way jitter null with the reason', async () => {
      const out = await runStamp({ host: '127.0.0.1' }, { kind: 'stamp', count: 5, intervalMs: 10, timeoutMs: 500, sizeBytes: 44, port }, { signal: never });
      const r = buildRecord(ctx, identity('stamp'), out);
      expect(r).toMatchObject({ status: 'ok', received: 5, jitter_up_ms: null, jitter_down_ms: null });
      expect(r.rtt_median_ms).toBeLessThan(100);
      expect(r.error_message).toMatch(/reflector's timestamps are implausible/);
    });

    it('our own reflector: one-way jitter is a number, no message', async () => {
      const reflector = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: false, rateLimitPps: 10_000, log: () => {} });
      try {
        const out = await runStamp({ host: '127.0.0.1' }, { kind: 'stamp', count: 10, intervalMs: 10, timeoutMs: 500, sizeBytes: 44, port: reflector.port }, { signal: never });
        const r = buildRecord(ctx, identity('stamp'), out);
        expect(r).toMatchObject({ status: 'ok', error_message: null });
        expect(r.jitter_up_ms).toBeTypeOf('number');
      } finally {
        await reflector.close();
      }
    });
  });
});

describe('transfers and http against misbehaving loopback servers', () => {
  let server: Server;
  let base: string;
  const open = new Set<ServerResponse>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/ping') {
        res.writeHead(204).end();
        return;
      }
      if (path === '/stall10') {
        // 10 bytes, then nothing: the connection stays open until the client gives up.
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000000' });
        res.write(Buffer.alloc(10));
        open.add(res);
        return;
      }
      if (path === '/silent') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000000' });
        res.flushHeaders();
        open.add(res);
        return;
      }
      if (path === '/forbidden') {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('no');
        return;
      }
      if (path === '/slow') {
        open.add(res);
        setTimeout(() => res.writeHead(200).end('late'), 3000).unref();
        return;
      }
      res.writeHead(404).end();
    });
    server.keepAliveTimeout = 50;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const download = (path: string) => runProbe('download', { url: `${base}${path}`, duration_s: 1, warmup_s: 0.2, streams: 1 }, { timeoutMs: 500 });

  it('a download that stalls after 10 bytes is the same failure as one that sends nothing: error ALL_LOST, not ok at 0 bit/s', async () => {
    const [stalled, silent] = await Promise.all([download('/stall10'), download('/silent')]);
    expect(silent.record).toMatchObject({ status: 'error', error_code: 'ALL_LOST', bytes: 0 });
    expect(stalled.record).toMatchObject({ status: 'error', error_code: 'ALL_LOST', bytes: 10 });
    expect(stalled.record.error_message).toMatch(/no bytes in the measurement window \(10 bytes before it/);
  });

  it('HTTP_STATUS on a download carries http_status', async () => {
    const { record } = await download('/forbidden');
    expect(record).toMatchObject({ status: 'error', error_code: 'HTTP_STATUS', http_status: 403 });
  });

  it('an http test cut by the deadline counts the request it sent (sent=1, loss unknown)', async () => {
    const spec = httpProbe.parse({ url: `${base}/slow` }, { kind: 'http', count: 3, intervalMs: 100, timeoutMs: 5000 }, new (await import('../../src/core/config-reader.js')).ConfigReader('t'), 't');
    const deadline = AbortSignal.timeout(300);
    const out = await httpProbe.run({ name: 'e', host: '127.0.0.1' }, spec, { signal: deadline });
    const r = buildRecord(ctx, identity('http'), out, 'DEADLINE');
    expect(r).toMatchObject({ status: 'error', error_code: 'DEADLINE', sent: 1, received: 0, loss_percent: null });
  });
});

describe('config: bytes is bounded at load', () => {
  it.each([1e30, 1e13, 2 ** 53])('bytes: %d is a config error naming the field', (bytes) => {
    const load = () => validateConfig({ endpoints: [{ host: '127.0.0.1', tests: [{ kind: 'download', bytes }] }] }, 'q.yaml');
    expect(load).toThrow(QosError);
    expect(load).toThrow(/endpoints\[0\]\.tests\[0\]\.bytes/);
  });
  it('bytes up to 1e12 is accepted', () => {
    const c = validateConfig({ endpoints: [{ host: '127.0.0.1', tests: [{ kind: 'upload', bytes: 1e12 }] }] }, 'q.yaml');
    expect(c.endpoints[0]!.tests[0]).toMatchObject({ bytes: 1e12 });
  });
});
