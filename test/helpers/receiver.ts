/**
 * A test HTTP receiver on 127.0.0.1 that behaves like an ingest endpoint which honours
 * Idempotency-Key: the first body per key is stored, repeats are counted and acknowledged.
 * `behave` picks what to do with each request, to inject faults (500, hang, close mid-request).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type Behaviour = 'ok' | 'status-500' | 'status-400' | 'ok-with-errors' | 'hang' | 'destroy' | 'store-then-hang';

export interface Received {
  key: string | null;
  body: string;
  headers: IncomingMessage['headers'];
  method: string;
  url: string;
}

export interface Receiver {
  url: string;
  port: number;
  /** Every request that arrived complete, in arrival order (repeats included). */
  requests: Received[];
  /** Stored bodies, first per key, in order of first arrival. */
  stored: Received[];
  /** Repeats of a key already stored. */
  duplicates: number;
  behave: (req: Received, n: number) => Behaviour;
  close(): Promise<void>;
}

export async function startReceiver(opts: { port?: number; behave?: Receiver['behave'] } = {}): Promise<Receiver> {
  const sockets = new Set<Socket>();
  const rec: Receiver = {
    url: '',
    port: 0,
    requests: [],
    stored: [],
    duplicates: 0,
    behave: opts.behave ?? (() => 'ok'),
    close: async () => {},
  };
  const store = (r: Received) => {
    if (r.key !== null && rec.stored.some((s) => s.key === r.key)) rec.duplicates++;
    else rec.stored.push(r);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const r: Received = { key: (req.headers['idempotency-key'] as string | undefined) ?? null, body: raw.toString('utf8'), headers: req.headers, method: req.method ?? '', url: req.url ?? '' };
      rec.requests.push(r);
      const b = rec.behave(r, rec.requests.length);
      switch (b) {
        case 'ok':
          store(r);
          res.writeHead(204).end();
          return;
        case 'status-500':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('storage unavailable');
          return;
        case 'ok-with-errors':
          // 200 with a body that says it failed (Elasticsearch bulk style): not stored.
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"took":1,"errors":true,"items":[]}');
          return;
        case 'status-400':
          res.writeHead(400, { 'content-type': 'text/plain' }).end('bad body');
          return;
        case 'hang':
          return; // never answer: the client's timeout must fire
        case 'store-then-hang':
          store(r); // stored, but the acknowledgement never arrives: the client must resend, we must dedupe
          return;
        case 'destroy':
          req.socket.destroy(); // close mid-request, no status line
          return;
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  rec.port = (server.address() as { port: number }).port;
  rec.url = `http://127.0.0.1:${rec.port}/ingest`;
  rec.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return rec;
}

/** A receiver that answers 200 only after reading part of the body, then dies: "closes mid-request". */
export async function startMidRequestCloser(): Promise<{ url: string; close(): Promise<void>; hits: () => number }> {
  let hits = 0;
  const server = createServer((req) => {
    hits++;
    req.once('data', () => req.socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/ingest`, hits: () => hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}
