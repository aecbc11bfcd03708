/**
 * The HTTP side of `qosprobe serve`: latency and throughput endpoints for the http,
 * download and upload probes.
 *
 *   GET  /ping            a few bytes, never cached: RTT under load
 *   GET  /down?bytes=N    N incompressible bytes, streamed with backpressure (413 above maxBytes)
 *   POST /up              body read and discarded; replies {"bytes":N,"duration_ms":D} (413 above maxBytes)
 *   GET  /up-stats?id=ID  the body bytes of every /up sent with that upload id, binned as they arrived
 *                         (receiver-side upload counting, see UploadStats)
 *   GET  /health          {"status":"ok"}, open even with a token, for load balancers and monitoring
 *
 * Security, because this runs on a public address: a bearer token on every endpoint but
 * /health when configured (a header, not a query param: request URLs get persisted in
 * logs); at most maxConcurrent transfers (503 beyond); timeouts against slow or idle clients;
 * nothing is read from disk. Library code: no `process`; the caller passes a log function.
 */
import { takeToken, type TokenBucket } from '../core/token-bucket.js';
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { rateLimitKey } from './stamp-reflector.js';
import { nativeUdp } from '../stamp/native.js';
import { MAX_SLICE_BYTES, randomSlices } from '../net/random-payload.js';
// The receiver-side bins are the throughput statistics' intervals: the probe reads them as its own (/up-stats).
import { THROUGHPUT_INTERVAL_MS } from '../core/intervals.js';
import { UPLOAD_ID_HEADER, UPLOAD_ID_PATTERN, UPLOAD_ID_RULE, UPLOAD_OFFSET_HEADER, UPLOAD_STATS_HEADER, UPLOAD_STATS_PATH, uploadStatsBody } from '../core/upload-protocol.js';

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
  /** Bounds of the receiver-side upload counts; UPLOAD_STATS_LIMITS when absent. */
  uploadStats?: UploadStatsLimits;
  /** Slots: TRANSFER_LIMITS when absent. */
  transfers?: TransferLimits;
  /** Open connections; beyond, a new one is closed at once (memory: docs/serve.md). Default 10 000. */
  maxConnections?: number;
  /**
   * Open connections from one source (IPv4 address or IPv6 /64); beyond, its new one is closed at once, so one
   * source can't take every connection (issue 24). Default 1000: room for many field clients behind one carrier NAT.
   */
  maxConnectionsPerSource?: number;
  /**
   * Request line and headers together, bytes; beyond, 431 and the connection closes. Default 2048: a probe sends
   * ~0.5 KB, and a connection holding unfinished headers costs ~11 KB of RSS at 2 KB, ~16 KB at 4 KB (docs/serve.md).
   */
  maxHeaderBytes?: number;
}

export const HTTP_SERVE_LIMITS: HttpServeLimits = {
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000,
  maxConnectionsPerSource: 1000,
  maxHeaderBytes: 2048,
};

/**
 * What a transfer must do to keep its slot, so that connections trickling a byte now and then can't hold
 * every slot (the idle timeout alone resets on each byte).
 */
export interface TransferLimits {
  /**
   * Each window of this length, from the transfer's start, must move at least minBytesPerWindow (either way), on
   * balance: bytes beyond the minimum count for later windows, up to aheadWindows of them.
   */
  windowMs: number;
  minBytesPerWindow: number;
  /**
   * Windows a transfer may stay silent on what it moved before; default 12 (2 min). A /down's bytes count when the
   * client's kernel acknowledges them, and a client's receive buffer can take 7 MB at once and then reopen only when
   * drained: a steady reader at 200 KB/s showed nothing for ~38 s (curl --limit-rate 200K, issue 24). A reader that
   * stops is cut after as long.
   */
  aheadWindows?: number;
  /** Whole transfer, ms (the longest transfer test is an hour). */
  maxTransferMs: number;
  /** Slots one source (IPv4 address or IPv6 /64) may hold: this share of maxConcurrent, at least 1. */
  perSourceShare: number;
}

