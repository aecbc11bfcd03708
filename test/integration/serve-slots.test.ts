/**
 * Throughput slots (issue 10 item 5): connections trickling a body byte now and then held every
 * --max-concurrent slot indefinitely (the idle timer resets on each byte). A source may hold only its
 * share of the slots, and a transfer that moves less than the minimum per window loses its slot.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP_SERVE_LIMITS, startHttpServerWith } from '../../src/serve/http.js';
import { sleep } from '../../src/core/sleep.js';
import { rawHttp } from '../helpers/serve-child.js';
import { connected, ended } from '../helpers/sockets.js';
import { waitFor } from '../helpers/wait.js';

/** Hang guard for what the server does at once or within a window: fails naming it, long before a loaded host gets near it. */
const SOON_MS = 20_000;

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function serve(maxConcurrent: number) {
  const lines: string[] = [];
  const s = await startHttpServerWith(
    { host: '127.0.0.1', port: 0, maxBytes: 1e9, maxConcurrent, token: null, log: (l) => lines.push(l) },
    // Windows of 500 ms instead of 10 s, so the test waits a second, not a minute.
    { ...HTTP_SERVE_LIMITS, transfers: { windowMs: 500, minBytesPerWindow: 2000, maxTransferMs: 60_000, perSourceShare: 0.5 } },
  );
  closers.push(() => s.close());
  return { ...s, lines };
}

/** A slow sender: POST /up declaring 1 MB, then one byte every 100 ms. Records what the server answered. */
function trickle(port: number, from: string): { sock: Socket; answer: () => string; closed: () => boolean } {
  const sock = connect({ port, host: '127.0.0.1', localAddress: from });
  let answer = '';
  let closed = false;
  sock.on('data', (d: Buffer) => (answer += d.toString()));
  sock.on('error', () => {});
  sock.on('close', () => (closed = true));
  sock.write('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n');
  // The pace is the test: a byte per 100 ms, under the minimum rate.
  const t = setInterval(() => {
    if (!sock.destroyed) sock.write('x');
  }, 100);
  sock.on('close', () => clearInterval(t));
  closers.push(() => {
    clearInterval(t);
    sock.destroy();
  });
  return { sock, answer: () => answer, closed: () => closed };
}

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? NaN);

describe('serve: throughput slots against slow senders', () => {
  it('one source trickling bytes holds only its share of the slots, and loses them when under the minimum rate', async () => {
    const s = await serve(4);
    const slow = Array.from({ length: 6 }, () => trickle(s.port, '127.0.0.5'));
    await waitFor(() => slow.filter((c) => status(c.answer()) === 503 && c.closed()).length >= 4, 'the refusals beyond its share', SOON_MS, 5);
    // Its share is 2 of 4: the other 4 were refused at once.
    expect(slow.filter((c) => status(c.answer()) === 503)).toHaveLength(4);
    expect(s.lines.filter((l) => /^http (up|down) /.test(l))).toEqual([]); // no transfer finished yet
    // The refused ones' bodies are not read on (issue 24): their connections close after the 503, and say so.
    expect(s.lines.filter((l) => /^http: 503 to POST with a body from 127\.0\.0\.5: body not read, connection closed/.test(l))).toHaveLength(4);
    expect(slow.filter((c) => status(c.answer()) === 503 && c.closed())).toHaveLength(4);
    // Another source still gets a slot while the trickle goes on.
    const other = await rawHttp(s.port, 'GET /down?bytes=100000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(status(other)).toBe(200);
    // 10 bytes per 500 ms window is under the 2000-byte minimum: cut after the first window (+ the close grace).
    await waitFor(
      () => slow.filter((c) => status(c.answer()) === 408 && c.closed()).length >= 2 && s.lines.filter((l) => /^http up client=127\.0\.0\.5 .*cut/.test(l)).length >= 2,
      'the two held transfers to be cut',
      SOON_MS,
      5,
    );
    const held = slow.filter((c) => status(c.answer()) !== 503);
    expect(held).toHaveLength(2);
    for (const c of held) {
      expect(status(c.answer())).toBe(408);
      expect(c.closed()).toBe(true);
    }
    expect(s.lines.filter((l) => /http up client=127\.0\.0\.5 .*cut \(under 2000 bytes in 500 ms\)/.test(l))).toHaveLength(2);
    // All slots free again.
    const after = await Promise.all(
      Array.from({ length: 2 }, () => rawHttp(s.port, 'GET /down?bytes=10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
    );
    expect(after.map(status)).toEqual([200, 200]);
  });

  it('a transfer that keeps moving keeps its slot past many windows', async () => {
    const s = await serve(2);
    const sock = connect({ port: s.port, host: '127.0.0.1' });
    closers.push(() => sock.destroy());
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString()));
    sock.write('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    // 5000 bytes every 100 ms: 25 000 per window, well over the minimum, for 2 s (4 windows).
    for (let i = 0; i < 20; i++) {
      sock.write(Buffer.alloc(5000));
      await sleep(100); // the pace is the test: 50 KB/s, over the minimum, across 4 windows
    }
    await waitFor(() => /"bytes":100000/.test(answer), "the upload's answer", SOON_MS, 5);
    expect(status(answer)).toBe(200);
    expect(answer).toMatch(/"bytes":100000/);
  });
});

describe('serve: connections and malformed requests', () => {
  it('closes a connection beyond maxConnections at once, and takes new ones when others leave', async () => {
    const s = await startHttpServerWith(
      { host: '127.0.0.1', port: 0, maxBytes: 1000, maxConcurrent: 2, token: null, log: () => {} },
      { ...HTTP_SERVE_LIMITS, maxConnections: 2 },
    );
    closers.push(() => s.close());
    const idle = [connect(s.port, '127.0.0.1'), connect(s.port, '127.0.0.1')];
    for (const c of idle) {
      c.on('error', () => {});
      closers.push(() => c.destroy());
    }
    // Accepted in handshake order: the third comes after both.
    await connected(idle);
    // The third is accepted by the kernel and closed by the server without an answer.
    expect(await rawHttp(s.port, 'GET /ping HTTP/1.1\r\nHost: x\r\n\r\n', 1000)).toBe('');
    await ended(idle);
    expect(status(await rawHttp(s.port, 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toBe(200);
  });

  it('answers 431 to oversized headers and 400 to a malformed request line', async () => {
    const s = await serve(2);
    expect(status(await rawHttp(s.port, `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`))).toBe(431);
    expect(status(await rawHttp(s.port, 'GET /ping HTTP/9.9 x\r\n\r\n'))).toBe(400);
  });
});
