/**
 * HTTP adapter over undici (imported lazily: `qosprobe --version` must not load it).
 *
 * - Phase timings: our own connector does the DNS lookup, the TCP connect and the TLS
 *   handshake itself, so each is timed on the monotonic clock (undici's diagnostics
 *   channels do not separate DNS from connect). A request that made the client open a
 *   connection is "cold" and carries that connection's phases; one that reused a kept-alive
 *   connection is "warm".
 * - Proxies: undici's EnvHttpProxyAgent honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY. Through
 *   a proxy the connection is undici's tunnel, not ours: phases are then null, TTFB and
 *   total are still measured.
 * - Errors are data: request() never throws; it returns the error as one of our stable codes.
 */
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import type { Dispatcher, buildConnector } from 'undici';
import { QosError, errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import type { LinkBind } from '../core/samples.js';
import { boundTcpSocket } from './bind.js';
import { systemResolverLabel } from './resolve.js';

export interface HttpClientOptions {
  /** PEM file of a CA to trust (on top of the system store), e.g. a self-signed server's. */
  caFile?: string | null;
  /** Accept any certificate (TLS still happens and is timed). */
  insecure?: boolean;
  /** Follow up to this many redirects; 0 reports the 3xx itself. */
  maxRedirects?: number;
  /** Idle kept-alive connections close after this, ms (undici default 4 s; tests use a few ms). */
  keepAliveTimeoutMs?: number;
  /** Connection attempt timeout (DNS + TCP + TLS), ms. */
  connectTimeoutMs?: number;
  /**
   * At most this many connections per origin (default: no limit, for parallel streams). 1 for sequential requests
   * that must reuse their connection: undici marks a connection free a microtask after its response body ended, so
   * a request sent right after the previous body found it "busy" and opened a second connection (a cold sample
   * where a warm one was meant). With 1, it waits for the connection instead.
   */
  connectionsPerOrigin?: number;
  /** Sent with every request of this client (e.g. the Authorization of a token-protected `qosprobe serve`). */
  headers?: Record<string, string>;
  /** Explicit proxy settings instead of the environment (tests). */
  proxy?: { httpProxy?: string; httpsProxy?: string; noProxy?: string };
  /**
   * Every connection leaves through this link (issue 22), its socket bound to the device (net/bind.ts); a socket that
   * cannot be bound fails the request with its INTERFACE_* code. Bound clients go direct, never through the
   * environment's proxy: the proxy's own route would decide the link.
   */
  bind?: LinkBind;
}

/** Phases of a connection this client opened, ms; null = did not happen (IP literal: no DNS; plain HTTP: no TLS). */
export interface ConnectionPhases {
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  remoteAddress: string | null;
}

export interface HttpRequestOptions {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  /** Request body, streamed (undici pulls as the socket drains). */
  body?: AsyncIterable<Uint8Array> | Uint8Array | null;
  /** Per-request timeout, ms: the whole request, body included. */
  timeoutMs: number;
  /** Stops the request; the result says ABORTED with what was received. */
  signal?: AbortSignal;
  /** Called for each body chunk as it arrives (byte count), for throughput binning. */
  onData?: (bytes: number) => void;
  /** Called when response headers arrive. */
  onHeaders?: (status: number) => void;
}

export interface HttpResult {
  status: number | null;
  /** This request opened a new connection (phases known) rather than reusing one. */
  cold: boolean;
  phases: ConnectionPhases | null;
  /** Request start → response headers, ms. */
  ttfbMs: number | null;
  /** Request start → end of the body, ms; null when the body did not complete. */
  totalMs: number | null;
  /** Body bytes received. */
  bytes: number;
  /** The response body text when asked for (small bodies only: /up's JSON). */
  text?: string;
  error: { code: MeasurementErrorCode; message: string } | null;
}

export interface HttpClient {
  request(url: string | URL, o: HttpRequestOptions & { readText?: boolean }): Promise<HttpResult>;
  /** Connections opened so far. */
  readonly connectionsOpened: number;
  close(): Promise<void>;
}

/** Tags the phase an error came from, so a certificate problem is TLS_FAILED whatever its OpenSSL code. */
function phaseError(code: MeasurementErrorCode, what: string, err: unknown): QosError {
  return new QosError(code, `${what}: ${errorMessage(err)}`, { cause: err });
}

export async function createHttpClient(o: HttpClientOptions = {}): Promise<HttpClient> {
  const undici = await import('undici');
  const ca = o.caFile ? await readFile(o.caFile, 'utf8') : undefined;
  const connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
  const opened: ConnectionPhases[] = [];
  // Name lookups in progress: a request that times out while its connection is still being resolved failed at DNS.
  let resolving = 0;

  // undici calls this for every new connection; it must call back with a connected socket.
  const connector = (
    opts: { hostname: string; protocol: string; port: string; servername?: string | null },
    callback: (err: Error | null, socket: Socket | null) => void,
  ): void => {
    const host = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    let done = false;
    let sock: Socket | null = null;
    const finish = (err: Error | null, s: Socket | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) sock?.destroy();
      callback(err, s);
    };
    const timer = setTimeout(
      () =>
        finish(
          phases.remoteAddress === null && isIP(host) === 0
            ? new QosError('DNS_FAILED', `cannot resolve ${host}: no answer from the ${systemResolverLabel()} within ${connectTimeoutMs} ms`)
            : new QosError('TIMEOUT', `no connection to ${host}:${port} within ${connectTimeoutMs} ms`),
          null,
        ),
      connectTimeoutMs,
    );
    const phases: ConnectionPhases = { dnsMs: null, connectMs: null, tlsMs: null, remoteAddress: null };
    void (async () => {
      let address = host;
      if (isIP(host) === 0) {
        const t = performance.now();
        resolving++;
        try {
          address = (await lookup(host, { verbatim: true })).address;
        } catch (err) {
          return finish(phaseError('DNS_FAILED', `cannot resolve ${host} (${systemResolverLabel()})`, err), null);
        } finally {
          resolving--;
        }
        phases.dnsMs = performance.now() - t;
      }
      if (done) return;
      phases.remoteAddress = address;
      const tc = performance.now();
      let tcp: Socket;
      try {
        tcp = o.bind ? boundTcpSocket(o.bind, isIP(address) === 6 ? 6 : 4).connect({ host: address, port, noDelay: true }) : netConnect({ host: address, port, noDelay: true });
      } catch (err) {
        return finish(err as Error, null);
      }
      sock = tcp;
      tcp.once('error', (err) => finish(err, null));
      tcp.once('connect', () => {
        phases.connectMs = performance.now() - tc;
        if (opts.protocol !== 'https:') {
          tcp.removeAllListeners('error');
          opened.push(phases);
          return finish(null, tcp);
        }
        const tt = performance.now();
        const servername = opts.servername || (isIP(host) === 0 ? host : undefined);
        const tlsSock = tlsConnect({ socket: tcp, servername, ca, rejectUnauthorized: !o.insecure, ALPNProtocols: ['http/1.1'] });
        sock = tlsSock;
        tcp.removeAllListeners('error');
        tlsSock.once('error', (err) => finish(phaseError('TLS_FAILED', `TLS with ${host}`, err), null));
        tlsSock.once('secureConnect', () => {
          phases.tlsMs = performance.now() - tt;
          tlsSock.removeAllListeners('error');
          opened.push(phases);
          finish(null, tlsSock);
        });
      });
    })();
  };

  const direct = {
    connect: connector as unknown as buildConnector.connector,
    keepAliveTimeout: o.keepAliveTimeoutMs ?? 4_000,
    ...(o.connectionsPerOrigin ? { connections: o.connectionsPerOrigin } : {}),
    // Our signal carries the per-request timeout; undici's own 300 s timers stay out of the way.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
  // Through a proxy the tunnel is undici's: hand it the same trust settings.
  const proxied = { ...direct, requestTls: { ca, rejectUnauthorized: !o.insecure }, ...(o.proxy ?? {}) };
  const base = o.bind ? new undici.Agent(direct) : new undici.EnvHttpProxyAgent(proxied);
  const maxRedirects = o.maxRedirects ?? 5;
  const dispatcher: Dispatcher = maxRedirects > 0 ? base.compose(undici.interceptors.redirect({ maxRedirections: maxRedirects })) : base;

  return {
    get connectionsOpened() {
      return opened.length;
    },
    async request(url, r) {
      const before = opened.length;
      const ctl = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctl.abort(new QosError('TIMEOUT', `no complete response within ${r.timeoutMs} ms`));
      }, r.timeoutMs);
      const onOuterAbort = () => ctl.abort(new QosError('ABORTED', 'aborted'));
      if (r.signal?.aborted) onOuterAbort();
      r.signal?.addEventListener('abort', onOuterAbort, { once: true });
      const t0 = performance.now();
      const res: HttpResult = { status: null, cold: false, phases: null, ttfbMs: null, totalMs: null, bytes: 0, error: null };
      try {
        const resp = await dispatcher.request({
          origin: new URL(url).origin,
          path: pathOf(url),
          method: r.method ?? 'GET',
          headers: { ...o.headers, ...r.headers },
          body: r.body ?? undefined,
          signal: ctl.signal,
        } as Dispatcher.RequestOptions);
        res.ttfbMs = performance.now() - t0;
        res.status = resp.statusCode;
        r.onHeaders?.(resp.statusCode);
        const textParts: Buffer[] = [];
        let textBytes = 0;
        for await (const chunk of resp.body as AsyncIterable<Buffer>) {
          res.bytes += chunk.length;
          r.onData?.(chunk.length);
          // Only a small body is kept (bounded memory): /up answers a line of JSON.
          if (r.readText && textBytes < 65_536) {
            textParts.push(chunk);
            textBytes += chunk.length;
          }
        }
        res.totalMs = performance.now() - t0;
        if (r.readText) res.text = Buffer.concat(textParts).toString('utf8');
      } catch (err) {
        const host = new URL(url).hostname;
        const cause = timedOut
          ? resolving > 0 && opened.length === before
            ? new QosError('DNS_FAILED', `cannot resolve ${host}: no answer from the ${systemResolverLabel()} within ${r.timeoutMs} ms`)
            : ctl.signal.reason
          : r.signal?.aborted
            ? new QosError('ABORTED', 'aborted')
            : err;
        res.error = { code: measurementCodeFor(cause), message: errorMessage(cause) };
      } finally {
        clearTimeout(timer);
        r.signal?.removeEventListener('abort', onOuterAbort);
      }
      if (opened.length > before) {
        res.cold = true;
        res.phases = opened[before] ?? null;
      }
      return res;
    },
    close: async () => {
      await base.destroy().catch(() => {});
    },
  };
}

function pathOf(url: string | URL): string {
  const u = new URL(url);
  return u.pathname + u.search;
}
