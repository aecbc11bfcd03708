/**
 * The engine shared by download and upload: N streams over separate connections for a fixed
 * duration (each restarts its request when it finishes), bytes counted as they pass the
 * application layer into fixed intervals, and RTT sampled by TCP handshakes (new connections to the
 * ping_url's host:port) before (idle) and during (loaded) the transfer. It returns raw samples; stats/throughput.ts
 * applies the warm-up rule and computes every figure.
 *
 * Uploads are counted where the bytes arrive when the server can tell: each /up carries an upload id
 * and its send time on the test's timeline, `qosprobe serve` bins the bytes as they arrive, and
 * after the transfer the probe reads those bins from /up-stats. Other servers (public `__up`
 * endpoints) answer /up-stats with an error, and the client's own count is used: bytes as the local
 * socket takes them, which the kernel frees in large steps (lumpy on slow links).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ConfigReader, Obj } from '../core/config-reader.js';
import type { MeasurementErrorCode } from '../core/errors.js';
import { IntervalBins, THROUGHPUT_INTERVAL_MS, keptIntervals } from '../core/intervals.js';
import type { ProbeDef } from './probe.js';
import { authHeaders, readUrlFields, resolveTestUrl, withPortHint } from './http.js';
import { fillUrlTemplate } from '../core/url-template.js';
import { resolveHost } from '../net/resolve.js';
import { randomSlices } from '../net/random-payload.js';
import { sleep } from '../core/sleep.js';
import { attempt, timestampingOf, type RttTimestamping } from './tcp.js';
import type { BaseSpec, Endpoint, LinkBind, ProbeOutcome } from '../core/samples.js';
import { createKernelRttReader } from './kernel-rtt.js';
import { UPLOAD_ID_HEADER, UPLOAD_OFFSET_HEADER, parseUploadStats, uploadStatsPath } from '../core/upload-protocol.js';

/** Default warm-up for a test of `durationS` seconds: min(20% of the test, 2 s) (crusader's rule). */
export function defaultWarmupS(durationS: number): number {
  return Math.min(0.2 * durationS, 2);
}

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
/** Largest per-request size: 1 TB, far above any test (a stream restarts its request when one ends), and a safe integer. */
export const MAX_REQUEST_BYTES = 1e12;
const IDLE_PINGS = 5;

export function transferConfigKeys(): readonly string[] {
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
    // Bounded at load: 1e30 passed as an "integer" and failed only at run time, as the URL "bytes=1e+30".
    bytes: r.optNum(raw.bytes, `${path}.bytes`, { integer: true, min: 1, max: MAX_REQUEST_BYTES }) ?? DEFAULT_REQUEST_BYTES,
    pingUrl: r.optStr(raw.ping_url, `${path}.ping_url`) ?? null,
  };
}

export function makeTransferProbe(kind: 'download' | 'upload'): ProbeDef<TransferSpec> {
  return {
    kind,
    configKeys: transferConfigKeys(),
    defaults: { count: 1, timeoutMs: 5_000 },
    parse: (raw, base, r, path) => parseTransfer(kind, raw, base, r, path),
    // Idle pings, the transfer itself, then one timeout for the last responses.
    deadlineMs: (s) => s.durationS * 1000 + IDLE_PINGS * 200 + 2 * s.timeoutMs,
    targetOf: (e, s) => resolveTestUrl(e, s.url, s.port),
    run: (e, s, ctx) => runTransfer(e, s, ctx.signal, ctx.measuring),
  };
}

// Upload bytes are counted per chunk taken by the socket: small chunks keep the count fine-grained
// (at 20 Mbit/s one 32 KiB chunk is 13 ms), large enough not to cost CPU at several Gbit/s.
const CHUNK_BYTES = 32 * 1024;


/**
 * The bins an upload is measured from: the receiver's when it answered and they are plausible (it can't have
 * received more than was sent), else the client's. Both are on the client's timeline, so the warm-up and
 * trailing-interval rule (core/intervals.ts keptIntervals) applies to either unchanged.
 */
