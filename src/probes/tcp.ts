import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import { formatHostPort } from '../net/resolve.js';
import type { ProbeDef } from './probe.js';
import { runSchedule } from './pacing.js';
import type { BaseSpec } from '../core/samples.js';
import { dominantError, keptAttempts, readFamily, resolveTarget } from './common.js';

/** A send system call takes well under this; a longer gap means the process was descheduled around it. */
export const MAX_SEND_CALL_MS = 1;

export interface TcpSpec extends BaseSpec {
  kind: 'tcp';
  port: number;
  /** Force IPv4 or IPv6 when the host name has both. */
  family?: 4 | 6;
}

/**
 * TCP handshake time: from connect() to the 'connect' event (SYN → SYN-ACK, plus the
 * kernel's ACK), measured on the monotonic clock. The name is resolved once before the
 * first attempt, so DNS time is not in the RTT.
 */
export const tcp: ProbeDef<TcpSpec> = {
  kind: 'tcp',
  summary: 'TCP handshake time to host:port',
  configKeys: ['port', 'family'],
  parse(raw, base, r, path) {
    return {
      ...base,
      kind: 'tcp',
      port: r.num(raw.port, `${path}.port`, { integer: true, min: 1, max: 65535 }),
      family: readFamily(raw.family, r, `${path}.family`),
    };
  },
  deadlineMs: (s) => s.count * s.intervalMs + s.timeoutMs,
  targetOf: (e, s) => formatHostPort(e.host, s.port),
  async run(endpoint, spec, { signal, measuring }) {
    const target = formatHostPort(endpoint.host, spec.port);
    const resolved = await resolveTarget(endpoint.host, target, { family: spec.family, signal, timeoutMs: spec.timeoutMs });
    if (!resolved.ok) return resolved.failed;
    const { address } = resolved;
    // One abort listener for the whole test, not one per attempt: thousands overlap at short intervals.
    const inFlight = new Set<() => void>();
    const cutAll = () => inFlight.forEach((cut) => cut());
    signal.addEventListener('abort', cutAll, { once: true });
    measuring?.();
    const { results } = await runSchedule(spec.count, spec.intervalMs, signal, (seq, startMs) =>
      attempt(address, spec.port, spec.timeoutMs, inFlight).then((a) => ({ ...a, seq, sentAtMs: a.sentAt - startMs })),
    );
    signal.removeEventListener('abort', cutAll);
    const packets = keptAttempts(results);
    return {
      target,
      targetIp: address,
      samples: { type: 'packets', intervalMs: spec.intervalMs, packets },
      error: dominantError(packets),
      interrupted: signal.aborted,
    };
  },
};

interface Attempt {
  sentAt: number;
  rttMs: number | null;
  errorCode?: MeasurementErrorCode;
  errorMessage?: string;
  /** Cut short by the abort signal before its own timeout: not a valid attempt either way. */
  cut: boolean;
}

/**
 * One TCP handshake (also the latency sample of download/upload). `inFlight` holds a cut function per
 * attempt not yet finished; the caller's one abort listener calls them.
 */
export function attempt(host: string, port: number, timeoutMs: number, inFlight: Set<() => void>): Promise<Attempt> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let done = false;
    let sentAt = 0;
    const finish = (a: Omit<Attempt, 'sentAt'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      inFlight.delete(onAbort);
      sock.destroy();
      resolve({ sentAt, ...a });
    };
    const onAbort = () => finish({ rttMs: null, cut: true });
    const timer = setTimeout(
      () => finish({ rttMs: null, errorCode: 'TIMEOUT', errorMessage: `no handshake within ${timeoutMs} ms`, cut: false }),
      timeoutMs,
    );
    inFlight.add(onAbort);
    // Timestamps as close to the wire as JavaScript gets. Send: Node makes the connect() system call (which
    // sends the SYN) in a nextTick queued by sock.connect(); ours runs right after it, so the handle set-up,
    // socket() and connect() (0.1-0.2 ms, measured with tcpdump) are not counted. Receive: the first thing
    // in the 'connect' handler. Before the nextTick has run nothing can have been received.
    sock.once('connect', () => {
      const rttMs = performance.now() - sentAt;
      finish({ rttMs, cut: false });
    });
    sock.once('error', (err) => finish({ rttMs: null, errorCode: measurementCodeFor(err), errorMessage: errorMessage(err), cut: false }));
    const before = performance.now();
    sentAt = before;
    sock.connect({ host, port, noDelay: true });
    process.nextTick(() => {
      const after = performance.now();
      // Longer than a connect() call takes: the process lost the CPU in between, and whether before or after
      // the SYN left is unknown; the earlier time never makes the RTT shorter than it was.
      if (!done && after - before < MAX_SEND_CALL_MS) sentAt = after;
    });
  });
}
