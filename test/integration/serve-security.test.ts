import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { startStampReflector, type StampReflector } from '../../src/serve/stamp-reflector.js';
import { encodeSenderPacket, STAMP_MIN_BYTES } from '../../src/stamp/packet.js';
import { sleep } from '../../src/core/sleep.js';
import { waitFor } from '../helpers/wait.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function reflector(o: { rateLimitPps: number; stateful?: boolean }, log: (l: string) => void = () => {}): Promise<StampReflector> {
  const r = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: o.stateful ?? false, rateLimitPps: o.rateLimitPps, log });
  open.push(r);
  return r;
}

/** A client socket on a given loopback address (127.0.0.2 is another source on Linux's 127/8 loopback). */
async function client(address: string): Promise<{ sock: Socket; replies: Buffer[] }> {
  const sock = createSocket('udp4');
  const replies: Buffer[] = [];
  sock.on('message', (m) => replies.push(m));
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  open.push({ close: () => new Promise<void>((r) => sock.close(() => r())) });
  return { sock, replies };
}

/** Hang guard for a reply on loopback: fails naming what never came, long before a loaded host gets near it. */
const REPLY_MS = 20_000;
const replies = (c: { replies: Buffer[] }, n: number, what: string) => waitFor(() => c.replies.length >= n, what, REPLY_MS, 5);

const packet = (seq: number, size = STAMP_MIN_BYTES) =>
  encodeSenderPacket({ seq, timestamp: { seconds: 0xe9000000, fraction: seq }, errorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 }, ssid: 0 }, size);

describe('serve: STAMP reflector limits', () => {
  it('never answers a request shorter than 44 bytes (no amplification), and counts it as bad', async () => {
    const r = await reflector({ rateLimitPps: 1000 });
    const c = await client('127.0.0.1');
    for (const n of [1, 14, 40, 43]) c.sock.send(Buffer.alloc(n, 0x11), r.port, '127.0.0.1');
    c.sock.send(packet(1, 44), r.port, '127.0.0.1'); // control: a valid one is answered
    c.sock.send(packet(2, 300), r.port, '127.0.0.1');
    // One socket each way and the reflector answers in arrival order: a reply to any short request would come before
    // the controls' replies, so waiting for two replies is enough to see one.
    await replies(c, 2, 'the replies to the two valid requests');
    expect(c.replies.map((b) => b.length)).toEqual([44, 300]); // each reply exactly the size of its request
    expect(r.stats()).toMatchObject({ received: 6, bad: 4, reflected: 2 });
  });

  it('never answers a reflection (receive timestamp set), whatever its source port: no ping-pong between reflectors (issue 24)', async () => {
    const r = await reflector({ rateLimitPps: 1000 });
    const c = await client('127.0.0.2');
    // What another reflector's reply looks like: a request with a receive timestamp (bytes 16–23), at any size.
    const reflection = (seq: number, size: number) => {
      const b = packet(seq, size);
      b.writeUInt32BE(0xe9000001, 16);
      return b;
    };
    const lowWord = packet(9, 44);
    lowWord.writeUInt32BE(1, 20); // only the fraction's last word set: still a reflection
    for (const b of [reflection(1, 44), reflection(2, 112), reflection(3, 1400), lowWord]) c.sock.send(b, r.port, '127.0.0.1');
    c.sock.send(packet(4, 44), r.port, '127.0.0.1'); // control: a request (bytes 16–23 zero) is answered
    // Answered in arrival order: a reply to any reflection would come before the control's.
    await replies(c, 1, "the control request's reply");
    expect(c.replies.map((b) => b.readUInt32BE(24))).toEqual([4]); // the reply's sender sequence number
    // And a reply of its own, sent back to it, is not answered again: a second control after it is the next reply.
    const own = c.replies[0] as Buffer;
    c.sock.send(own, r.port, '127.0.0.1');
    c.sock.send(packet(5, 44), r.port, '127.0.0.1');
    await replies(c, 2, "the second control request's reply");
    expect(c.replies.map((b) => b.readUInt32BE(24))).toEqual([4, 5]);
    expect(r.stats()).toMatchObject({ received: 7, reflected: 2, reflections: 5, bad: 0 });
  });

  it('rate-limits a flooding source while another source still gets every answer', async () => {
    const rate = 100;
    const r = await reflector({ rateLimitPps: rate });
    const flood = await client('127.0.0.1');
    const polite = await client('127.0.0.2');
    const t0 = performance.now();
    let seq = 0;
    // Flood: 20 packets every 5 ms (4000 pps) for ~1 s; polite: 1 packet every 25 ms (40 pps, under the limit).
    const floodDone = (async () => {
      while (performance.now() - t0 < 1000) {
        for (let i = 0; i < 20; i++) flood.sock.send(packet(seq++), r.port, '127.0.0.1');
        await sleep(5); // pacing the flood: the rate is what is tested
      }
    })();
    let politeSent = 0;
    const politeDone = (async () => {
      while (performance.now() - t0 < 1000) {
        polite.sock.send(packet(politeSent++), r.port, '127.0.0.1');
        await sleep(25); // pacing: 40 pps, under the limit
      }
    })();
    await Promise.all([floodDone, politeDone]);
    const elapsedS = (performance.now() - t0) / 1000;
    // Every reply the reflector sent has arrived (loopback loses none): the flooder's count is final.
    await waitFor(() => flood.replies.length + polite.replies.length === r.stats().reflected, 'every reply the reflector sent', REPLY_MS, 5);
    expect(seq).toBeGreaterThan(1000);
    // The flooder gets at most its burst (max(10, rate/10)) plus the rate over the elapsed time.
    expect(flood.replies.length).toBeLessThanOrEqual(10 + Math.ceil(rate * (elapsedS + 0.1)));
    expect(flood.replies.length).toBeGreaterThan(rate * 0.5);
    expect(polite.replies.length).toBe(politeSent);
    expect(r.stats().rateLimited).toBeGreaterThan(seq - 200);
  });

  it('keeps a per-session counter when stateful, and logs one line per session', async () => {
    const lines: string[] = [];
    const r = await reflector({ rateLimitPps: 1000, stateful: true }, (l) => lines.push(l));
    const a = await client('127.0.0.1');
    const b = await client('127.0.0.1');
    for (const s of [5, 9, 12]) a.sock.send(packet(s), r.port, '127.0.0.1');
    for (const s of [7]) b.sock.send(packet(s), r.port, '127.0.0.1');
    await replies(a, 3, "session a's three replies");
    await replies(b, 1, "session b's reply");
    // Reflector sequence numbers count what this session's reflector received, from 0; the sender's are copied at 24.
    expect(a.replies.map((m) => [m.readUInt32BE(0), m.readUInt32BE(24)])).toEqual([[0, 5], [1, 9], [2, 12]]);
    expect(b.replies.map((m) => [m.readUInt32BE(0), m.readUInt32BE(24)])).toEqual([[0, 7]]);
    await r.close();
    const sessions = lines.filter((l) => l.startsWith('stamp session'));
    expect(sessions).toHaveLength(2);
    expect(sessions.some((l) => / packets=3 /.test(l))).toBe(true);
  });
});