export function uploadBins(client: readonly number[], receiver: readonly number[] | null): { bins: number[]; counting: 'receiver' | 'sender' } {
  const sum = (b: readonly number[]) => b.reduce((a, x) => a + x, 0);
  if (receiver === null || sum(receiver) === 0 || sum(receiver) > sum(client)) return { bins: [...client], counting: 'sender' };
  return { bins: [...receiver], counting: 'receiver' };
}

/**
 * The receiver's bins once the kept intervals stopped changing. Bytes sent before the end can still be on their way
 * when the transfer stops: a segment lost just before the end is retransmitted after a fast-retransmit RTT or an RTO
 * (≥ 200 ms) and holds back every byte behind it on that connection. So the bins are read again after `pauseMs` until
 * two answers agree on the kept intervals' bytes. null when the server has no /up-stats (the first answer is not
 * bins), or when they never settle within `tries` reads (receiver counting would then be short).
 */
export async function settledUploadStats(
  read: (attempt: number) => Promise<number[] | null>,
  keptBytes: (bins: readonly number[]) => number,
  wait: (ms: number) => Promise<unknown>,
  pauseMs = 300,
  tries = 6,
): Promise<number[] | null> {
  let last = await read(0);
  if (last === null) return null;
  for (let i = 1; i < tries; i++) {
    await wait(pauseMs);
    const next = await read(i);
    if (next === null) return null;
    if (keptBytes(next) === keptBytes(last)) return next;
    last = next;
  }
  return null;
}

async function* uploadBody(n: number, onSent: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  // Incompressible, and no generation cost per request (net/random-payload.ts).
  const slice = randomSlices();
  for (let sent = 0; sent < n; ) {
    const len = Math.min(CHUNK_BYTES, n - sent);
    const chunk = slice(len);
    sent += len;
    // Counted when undici asks for the next chunk, i.e. once the previous one was taken by the socket (backpressure).
    onSent(len);
    yield chunk;
  }
}

/** One handshake sample: `settled` once the handshake is over, `rtt` once its time is known (kernel-rtt.ts reads it later). */
interface HandshakeSample {
  settled: Promise<void>;
  rtt: Promise<{ rttMs: number | null; kernelTimed?: boolean }>;
}

/**
 * Times TCP handshakes to the URL's host:port (resolved once): the RTT in ms, or null when it failed, timed out
 * or was cut by the signal. The kernel's timing is read in batches (`close()` reads the last), so the samplers
 * don't wait for it between samples.
 */
async function handshakeSampler(url: string, timeoutMs: number, bind?: LinkBind): Promise<{ sample: (signal: AbortSignal) => HandshakeSample; close: () => Promise<void> }> {
  const u = new URL(url);
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  let address: string | null = null;
  try {
    address = (await resolveHost(u.hostname)).address;
  } catch {
    address = null;
  }
  const kernel = createKernelRttReader({ remotePort: port, flushAfterMs: 2_000, maxBatch: 32 });
  const sample = (signal: AbortSignal): HandshakeSample => {
    if (address === null || signal.aborted) return { settled: Promise.resolve(), rtt: Promise.resolve({ rttMs: null }) };
    const inFlight = new Set<() => void>();
    const cut = () => inFlight.forEach((c) => c());
    signal.addEventListener('abort', cut, { once: true });
    let settle = () => {};
    const settled = new Promise<void>((r) => (settle = r));
    const rtt = attempt(
      address,
      port,
      timeoutMs,
      inFlight,
      kernel,
      () => {
        signal.removeEventListener('abort', cut);
        settle();
      },
      bind,
    );
    return { settled, rtt };
  };
  return { sample, close: () => kernel.close() };
}

