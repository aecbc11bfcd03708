import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer } from '../src/serve/http.js';
import { runProbe } from './helpers/probe-run.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function serve(maxBytes = 1e9) {
  const lines: string[] = [];
  const s = await startHttpServer({ host: '127.0.0.1', port: 0, maxBytes, maxConcurrent: 8, token: null, log: (l) => lines.push(l) });
  closers.push(() => s.close());
  return { ...s, lines };
}

/** Sum of the byte counts in the server's per-transfer log lines. */
const loggedBytes = (lines: string[], what: string) => lines.filter((l) => l.startsWith(`http ${what} `)).reduce((n, l) => n + Number(/bytes=(\d+)/.exec(l)?.[1] ?? 0), 0);

describe('download and upload against qosprobe serve on loopback', () => {
  it('download: every body byte counted, warm-up excluded, latency under load sampled', async () => {
    const s = await serve();
    // Small requests so streams restart many times; the byte count must still add up.
    const { record: r, outcome } = await runProbe('download', { url: `http://127.0.0.1:${s.port}/down?bytes={bytes}`, duration_s: 1.5, streams: 3, bytes: 2_000_000 });
    expect(r.status).toBe('ok');
    const samples = outcome.samples?.type === 'transfer' ? outcome.samples : null;
    expect(samples).not.toBeNull();
    // default warm-up: min(20% × 1.5 s, 2 s) = 300 ms → intervals 0..2 out; 1500 ms / 100 = 15 intervals → 12 kept
    expect(samples!.warmupMs).toBeCloseTo(300, 9);
    expect(r.measured_ms).toBe(1200);
    expect(r.streams).toBe(3);
    // The client counted what the server sent, minus what was still in flight when the test stopped (≤ one request per stream).
    await new Promise((res) => setTimeout(res, 100));
    const sent = loggedBytes(s.lines, 'down');
    expect(r.bytes as number).toBeLessThanOrEqual(sent);
    expect(r.bytes as number).toBeGreaterThan(sent - 3 * 2_000_000);
    const completed = s.lines.filter((l) => l.startsWith('http down') && l.endsWith('complete')).length;
    expect(completed).toBeGreaterThan(3);
    // bytes after warm-up only: throughput × measured time / 8 < all bytes
    expect(((r.throughput_bps as number) * 1.2) / 8).toBeLessThan(r.bytes as number);
    expect(r.throughput_bps as number).toBeGreaterThan(50_000_000); // loopback: well above 50 Mbit/s even on a busy 2-core box
    expect(r.throughput_p10_bps as number).toBeLessThanOrEqual(r.throughput_p50_bps as number);
    expect(r.throughput_p50_bps as number).toBeLessThanOrEqual(r.throughput_p90_bps as number);
    expect(r.idle_rtt_ms).toBeGreaterThan(0);
    expect(r.loaded_rtt_median_ms).toBeGreaterThan(0);
    expect(r.rpm).toBeGreaterThan(0);
    expect(r.loaded_rtt_increase_ms).toBeCloseTo((r.loaded_rtt_median_ms as number) - (r.idle_rtt_ms as number), 2);
    // every loaded RTT in the record was sent after the warm-up
    expect(samples!.loadedRtt.length).toBeGreaterThan(3);
  });

  it('upload: the server received what the client counted (whole requests), within one request in flight', async () => {
    const s = await serve();
    const { record: r } = await runProbe('upload', { url: `http://127.0.0.1:${s.port}/up`, duration_s: 1.5, streams: 2, bytes: 1_000_000, warmup_s: 0.5 });
    expect(r.status).toBe('ok');
    await new Promise((res) => setTimeout(res, 100));
    const received = loggedBytes(s.lines, 'up');
    // counted on the client when the socket took them: never less than what arrived, at most the chunks still in flight per stream
    expect(Math.abs((r.bytes as number) - received)).toBeLessThanOrEqual(2 * 1_000_000);
    expect(r.measured_ms).toBe(1000); // 1.5 s − 0.5 s warm-up
    expect(r.throughput_bps as number).toBeGreaterThan(50_000_000);
  });

  it('an abort mid-transfer yields a partial record with what was measured', async () => {
    const s = await serve();
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 1500);
    const t0 = performance.now();
    const { record: r } = await runProbe('download', { url: `http://127.0.0.1:${s.port}/down?bytes={bytes}`, duration_s: 10, streams: 2, warmup_s: 0.5 }, { signal: ctl.signal });
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(r.status).toBe('partial');
    expect(r.error_code).toBe('ABORTED');
    expect(r.bytes as number).toBeGreaterThan(0);
    expect(r.throughput_bps as number).toBeGreaterThan(0);
    // the transfer ran ~1.5 s minus the idle pings: measured after the 0.5 s warm-up, less than a second
    expect(r.measured_ms as number).toBeLessThan(1500);
  });

  it('a body that stalls is counted as it arrived, and the stall shows in the intervals', async () => {
    // Sends 64 KiB then nothing: throughput after warm-up is a real 0, not a skipped gap.
    const server: Server = createServer((q, res) => {
      if (q.url === '/ping') return res.end('pong');
      res.writeHead(200, { 'content-length': String(10_000_000) });
      res.write(Buffer.alloc(65536));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const port = (server.address() as { port: number }).port;
    const { record: r } = await runProbe('download', { url: `http://127.0.0.1:${port}/x`, duration_s: 1, streams: 1, warmup_s: 0.2 });
    expect(r.bytes).toBe(65536);
    expect(r.throughput_bps).toBe(0);
    expect(r.status).toBe('ok');
  });

  it('a refused size (413) is an error record, not a crash', async () => {
    const s = await serve(1000);
    const { record: r } = await runProbe('download', { url: `http://127.0.0.1:${s.port}/down?bytes={bytes}`, duration_s: 1, streams: 2 });
    expect(r).toMatchObject({ status: 'error', error_code: 'HTTP_STATUS', bytes: 0 });
    expect(r.error_message).toContain('413');
  });
});
