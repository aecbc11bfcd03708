/**
 * STAMP's sockets (src/stamp/socket.ts) on both transports: the native addon (kernel_rx: kernel receive timestamps,
 * send times taken in C) and node:dgram (event_loop). Issue 9: the receive time must be the kernel's, not the
 * event loop's, and the send time the one written into the packet.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { nativeUdp, nativeUdpUnavailable, setNativeUdpMode } from '../../src/stamp/native.js';
import { openReflector, openSender } from '../../src/stamp/socket.js';
import { unixMsFromNtp, writeNtpAt } from '../../src/stamp/ntp.js';
import { startStampReflector } from '../../src/serve/stamp-reflector.js';
import { runStamp } from '../../src/probes/stamp.js';
import { summarizePackets } from '../../src/stats/packets.js';
import { builtCliAvailable } from '../helpers/cli.js';
import { packetsOf } from '../helpers/fakes.js';
import { caseLoad, skipIfBusy } from '../helpers/host-load.js';

// Two cases hold a timing bar, and skip it, saying what was measured, on a host too busy to hold it (helpers/host-load.ts),
// after their other assertions. The rest (timestamps written and returned, counts, refusals, hostile datagrams) hold
// on any host and always run: a file-wide skip hid 12 of these 14 cases whenever other work took one CPU (issue 21).

const native = nativeUdp();
const why = nativeUdpUnavailable();
if (!native) console.warn(`stamp-socket: native cases skipped: ${why}`);
const never = new AbortController().signal;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(() => setNativeUdpMode('auto'));

async function echoServer(): Promise<{ sock: Socket; port: number }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.on('message', (m, r) => sock.send(m, r.port, r.address));
  return { sock, port: sock.address().port };
}

describe('the native UDP addon', () => {
  it('is built where a compiler is (CI: QOSPROBE_REQUIRE_NATIVE=1), else says why', () => {
    if (process.env.QOSPROBE_REQUIRE_NATIVE === '1') expect(why).toBeNull();
    expect(native === null).toBe(why !== null);
  });

  it.runIf(native)('writes the same NTP timestamp as stamp/ntp.ts (property)', () => {
    const a = Buffer.alloc(8);
    const b = Buffer.alloc(8);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 4e12, noNaN: true }), (ms) => {
        native!.ntpAt(a, 0, ms);
        writeNtpAt(b, 0, ms);
        expect(a.toString('hex')).toBe(b.toString('hex'));
      }),
      { numRuns: 2000 },
    );
  });

  it.runIf(native)("a reflector's receive time is the kernel's: a busy event loop does not move it", async (ctx) => {
    // Blocks its own loop on purpose: only the CPUs' time says whether the kernel's receive path could run on time.
    const BLOCK = new Int32Array(new SharedArrayBuffer(4));
    const load = caseLoad({ eventLoop: false });
    const seen: { rxMs: number; handledMs: number }[] = [];
    const refl = await openReflector({
      host: '127.0.0.1',
      port: 0,
      replyTimestamp: { offset: 4 },
      onRequest: (_buf, _len, _a, _p, rxMs) => {
        seen.push({ rxMs, handledMs: performance.now() });
        return 0;
      },
      onError: () => {},
    });
    expect(refl.timestamping).toBe('kernel_rx');
    // A bound sender with a synchronous lookup: send() then reaches the kernel before it returns.
    const c = createSocket({ type: 'udp4', lookup: (a: string, _f: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, a, 4) } as never);
    await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
    try {
      // The kernel stamps a packet on arrival only once its timestamping switch is on. The first socket that asks turns
      // it on through deferred work (and the last one to close turns it off), and a packet that arrives before then is
      // stamped when it is read, at the loop's time. Right after the file's other cases closed their sockets, the first
      // packet read 101–103 ms. So warm up until a packet sent while the loop is blocked is stamped before the block ends.
      let warm = false;
      for (let k = 0; k < 50 && !warm; k++) {
        c.send(Buffer.alloc(44), refl.port, '127.0.0.1');
        Atomics.wait(BLOCK, 0, 0, 30);
        await sleep(5);
        const last = seen.at(-1);
        warm = last !== undefined && last.handledMs - last.rxMs > 20;
      }
      expect(warm, 'a packet stamped on arrival within 50 tries').toBe(true);
      seen.length = 0;
      const sent: number[] = [];
      for (let i = 0; i < 3; i++) {
        const sentMs = performance.now();
        sent.push(sentMs);
        c.send(Buffer.alloc(44), refl.port, '127.0.0.1');
        // The loop is blocked for 100 ms: an event-loop receive time would be ≥ 100 ms after the send. (50 ms leaves
        // room for a busy host descheduling this process between its clock read and the send.) Blocked asleep, not
        // spinning: a spinning thread kept the kernel's deferred receive work (ksoftirqd, on its CPU) waiting behind it,
        // and an idle run read 101.2 ms, the kernel's time but held up by the test itself.
        const left = 100 - (performance.now() - sentMs);
        if (left > 0) Atomics.wait(BLOCK, 0, 0, left);
        await sleep(20);
      }
      // Always: each packet seen once, never timed before its send.
      expect(seen).toHaveLength(3);
      for (let i = 0; i < 3; i++) expect(seen[i]!.rxMs - sent[i]!).toBeGreaterThanOrEqual(0);
      // The timing bar: on a saturated host the kernel's receive path (softirq) waits for a CPU behind the busy loop and
      // the other work, so its time moves past the 100 ms block (measured: 102.96 ms with two CPU burners, issue 21).
      skipIfBusy(ctx, load.stop(), 'the 50 ms bar on the kernel receive time');
      for (let i = 0; i < 3; i++) {
        const s = seen[i]!;
        expect(s.rxMs - sent[i]!).toBeLessThan(50);
        expect(s.handledMs - s.rxMs).toBeGreaterThan(50);
      }
    } finally {
      c.close();
      await refl.close();
    }
  });

  it.runIf(native)('a sender writes its send time into the packet and returns the same time; a reply is kernel-timed', async () => {
    const echo = await echoServer();
    const got: { rxMs: number; handledMs: number; ts: string }[] = [];
    const s = await openSender({
      family: 4,
      address: '127.0.0.1',
      port: echo.port,
      onPacket: (buf, len, rxMs) => got.push({ rxMs, handledMs: performance.now(), ts: buf.subarray(4, 12).toString('hex') + len }),
      onError: (e) => {
        throw e;
      },
    });
    try {
      expect(s.timestamping).toBe('kernel_rx');
      const buf = Buffer.alloc(44);
      const before = performance.now();
      const t = s.send(buf, { offset: 4 }, (e) => {
        throw e;
      });
      const after = performance.now();
      expect(t).toBeGreaterThanOrEqual(before - 0.01);
      expect(t).toBeLessThanOrEqual(after + 0.01);
      const written = unixMsFromNtp({ seconds: buf.readUInt32BE(4), fraction: buf.readUInt32BE(8) });
      expect(Math.abs(written - (performance.timeOrigin + t))).toBeLessThan(0.001);
      for (let i = 0; i < 50 && got.length === 0; i++) await sleep(20);
      expect(got).toHaveLength(1);
      expect(got[0]!.ts).toBe(buf.subarray(4, 12).toString('hex') + 44);
      // The echo runs on this process's loop, so the reply's arrival is later than the send by however long that takes
      // (ms on a loaded host); the arrival time is between the send and the callback that reads it.
      expect(got[0]!.rxMs).toBeGreaterThan(t);
      expect(got[0]!.rxMs).toBeLessThanOrEqual(got[0]!.handledMs);
    } finally {
      s.close();
      echo.sock.close();
    }
  });

  it.runIf(native)('a send after close is refused, not thrown; close twice is harmless', async () => {
    const echo = await echoServer();
    const s = await openSender({ family: 4, address: '127.0.0.1', port: echo.port, onPacket: () => {}, onError: () => {} });
    s.close();
    s.close();
    const refused: Error[] = [];
    s.send(Buffer.alloc(44), { offset: 4 }, (e) => refused.push(e));
    expect(refused).toHaveLength(1);
    echo.sock.close();
  });

  it.runIf(native && builtCliAvailable())('a closed socket keeps no process alive', (ctx) => {
    const load = caseLoad();
    const dist = join(import.meta.dirname, '../..', 'dist', 'stamp', 'socket.js');
    const script = `const m = await import(${JSON.stringify(dist)});
      const r = await m.openReflector({ host: '127.0.0.1', port: 0, replyTimestamp: { offset: 4 }, onRequest: () => 0, onError: () => {} });
      const s = await m.openSender({ family: 4, address: '127.0.0.1', port: r.port, onPacket: () => {}, onError: () => {} });
      s.send(Buffer.alloc(44), { offset: 4 }, () => {});
      setTimeout(() => { s.close(); void r.close(); }, 50);`;
    const t0 = performance.now();
    // Always: it exits by itself (an open socket would hold it until the 20 s guard kills it, and execFileSync throws).
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    skipIfBusy(ctx, load.stop(), 'the 3 s bar on a node start and exit');
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

for (const mode of ['auto', 'off'] as const) {
  const label = mode === 'off' ? 'node:dgram (event_loop)' : 'native (kernel_rx)';
  describe.skipIf(mode === 'auto' && !native)(`STAMP over ${label}`, () => {
    it('a test against the reflector is ok, each side saying how it timed', async () => {
      setNativeUdpMode(mode);
      const expected = mode === 'off' ? 'event_loop' : 'kernel_rx';
      const refl = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: true, rateLimitPps: 10_000, log: () => {} });
      try {
        expect(refl.timestamping).toBe(expected);
        const out = await runStamp({ host: '127.0.0.1' }, { kind: 'stamp', port: refl.port, count: 20, intervalMs: 5, timeoutMs: 500, sizeBytes: 100, stateful: true }, { signal: never });
        const samples = packetsOf(out.samples);
        const m = summarizePackets(samples.packets, { intervalMs: 5, reflectorReceived: samples.reflectorReceived });
        expect(out.error).toBeNull();
        expect(out.fields).toMatchObject({ rtt_timestamping: expected, foreign_packets: 0 });
        expect(m).toMatchObject({ sent: 20, received: 20, loss_up_percent: 0, loss_down_percent: 0 });
        // Residence removed: on loopback the round trip is well under a millisecond, never negative.
        expect(m.rtt_min_ms).toBeGreaterThanOrEqual(0);
        expect(refl.stats()).toMatchObject({ received: 20, reflected: 20, bad: 0 });
      } finally {
        await refl.close();
      }
    });

    it("the reflector's JIT warm-up at start leaves nothing behind: no packet counted, no source, no session", async (ctx) => {
      setNativeUdpMode(mode);
      const lines: string[] = [];
      const refl = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: true, rateLimitPps: 10, log: (l) => lines.push(l) });
      try {
        expect(refl.stats()).toEqual({ received: 0, reflected: 0, bad: 0, reflections: 0, rateLimited: 0, evicted: 0, activeSessions: 0, activeSources: 0 });
        // A real sender from the warm-up's own address and port (9: root only) is a new source with a full bucket, and its
        // counter starts at 0.
        const c = createSocket('udp4');
        const replies: Buffer[] = [];
        c.on('message', (m) => replies.push(m));
        // Port 9 is one per host: another suite running this case at the same moment holds it (the bind then never
        // called back, and the case hung to its timeout).
        const bound = await new Promise<NodeJS.ErrnoException | null>((r) => {
          c.once('error', (e) => r(e));
          c.bind(process.getuid?.() === 0 ? 9 : 0, '127.0.0.2', () => r(null));
        });
        if (bound?.code === 'EADDRINUSE') {
          c.close();
          ctx.skip('127.0.0.2:9, the warm-up\'s own address, is held by another process (another suite running this case)');
        }
        expect(bound).toBeNull();
        c.send(Buffer.alloc(44), refl.port, '127.0.0.1');
        for (let i = 0; i < 50 && replies.length === 0; i++) await sleep(10);
        c.close();
        expect(replies[0]?.readUInt32BE(0)).toBe(0);
        expect(refl.stats()).toMatchObject({ received: 1, reflected: 1, activeSessions: 1, activeSources: 1 });
      } finally {
        await refl.close();
      }
    });

    it('hostile datagrams: none under 44 bytes is answered, the largest comes back whole, the reflector goes on', async () => {
      setNativeUdpMode(mode);
      const refl = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: false, rateLimitPps: 10_000, log: () => {} });
      const c = createSocket('udp4');
      const replies: number[] = [];
      c.on('message', (m) => replies.push(m.length));
      await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
      try {
        for (const n of [0, 1, 43]) c.send(Buffer.alloc(n, 0xff), refl.port, '127.0.0.1');
        // Bytes 16–23 zero, as in any request (set, it would be a reflection and get no reply).
        c.send(Buffer.alloc(65_507, 0xab).fill(0, 16, 24), refl.port, '127.0.0.1');
        c.send(Buffer.alloc(44), refl.port, '127.0.0.1');
        for (let i = 0; i < 50 && replies.length < 2; i++) await sleep(20);
        expect(replies.sort((a, b) => a - b)).toEqual([44, 65_507]);
        expect(refl.stats()).toMatchObject({ received: 5, bad: 3, reflected: 2 });
      } finally {
        c.close();
        await refl.close();
      }
    });

    it('a closed port is CONNECT_REFUSED data (the ICMP error reaches the test)', async () => {
      setNativeUdpMode(mode);
      const tmp = createSocket('udp4');
      await new Promise<void>((r) => tmp.bind(0, '127.0.0.1', () => r()));
      const port = tmp.address().port;
      await new Promise<void>((r) => tmp.close(() => r()));
      const o = await runStamp({ host: '127.0.0.1' }, { kind: 'stamp', count: 3, intervalMs: 20, timeoutMs: 200, sizeBytes: 44, port }, { signal: never });
      expect(o.error?.code).toBe('CONNECT_REFUSED');
      expect(packetsOf(o.samples).packets.every((p) => p.rttMs === null)).toBe(true);
    });
  });
}
