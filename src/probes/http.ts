import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ConfigReader, Obj } from '../core/config-reader.js';
import type { ProbeDef } from './probe.js';
import { SERVE_DEFAULTS } from '../core/serve-defaults.js';
import { sleep } from '../core/sleep.js';
import type { BaseSpec, Endpoint, HttpAttempt } from '../core/samples.js';
import { dominantError } from './common.js';
import { fillUrlTemplate } from '../core/url-template.js';
import { attemptAsPacket } from '../core/samples.js';

/** Port of `qosprobe serve`'s HTTP endpoints, used when a test's url is a bare path. */
export const SERVE_HTTP_PORT = SERVE_DEFAULTS.httpPort;

export interface HttpSpec extends BaseSpec {
  kind: 'http';
  /** Absolute URL, or a path (`/ping`) on `http://<endpoint host>:<port>`. */
  url: string;
  port: number;
  /** Accepted status: an exact code (204) or a class ('2xx'). */
  expectStatus: string;
  caFile: string | null;
  insecure: boolean;
  /** Bearer token for a `qosprobe serve --token` (sent as a header, never in the URL: URLs get logged). */
  token: string | null;
  maxRedirects: number;
}

/**
 * HTTP request timing: per request the DNS, connect, TLS, time-to-first-byte and total
 * phases. Requests go one after another on one client, so the first opens a connection
 * (the cold sample) and the next reuse it while the server keeps it alive (warm samples).
 */
export const http: ProbeDef<HttpSpec> = {
  kind: 'http',
  attempts: 'http',
  configKeys: ['url', 'port', 'expect_status', 'ca_file', 'insecure', 'token', 'max_redirects'],
  defaults: { count: 5, intervalMs: 1000, timeoutMs: 10_000 },
  parse(raw, base, r, path) {
    return {
      ...base,
      kind: 'http',
      ...readUrlFields(raw, r, path, '/ping'),
      expectStatus: readExpectStatus(raw.expect_status, r, `${path}.expect_status`),
      maxRedirects: r.optNum(raw.max_redirects, `${path}.max_redirects`, { integer: true, min: 0, max: 20 }) ?? 5,
    };
  },
  // Sequential requests: each may take its whole timeout.
  deadlineMs: (s) => s.count * Math.max(s.intervalMs, s.timeoutMs) + s.timeoutMs,
  targetOf: (e, s) => resolveTestUrl(e, s.url, s.port),
  async run(endpoint, spec, { signal, measuring }) {
    const target = resolveTestUrl(endpoint, spec.url, spec.port);
    const { createHttpClient } = await import('../net/http-client.js');
    const client = await createHttpClient({
      caFile: spec.caFile,
      insecure: spec.insecure,
      headers: authHeaders(spec.token),
      maxRedirects: spec.maxRedirects,
      // Long enough that the next request finds the connection still open (the warm sample).
      keepAliveTimeoutMs: Math.max(4_000, spec.intervalMs * 2),
      // Requests are sequential: each warm one waits for the kept-alive connection rather than racing it to a new one.
      connectionsPerOrigin: 1,
      connectTimeoutMs: spec.timeoutMs,
      bind: spec.bind,
    });
    const accept = statusMatcher(spec.expectStatus);
    const attempts: HttpAttempt[] = [];
    let targetIp: string | null = null;
    measuring?.();
    const startMs = performance.now();
    try {
      for (let seq = 0; seq < spec.count && !signal.aborted; seq++) {
        const wait = startMs + seq * spec.intervalMs - performance.now();
        if (wait > 0 && !(await sleep(wait, signal))) break;
        const sentAtMs = performance.now() - startMs;
        const r = await client.request(target, { timeoutMs: spec.timeoutMs, signal });
        // Cut by the run's signal: neither an answer nor a loss, but it was sent (sent=0 would say no request went out).
        if (r.error?.code === 'ABORTED' && signal.aborted) {
          attempts.push({ seq, sentAtMs, cold: r.cold, dnsMs: null, connectMs: null, tlsMs: null, ttfbMs: null, totalMs: null, status: null, ok: false, cut: true });
          break;
        }
        targetIp ??= r.phases?.remoteAddress ?? null;
        const statusOk = r.status !== null && accept(r.status);
        const a: HttpAttempt = {
          seq,
          sentAtMs,
          cold: r.cold,
          dnsMs: r.phases?.dnsMs ?? null,
          connectMs: r.phases?.connectMs ?? null,
          tlsMs: r.phases?.tlsMs ?? null,
          ttfbMs: r.ttfbMs,
          totalMs: r.totalMs,
          status: r.status,
          ok: statusOk && r.error === null && r.totalMs !== null,
        };
        if (r.error) [a.errorCode, a.errorMessage] = [r.error.code, r.error.message];
        else if (!statusOk) [a.errorCode, a.errorMessage] = ['HTTP_STATUS', `HTTP ${r.status} (expected ${spec.expectStatus})`];
        attempts.push(a);
      }
    } finally {
      await client.close();
    }
    return {
      target,
      targetIp,
      samples: { type: 'http', intervalMs: spec.intervalMs, attempts },
      error: withPortHint(dominantError(attempts.filter((a) => !a.cut).map(attemptAsPacket)), target),
      interrupted: signal.aborted,
    };
  },
};

