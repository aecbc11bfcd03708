/**
 * Continuous low-rate probes for `qosprobe monitor`: one small packet per interval to each
 * endpoint, each with its own timeout, for as long as the monitor runs. Results reach the
 * caller in send order (a reply to packet n waits until packet n−1 is answered or timed out),
 * so the detector and the windows see a clean sequence.
 *
 * Nothing here may stop: a name that no longer resolves, an interface that went away, a
 * socket error — each is a lost packet with its error code, and the next tick tries again.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Socket as TcpSocket } from 'node:net';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import { resolveHost, type Resolved } from '../net/resolve.js';
import { timestampDiffMs, timestampFrom, wallClockMs, type WireTimestamp } from '../stamp/ntp.js';
import { OUR_ERROR_ESTIMATE, STAMP_MIN_BYTES, decodeReflectorPacket, encodeSenderPacket, formatOf } from '../stamp/packet.js';
import type { ProbeResult } from './detector.js';

export type MonitorMethod = 'stamp' | 'tcp' | 'icmp';

export interface ProberOptions {
  method: MonitorMethod;
  host: string;
  /** stamp and tcp. */
  port: number | null;
  intervalMs: number;
  timeoutMs: number;
  family?: 4 | 6;
}

export interface Prober {
  readonly target: string;
  /** The address the host resolved to last, when it did. */
  readonly targetIp: string | null;
  /** Stop sending; pending packets are reported lost only if their timeout has passed. */
  stop(): void;
}

type Outcome = { rttMs: number; errorCode?: undefined } | { rttMs: null; errorCode: MeasurementErrorCode; message: string };

/** One attempt: resolves with the round trip or the reason it was lost, never rejects. */
type Attempt = (seq: number, timeoutMs: number) => Promise<Outcome>;

/** Bytes on the wire per attempt (IP + transport headers included), for the bytes-per-hour figure. */
export function wireBytesPerAttempt(method: MonitorMethod, family: 4 | 6 = 4): number {
  const ip = family === 6 ? 40 : 20;
  switch (method) {
    case 'stamp':
      return 2 * (ip + 8 + STAMP_MIN_BYTES); // request + reply, UDP
    case 'icmp':
      return 2 * (ip + 8 + 56); // echo request + reply with ping's default payload
    case 'tcp':
      return 4 * (ip + 40) + 2 * (ip + 32); // SYN, SYN-ACK (with options), ACK, then FIN/ACK both ways
  }
}

export function startProber(o: ProberOptions, onResult: (r: ProbeResult) => void): Prober {
  let resolved: Resolved | null = null;
  let resolving: Promise<void> | null = null;
  let stopped = false;
  const ensureResolved = async (): Promise<Resolved> => {
    if (resolved) return resolved;
    resolving ??= resolveHost(o.host, { family: o.family })
      .then((r) => {
        resolved = r;
      })
      .finally(() => {
        resolving = null;
      });
    await resolving;
    return resolved as unknown as Resolved;
  };
  // Stopping aborts what is in flight: no timer, socket or ping process may keep the process alive after the monitor ends.
  const ctl = new AbortController();
  const attempt: Attempt =
    o.method === 'stamp' ? stampAttempts(ensureResolved, o.port as number, ctl.signal) : o.method === 'tcp' ? tcpAttempt(ensureResolved, o.port as number, ctl.signal) : icmpAttempt(ensureResolved, ctl.signal);

  // In-order delivery: results wait here until every earlier packet has one.
  const done = new Map<number, ProbeResult>();
  let nextToDeliver = 0;
  const deliver = () => {
    for (let r = done.get(nextToDeliver); r; r = done.get(nextToDeliver)) {
      done.delete(nextToDeliver);
      nextToDeliver++;
      onResult(r);
    }
  };

  const t0 = performance.now();
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    const mySeq = seq++;
    const sentMono = performance.now();
    const sentWall = Date.now();
    void attempt(mySeq, o.timeoutMs).then((out) => {
      // A failed name lookup is retried on the next tick (the network may be back by then).
      if (out.rttMs === null && out.errorCode === 'DNS_FAILED') resolved = null;
      done.set(mySeq, { seq: mySeq, sentMono, sentWall, rttMs: out.rttMs, errorCode: out.rttMs === null ? out.errorCode : null });
      if (!stopped) deliver();
    });
    // Self-correcting: the next packet is due at t0 + seq × interval, whatever this one cost.
    timer = setTimeout(tick, Math.max(0, t0 + seq * o.intervalMs - performance.now()));
  };
  tick();

  return {
    get target() {
      return o.port === null ? o.host : `${o.host}:${o.port}`;
    },
    get targetIp() {
      return (resolved as Resolved | null)?.address ?? null;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      ctl.abort();
    },
  };
}

/** Resolve-or-lost: the name lookup is part of keeping the target reachable. */
async function withAddress<T>(ensure: () => Promise<Resolved>, f: (r: Resolved) => Promise<T>): Promise<T | Outcome> {
  let r: Resolved;
  try {
    r = await ensure();
  } catch (err) {
    return { rttMs: null, errorCode: 'DNS_FAILED', message: errorMessage(err) };
  }
  return f(r);
}

function lost(err: unknown): Outcome {
  return { rttMs: null, errorCode: measurementCodeFor(err), message: errorMessage(err) };
}

