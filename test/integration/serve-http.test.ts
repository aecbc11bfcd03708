import { request as httpRequest } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, startHttpServerWith, HTTP_SERVE_LIMITS, type HttpServeOptions } from '../../src/serve/http.js';
import { parseUploadStats } from '../../src/core/upload-protocol.js';
import { THROUGHPUT_INTERVAL_MS } from '../../src/core/intervals.js';
import { waitFor } from '../helpers/wait.js';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(o: Partial<HttpServeOptions> = {}, limits = HTTP_SERVE_LIMITS) {
  const lines: string[] = [];
  const s = await startHttpServerWith({ host: '127.0.0.1', port: 0, maxBytes: 1_000_000, maxConcurrent: 4, token: null, log: (l) => lines.push(l), ...o }, limits);
  servers.push(s);
  return { ...s, lines };
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: number;
  text: string;
}

/** A plain node:http request, no keep-alive, body drained and counted. */
function get(port: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: { connection: 'close', ...o.headers }, agent: false }, (res) => {
      let bytes = 0;
      const keep: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes < 10_000) keep.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text: Buffer.concat(keep).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('qosprobe serve: HTTP endpoints', () => {
  it('/ping, /health, /down and /up answer', async () => {
    const s = await serve();
    expect((await get(s.port, '/ping')).text).toBe('pong');
    expect(JSON.parse((await get(s.port, '/health')).text)).toEqual({ status: 'ok' });
    const d = await get(s.port, '/down?bytes=123456');
    expect(d.status).toBe(200);
    expect(d.bytes).toBe(123456);
    expect(d.headers['content-length']).toBe('123456');
    expect(d.headers['content-encoding']).toBeUndefined();
    const u = await get(s.port, '/up', { method: 'POST', body: Buffer.alloc(54321) });
    expect(u.status).toBe(200);
    expect(JSON.parse(u.text)).toMatchObject({ bytes: 54321 });
    expect(s.lines.some((l) => /http down .*bytes=123456 .*complete/.test(l))).toBe(true);
    expect(s.lines.some((l) => /http up .*bytes=54321/.test(l))).toBe(true);
  });

  it('/down data is incompressible', async () => {
    const s = await serve();
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      httpRequest({ host: '127.0.0.1', port: s.port, path: '/down?bytes=200000', agent: false }, (res) => {
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve());
      }).end();
    });
    const { gzipSync } = await import('node:zlib');
    const raw = Buffer.concat(chunks);
    // Random data: gzip cannot shrink it (it grows by its framing).
    expect(gzipSync(raw).length).toBeGreaterThan(raw.length * 0.99);
  });

  it('refuses /down and /up above max-bytes with 413', async () => {
    const s = await serve({ maxBytes: 1000 });
    expect((await get(s.port, '/down?bytes=1001')).status).toBe(413);
    expect((await get(s.port, '/down?bytes=1000')).bytes).toBe(1000);
    expect((await get(s.port, '/down?bytes=-5')).status).toBe(400);
    expect((await get(s.port, '/up', { method: 'POST', body: Buffer.alloc(2000) })).status).toBe(413);
  });

  it('cuts a chunked /up that grows past max-bytes', async () => {
    const s = await serve({ maxBytes: 10_000 });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: s.port, path: '/up', method: 'POST', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(Buffer.alloc(8000));
      req.write(Buffer.alloc(8000));
      // never ended: the server must answer and cut anyway
    });
    expect(status).toBe(413);
  });

  it('requires the bearer token everywhere but /health', async () => {
    const s = await serve({ token: 's3cret' });
    expect((await get(s.port, '/ping')).status).toBe(401);
    expect((await get(s.port, '/down?bytes=10')).status).toBe(401);
    expect((await get(s.port, '/up', { method: 'POST', body: Buffer.alloc(10) })).status).toBe(401);
    expect((await get(s.port, '/ping', { headers: { authorization: 'Bearer wrong!' } })).status).toBe(401);
    // The token in the URL is not accepted: URLs end up in logs.
    expect((await get(s.port, '/ping?token=s3cret')).status).toBe(401);
    expect((await get(s.port, '/health')).status).toBe(200);
    expect((await get(s.port, '/ping', { headers: { authorization: 'Bearer s3cret' } })).text).toBe('pong');
  });

  it('answers 503 beyond the concurrent transfer cap', async () => {
    const s = await serve({ maxConcurrent: 2, maxBytes: 1e9 });
    // Two downloads that are not read: they stay active (backpressure) until destroyed.
    const held: Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const sock = new Socket();
      sock.connect(s.port, '127.0.0.1');
      sock.write('GET /down?bytes=500000000 HTTP/1.1\r\nHost: x\r\n\r\n');
      held.push(sock);
    }
    // Each holds its slot once its transfer is flowing: its first bytes came; then it reads no more.
    await Promise.all(held.map((h) => new Promise<void>((r) => h.once('data', () => (h.pause(), r())))));
    const r = await get(s.port, '/down?bytes=10');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    // /ping is not a transfer: still served while busy.
    expect((await get(s.port, '/ping')).status).toBe(200);
    for (const h of held) h.destroy();
    // The server sees the resets when it next writes: the slots come back then, no event here tells when.
    let status = 503;
    for (const end = performance.now() + 20_000; status === 503 && performance.now() < end; ) status = (await get(s.port, '/down?bytes=10')).status;
    expect(status).toBe(200);
  });

  it('drops a client that is slow to send its headers, and one that stops reading', async () => {
    const s = await serve({ maxBytes: 1e9 }, { headersTimeoutMs: 500, idleTimeoutMs: 800, keepAliveTimeoutMs: 500 });
    const t0 = performance.now();
    const slow = new Socket();
    const closed = new Promise<number>((resolve) => slow.on('close', () => resolve(performance.now() - t0)));
    slow.on('error', () => {});
    slow.on('data', () => {});
    slow.connect(s.port, '127.0.0.1', () => slow.write('GET /ping HTTP/1.1\r\nHost: x\r\n')); // never finishes the headers
    const slowMs = await closed;
    expect(slowMs).toBeGreaterThanOrEqual(450);
    expect(slowMs).toBeLessThan(3000);

    const stalled = new Socket();
    stalled.on('error', () => {});
    const t1 = performance.now();
    stalled.connect(s.port, '127.0.0.1', () => stalled.write('GET /down?bytes=900000000 HTTP/1.1\r\nHost: x\r\n\r\n'));
    stalled.pause(); // reads nothing: the server's writes stop at the socket buffers
    // A paused socket never sees the FIN, so watch the server's log line for the cut transfer.
    await waitFor(() => s.lines.some((l) => /http down client=127\.0\.0\.1 .* cut/.test(l)), 'the log line of the cut transfer', 8000, 10);
    expect(performance.now() - t1).toBeLessThan(5000);
    stalled.destroy();
  });

  it('serves nothing else (no files)', async () => {
    const s = await serve();
    expect((await get(s.port, '/../../etc/passwd')).status).toBe(404);
    expect((await get(s.port, '/down', { method: 'POST', body: Buffer.alloc(1) })).status).toBe(405);
  });

  it('startHttpServer keeps the agreed interface', async () => {
    const s = await startHttpServer({ host: '127.0.0.1', port: 0, maxBytes: 10, maxConcurrent: 1, token: null, log: () => {} });
    servers.push(s);
    expect(s.port).toBeGreaterThan(0);
  });
});

