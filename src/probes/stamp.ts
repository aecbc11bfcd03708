import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import { formatHostPort } from '../net/resolve.js';
import { timestampDiffMs, unixMsFrom, unixMsFromNtp, type WireTimestamp } from '../stamp/ntp.js';
import { OFF, OUR_ERROR_ESTIMATE, STAMP_MAX_BYTES, STAMP_MIN_BYTES, decodeReflectorPacket, encodeSenderPacket, formatOf } from '../stamp/packet.js';
import { dominantError, readFamily, resolveTarget } from './common.js';
import type { ProbeDef } from './probe.js';
import { SERVE_DEFAULTS } from '../core/serve-defaults.js';
import { runSchedule } from './pacing.js';
import { sleep } from '../core/sleep.js';
import type { PacketFate, PacketSession, SessionOptions, SessionTarget } from './session.js';
import { openSender, type SenderSocket, type UdpTimestamping } from '../stamp/socket.js';
import type { BaseSpec, PacketSample, ProbeContext, ProbeOutcome } from '../core/samples.js';

export interface StampSpec extends BaseSpec {
  kind: 'stamp';
  /** UDP port of the reflector (IANA: 862). */
  port: number;
  /** Whole UDP payload of each test packet, bytes (44 minimum, padded with zeros). */
  sizeBytes: number;
  /**
   * The reflector keeps its own per-session counter (RFC 8762 §4.3.1), so loss can be split
   * by direction. Unset: split only when the replies prove it (a reflector number below ours).
   */
  stateful?: boolean;
  /** Force IPv4 or IPv6 when the host name has both. */
  family?: 4 | 6;
}

/** The outcome plus the count of datagrams that were not replies to this session (also in fields.foreign_packets). */
export interface StampOutcome extends ProbeOutcome {
  foreignPackets: number;
}

/** The reflector's port when a test gives none: `qosprobe serve`'s (IANA's). */
export const STAMP_DEFAULT_PORT = SERVE_DEFAULTS.stampPort;

/**
 * STAMP session-sender (RFC 8762, unauthenticated): `count` packets on the isochronous
 * schedule; RTT = (r − s) − (b − a) with s, r from the local monotonic clock and the
 * reflector's residence time b − a from its own timestamps. One-way delays a − s and r − b
 * carry the unknown clock offset; only their differences (one-way jitter) are meaningful.
 */
export const stamp: ProbeDef<StampSpec> = {
  kind: 'stamp',
  attempts: 'packets',
  configKeys: ['port', 'size', 'stateful', 'family'],
  // ITU-T Y.1540's 3 s loss threshold: a packet later than this is lost (and counted late).
  defaults: { timeoutMs: 3000 },
  parse(raw, base, r, path) {
    return {
      ...base,
      kind: 'stamp',
      port: raw.port === undefined ? STAMP_DEFAULT_PORT : r.num(raw.port, `${path}.port`, { integer: true, min: 1, max: 65535 }),
      sizeBytes:
        raw.size === undefined ? STAMP_MIN_BYTES : r.num(raw.size, `${path}.size`, { integer: true, min: STAMP_MIN_BYTES, max: STAMP_MAX_BYTES }),
      stateful: r.optBool(raw.stateful, `${path}.stateful`),
      family: readFamily(raw.family, r, `${path}.family`),
    };
  },
  deadlineMs: (s) => s.count * s.intervalMs + s.timeoutMs,
  targetOf: (e, s) => formatHostPort(e.host, s.port),
  run: runStamp,
  openSession: openStampSession,
};

/** The sender's timestamp field: the socket writes the send time there as the packet leaves. */
const SENDER_TIMESTAMP = { offset: OFF.timestamp };

/** The wire carries 32 bits of sequence number: a monitor running for years wraps, harmlessly. */
const WIRE_SEQ_MOD = 0x1_0000_0000;