describe('qosprobe serve (command)', () => {
  it('serves STAMP and HTTP until the signal fires, then closes both and exits 0', async () => {
    const { PassThrough } = await import('node:stream');
    const { createProgram } = await import('../../src/cli/program.js');
    const ctl = new AbortController();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d) => (err += String(d)));
    const codes: number[] = [];
    const io = { stdout: new PassThrough(), stderr, env: {}, cwd: process.cwd(), signal: ctl.signal, setExitCode: (c: number) => void codes.push(c) };
    const done = createProgram(io).parseAsync(['node', 'qosprobe', 'serve', '--host', '127.0.0.1', '--stamp-port', '0', '--http-port', '0', '--stateful']);
    await waitFor(() => /STAMP udp\/\d+/.test(err) && /HTTP tcp\/\d+/.test(err), 'serve to print its ports', REPLY_MS);
    const stampPort = Number(/STAMP udp\/(\d+)/.exec(err)?.[1]);
    const httpPort = Number(/HTTP tcp\/(\d+)/.exec(err)?.[1]);
    const c = await client('127.0.0.1');
    c.sock.send(packet(3), stampPort, '127.0.0.1');
    await replies(c, 1, 'the reflector to answer');
    expect(c.replies).toHaveLength(1);
    expect((await fetch(`http://127.0.0.1:${httpPort}/health`)).status).toBe(200);
    ctl.abort('SIGTERM');
    await done;
    expect(codes.filter((c) => c !== 0)).toEqual([]); // exit 0: app/serve.ts returns it, cli/ sets it
    expect(err).toMatch(/SIGTERM: shutting down/);
    expect(err).toMatch(/stamp session 127\.0\.0\.1:\d+ ssid=0 mode=stateful packets=1 /);
    await expect(fetch(`http://127.0.0.1:${httpPort}/health`)).rejects.toThrow();
  });
});

describe('rate-limit buckets', () => {
  it.each([
    ['10.77.9.7', '10.77.9.7'], // IPv4: per address
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'], // same /64 as above: one bucket
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'], // leading zeros normalised
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'], // zone id dropped
  ])('%s → %s', async (addr, key) => {
    const { rateLimitKey } = await import('../../src/serve/stamp-reflector.js');
    expect(rateLimitKey(addr)).toBe(key);
  });
});
