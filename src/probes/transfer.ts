/**
 * The engine shared by download and upload: N streams over separate connections for a fixed
 * duration (each restarts its request when it finishes), bytes counted as they pass the
 * application layer into fixed intervals, and RTT sampled on another connection before
 * (idle) and during (loaded) the transfer. It returns raw samples; stats/throughput.ts
 * applies the warm-up rule and computes every figure.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ConfigReader, Obj } from '../config/reader.js';
import type { MeasurementErrorCode } from '../errors.js';
import type { HttpClient } from '../net/http-client.js';
import { IntervalBins, THROUGHPUT_INTERVAL_MS, defaultWarmupS } from '../stats/throughput.js';
import type { ProbeDef } from './probe.js';
import { authHeaders, readUrlFields, resolveTestUrl } from './http.js';
import { sleep } from './schedule.js';
import type { BaseSpec, Endpoint, ProbeOutcome } from './types.js';

export interface TransferSpec extends BaseSpec {
  kind: 'download' | 'upload';
  /** URL template; `{bytes}` becomes the request size. A path is resolved against the endpoint (see http). */
  url: string;
  port: number;
  durationS: number;
  streams: number;
  warmupS: number;
  /** Bytes per request; a stream that finishes one starts the next. */
  bytes: number;
  /** Where RTT is sampled; default `/ping` on the transfer's origin. Any HTTP response is a round trip, so a 404 works too. */
  pingUrl: string | null;
  caFile: string | null;
  insecure: boolean;
  /** Bearer token for a `qosprobe serve --token`. */
  token: string | null;
}

/** Per-request size: big enough that restarts are rare at a few Gbit/s, small enough for public speed-test endpoints' limits. */
export const DEFAULT_REQUEST_BYTES = 100_000_000;
const IDLE_PINGS = 5;

export function transferFields(): readonly string[] {
  return ['url', 'port', 'duration_s', 'streams', 'warmup_s', 'bytes', 'ping_url', 'ca_file', 'insecure', 'token'];
}

export function parseTransfer(kind: 'download' | 'upload', raw: Obj, base: BaseSpec, r: ConfigReader, path: string): TransferSpec {
  const durationS = r.optNum(raw.duration_s, `${path}.duration_s`, { min: 0.5, max: 3600 }) ?? 10;
  const warmupS = r.optNum(raw.warmup_s, `${path}.warmup_s`, { min: 0, max: 3600 }) ?? defaultWarmupS(durationS);
  if (warmupS >= durationS) r.fail(`${path}.warmup_s`, `a warm-up shorter than duration_s (${durationS})`, raw.warmup_s ?? warmupS);
  return {
    ...base,
    kind,
    ...readUrlFields(raw, r, path, kind === 'download' ? '/down?bytes={bytes}' : '/up'),
    durationS,
    streams: r.optNum(raw.streams, `${path}.streams`, { integer: true, min: 1, max: 64 }) ?? 4,
    warmupS,
    bytes: r.optNum(raw.bytes, `${path}.bytes`, { integer: true, min: 1 }) ?? DEFAULT_REQUEST_BYTES,
    pingUrl: r.optStr(raw.ping_url, `${path}.ping_url`) ?? null,
  };
}

export function makeTransferProbe(kind: 'download' | 'upload', summary: string): ProbeDef<TransferSpec> {
  return {
    kind,
    summary,
    fields: transferFields(),
    defaults: { count: 1, timeoutMs: 5_000 },
    parse: (raw, base, r, path) => parseTransfer(kind, raw, base, r, path),
    // Idle pings, the transfer itself, then one timeout for the last responses.
    deadlineMs: (s) => s.durationS * 1000 + IDLE_PINGS * 200 + 2 * s.timeoutMs,
    targetOf: (e, s) => resolveTestUrl(e, s.url, s.port),
    run: (e, s, ctx) => runTransfer(e, s, ctx.signal),
  };
}

let uploadPool: Buffer | null = null;
const POOL_BYTES = 8 * 1024 * 1024;
// Upload bytes are counted per chunk taken by the socket: small chunks keep the count fine-grained
// (at 20 Mbit/s one 32 KiB chunk is 13 ms), large enough not to cost CPU at several Gbit/s.
const CHUNK_BYTES = 32 * 1024;

/** Random bytes for upload bodies, made once: incompressible, and no generation cost per request. */
function uploadData(): Buffer {
  uploadPool ??= randomBytes(POOL_BYTES + CHUNK_BYTES);
  return uploadPool;
}

async function* uploadBody(n: number, onSent: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  const data = uploadData();
  let offset = Math.floor(Math.random() * POOL_BYTES);
  for (let sent = 0; sent < n; ) {
    const len = Math.min(CHUNK_BYTES, n - sent);
    const chunk = data.subarray(offset, offset + len);
    offset = (offset + len) % POOL_BYTES;
    sent += len;
    // Counted when undici asks for the next chunk, i.e. once the previous one was taken by the socket (backpressure).
    onSent(len);
    yield chunk;
  }
}

