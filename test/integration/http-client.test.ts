import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/net/http-client.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? (server.closeAllConnections(), server.close(() => r())) : r()));
  server = undefined;
});

describe('http client connection reuse', () => {
  it('with one connection per origin, back-to-back requests reuse it (undici frees it a microtask after the body ends)', async () => {
    server = createServer((_q, res) => res.end('pong'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const client = await createHttpClient({ connectionsPerOrigin: 1, keepAliveTimeoutMs: 1000 });
    try {
      const cold: boolean[] = [];
      // No pause between requests: the next one is dispatched as soon as the previous body has been read.
      for (let i = 0; i < 6; i++) cold.push((await client.request(url, { timeoutMs: 2000 })).cold);
      expect(cold).toEqual([true, false, false, false, false, false]);
      expect(client.connectionsOpened).toBe(1);
    } finally {
      await client.close();
    }
  });
});
