import { Socket, isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import { boundTcpSocket } from '../net/bind.js';
import { formatHostPort } from '../net/resolve.js';
import type { ProbeDef } from './probe.js';
import { runSchedule } from './pacing.js';
import type { BaseSpec, LinkBind } from '../core/samples.js';
import { dominantError, keptAttempts, readFamily, resolveTarget } from './common.js';
import { createKernelRttReader, type KernelRttReader } from './kernel-rtt.js';
import { timingOf, type PacketSession, type SessionOptions, type SessionTarget } from './session.js';
import { MAX_SEND_CALL_MS } from '../core/send-call.js';

export interface TcpSpec extends BaseSpec {
  kind: 'tcp';
  port: number;
  /** Force IPv4 or IPv6 when the host name has both. */
  family?: 4 | 6;
}

/**
 * TCP handshake time, SYN → SYN-ACK: the kernel's own timing where it can be read (kernel-rtt.ts), else from
 * connect() to the 'connect' event on the monotonic clock. The name is resolved once before the first attempt,
 * so DNS time is not in the RTT. `rtt_timestamping` says which timing the record's RTTs are.
 */
export const tcp: ProbeDef<TcpSpec> = {
  kind: 'tcp',
  attempts: 'packets',
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
    const { address, family } = resolved;
    const session = openTcpSession({ address, family }, spec, { signal, count: spec.count });
    measuring?.();
    const { startMs, results } = await runSchedule(spec.count, spec.intervalMs, signal, (seq) => session.probe(seq));
    await session.close();
    const packets = keptAttempts(results.map((f) => ({ ...f, sentAtMs: f.sentMono - startMs, errorCode: f.errorCode ?? undefined, errorMessage: f.errorMessage ?? undefined })));
    return {
      target,
      targetIp: address,
      samples: { type: 'packets', intervalMs: spec.intervalMs, packets },
      fields: { rtt_timestamping: timingOf(results.filter((f) => !f.cut)) },
      error: dominantError(packets),
      interrupted: signal.aborted,
    };
  },
  openSession: (t, spec, o) => Promise.resolve(openTcpSession(t, spec, o)),
};

/**
 * A TCP session: one handshake per packet to the target's port, timed by the kernel where it can be read. Its
 * in-flight handshakes are cut by one abort listener for the whole session, not one per attempt (thousands
 * overlap at short intervals).
 */
export function openTcpSession(t: SessionTarget, spec: Pick<TcpSpec, 'port' | 'timeoutMs' | 'bind'>, o: SessionOptions): PacketSession {
  const inFlight = new Set<() => void>();
  const cutAll = () => inFlight.forEach((cut) => cut());
  o.signal.addEventListener('abort', cutAll, { once: true });
  const kernel = createKernelRttReader({ remotePort: spec.port });
  // Once a finite run's last handshake is over, its kernel figure is read at once rather than after the reader's
  // batch wait (a one-packet test spent 100 ms idle there). The microtask runs after the 'connect' handler has
  // handed the socket to the reader.
  let settled = 0;
  const onSettled = o.count === undefined ? undefined : () => {
    if (++settled === o.count) queueMicrotask(() => void kernel.flush());
  };
  let closed = false;
  return {
    async probe(seq) {
      const sentWall = Date.now();
      if (closed) return { seq, sentMono: performance.now(), sentWall, rttMs: null, errorCode: null, errorMessage: null, cut: true, timing: null };
      const a = await attempt(t.address, spec.port, spec.timeoutMs, inFlight, kernel, onSettled, spec.bind);
      return {
        seq,
        sentMono: a.sentAt,
        sentWall,
        rttMs: a.rttMs,
        errorCode: a.errorCode ?? null,
        errorMessage: a.errorMessage ?? null,
        cut: a.cut,
        timing: a.rttMs === null ? null : a.kernelTimed ? 'kernel' : 'event_loop',
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      cutAll();
      o.signal.removeEventListener('abort', cutAll);
      await kernel.close();
    },
  };
}

/** How the RTTs of a record were timed: `kernel` (all of them), `event_loop` (all), `mixed`; null with none. */
export type RttTimestamping = 'kernel' | 'event_loop' | 'mixed';

export function timestampingOf(attempts: readonly { rttMs: number | null; kernelTimed?: boolean }[]): RttTimestamping | null {
  const timed = attempts.filter((a) => a.rttMs !== null);
  if (timed.length === 0) return null;
  const kernel = timed.filter((a) => a.kernelTimed).length;
  return kernel === timed.length ? 'kernel' : kernel === 0 ? 'event_loop' : 'mixed';
}

interface Attempt {
  sentAt: number;
  rttMs: number | null;
  /** rttMs is the kernel's SYN → SYN-ACK time, not the event loop's. */
  kernelTimed?: boolean;
  errorCode?: MeasurementErrorCode;
  errorMessage?: string;
  /** Cut short by the abort signal before its own timeout: not a valid attempt either way. */
  cut: boolean;
}

/**
 * One TCP handshake (also the latency sample of download/upload). `inFlight` holds a cut function per
 * attempt not yet finished; the caller's one abort listener calls them. With `kernel`, an established
 * connection is handed to it and the kernel's timing replaces the event loop's when it has one.
 */
export function attempt(
  host: string,
  port: number,
  timeoutMs: number,
  inFlight: Set<() => void>,
  kernel?: KernelRttReader,
  /** Called when the handshake is over (established or failed), before the kernel's figure is read. */
  onSettled?: () => void,
  /** Leave through this link (issue 22); a socket that cannot be bound is this attempt's error, never the default route. */
  bind?: LinkBind,
): Promise<Attempt> {
  return new Promise((resolve) => {
    // Half-open allowed: a far end that closes at once (FIN) leaves our side in CLOSE-WAIT, still listed by ss with
    // its timing, instead of Node closing it before the kernel's figure is read.
    let sock: Socket;
    try {
      sock = bind ? boundTcpSocket(bind, isIP(host) === 6 ? 6 : 4, { allowHalfOpen: true }) : new Socket({ allowHalfOpen: true });
    } catch (err) {
      onSettled?.();
      return resolve({ sentAt: performance.now(), rttMs: null, errorCode: measurementCodeFor(err), errorMessage: errorMessage(err), cut: false });
    }
    let done = false;
    let connected = false;
    let sentAt = 0;
    const finish = (a: Omit<Attempt, 'sentAt'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      inFlight.delete(onAbort);
      sock.destroy();
      if (!connected) onSettled?.();
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
      connected = true;
      onSettled?.();
      if (!kernel) return finish({ rttMs, cut: false });
      // Established: the handshake counts whatever happens next (an abort no longer cuts it).
      clearTimeout(timer);
      inFlight.delete(onAbort);
      void kernel.read(sock).then((k) => {
        // The kernel stamps the SYN after our send time at most by a connect() call (MAX_SEND_CALL_MS): a larger
        // figure is not this handshake's.
        const ok = k !== null && k <= rttMs + MAX_SEND_CALL_MS;
        finish({ rttMs: ok ? k : rttMs, kernelTimed: ok, cut: false });
      });
    });
    // `on`, not `once`: a held connection the far end resets must not throw; after the handshake, errors don't count.
    sock.on('error', (err) => {
      if (!connected) finish({ rttMs: null, errorCode: measurementCodeFor(err), errorMessage: errorMessage(err), cut: false });
    });
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