export async function runTransfer(endpoint: Endpoint, spec: TransferSpec, signal: AbortSignal): Promise<ProbeOutcome> {
  const url = resolveTestUrl(endpoint, spec.url, spec.port);
  const target = url.replaceAll('{bytes}', String(spec.bytes));
  const pingUrl = spec.pingUrl ? resolveTestUrl(endpoint, spec.pingUrl, spec.port) : new URL('/ping', target).href;
  const { createHttpClient } = await import('../net/http-client.js');
  const common = { caFile: spec.caFile, insecure: spec.insecure, connectTimeoutMs: spec.timeoutMs, headers: authHeaders(spec.token) };
  // Separate clients, so the RTT probe never queues behind a transfer on the same connection.
  const pinger = await createHttpClient({ ...common, keepAliveTimeoutMs: 10_000 });
  const mover = await createHttpClient({ ...common, keepAliveTimeoutMs: 1_000, maxRedirects: 5 });
  const bins = new IntervalBins(THROUGHPUT_INTERVAL_MS);
  const idleRttMs: (number | null)[] = [];
  const loadedRtt: { atMs: number; rttMs: number | null }[] = [];
  let firstError: { code: MeasurementErrorCode; message: string } | null = null;
  let targetIp: string | null = null;
  let elapsedMs = 0;
  try {
    // Idle RTT: one request to open the connection (not counted: it includes the handshake), then warm samples.
    await pinger.request(pingUrl, { timeoutMs: spec.timeoutMs, signal });
    for (let i = 0; i < IDLE_PINGS && !signal.aborted; i++) {
      const r = await pinger.request(pingUrl, { timeoutMs: spec.timeoutMs, signal });
      if (!(r.error?.code === 'ABORTED' && signal.aborted)) idleRttMs.push(r.error || r.cold ? null : r.ttfbMs);
      await sleep(50, signal);
    }

    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort();
    const t0 = performance.now();
    // Node timers can fire up to ~1 ms early: when the duration timer fires, the test ran its full duration
    // (otherwise the last 100 ms interval would be dropped as "partial").
    let ranFullDuration = false;
    const timer = setTimeout(() => {
      ranFullDuration = true;
      stop.abort();
    }, spec.durationS * 1000);

    const stream = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        // Each request's bytes are binned apart and kept only if the answer was a success (or had not come when the
        // test stopped): an error page's body, or an upload the server refused, is not payload.
        const mine = new IntervalBins(THROUGHPUT_INTERVAL_MS);
        const onBytes = (n: number) => mine.add(performance.now() - t0, n);
        const remainingMs = spec.durationS * 1000 - (performance.now() - t0);
        const r = await mover.request(
          url.replaceAll('{bytes}', String(spec.bytes)),
          spec.kind === 'download'
            ? { timeoutMs: remainingMs + spec.timeoutMs, signal: stop.signal, onData: onBytes, headers: { 'accept-encoding': 'identity' } }
            : {
                method: 'POST',
                timeoutMs: remainingMs + spec.timeoutMs,
                signal: stop.signal,
                headers: { 'content-type': 'application/octet-stream', 'content-length': String(spec.bytes) },
                body: uploadBody(spec.bytes, onBytes),
              },
        );
        targetIp ??= r.phases?.remoteAddress ?? null;
        if (r.status === null || (r.status >= 200 && r.status <= 299)) bins.merge(mine);
        if (stop.signal.aborted) return;
        const failure = r.error ?? (r.status !== null && (r.status < 200 || r.status > 299) ? { code: 'HTTP_STATUS' as const, message: `HTTP ${r.status} from ${target}` } : null);
        if (failure) {
          firstError ??= failure;
          // One retry after a pause: a dropped connection mid-test should not end the stream, a broken URL should not spin.
          if (!(await sleep(200, stop.signal))) return;
          if (r.bytes === 0 && r.status !== null) return;
        }
      }
    };

    const loaded = (async () => {
      while (!stop.signal.aborted) {
        const atMs = performance.now() - t0;
        const r = await pinger.request(pingUrl, { timeoutMs: spec.timeoutMs, signal: stop.signal });
        if (stop.signal.aborted && r.error) return;
        loadedRtt.push({ atMs, rttMs: r.error || r.cold ? null : r.ttfbMs });
        const next = atMs + THROUGHPUT_INTERVAL_MS - (performance.now() - t0);
        if (next > 0 && !(await sleep(next, stop.signal))) return;
      }
    })();

    await Promise.all([...Array.from({ length: spec.streams }, stream), loaded]);
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    elapsedMs = ranFullDuration ? spec.durationS * 1000 : Math.min(performance.now() - t0, spec.durationS * 1000);
  } finally {
    await Promise.all([pinger.close(), mover.close()]);
  }
  const interrupted = signal.aborted;
  const totalBytes = bins.bytes.reduce((a, b) => a + b, 0);
  return {
    target,
    targetIp,
    samples: {
      type: 'transfer',
      direction: spec.kind,
      intervalMs: THROUGHPUT_INTERVAL_MS,
      intervalBytes: bins.bytes,
      elapsedMs,
      warmupMs: spec.warmupS * 1000,
      streams: spec.streams,
      idleRttMs,
      loadedRtt,
    },
    error: totalBytes > 0 ? null : (firstError ?? (interrupted ? null : { code: 'ALL_LOST', message: 'no bytes were transferred' })),
    interrupted,
  };
}