/** 20 KB per 10 s (2 kB/s, 16 kbit/s): below any link a throughput test can say something useful about. */
export const TRANSFER_LIMITS: TransferLimits = { windowMs: 10_000, minBytesPerWindow: 20_000, maxTransferMs: 3_600_000, perSourceShare: 0.5 };

/**
 * Memory bounds of /up-stats. Bins are a Float64Array per id that grows by doubling up to maxBins, so the
 * worst case is maxIds × maxBins × 8 bytes off the JS heap (256 × 36 000 × 8 ≈ 74 MB) plus the remembered
 * names of evicted ids (16 × maxIds ≤ 64 characters); docs/serve.md gives the measured RSS.
 */
export interface UploadStatsLimits {
  /** Upload ids kept at once; a new one evicts the least recently active. */
  maxIds: number;
  /** An id is dropped this long after its last byte, ms. */
  idleTtlMs: number;
  /** Intervals kept per id (36 000 × 100 ms = 1 hour, the longest transfer test); bytes beyond are not counted. */
  maxBins: number;
  /** /up-stats requests per second per source (burst: statsBurst); beyond, 429. */
  statsPerSecond?: number;
  statsBurst?: number;
  /** /up-stats requests per second from all sources together (burst: 2 s worth): a full row costs ~5 ms of CPU. */
  statsTotalPerSecond?: number;
}

export const UPLOAD_STATS_LIMITS: UploadStatsLimits = { maxIds: 256, idleTtlMs: 120_000, maxBins: 36_000, statsPerSecond: 2, statsBurst: 10, statsTotalPerSecond: 50 };

/** Random, URL-safe, bounded: it is a map key and appears in a query string. */

/**
 * Receiver-side upload counting. A client sends `x-qosprobe-upload-id` (one random id per test, shared by its
 * streams) and `x-qosprobe-offset-ms` (ms since its test start when it sent this request) with each /up; body bytes
 * are binned at offset + (ms since the request's headers arrived), i.e. on the client's timeline shifted by the
 * request's one-way delay (plus a handshake RTT for a request that opened its connection), which is a fraction of
 * an interval on most links. Bins are per id, summed over requests. Least recently active ids are evicted beyond
 * maxIds, idle ones after idleTtlMs; an evicted id is remembered (a bounded set of names) so that a late byte can
 * not start it again with its early intervals missing: /up-stats then answers 404 and the client falls back.
 */
class UploadStats {
  // Map order = activity order (an entry is moved to the end on each byte): the first is the least recently active.
  private readonly ids = new Map<string, { slot: number; used: number; lastMs: number }>();
  private readonly gone = new Set<string>();
  /**
   * One slab of maxIds × maxBins bins, allocated on first use and never freed, each id owning one row: per-id
   * buffers that come and go fragmented the C heap (RSS kept growing with the number of ids ever seen), while
   * the slab's untouched pages are not even resident.
   */
  private slab: Float64Array | null = null;
  private readonly free: number[] = [];
  constructor(private readonly l: UploadStatsLimits) {}

  add(id: string, atMs: number, bytes: number): void {
    const now = performance.now();
    const i = Math.floor(atMs / THROUGHPUT_INTERVAL_MS);
    if (this.gone.has(id)) return;
    let e = this.ids.get(id);
    if (e) this.ids.delete(id);
    else {
      this.sweep(now);
      while (this.ids.size >= this.l.maxIds) this.drop(this.ids.keys().next().value as string);
      if (this.slab === null) {
        this.slab = new Float64Array(this.l.maxIds * this.l.maxBins);
        for (let k = this.l.maxIds - 1; k >= 0; k--) this.free.push(k);
      }
      e = { slot: this.free.pop() as number, used: 0, lastMs: now };
    }
    e.lastMs = now;
    this.ids.set(id, e);
    if (i < 0 || i >= this.l.maxBins || this.slab === null) return;
    const at = e.slot * this.l.maxBins + i;
    this.slab[at] = (this.slab[at] as number) + bytes;
    e.used = Math.max(e.used, i + 1);
  }