/** Connection-level failures: the host was never reached. */
const CANNOT_CONNECT = new Set<MeasurementErrorCode>([
  'DNS_FAILED',
  'NETWORK_UNREACHABLE',
  'HOST_UNREACHABLE',
  'CONNECT_REFUSED',
  'TIMEOUT',
  'INTERFACE_NOT_FOUND',
  'INTERFACE_BIND_DENIED',
  'INTERFACE_BIND_UNAVAILABLE',
]);

/** Ends the measuring block early when the host cannot be reached; the clients are still closed. */
class TransferSkipped extends Error {}

export async function runTransfer(endpoint: Endpoint, spec: TransferSpec, signal: AbortSignal, measuring?: () => void): Promise<ProbeOutcome> {
  const url = resolveTestUrl(endpoint, spec.url, spec.port);
  const target = fillUrlTemplate(url, spec.bytes);
  const pingUrl = spec.pingUrl ? resolveTestUrl(endpoint, spec.pingUrl, spec.port) : new URL('/ping', target).href;
  const { createHttpClient } = await import('../net/http-client.js');
  const common = { caFile: spec.caFile, insecure: spec.insecure, connectTimeoutMs: spec.timeoutMs, headers: authHeaders(spec.token), bind: spec.bind };
  // Separate clients, so the RTT probe never queues behind a transfer on the same connection.
  const pinger = await createHttpClient({ ...common, keepAliveTimeoutMs: 10_000 });
  const mover = await createHttpClient({ ...common, keepAliveTimeoutMs: 1_000, maxRedirects: 5 });
  const bins = new IntervalBins(THROUGHPUT_INTERVAL_MS);
  const idleRttMs: (number | null)[] = [];
  const loadedRtt: { atMs: number; rttMs: number | null }[] = [];
  const idle: Promise<{ rttMs: number | null; kernelTimed?: boolean }>[] = [];
  const loaded: Promise<{ atMs: number; rttMs: number | null; kernelTimed?: boolean } | null>[] = [];
  let handshakes: Awaited<ReturnType<typeof handshakeSampler>> | null = null;
  let firstError: { code: MeasurementErrorCode; message: string } | null = null;
  // The status the record shows: the refused request's when one was refused, else the last answer's.
  let failedStatus: number | null = null;
  let lastStatus: number | null = null;
  let targetIp: string | null = null;
  let elapsedMs = 0;
  // One id per test, shared by its streams: the server sums their bytes under it.
  const uploadId = randomBytes(12).toString('base64url');
  let receiverBins: number[] | null = null;
  measuring?.();
  try {
    // Idle and loaded latency by the same method, a TCP handshake to the ping_url's host:port: the far end's
    // kernel answers, so no server or HTTP-client time is in it, and loaded − idle is the queue (issue 9).
    // The server's host cannot be reached at all (no route, no name, nothing answers): a transfer to it would only
    // spend its whole duration failing, and the handshake sampler would wait on the name. Same origin only.
    const opening = await pinger.request(pingUrl, { timeoutMs: spec.timeoutMs, signal });
    const unreachable = opening.error !== null && !signal.aborted && pinger.connectionsOpened === 0 && CANNOT_CONNECT.has(opening.error.code);
    if (unreachable && new URL(pingUrl).origin === new URL(target).origin) {
      firstError = opening.error;
      throw new TransferSkipped();
    }
    handshakes = await handshakeSampler(pingUrl, spec.timeoutMs, spec.bind);
    const handshake = handshakes.sample;
    // One handshake first, not counted (ARP or a cold route on the way).
    await handshake(signal).settled;
    for (let i = 0; i < IDLE_PINGS && !signal.aborted; i++) {
      const h = handshake(signal);
      await h.settled;
      if (!signal.aborted) idle.push(h.rtt);
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
          fillUrlTemplate(url, spec.bytes),
          spec.kind === 'download'
            ? { timeoutMs: remainingMs + spec.timeoutMs, signal: stop.signal, onData: onBytes, headers: { 'accept-encoding': 'identity' } }
            : {
                method: 'POST',
                timeoutMs: remainingMs + spec.timeoutMs,
                signal: stop.signal,
                headers: {
                  'content-type': 'application/octet-stream',
                  'content-length': String(spec.bytes),
                  [UPLOAD_ID_HEADER]: uploadId,
                  [UPLOAD_OFFSET_HEADER]: (performance.now() - t0).toFixed(1),
                },
                body: uploadBody(spec.bytes, onBytes),
              },
        );
        targetIp ??= r.phases?.remoteAddress ?? null;
        if (r.status !== null) lastStatus = r.status;
        if (r.status === null || (r.status >= 200 && r.status <= 299)) bins.merge(mine);
        else failedStatus ??= r.status;
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

    const loader = (async () => {
      while (!stop.signal.aborted) {
        const atMs = performance.now() - t0;
        const h = handshake(stop.signal);
        await h.settled;
        loaded.push(h.rtt.then((a) => (stop.signal.aborted && a.rttMs === null ? null : { atMs, ...a })));
        const next = atMs + THROUGHPUT_INTERVAL_MS - (performance.now() - t0);
        if (next > 0 && !(await sleep(next, stop.signal))) return;
      }
    })();

    await Promise.all([...Array.from({ length: spec.streams }, stream), loader]);
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    elapsedMs = ranFullDuration ? spec.durationS * 1000 : Math.min(performance.now() - t0, spec.durationS * 1000);
    if (spec.kind === 'upload') {
      // Also after an abort (what was measured is still written); not cancellable, so bounded: the first read may
      // need a new connection through a full queue (a lost SYN is resent after 1 s), later ones reuse it.
      const statsUrl = new URL(uploadStatsPath(uploadId), target);
      const { first, end } = keptIntervals(THROUGHPUT_INTERVAL_MS, elapsedMs, spec.warmupS * 1000);
      receiverBins = await settledUploadStats(
        async (attempt) => {
          const r = await pinger.request(statsUrl, { timeoutMs: Math.min(spec.timeoutMs, attempt === 0 ? 3_000 : 1_000), readText: true });
          return r.status === 200 ? parseUploadStats(r.text, THROUGHPUT_INTERVAL_MS) : null;
        },
        (b) => b.slice(first, end).reduce((a, x) => a + x, 0),
        (ms) => sleep(ms),
      );
    }
  } catch (err) {
    if (!(err instanceof TransferSkipped)) throw err;
  } finally {
    await Promise.all([pinger.close(), mover.close(), handshakes?.close()]);
  }
  // Idle and loaded RTTs by the same timing (kernel where it could be read), so loaded − idle is the queue.
  const idleTimed = await Promise.all(idle);
  const loadedTimed = (await Promise.all(loaded)).filter((x) => x !== null);
  idleRttMs.push(...idleTimed.map((a) => a.rttMs));
  loadedRtt.push(...loadedTimed.map(({ atMs, rttMs }) => ({ atMs, rttMs })));
  const rttTimestamping: RttTimestamping | null = timestampingOf([...idleTimed, ...loadedTimed]);
  const interrupted = signal.aborted;
  const intervalBytes = spec.kind === 'upload' ? uploadBins(bins.bytes, receiverBins).bins : bins.bytes;
  const totalBytes = intervalBytes.reduce((a, b) => a + b, 0);
  return {
    target,
    targetIp,
    samples: {
      type: 'transfer',
      direction: spec.kind,
      intervalMs: THROUGHPUT_INTERVAL_MS,
      intervalBytes,
      elapsedMs,
      warmupMs: spec.warmupS * 1000,
      streams: spec.streams,
      idleRttMs,
      loadedRtt,
    },
    fields: { http_status: failedStatus ?? lastStatus, rtt_timestamping: rttTimestamping },
    // A stream's failure is kept even when bytes came: if the measurement window saw none, it is the cause.
    error: withPortHint(firstError, target) ?? (totalBytes > 0 || interrupted ? null : { code: 'ALL_LOST', message: 'no bytes were transferred' }),
    interrupted,
  };
}
