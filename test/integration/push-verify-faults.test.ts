/**
 * push's row check reads the receiver's /metrics (gzipped): what the receiver sends is input from outside.
 * Issue 24 item 18: a 3 MB gzip of 3 GB of zeros took push to 6.3 GB RSS (gunzip without a size limit).
 */
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { vmRowCheck } from '../../src/spool/verify.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A loopback receiver whose /metrics answers `body` with content-encoding gzip. */
async function receiver(body: Buffer): Promise<URL> {
  const s = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(body.length) });
    res.end(body);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const addr = s.address();
  return new URL(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/write`);
}

describe('push row check: the receiver\'s /metrics is bounded', () => {
  it('a gzip bomb (3 MB of gzip, 3 GB of zeros) reads as "no counter", without decompressing it whole', async () => {
    // gzip members may follow each other (RFC 1952 §2.2): one of 64 MiB of zeros, repeated to 3 GB.
    const member = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 48 }, () => member));
    expect(bomb.length).toBeLessThan(4 << 20); // under what the check keeps of a body: the gunzip is the thing bounded
    const check = vmRowCheck(await receiver(bomb), 'influx', {}, { timeoutMs: 10_000 });
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    try {
      expect(await check?.read()).toBeNull();
    } finally {
      clearInterval(watch);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(peak - rss0).toBeLessThan(100 << 20);
  });

  it('a real-sized gzipped /metrics is read whole (the bound leaves room for it)', async () => {
    // VictoriaMetrics' page: ~7 KB gzipped; here ~1 MB of text around the counter.
    const filler = Array.from({ length: 20_000 }, (_, i) => `vm_some_metric{i="${i}"} ${i}`).join('\n');
    const text = `${filler}\nvm_rows_invalid_total{type="influx"} 42\n${filler}\n`;
    const check = vmRowCheck(await receiver(gzipSync(text)), 'influx', {});
    expect(await check?.read()).toBe(42);
  });
});