  /** The /up-stats body of an id, or null; written straight from the slab (no array of 36 000 numbers per request). */
  json(id: string): string | null {
    this.sweep(performance.now());
    const e = this.ids.get(id);
    if (!e) return null;
    const start = e.slot * this.l.maxBins;
    const bins = this.slab === null ? '' : this.slab.subarray(start, start + e.used).join(',');
    return uploadStatsBody(THROUGHPUT_INTERVAL_MS, bins);
  }

  private sweep(now: number): void {
    for (const [id, e] of this.ids) {
      if (now - e.lastMs < this.l.idleTtlMs) break; // activity order: the rest are more recent
      this.drop(id);
    }
  }

  private drop(id: string): void {
    const e = this.ids.get(id);
    if (e && this.slab !== null) {
      const start = e.slot * this.l.maxBins;
      this.slab.fill(0, start, start + e.used);
      this.free.push(e.slot);
    }
    this.ids.delete(id);
    this.gone.add(id);
    if (this.gone.size > 16 * this.l.maxIds) this.gone.delete(this.gone.values().next().value as string);
  }
}

/** /down writes in chunks this large (the largest slice of the random pool, net/random-payload.ts). */
const CHUNK_BYTES = MAX_SLICE_BYTES;

export async function startHttpServer(o: HttpServeOptions): Promise<{ port: number; close(): Promise<void> }> {
  return startHttpServerWith(o, HTTP_SERVE_LIMITS);
}