/** url (absolute or a path), port, ca_file, insecure, token: shared by http, download and upload. */
export function readUrlFields(
  raw: Obj,
  r: ConfigReader,
  path: string,
  defaultPath: string,
): { url: string; port: number; caFile: string | null; insecure: boolean; token: string | null } {
  const url = r.optStr(raw.url, `${path}.url`) ?? defaultPath;
  if (!url.startsWith('/')) {
    let u: URL | null = null;
    try {
      u = new URL(fillUrlTemplate(url, 0));
    } catch {
      u = null;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) r.fail(`${path}.url`, 'an http:// or https:// URL, or a path like /ping', raw.url);
  }
  return {
    url,
    port: r.optNum(raw.port, `${path}.port`, { integer: true, min: 1, max: 65535 }) ?? SERVE_HTTP_PORT,
    caFile: r.optPath(raw.ca_file, `${path}.ca_file`) ?? null,
    insecure: r.optBool(raw.insecure, `${path}.insecure`) ?? false,
    token: r.optStr(raw.token, `${path}.token`) ?? null,
  };
}

export function authHeaders(token: string | null): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A path is resolved against the endpoint: `http://<host>:<port><path>` (`qosprobe serve`'s HTTP port by default). */
export function resolveTestUrl(e: Endpoint, url: string, port: number): string {
  if (!url.startsWith('/')) return url;
  const host = isIP(e.host) === 6 ? `[${e.host}]` : e.host;
  return `http://${host}:${port}${url}`;
}

/**
 * A refused connection says which port was tried and how to choose another: a reflector started with
 * `serve --http-port 18080` is not found by a test whose url is a path (it goes to 8080) until the test sets `port:`.
 */
export function withPortHint<E extends { code: string; message: string }>(error: E | null, target: string): E | null {
  if (error?.code !== 'CONNECT_REFUSED') return error;
  let port: string;
  try {
    const u = new URL(target);
    port = u.port || (u.protocol === 'https:' ? '443' : '80');
  } catch {
    return error;
  }
  return {
    ...error,
    message: `${error.message}: nothing accepted the connection on port ${port}; is \`qosprobe serve\` running there, with --http-port ${port}? A test whose url is a path goes to port ${SERVE_HTTP_PORT} unless it sets port: (e.g. { kind: http, url: "/ping", port: 18080 }); an ad hoc command takes the port in its URL`,
  };
}

function readExpectStatus(v: unknown, r: ConfigReader, path: string): string {
  if (v === undefined || v === null) return '2xx';
  const s = r.str(v, path).toLowerCase();
  if (!/^[1-5](\d\d|xx)$/.test(s)) r.fail(path, 'a status code like 200 or a class like 2xx', v);
  return s;
}

export function statusMatcher(expect: string): (status: number) => boolean {
  if (expect.endsWith('xx')) {
    const cls = Number(expect[0]);
    return (s) => Math.floor(s / 100) === cls;
  }
  const code = Number(expect);
  return (s) => s === code;
}