/**
 * STAMP over one unconnected UDP socket per family (an unconnected socket survives route and
 * address changes; a connected one would need re-connecting). RTT = (r − s) − (b − a), the
 * reflector's residence removed, as the stamp probe computes it.
 */
function stampAttempts(ensure: () => Promise<Resolved>, port: number, signal: AbortSignal): Attempt {
  const ssid = randomInt(1, 0x10000);
  const waiting = new Map<number, { sentMono: number; sentTs: WireTimestamp; done: (o: Outcome) => void; timer: NodeJS.Timeout }>();
  let sock: Socket | null = null;
  let sockFamily: 4 | 6 = 4;
  const open = (family: 4 | 6): Socket => {
    if (sock && sockFamily === family) return sock;
    sock?.close();
    const s = createSocket(family === 6 ? 'udp6' : 'udp4');
    s.on('error', () => {
      // A broken socket is replaced on the next packet; the packets in flight time out.
      if (sock === s) sock = null;
      try {
        s.close();
      } catch {
        // already closed
      }
    });
    s.on('message', (msg: Buffer) => {
      const rMono = performance.now();
      const d = decodeReflectorPacket(msg);
      if (!d.ok) return;
      const p = d.packet;
      const w = waiting.get(p.senderSeq);
      if (!w || p.senderTimestamp.seconds !== w.sentTs.seconds || p.senderTimestamp.fraction !== w.sentTs.fraction) return;
      waiting.delete(p.senderSeq);
      clearTimeout(w.timer);
      const elapsed = rMono - w.sentMono;
      const residence = timestampDiffMs(p.timestamp, p.receiveTimestamp, formatOf(p.errorEstimate));
      w.done({ rttMs: residence >= 0 && residence <= elapsed ? elapsed - residence : elapsed });
    });
    s.unref();
    sock = s;
    sockFamily = family;
    return s;
  };
  signal.addEventListener(
    'abort',
    () => {
      for (const w of waiting.values()) {
        clearTimeout(w.timer);
        w.done({ rttMs: null, errorCode: 'ABORTED', message: 'stopped' });
      }
      waiting.clear();
      sock?.close();
      sock = null;
    },
    { once: true },
  );
  return (seq, timeoutMs) =>
    withAddress(ensure, (r) =>
      new Promise<Outcome>((done) => {
        if (signal.aborted) return done({ rttMs: null, errorCode: 'ABORTED', message: 'stopped' });
        const sentTs = timestampFrom(wallClockMs(), 'ntp');
        // The wire carries 32 bits of sequence number: a monitor running for years wraps, harmlessly.
        const wireSeq = seq % 0x1_0000_0000;
        const buf = encodeSenderPacket({ seq: wireSeq, timestamp: sentTs, errorEstimate: OUR_ERROR_ESTIMATE, ssid }, STAMP_MIN_BYTES);
        const timer = setTimeout(() => {
          waiting.delete(wireSeq);
          done({ rttMs: null, errorCode: 'TIMEOUT', message: `no reply within ${timeoutMs} ms` });
        }, timeoutMs);
        const sentMono = performance.now();
        waiting.set(wireSeq, { sentMono, sentTs, done, timer });
        let s: Socket;
        try {
          s = open(r.family);
        } catch (err) {
          clearTimeout(timer);
          waiting.delete(wireSeq);
          return done(lost(err));
        }
        s.send(buf, port, r.address, (err) => {
          if (!err) return;
          // No route, interface down, address gone: lost now, with the network's reason.
          clearTimeout(timer);
          waiting.delete(wireSeq);
          done(lost(err));
        });
      }),
    );
}

function tcpAttempt(ensure: () => Promise<Resolved>, port: number, signal: AbortSignal): Attempt {
  return (_seq, timeoutMs) =>
    withAddress(ensure, (r) =>
      new Promise<Outcome>((done) => {
        if (signal.aborted) return done({ rttMs: null, errorCode: 'ABORTED', message: 'stopped' });
        const s = new TcpSocket();
        const t0 = performance.now();
        const onAbort = () => finish({ rttMs: null, errorCode: 'ABORTED', message: 'stopped' });
        const finish = (o: Outcome) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          s.destroy();
          done(o);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const timer = setTimeout(() => finish({ rttMs: null, errorCode: 'TIMEOUT', message: `no handshake within ${timeoutMs} ms` }), timeoutMs);
        s.once('connect', () => finish({ rttMs: performance.now() - t0 }));
        s.once('error', (err) => finish(lost(err)));
        s.connect({ port, host: r.address, family: r.family });
      }),
    );
}

/** One system ping per attempt: a process each time (about 2 ms of CPU; STAMP is the cheap method). */
function icmpAttempt(ensure: () => Promise<Resolved>, signal: AbortSignal): Attempt {
  return (_seq, timeoutMs) =>
    withAddress(ensure, async (r) => {
      const [{ runPing }, { parsePingOutput }] = await Promise.all([import('../net/ping.js'), import('../net/ping-parse.js')]);
      try {
        const run = await runPing({ address: r.address, family: r.family, count: 1, intervalMs: 1000, timeoutMs, sizeBytes: 56, signal });
        const parsed = parsePingOutput(run.stdout, { platform: run.platform });
        const reply = 'replies' in parsed ? parsed.replies[0] : undefined;
        if (reply) return { rttMs: reply.rttMs };
        return { rttMs: null, errorCode: 'TIMEOUT', message: `no echo reply within ${timeoutMs} ms` };
      } catch (err) {
        return lost(err);
      }
    });
}