export async function startHttpServerWith(o: HttpServeOptions, limits: HttpServeLimits): Promise<{ port: number; close(): Promise<void> }> {
  // The random pool is made now, not on the first /down.
  randomSlices();
  const tokenBuf = o.token !== null ? Buffer.from(`Bearer ${o.token}`) : null;
  let active = 0;
  const tl = limits.transfers ?? TRANSFER_LIMITS;
  const perSourceMax = Math.max(1, Math.ceil(o.maxConcurrent * tl.perSourceShare));
  /** Slots held per source (rateLimitKey). */
  const held = new Map<string, number>();
  const usl = limits.uploadStats ?? UPLOAD_STATS_LIMITS;
  const statsRate = usl.statsPerSecond ?? UPLOAD_STATS_LIMITS.statsPerSecond ?? 2;
  const statsBuckets = new Buckets(statsRate, usl.statsBurst ?? UPLOAD_STATS_LIMITS.statsBurst ?? 10, 10_000);
  const statsTotal = usl.statsTotalPerSecond ?? UPLOAD_STATS_LIMITS.statsTotalPerSecond ?? 50;
  const statsAll = new Buckets(statsTotal, 2 * statsTotal, 1);
  const uploads = new UploadStats(usl);

  // Lines about what abusers do (refused connections, unread bodies) are rate-limited: they must not fill the disk.
  const abuseLog = rateLimitedLog(o.log, 1, 20);
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      // Node's default is 16 KB, and a connection holding an unfinished 16 KB of headers cost ~100 KB of RSS (issue 24).
      maxHeaderSize: limits.maxHeaderBytes ?? 2048,
      // No whole-request timeout: a 1 GB upload over a slow link is legitimate; the idle timeout catches a stalled one.
      requestTimeout: 0,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks header timeouts on this period (default 30 s): check often enough to honour the limit.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 2))),
    },
    (req, res) => {
      // A body no handler reads (every answer but a granted /up) is not drained, unbounded, to keep the connection:
      // the connection closes after the answer (issue 24: GBs read after a 405 or 503). transfer() lifts this for /up.
      if (hasBody(req)) {
        res.setHeader('connection', 'close');
        // Node ends such a response with destroySoon(), a close with the client's body bytes unread: a reset, which
        // loses the answer the client has not read yet. Half-close instead, and close for good a moment later.
        req.socket.destroySoon = lingeringClose;
        res.on('finish', () => {
          if (!req.complete) abuseLog(`http: ${res.statusCode} to ${req.method ?? '?'} with a body from ${req.socket.remoteAddress ?? '?'}: body not read, connection closed`);
        });
      }
      // Nothing a client sends may end the process: a throw here would be an unhandled rejection.
      handle(req, res).catch((err: unknown) => failed(res, err));
    },
  );
  // Connections: a share per source, and at the cap a newcomer from a smaller source replaces a connection of the
  // largest, so one source (or a few) can never take every connection from another (issue 24).
  const table = new ConnectionTable(limits.maxConnections ?? 10_000, limits.maxConnectionsPerSource ?? 1000);
  server.on('connection', (sock: Socket) => {
    const a = sock.remoteAddress;
    if (a === undefined) return; // already gone
    const key = rateLimitKey(a.startsWith('::ffff:') ? a.slice(7) : a);
    const r = table.admit(key, sock);
    if (typeof r === 'string') {
      abuseLog(`http: connection from ${a} closed: ${r}`);
      sock.destroy();
      return;
    }
    if (r !== null) {
      abuseLog(`http: a connection from ${r.remoteAddress ?? '?'} closed for one from ${a}: at the cap of ${table.max}, its source holds the most`);
      r.destroy();
    }
    sock.once('close', () => table.remove(key, sock));
  });
  server.setTimeout(limits.idleTimeoutMs, (sock) => sock.destroy());
  // A backstop only (the table above is the bound): a connection it closes counts in Node's until its close event.
  server.maxConnections = table.max + Math.max(16, Math.ceil(table.max / 100));
  // A malformed request line or headers: answer 400 (or just close a dead socket); never throw.
  server.on('clientError', (err: NodeJS.ErrnoException, sock) => {
    if (sock.writable && !sock.destroyed && err.code !== 'ECONNRESET') {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      sock.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
    sock.destroy();
  });
  // After listen, a server error (e.g. EMFILE on accept) concerns a connection, not the service.
  const logError = (err: Error) => o.log(`http: error: ${err.message}`);

  function failed(res: ServerResponse, err: unknown): void {
    o.log(`http: internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (!res.headersSent) reply(res, 500, { error: 'internal error' });
    else res.destroy();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url);
    if (url === null) return reply(res, 400, { error: 'bad request target: expected a path like /ping' });
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
      return transfer(req, res, 'down', () => sendDown(res, n, randomSlices()));
    }
    if (path === '/up') {
      if (req.method !== 'POST' && req.method !== 'PUT') return methodNotAllowed(res, 'POST');
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        res.setHeader('connection', 'close');
        return reply(res, 413, { error: `body above this server's limit of ${o.maxBytes}` });
      }
      const arrivedMs = performance.now();
      const id = header(req, UPLOAD_ID_HEADER);
      const offsetRaw = header(req, UPLOAD_OFFSET_HEADER);
      const offsetMs = Number(offsetRaw);
      if (id !== undefined && !UPLOAD_ID_PATTERN.test(id)) return reply(res, 400, { error: `${UPLOAD_ID_HEADER}: ${UPLOAD_ID_RULE}` });
      if (id !== undefined && (offsetRaw === undefined || !/^\d+(\.\d+)?$/.test(offsetRaw) || !Number.isFinite(offsetMs))) {
        return reply(res, 400, { error: `${UPLOAD_OFFSET_HEADER}: ms (≥ 0) since the client's test start, required with ${UPLOAD_ID_HEADER}` });
      }
      res.setHeader(UPLOAD_STATS_HEADER, '1');
      const bin = id === undefined ? null : (bytes: number) => uploads.add(id, offsetMs + performance.now() - arrivedMs, bytes);
      return transfer(req, res, 'up', () => receiveUp(req, res, o.maxBytes, bin));
    }
    if (path === UPLOAD_STATS_PATH) {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      const id = url.searchParams.get('id');
      if (id === null || !UPLOAD_ID_PATTERN.test(id)) return reply(res, 400, { error: `expected ?id=ID (${UPLOAD_ID_RULE})` });
      // Up to 36 000 bins (~72 KB) for a short request: rate-limited per source like the STAMP reflector.
      const now = performance.now();
      if (!statsBuckets.take(sourceOf(req), now) || !statsAll.take('all', now)) {
        res.setHeader('retry-after', '1');
        return reply(res, 429, { error: `too many /up-stats requests (${statsRate} per second per source, ${statsTotal} in all)` });
      }
      const body = uploads.json(id);
      if (body === null) return reply(res, 404, { error: 'no upload bytes with this id (unknown, or expired)' });
      return replyText(res, 200, body);
    }
    return reply(res, 404, { error: 'not found; endpoints: /ping, /down?bytes=N, /up, /up-stats?id=ID, /health' });
  }

  /** The concurrency cap, its per-source share, the minimum rate, and the one log line per transfer. */
  async function transfer(req: IncomingMessage, res: ServerResponse, what: string, run: () => Promise<number>): Promise<void> {
    // Read now: a destroyed socket no longer knows its peer.
    const client = req.socket.remoteAddress ?? '?';
    const source = sourceOf(req);
    const mine = held.get(source) ?? 0;
    if (active >= o.maxConcurrent || mine >= perSourceMax) {
      res.setHeader('retry-after', '1');
      const why = active >= o.maxConcurrent ? `${o.maxConcurrent} transfers already running` : `this source already runs ${mine} transfers, its share of ${o.maxConcurrent}`;
      reply(res, 503, { error: `busy: ${why}` });
      req.resume();
      return;
    }
    active++;
    held.set(source, mine + 1);
    // This handler reads the body (an /up): the connection may stay open after it.
    if (what === 'up' && !res.headersSent) res.removeHeader('connection');
    const t0 = performance.now();
    const sock = req.socket;
    const moved = () => sock.bytesRead + delivered(sock);
    let last = moved();
    let cut: string | null = null;
    const aheadMax = (tl.aheadWindows ?? 12) * tl.minBytesPerWindow;
    let ahead = 0;
    const check = setInterval(() => {
      const now = moved();
      ahead = Math.min(aheadMax, ahead + (now - last) - tl.minBytesPerWindow);
      if (ahead < 0) cut = `under ${tl.minBytesPerWindow} bytes in ${tl.windowMs} ms`;
      else if (performance.now() - t0 > tl.maxTransferMs) cut = `longer than ${tl.maxTransferMs} ms`;
      last = now;
      if (cut === null) return;
      clearInterval(check);
      if (!res.headersSent) {
        // An /up still sending: tell it why, then close whatever it does.
        res.setHeader('connection', 'close');
        reply(res, 408, { error: `transfer too slow or too long: ${cut}` });
        setTimeout(() => sock.destroy(), 1000).unref();
      } else sock.destroy();
    }, tl.windowMs);
    let bytes = 0;
    try {
      bytes = await run();
    } finally {
      clearInterval(check);
      active--;
      const left = (held.get(source) ?? 1) - 1;
      if (left > 0) held.set(source, left);
      else held.delete(source);
      const ms = (performance.now() - t0).toFixed(1);
      const complete = cut !== null ? `cut (${cut})` : res.writableFinished ? 'complete' : 'cut';
      o.log(`http ${what} client=${client} status=${res.headersSent ? res.statusCode : '-'} bytes=${bytes} ms=${ms} ${complete}`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deeper accept queue than Node's 511: bursts of connections (abusive or not) drop fewer SYNs, a legitimate one's among them.
    server.listen({ port: o.port, host: o.host, backlog: 4096 }, () => {
      server.off('error', reject);
      server.on('error', logError);
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

/**
 * The URL of a request target, or null for one we don't serve. Origin-form (`/path?query`) is read as a path
 * even when it starts with `//` (the WHATWG parser would take `//[` for a host and throw); absolute-form
 * (`http://host/path`, RFC 9112 §3.2.2) is served by its path; `*`, authority-form and anything else are refused.
 */
/** RFC 3986 path-absolute [ "?" query ]: pchar = unreserved / pct-encoded / sub-delims / ":" / "@". */
const ORIGIN_FORM = /^(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/;

export function requestUrl(target: string | undefined): URL | null {
  if (target === undefined) return null;
  try {
    if (target.startsWith('/')) return ORIGIN_FORM.test(target) ? new URL(`http://x${target}`) : null;
    if (!/^https?:\/\//i.test(target)) return null;
    const u = new URL(target);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

/** The source a per-source limit counts: the IPv4 address or the IPv6 /64 (as the STAMP reflector does). */
function sourceOf(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '?';
  return rateLimitKey(a.startsWith('::ffff:') ? a.slice(7) : a);
}

/**
 * Open connections by source (rateLimitKey), bounded in all and per source. At the cap, a newcomer whose source holds
 * at least two fewer connections than the largest source replaces that source's oldest connection: max-min fairness,
 * so a source with few connections always finds one. The largest source is found in O(1) (sources bucketed by count).
 */
class ConnectionTable {
  private readonly bySource = new Map<string, Set<Socket>>();
  /** Sources holding exactly n connections, for each n in use. */
  private readonly byCount = new Map<number, Set<string>>();
  private maxCount = 0;
  private total = 0;
  constructor(
    readonly max: number,
    private readonly perSource: number,
  ) {}

  /** Admit sock: null, or another source's connection the caller must close to make room; a string says why not. */
  admit(key: string, sock: Socket): Socket | null | string {
    const mine = this.bySource.get(key)?.size ?? 0;
    if (mine >= this.perSource) return `its source already holds ${mine} connections (its share)`;
    let evicted: Socket | null = null;
    if (this.total >= this.max) {
      if (this.maxCount < mine + 2) return `${this.total} connections open (the cap), none from a source holding more than this one's`;
      const victimKey = this.byCount.get(this.maxCount)?.values().next().value as string;
      evicted = this.bySource.get(victimKey)?.values().next().value ?? null;
      if (evicted) this.remove(victimKey, evicted);
    }
    let set = this.bySource.get(key);
    if (!set) this.bySource.set(key, (set = new Set()));
    this.move(key, set.size, set.size + 1);
    set.add(sock);
    this.total++;
    return evicted;
  }

  /** Idempotent: an evicted socket is removed at once and again at its close event. */
  remove(key: string, sock: Socket): void {
    const set = this.bySource.get(key);
    if (!set?.delete(sock)) return;
    this.total--;
    this.move(key, set.size + 1, set.size);
    if (set.size === 0) this.bySource.delete(key);
  }

  private move(key: string, from: number, to: number): void {
    const old = this.byCount.get(from);
    old?.delete(key);
    if (old?.size === 0) this.byCount.delete(from);
    if (to > 0) {
      let b = this.byCount.get(to);
      if (!b) this.byCount.set(to, (b = new Set()));
      b.add(key);
    }
    if (to > this.maxCount) this.maxCount = to;
    while (this.maxCount > 0 && !this.byCount.has(this.maxCount)) this.maxCount--;
  }
}

/** How long a connection closed after an early answer lingers half-closed (the client reads the answer meanwhile). */
const LINGER_MS = 1000;

function lingeringClose(this: Socket): void {
  this.end();
  setTimeout(() => this.destroy(), LINGER_MS).unref();
}

/**
 * Bytes of a socket's output its peer has: the acknowledged ones (TCP_INFO, through the native addon on Linux), else
 * those the kernel took. Bytes handed to the socket are not delivered: the kernel buffers take 15 MB and more of a
 * slow reader's /down at once, then nothing for many seconds, so a steady reader at 200 KB/s failed the 2 kB/s
 * minimum (issue 24). Without the addon only the user-space buffer is left out, and that can still happen.
 */
function delivered(sock: Socket): number {
  // net.Socket's handle carries the file descriptor (Unix); not a documented API, hence the fallback.
  const fd = (sock as unknown as { _handle?: { fd?: number } | null })._handle?.fd ?? -1;
  const acked = fd >= 0 ? (nativeUdp()?.tcpBytesAcked?.(fd) ?? -1) : -1;
  return acked >= 0 ? acked : sock.bytesWritten - sock.writableLength;
}

/** Whether a request carries a body (RFC 9112 §6.3: a content-length above 0, or a transfer-encoding). */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** A log of at most perSecond lines (burst), the rest counted in the next line that passes. */
function rateLimitedLog(log: (line: string) => void, perSecond: number, burst: number): (line: string) => void {
  let tokens = burst;
  let lastMs = performance.now();
  let suppressed = 0;
  return (line) => {
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - lastMs) / 1000) * perSecond);
    lastMs = now;
    if (tokens < 1) {
      suppressed++;
      return;
    }
    tokens -= 1;
    log(suppressed > 0 ? `${line} (and ${suppressed} such lines not logged)` : line);
    suppressed = 0;
  };
}

/** Token buckets per source, the table bounded (a full table forgets its oldest bucket: at worst a fresh burst). */
class Buckets {
  private readonly m = new Map<string, TokenBucket>();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxSources: number,
  ) {}

  take(key: string, nowMs: number): boolean {
    let b = this.m.get(key);
    if (!b) {
      if (this.m.size >= this.maxSources) this.m.delete(this.m.keys().next().value as string);
      b = { tokens: this.burst, lastMs: nowMs };
      this.m.set(key, b);
    }
    return takeToken(b, nowMs, this.perSecond, this.burst);
  }
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const got = Buffer.from(header);
  // Constant-time compare, so the token can't be guessed byte by byte from response times.
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  replyText(res, status, JSON.stringify(body) + '\n');
}

function replyText(res: ServerResponse, status: number, text: string): void {
  // Called from event handlers too, where a throw (headers already sent) would end the process.
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' });
  res.end(text);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  reply(res, 405, { error: `method not allowed; use ${allow}` });
}

/** Stream n bytes with backpressure (wait for 'drain'), memory bounded to the socket buffer. Resolves with the bytes written. */
function sendDown(res: ServerResponse, n: number, slice: (len: number) => Buffer): Promise<number> {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(n),
    // Random bytes don't compress, and saying so stops a proxy from trying.
    'cache-control': 'no-store, no-transform',
  });
  return new Promise((resolve) => {
    let sent = 0;
    const done = () => {
      res.off('drain', pump);
      res.off('close', done);
      resolve(sent);
    };
    const pump = () => {
      while (sent < n) {
        const len = Math.min(CHUNK_BYTES, n - sent);
        sent += len;
        if (!res.write(slice(len))) return; // 'drain' calls pump again
      }
      res.off('drain', pump);
      res.end();
    };
    res.on('drain', pump);
    res.on('close', done);
    pump();
  });
}

/**
 * Read and discard the body; reply with its size and the server-side duration. Cut with 413 past maxBytes.
 * `bin` counts each chunk as it arrives (receiver-side upload counting), up to maxBytes.
 */
function receiveUp(req: IncomingMessage, res: ServerResponse, maxBytes: number, bin: ((bytes: number) => void) | null): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let bytes = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // A body past the limit is refused (413) and the client discards it: its first maxBytes were counted, but
      // 413 only happens for a chunked body, which qosprobe never sends, so they are left (no per-request copy).
      if (!over && bytes <= maxBytes) bin?.(chunk.length);
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