interface Sent {
  seq: number;
  sentMono: number;
  sentWall: number;
  sentTs: WireTimestamp;
  rttMs: number | null;
  receivedMono: number | null;
  upMs: number | null;
  downMs: number | null;
  late: boolean;
  duplicates: number;
  /** Reflector sequence numbers seen in replies to this packet (stateful split). */
  reflectorSeqs: Set<number>;
  /** The kernel refused to send it (no route, address gone): lost, with this cause. */
  sendError?: { code: MeasurementErrorCode; message: string };
  /** Settles the packet's fate (once: answered, refused, timed out or cut). */
  decide: ((f: PacketFate) => void) | null;
  timer: NodeJS.Timeout | undefined;
}

/** A STAMP session (RFC 8762 session-sender) to one reflector: what `run` and `monitor` both send with. */
export interface StampSession extends PacketSession {
  readonly timestamping: UdpTimestamping;
  /** Datagrams that were not replies to this session's packets. */
  foreign(): number;
  /** Errors after connect (an ICMP port unreachable): the cause of packets lost without their own. */
  socketError(): { code: MeasurementErrorCode; message: string } | null;
  /** What the session knows of packet `seq` (kept until the session ends unless forgetDecided). */
  sent(seq: number): Readonly<Sent> | undefined;
}

/**
 * Open a STAMP session: a UDP socket connected to the reflector (the native kernel-timestamped one where it is
 * built), a random SSID. RTT = (r − s) − (b − a): s, r from the socket (kernel receive time with the native one),
 * the reflector's residence b − a from its timestamps. A reply later than timeoutMs is late: the packet is lost.
 * Rejects with the connect error (no route, interface down).
 */