describe('probes against a token-protected serve', () => {
  it('http and download send the token as a bearer header; without it they get 401 as an error record', async () => {
    const { runProbe } = await import('../helpers/probe-run.js');
    const s = await serve({ token: 's3cret' });
    const withToken = await runProbe('http', { url: '/ping', port: s.port, token: 's3cret' });
    expect(withToken.record).toMatchObject({ status: 'ok', http_status: 200 });
    const without = await runProbe('http', { url: '/ping', port: s.port });
    expect(without.record).toMatchObject({ status: 'error', error_code: 'HTTP_STATUS', http_status: 401 });
    const down = await runProbe('download', { port: s.port, token: 's3cret', duration_s: 1, streams: 1, warmup_s: 0.2, bytes: 100_000 });
    expect(down.record.status).toBe('ok');
    expect(down.record.bytes as number).toBeGreaterThan(100_000);
  });
});

describe('qosprobe serve: receiver-side upload counting (/up-stats)', () => {
  const up = (port: number, id: string, offsetMs: number, bytes: number, headers: Record<string, string> = {}) =>
    get(port, '/up', { method: 'POST', body: Buffer.alloc(bytes), headers: { 'x-qosprobe-upload-id': id, 'x-qosprobe-offset-ms': String(offsetMs), ...headers } });
  const stats = async (port: number, id: string, headers: Record<string, string> = {}) => {
    const r = await get(port, `/up-stats?id=${id}`, { headers });
    return { status: r.status, body: r.status === 200 ? (JSON.parse(r.text) as { intervalMs: number; bins: number[] }) : null };
  };

  it('bins the bytes of every request with an id on the client timeline (offset + time since arrival), summed per id', async () => {
    const s = await serve();
    const u = await up(s.port, 'test-id-0001', 250, 5000);
    expect(u.status).toBe(200);
    expect(u.headers['x-qosprobe-upload-stats']).toBe('1');
    await up(s.port, 'test-id-0001', 250, 3000); // a second stream, same interval
    await up(s.port, 'test-id-0001', 1040, 700);
    await up(s.port, 'test-id-0002', 0, 11); // another test: kept apart
    // A small body on loopback arrives within the interval it was sent in: 250 ms → bin 2, 1040 ms → bin 10.
    const a = await stats(s.port, 'test-id-0001');
    expect(a.status).toBe(200);
    expect(a.body!.intervalMs).toBe(100);
    expect(a.body!.bins).toEqual([0, 0, 8000, 0, 0, 0, 0, 0, 0, 0, 700]);
    // One interval for the server's bins and the probe's statistics (issue 11): the probe takes the answer as is.
    expect(parseUploadStats((await get(s.port, '/up-stats?id=test-id-0001')).text, THROUGHPUT_INTERVAL_MS)).toEqual(a.body!.bins);
    expect((await stats(s.port, 'test-id-0002')).body!.bins).toEqual([11]);
    // An upload without the headers is served as before and binned nowhere.
    expect((await get(s.port, '/up', { method: 'POST', body: Buffer.alloc(10) })).status).toBe(200);
  });

  it('rejects unknown (404) and invalid (400) ids, and a malformed offset', async () => {
    const s = await serve();
    expect((await stats(s.port, 'never-used-id')).status).toBe(404);
    expect((await stats(s.port, 'short')).status).toBe(400);
    expect((await stats(s.port, 'x'.repeat(65))).status).toBe(400);
    expect((await stats(s.port, 'bad%2Fid%2F..%2F..')).status).toBe(400);
    expect((await get(s.port, '/up-stats')).status).toBe(400);
    expect((await up(s.port, 'bad id with spaces', 0, 10)).status).toBe(400);
    expect((await up(s.port, 'good-id-0001', -5, 10)).status).toBe(400);
    expect((await up(s.port, 'good-id-0001', Number.NaN, 10)).status).toBe(400);
    expect((await get(s.port, '/up', { method: 'POST', body: Buffer.alloc(10), headers: { 'x-qosprobe-upload-id': 'good-id-0001' } })).status).toBe(400);
    expect((await stats(s.port, 'good-id-0001')).status).toBe(404);
    expect((await get(s.port, '/up-stats?id=good-id-0001', { method: 'POST' })).status).toBe(405);
  });

  it('requires the bearer token on /up-stats', async () => {
    const s = await serve({ token: 's3cret' });
    const auth = { authorization: 'Bearer s3cret' };
    expect((await up(s.port, 'tok-id-0001', 0, 100, auth)).status).toBe(200);
    expect((await up(s.port, 'tok-id-0002', 0, 100)).status).toBe(401);
    expect((await stats(s.port, 'tok-id-0001')).status).toBe(401);
    expect((await stats(s.port, 'tok-id-0001', { authorization: 'Bearer wrong!' })).status).toBe(401);
    expect((await stats(s.port, 'tok-id-0001', auth)).body!.bins).toEqual([100]);
    // a refused upload counted nothing
    expect((await stats(s.port, 'tok-id-0002', auth)).status).toBe(404);
  });

  it('keeps memory bounded: ids beyond the cap evict the least recently active, idle ones expire, bins are capped', async () => {
    const s = await serve({}, { ...HTTP_SERVE_LIMITS, uploadStats: { maxIds: 2, idleTtlMs: 400, maxBins: 20 } });
    await up(s.port, 'cap-id-0001', 0, 1);
    await up(s.port, 'cap-id-0002', 0, 2);
    await up(s.port, 'cap-id-0001', 0, 1); // 0001 is now the more recently active
    await up(s.port, 'cap-id-0003', 0, 3); // third id: evicts 0002
    expect((await stats(s.port, 'cap-id-0002')).status).toBe(404);
    expect((await stats(s.port, 'cap-id-0001')).body!.bins).toEqual([2]);
    expect((await stats(s.port, 'cap-id-0003')).body!.bins).toEqual([3]);
    // An evicted id is not started again by a late byte (its early intervals would be missing).
    await up(s.port, 'cap-id-0002', 500, 2);
    expect((await stats(s.port, 'cap-id-0002')).status).toBe(404);
    // Bytes beyond maxBins intervals (here 2 s) are not kept.
    await up(s.port, 'cap-id-0003', 5000, 3);
    expect((await stats(s.port, 'cap-id-0003')).body!.bins).toEqual([3]);
    // Idle for longer than idleTtlMs: gone.
    await new Promise((r) => setTimeout(r, 500)); // the gap is the test: idle longer than idleTtlMs (400 ms)
    expect((await stats(s.port, 'cap-id-0001')).status).toBe(404);
    expect((await stats(s.port, 'cap-id-0003')).status).toBe(404);
  });
});
