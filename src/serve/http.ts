/**
 * The HTTP side of `qosprobe serve`: latency and throughput endpoints for the http,
 * download and upload probes.
 *
 *   GET  /ping            a few bytes, never cached: RTT under load
 *   GET  /down?bytes=N    N incompressible bytes, streamed with backpressure (413 above maxBytes)
 *   POST /up              body read and discarded; replies {"bytes":N,"duration_ms":D} (413 above maxBytes)
 *   GET  /health          {"status":"ok"}, open even with a token, for load balancers and monitoring
 *
 * Security, because this runs on a public address: a bearer token on every endpoint but
 * /health when configured (a header, not a query param: request URLs get persisted in
 * logs); at most maxConcurrent transfers (503 beyond); timeouts against slow or idle clients;
 * nothing is read from disk. Library code: no `process`; the caller passes a log function.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpServeOptions {
  host: string;
  port: number;
  maxBytes: number;
  maxConcurrent: number;
  token: string | null;
  log: (line: string) => void;
}

/** Timeouts against slow clients, ms. Exposed for tests, which cannot wait the production values. */
export interface HttpServeLimits {
  /** Request headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed (a client that stopped reading /down or sending /up). */
  idleTimeoutMs: number;
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number;
}

export const HTTP_SERVE_LIMITS: HttpServeLimits = { headersTimeoutMs: 10_000, idleTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 };

/**
 * Random bytes generated once and sent from a random offset: incompressible (a compressor
 * finds nothing to squeeze in random data, and 8 MiB is beyond gzip's and most brotli
 * windows, so repeats across slices don't help it), and no per-request generation cost,
 * which is what lets /down run at several Gbit/s.
 */
const POOL_BYTES = 8 * 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;
let pool: Buffer | null = null;
function randomPool(): Buffer {
  pool ??= randomBytes(POOL_BYTES + CHUNK_BYTES);
  return pool;
}

export async function startHttpServer(o: HttpServeOptions): Promise<{ port: number; close(): Promise<void> }> {
  return startHttpServerWith(o, HTTP_SERVE_LIMITS);
}

export async function startHttpServerWith(o: HttpServeOptions, limits: HttpServeLimits): Promise<{ port: number; close(): Promise<void> }> {
  const data = randomPool();
  const tokenBuf = o.token !== null ? Buffer.from(`Bearer ${o.token}`) : null;
  let active = 0;

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      // No whole-request timeout: a 1 GB upload over a slow link is legitimate; the idle timeout catches a stalled one.
      requestTimeout: 0,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks header timeouts on this period (default 30 s): check often enough to honour the limit.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 2))),
    },
    (req, res) => {
      void handle(req, res);
    },
  );
  server.setTimeout(limits.idleTimeoutMs, (sock) => sock.destroy());

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return reply(res, 200, { status: 'ok' });
    if (tokenBuf && !authorized(req.headers.authorization, tokenBuf)) {
      res.setHeader('www-authenticate', 'Bearer');
      return reply(res, 401, { error: 'a bearer token is required (Authorization: Bearer <token>)' });
    }
    if (path === '/ping') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '4', 'cache-control': 'no-store' });
      res.end('pong');
      return;
    }
    if (path === '/down') {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      const raw = url.searchParams.get('bytes');
      const n = raw === null ? NaN : Number(raw);
      if (raw === null || !/^\d+$/.test(raw) || !Number.isSafeInteger(n)) return reply(res, 400, { error: 'expected ?bytes=N (an integer ≥ 0)' });
      if (n > o.maxBytes) return reply(res, 413, { error: `bytes above this server's limit of ${o.maxBytes}` });
      return transfer(req, res, 'down', () => sendDown(res, n, data));
    }
    if (path === '/up') {
      if (req.method !== 'POST' && req.method !== 'PUT') return methodNotAllowed(res, 'POST');
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        res.setHeader('connection', 'close');
        return reply(res, 413, { error: `body above this server's limit of ${o.maxBytes}` });
      }
      return transfer(req, res, 'up', () => receiveUp(req, res, o.maxBytes));
    }
    return reply(res, 404, { error: 'not found; endpoints: /ping, /down?bytes=N, /up, /health' });
  }

  /** The concurrency cap and the one log line per transfer. */
  async function transfer(req: IncomingMessage, res: ServerResponse, what: string, run: () => Promise<number>): Promise<void> {
    if (active >= o.maxConcurrent) {
      res.setHeader('retry-after', '1');
      reply(res, 503, { error: `busy: ${o.maxConcurrent} transfers already running` });
      req.resume();
      return;
    }
    active++;
    const t0 = performance.now();
    // Read now: a destroyed socket no longer knows its peer.
    const client = req.socket.remoteAddress ?? '?';
    let bytes = 0;
    try {
      bytes = await run();
    } finally {
      active--;
      const ms = (performance.now() - t0).toFixed(1);
      const complete = res.writableFinished ? 'complete' : 'cut';
      o.log(`http ${what} client=${client} status=${res.headersSent ? res.statusCode : "-"} bytes=${bytes} ms=${ms} ${complete}`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const got = Buffer.from(header);
  // Constant-time compare, so the token can't be guessed byte by byte from response times.
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' });
  res.end(text);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  reply(res, 405, { error: `method not allowed; use ${allow}` });
}

/** Stream n bytes with backpressure (wait for 'drain'), memory bounded to the socket buffer. Resolves with the bytes written. */
function sendDown(res: ServerResponse, n: number, data: Buffer): Promise<number> {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(n),
    // Random bytes don't compress, and saying so stops a proxy from trying.
    'cache-control': 'no-store, no-transform',
  });
  return new Promise((resolve) => {
    let sent = 0;
    let offset = Math.floor(Math.random() * POOL_BYTES);
    const done = () => {
      res.off('drain', pump);
      res.off('close', done);
      resolve(sent);
    };
    const pump = () => {
      while (sent < n) {
        const len = Math.min(CHUNK_BYTES, n - sent);
        const chunk = data.subarray(offset, offset + len);
        offset = (offset + len) % POOL_BYTES;
        sent += len;
        if (!res.write(chunk)) return; // 'drain' calls pump again
      }
      res.off('drain', pump);
      res.end();
    };
    res.on('drain', pump);
    res.on('close', done);
    pump();
  });
}

/** Read and discard the body; reply with its size and the server-side duration. Cut with 413 past maxBytes. */
function receiveUp(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let bytes = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes && !over) {
        over = true;
        res.setHeader('connection', 'close');
        reply(res, 413, { error: `body above this server's limit of ${maxBytes}` });
        // Stop reading: the rest of the body is not wanted.
        req.socket.destroySoon();
      }
    });
    req.on('end', () => {
      if (!over) reply(res, 200, { bytes, duration_ms: Math.round((performance.now() - t0) * 1000) / 1000 });
    });
    res.on('close', () => resolve(bytes));
    req.on('error', () => resolve(bytes));
  });
}
