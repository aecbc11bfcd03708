/**
 * /up-stats memory and cost (issue 10 item 6): 600 ids × 36 000 bins took RSS to 510 MB although the docs
 * promised about 74 MB, and a 152-byte request returned 72 KB with no limit. The worst case is filled in a
 * child process (RSS is per process) through the real HTTP endpoints.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtCliAvailable, ROOT } from '../helpers/cli.js';
import { HTTP_SERVE_LIMITS, startHttpServerWith } from '../../src/serve/http.js';

/** Bins of the default limits: 256 ids × 36 000 × 8 bytes. */
const BINS_MB = (256 * 36_000 * 8) / 1e6;

const fill = `
import { request } from 'node:http';
const { startHttpServer } = await import(${JSON.stringify(join(ROOT, 'dist', 'serve', 'http.js'))});
const s = await startHttpServer({ host: '127.0.0.1', port: 0, maxBytes: 1e9, maxConcurrent: 8, token: null, log: () => {} });
const call = (o, body) => new Promise((res, rej) => {
  const r = request({ host: '127.0.0.1', port: s.port, agent: false, ...o }, (x) => { let n = 0; x.on('data', (d) => (n += d.length)); x.on('end', () => res([x.statusCode, n])); });
  r.on('error', rej); r.end(body);
});
const rss0 = process.memoryUsage().rss;
let last;
for (let i = 0; i < 600; i++) {
  const id = 'memtest-' + String(i).padStart(6, '0');
  // One byte in the last interval of the hour: the whole row of bins.
  await call({ path: '/up', method: 'POST', headers: { 'content-length': '1', 'x-qosprobe-upload-id': id, 'x-qosprobe-offset-ms': '3599950' } }, 'x');
  // Every 10th id read back, from a different loopback address each time: under the per-source and total
  // limits on /up-stats, and the full row is serialised each time.
  if (i % 10 === 9) last = await call({ path: '/up-stats?id=' + id, localAddress: '127.2.' + ((i >> 8) & 255) + '.' + ((i & 255) || 1) });
}
console.log(JSON.stringify({ growthMB: (process.memoryUsage().rss - rss0) / 1e6, last }));
await s.close();
`;

describe('/up-stats: memory bounded, requests rate-limited', () => {
  it.skipIf(!builtCliAvailable())('600 upload ids with a full hour of bins each grow RSS by the bins (74 MB) and little more (needs dist/)', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', fill], { timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    const r = JSON.parse(out) as { growthMB: number; last: [number, number] };
    expect(r.last[0]).toBe(200);
    expect(r.last[1]).toBeGreaterThan(36_000 * 2); // the full row was served
    // The bins, plus room for the heap's own growth (measured: ~100 MB in all; before the fix ~220 MB).
    expect(r.growthMB).toBeLessThan(BINS_MB + 50);
  });

  it('answers 429 with retry-after beyond the per-source rate of /up-stats', async () => {
    const s = await startHttpServerWith(
      { host: '127.0.0.1', port: 0, maxBytes: 1e6, maxConcurrent: 4, token: null, log: () => {} },
      { ...HTTP_SERVE_LIMITS, uploadStats: { maxIds: 4, idleTtlMs: 60_000, maxBins: 100, statsPerSecond: 1, statsBurst: 3 } },
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`http://127.0.0.1:${s.port}/up-stats?id=unknown-id-1`);
        statuses.push(r.status);
        if (r.status === 429) expect(r.headers.get('retry-after')).toBe('1');
        await r.arrayBuffer();
      }
      // Burst of 3 (404: unknown id), then 429 until the bucket refills.
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
    } finally {
      await s.close();
    }
  });
});