export async function openStampSession(t: SessionTarget, spec: Pick<StampSpec, 'port' | 'sizeBytes' | 'timeoutMs' | 'bind'>, o: SessionOptions): Promise<StampSession> {
  // A random SSID (RFC 8972) keeps a stateful reflector from continuing an older session's counter on a reused port.
  const ssid = randomInt(1, 0x10000);
  const sent = new Map<number, Sent>();
  let foreign = 0;
  // Errors after connect (an ICMP port unreachable, a send the kernel refused) are per-packet data.
  let socketError: { code: MeasurementErrorCode; message: string } | null = null;
  let closed = false;

  const settle = (s: Sent, f: Omit<PacketFate, 'seq' | 'sentMono' | 'sentWall' | 'timing'>) => {
    const decide = s.decide;
    if (!decide) return;
    s.decide = null;
    clearTimeout(s.timer);
    if (o.forgetDecided) sent.delete(s.seq % WIRE_SEQ_MOD);
    decide({ seq: s.seq, sentMono: s.sentMono, sentWall: s.sentWall, timing: f.rttMs === null ? null : sock.timestamping, ...f });
  };

  const onReply = (msg: Buffer, length: number, rMono: number) => {
    const rWall = performance.timeOrigin + rMono;
    const d = decodeReflectorPacket(length === msg.length ? msg : msg.subarray(0, length));
    if (!d.ok) return void foreign++;
    const p = d.packet;
    const s = sent.get(p.senderSeq);
    // Not ours: a sequence number we never sent, or a timestamp that isn't the one we sent with it.
    if (!s || p.senderTimestamp.seconds !== s.sentTs.seconds || p.senderTimestamp.fraction !== s.sentTs.fraction) return void foreign++;
    s.reflectorSeqs.add(p.seq);
    if (s.rttMs !== null || s.late) {
      s.duplicates++;
      return;
    }
    const elapsed = rMono - s.sentMono;
    if (elapsed > spec.timeoutMs) {
      s.late = true;
      return;
    }
    const fmt = formatOf(p.errorEstimate);
    const residence = timestampDiffMs(p.timestamp, p.receiveTimestamp, fmt);
    // A residence outside [0, round trip] means the far clock stepped: don't let it make RTT negative.
    s.rttMs = residence >= 0 && residence <= elapsed ? elapsed - residence : elapsed;
    s.receivedMono = rMono;
    const aMs = unixMsFrom(p.receiveTimestamp, fmt);
    const bMs = unixMsFrom(p.timestamp, fmt);
    s.upMs = aMs - unixMsFromNtp(s.sentTs);
    s.downMs = rWall - bMs;
    settle(s, { rttMs: s.rttMs, errorCode: null, errorMessage: null, cut: false });
  };

  // connect(): the kernel then delivers only the reflector's datagrams, and ICMP errors (port unreachable) surface.
  const sock: SenderSocket = await openSender({
    family: t.family,
    address: t.address,
    port: spec.port,
    bind: spec.bind,
    onPacket: onReply,
    onError: (err) => {
      socketError = { code: measurementCodeFor(err), message: errorMessage(err) };
    },
  });

  const lostFate = (s: Sent) => {
    const lost = s.sendError ?? socketError ?? { code: 'TIMEOUT' as const, message: `no reply within ${spec.timeoutMs} ms` };
    return { rttMs: null, errorCode: lost.code, errorMessage: s.late ? `reply came after the ${spec.timeoutMs} ms loss threshold` : lost.message, cut: false };
  };
  const close = () => {
    if (closed) return Promise.resolve();
    closed = true;
    o.signal.removeEventListener('abort', onAbort);
    const now = performance.now();
    // Cut by the abort before its threshold passed: neither received nor lost.
    for (const s of [...sent.values()]) if (s.decide) settle(s, !s.late && now - s.sentMono < spec.timeoutMs ? { rttMs: null, errorCode: null, errorMessage: null, cut: true } : lostFate(s));
    // Always: an open UDP socket keeps the process alive after the record is written (issue 15).
    sock.close();
    return Promise.resolve();
  };
  const onAbort = () => void close();
  o.signal.addEventListener('abort', onAbort, { once: true });

  return {
    timestamping: sock.timestamping,
    foreign: () => foreign,
    socketError: () => socketError,
    sent: (seq) => sent.get(seq % WIRE_SEQ_MOD),
    close,
    probe(seq) {
      return new Promise<PacketFate>((decide) => {
        const wireSeq = seq % WIRE_SEQ_MOD;
        // The timestamp field is filled by the socket as late as it can (in C, right before the send call, with the
        // native socket) and read back: replies are matched on it.
        const buf = encodeSenderPacket({ seq: wireSeq, timestamp: { seconds: 0, fraction: 0 }, errorEstimate: OUR_ERROR_ESTIMATE, ssid }, spec.sizeBytes);
        const s: Sent = {
          seq,
          // The send call returns the exact time; a send refused at once (the link's device down) is settled inside
          // that call, before it returns: its fate must still carry when it was sent, not 0 (the monitor's windows and
          // outage durations are on this clock).
          sentMono: performance.now(),
          sentWall: Date.now(),
          sentTs: { seconds: 0, fraction: 0 },
          rttMs: null,
          receivedMono: null,
          upMs: null,
          downMs: null,
          late: false,
          duplicates: 0,
          reflectorSeqs: new Set(),
          decide,
          timer: undefined,
        };
        if (closed) return settle(s, { rttMs: null, errorCode: null, errorMessage: null, cut: true });
        sent.set(wireSeq, s);
        const refused = (err: Error) => {
          if (s.rttMs === null && !s.sendError) {
            s.sendError = { code: measurementCodeFor(err), message: errorMessage(err) };
            settle(s, lostFate(s));
          }
        };
        s.sentMono = sock.send(buf, SENDER_TIMESTAMP, refused);
        s.sentTs = { seconds: buf.readUInt32BE(OFF.timestamp), fraction: buf.readUInt32BE(OFF.timestamp + 4) };
        // +1 ms: a Node timer may fire up to 1 ms early (libuv keeps whole-ms loop time). The loss is decided a loop
        // turn later (setImmediate runs after the poll phase): on a busy loop a reply already in the socket, stamped in
        // time by the kernel, is read before its packet is called lost.
        if (s.decide) s.timer = setTimeout(() => setImmediate(() => settle(s, lostFate(s))), Math.max(0, s.sentMono + spec.timeoutMs + 1 - performance.now()));
      });
    },
  };
}

export async function runStamp(endpoint: { host: string }, spec: StampSpec, { signal, measuring }: ProbeContext): Promise<StampOutcome> {
  const target = formatHostPort(endpoint.host, spec.port);
  const resolved = await resolveTarget(endpoint.host, target, { family: spec.family, signal, timeoutMs: spec.timeoutMs });
  if (!resolved.ok) return { ...resolved.failed, foreignPackets: 0 };
  const { address, family } = resolved;

  let session: StampSession;
  try {
    session = await openStampSession({ address, family }, spec, { signal });
  } catch (err) {
    return { target, targetIp: address, error: { code: measurementCodeFor(err), message: errorMessage(err) }, foreignPackets: 0 };
  }
  try {
    measuring?.();
    const { startMs, results } = await runSchedule(spec.count, spec.intervalMs, signal, (seq) => session.probe(seq));
    // A packet lost to its threshold may still be answered late (and any may be duplicated): while one is, listen
    // until the last packet's threshold, as the record counts late replies up to there.
    const lastSentMono = results[results.length - 1]?.sentMono ?? performance.now();
    if (results.some((f) => !f.cut && f.rttMs === null && !session.sent(f.seq)?.sendError)) await sleep(lastSentMono + spec.timeoutMs + 1 - performance.now(), signal);
    const lostError = session.socketError();
    const packets: PacketSample[] = [];
    for (const f of results) {
      if (f.cut) continue;
      const s = session.sent(f.seq) as Sent;
      const answered = s.rttMs !== null;
      const lost = s.sendError ?? lostError ?? { code: 'TIMEOUT' as const, message: `no reply within ${spec.timeoutMs} ms` };
      packets.push({
        seq: f.seq,
        sentAtMs: s.sentMono - startMs,
        rttMs: s.rttMs,
        receivedAtMs: s.receivedMono === null ? null : s.receivedMono - startMs,
        late: s.late,
        duplicates: s.duplicates,
        upMs: s.upMs,
        downMs: s.downMs,
        ...(answered ? {} : { errorCode: lost.code, errorMessage: s.late ? `reply came after the ${spec.timeoutMs} ms loss threshold` : lost.message }),
      });
    }
    const foreign = session.foreign();
    return {
      target,
      targetIp: address,
      samples: { type: 'packets', intervalMs: spec.intervalMs, packets, reflectorReceived: reflectorReceived(session, packets, spec.stateful) },
      // kernel_rx: replies stamped by the kernel, sends in C right before the system call; event_loop: both in JavaScript.
      fields: { size_bytes: spec.sizeBytes, foreign_packets: foreign, rtt_timestamping: packets.some((p) => p.rttMs !== null) ? session.timestamping : null },
      error: dominantError(packets),
      interrupted: signal.aborted,
      foreignPackets: foreign,
    };
  } finally {
    await session.close();
  }
}

/**
 * How many test packets reached a stateful reflector, from its sequence numbers: the packets
 * that came back (in time, late or duplicated) plus the gaps in its counter below the highest
 * number seen (packets it reflected whose replies were lost on the way back). An upstream
 * duplicate shows as two reflector numbers for one of our packets and is not counted twice.
 * Packets lost after the last reply can't be placed: they count as lost upstream.
 * Null when the reflector is not (known to be) stateful.
 */
function reflectorReceived(session: StampSession, kept: readonly PacketSample[], stateful: boolean | undefined): number | null {
  if (stateful === false) return null;
  const seen = new Set<number>();
  let reached = 0;
  let evidence = false;
  kept.forEach(({ seq }) => {
    const s = session.sent(seq);
    if (!s || s.reflectorSeqs.size === 0) return;
    reached++;
    for (const r of s.reflectorSeqs) {
      seen.add(r);
      if (r !== seq) evidence = true;
    }
  });
  if (!stateful && !evidence) return null;
  if (seen.size === 0) return 0;
  let highest = -1;
  for (const r of seen) if (r > highest) highest = r;
  const gaps = highest + 1 - seen.size;
  return Math.min(kept.length, reached + gaps);
}
