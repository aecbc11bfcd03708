import { performance } from 'node:perf_hooks';
import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import { pingDurationMs, runPing, type PingOptions, type PingRun } from '../net/ping.js';
import { parsePingOutput, type PingFailureKind } from '../net/ping-parse.js';
import { dominantError, readFamily, resolveTarget } from './common.js';
import type { ProbeDef } from './probe.js';
import type { PacketFate, PacketSession, RttTiming, SessionOptions, SessionTarget } from './session.js';
import type { BaseSpec, PacketSample, ProbeOutcome } from '../core/samples.js';

export interface IcmpSpec extends BaseSpec {
  kind: 'icmp';
  /** ICMP payload bytes (ping -s); 56 by default, as Linux and macOS ping. */
  size: number;
  /** Force IPv4 or IPv6 when the host name has both. */
  family?: 4 | 6;
}

export const ICMP_DEFAULT_SIZE = 56;
/** Below 16 bytes iputils has no room for its timestamp and prints replies without a time. */
export const ICMP_MIN_SIZE = 16;
/** Windows' ping -l takes at most 65500. */
export const ICMP_MAX_SIZE = 65500;

/** Runs one ping test; the system ping by default, something else in tests. */
export type PingRunner = (o: PingOptions) => Promise<PingRun>;

/**
 * ICMP echo through the system ping (no raw sockets, so no root needed). The host is resolved
 * once before; ping's output is parsed into one sample per packet sent, and the shared packet
 * statistics compute loss, RTT and jitter from them. See docs/icmp.md.
 */
export function makeIcmpProbe(runner: PingRunner = runPing): ProbeDef<IcmpSpec> {
  return {
    kind: 'icmp',
    attempts: 'packets',
    configKeys: ['size', 'family'],
    parse(raw, base, r, path) {
      return {
        ...base,
        kind: 'icmp',
        size: r.optNum(raw.size, `${path}.size`, { integer: true, min: ICMP_MIN_SIZE, max: ICMP_MAX_SIZE }) ?? ICMP_DEFAULT_SIZE,
        family: readFamily(raw.family, r, `${path}.family`),
      };
    },
    deadlineMs: (s) => pingDurationMs(s),
    targetOf: (e) => e.host,
    async run(endpoint, spec, { signal, measuring }) {
      const target = endpoint.host;
      const fields = { size_bytes: spec.size };
      const resolved = await resolveTarget(endpoint.host, target, { family: spec.family, signal, timeoutMs: spec.timeoutMs });
      if (!resolved.ok) return { ...resolved.failed, fields };
      const { address, family } = resolved;
      measuring?.();
      let run: PingRun;
      try {
        run = await runner({
          address,
          family,
          count: spec.count,
          intervalMs: spec.intervalMs,
          timeoutMs: spec.timeoutMs,
          sizeBytes: spec.size,
          signal,
          bind: spec.bind,
        });
      } catch (err) {
        const code = measurementCodeFor(err);
        return { target, targetIp: address, fields, error: { code, message: errorMessage(err) }, interrupted: signal.aborted };
      }
      return buildIcmpOutcome({ target, targetIp: address, spec, run });
    },
    openSession: (t, spec, o) => Promise.resolve(openIcmpSession(t, spec, o, runner)),
  };
}

export const icmp: ProbeDef<IcmpSpec> = makeIcmpProbe();

/**
 * An ICMP session for a continuous schedule: one system ping of one packet per probe (a process each time, about
 * 2 ms of CPU; STAMP is the cheap method), read by the same rules as a test's (buildIcmpOutcome: the failure
 * mapping, a reply later than the timeout lost and late).
 */
export function openIcmpSession(t: SessionTarget, spec: Pick<IcmpSpec, 'size' | 'timeoutMs' | 'bind'>, o: SessionOptions, runner: PingRunner = runPing): PacketSession {
  const ctl = new AbortController();
  const signal = AbortSignal.any([o.signal, ctl.signal]);
  return {
    async probe(seq) {
      const sentMono = performance.now();
      const sentWall = Date.now();
      const fate = (f: Pick<PacketFate, 'rttMs' | 'errorCode' | 'errorMessage' | 'cut' | 'timing'>): PacketFate => ({ seq, sentMono, sentWall, ...f });
      const cut = () => fate({ rttMs: null, errorCode: null, errorMessage: null, cut: true, timing: null });
      if (signal.aborted) return cut();
      let run: PingRun;
      try {
        run = await runner({ address: t.address, family: t.family, count: 1, intervalMs: 1000, timeoutMs: spec.timeoutMs, sizeBytes: spec.size, bind: spec.bind, signal });
      } catch (err) {
        return signal.aborted ? cut() : fate({ rttMs: null, errorCode: measurementCodeFor(err), errorMessage: errorMessage(err), cut: false, timing: null });
      }
      const out = buildIcmpOutcome({ target: t.address, targetIp: t.address, spec: { count: 1, timeoutMs: spec.timeoutMs, size: spec.size }, run });
      const p = out.samples?.type === 'packets' ? out.samples.packets[0] : undefined;
      if (!p) return out.interrupted ? cut() : fate({ rttMs: null, errorCode: out.error?.code ?? 'TIMEOUT', errorMessage: out.error?.message ?? null, cut: false, timing: null });
      const timing = (out.fields?.rtt_timestamping ?? null) as RttTiming | null;
      return fate({ rttMs: p.rttMs, errorCode: p.rttMs === null ? (p.errorCode ?? 'TIMEOUT') : null, errorMessage: p.errorMessage ?? null, cut: false, timing: p.rttMs === null ? null : timing });
    },
    close() {
      ctl.abort();
      return Promise.resolve();
    },
  };
}


export interface IcmpOutcomeInput {
  target: string;
  targetIp: string;
  spec: Pick<IcmpSpec, 'count' | 'timeoutMs' | 'size'>;
  run: Pick<PingRun, 'stdout' | 'stoppedBy' | 'stoppedAtMs' | 'intervalMs' | 'platform'>;
}

/**
 * From what ping printed to the probe's outcome: one PacketSample per packet sent, sequence
 * 0..n−1. Pure, so every rule here is tested without spawning anything.
 *
 * - n = what the summary says was transmitted (capped at count); Windows: its per-packet lines;
 *   without a summary (ping was stopped hard) only the packets some line mentions.
 * - A reply later than timeout_ms is lost and late (metrics.md), whatever ping thought.
 * - A packet with no line at all is lost (TIMEOUT), unless the test was interrupted before its
 *   timeout could pass (send time from the schedule, seq × interval): then it is left out, as
 *   tcp leaves out attempts cut short.
 * - Unreadable output: PING_UNPARSEABLE and no samples: no number is better than a wrong one.
 */
/**
 * Ping prints replies as they arrive, but no times: a reply's arrival is taken as its nominal send time + RTT, which
 * orders replies for `reordered` and `jitter_rfc3550_ms`. When ping fell behind its schedule (a busy host; below
 * 10 ms with loss), that estimate can invert two replies that came in order: where it does, the later-printed one
 * gets an arrival 1 µs after the one printed before it, so the order is the order ping printed.
 */
function keepPrintedOrder(packets: PacketSample[], repliesInArrivalOrder: readonly { seq: number }[]): void {
  const bySeq = new Map(packets.map((p) => [p.seq, p]));
  let lastMs = -Infinity;
  for (const r of repliesInArrivalOrder) {
    const p = bySeq.get(r.seq);
    if (!p || p.rttMs == null) continue;
    const estimateMs = p.sentAtMs + p.rttMs;
    if (estimateMs > lastMs) lastMs = estimateMs;
    else p.receivedAtMs = lastMs = lastMs + 0.001;
  }
}

export function buildIcmpOutcome({ target, targetIp, spec, run }: IcmpOutcomeInput): ProbeOutcome {
  const head = { target, targetIp, fields: { size_bytes: spec.size } };
  const interrupted = run.stoppedBy !== null;
  const stopError = run.stoppedBy === 'deadline' ? { code: 'DEADLINE' as const, message: 'ping did not finish in time and was stopped' } : null;
  const parsed = parsePingOutput(run.stdout, { platform: run.platform });
  if (parsed.status === 'unparseable') {
    // Stopped before ping printed a line about any packet: nothing was measured, nothing misread.
    if (interrupted && (parsed.code === 'empty' || parsed.code === 'no-data')) return { ...head, error: stopError, interrupted };
    return { ...head, error: { code: 'PING_UNPARSEABLE', message: `could not read ping's output: ${parsed.reason}` }, interrupted };
  }
  const windows = parsed.flavour === 'windows';
  if (!windows && !parsed.complete && !interrupted) {
    // Unix pings print nothing for a lost packet, so only the summary says how many were sent.
    return { ...head, error: { code: 'PING_UNPARSEABLE', message: 'ping ended without its summary: how many packets it sent is unknown' }, interrupted };
  }
  const n = Math.min(spec.count, windows ? parsed.packetsSeen : (parsed.transmitted ?? parsed.packetsSeen));
  const replies = new Map(parsed.replies.map((r) => [r.seq, r]));
  const failures = new Map(parsed.failures.flatMap((f) => (f.seq === null ? [] : [[f.seq, f] as const])));
  const packets: PacketSample[] = [];
  for (let seq = 0; seq < n; seq++) {
    // Ping does not print send times: the nominal one is used (it drifts on a busy host: docs/icmp.md).
    const sentAtMs = seq * run.intervalMs;
    const reply = replies.get(seq);
    if (reply) {
      const dup = reply.duplicates > 0 ? { duplicates: reply.duplicates } : {};
      if (reply.rttMs > spec.timeoutMs) {
        packets.push({
          seq,
          sentAtMs,
          rttMs: null,
          late: true,
          ...dup,
          errorCode: 'TIMEOUT',
          errorMessage: `reply after ${reply.rttMs} ms, later than timeout_ms (${spec.timeoutMs} ms)`,
        });
      } else packets.push({ seq, sentAtMs, rttMs: reply.rttMs, ...dup });
      continue;
    }
    const failure = failures.get(seq);
    if (failure) {
      const errorCode = codeFor(failure.kind);
      packets.push({ seq, sentAtMs, rttMs: null, ...(errorCode ? { errorCode } : {}), errorMessage: failure.text });
      continue;
    }
    if (interrupted && (run.stoppedAtMs === null || sentAtMs + spec.timeoutMs > run.stoppedAtMs)) continue;
    packets.push({ seq, sentAtMs, rttMs: null, errorCode: 'TIMEOUT', errorMessage: `no reply within ${spec.timeoutMs} ms` });
  }
  keepPrintedOrder(packets, parsed.replies);

  let error = dominantError(packets);
  if (packets.length > 0 && packets.every((p) => p.rttMs == null)) {
    // macOS names no packet in its unreachable notices; they still say why everything was lost.
    const notice = parsed.failures.find((f) => f.seq === null);
    const noticeCode = notice && codeFor(notice.kind);
    if (notice && noticeCode && (!error || error.code === 'TIMEOUT')) error = { code: noticeCode, message: notice.text };
    error ??= { code: 'ALL_LOST', message: `no reply to any of ${packets.length} packets` };
  }
  return {
    ...head,
    // Windows prints whole milliseconds (and `<1ms`): the record says how coarse its RTTs are.
    fields: {
      ...head.fields,
      rtt_resolution_ms: parsed.resolutionMs,
      // iputils and BSD ping take the reply's time from the kernel (SO_TIMESTAMP); busybox and Windows time it themselves.
      rtt_timestamping: parsed.resolutionMs === null ? null : parsed.flavour === 'iputils' || parsed.flavour === 'bsd' ? 'kernel' : 'tool',
    },
    samples: { type: 'packets', intervalMs: run.intervalMs, packets },
    error: error ?? stopError,
    interrupted,
  };
}

function codeFor(kind: PingFailureKind): MeasurementErrorCode | undefined {
  switch (kind) {
    case 'timeout':
      return 'TIMEOUT';
    case 'unreachable':
    case 'ttl-exceeded': // the host was not reached; the message says which
      return 'HOST_UNREACHABLE';
    case 'net-unreachable':
      return 'NETWORK_UNREACHABLE';
    case 'local-error':
      return 'SOCKET_ERROR';
    case 'unknown':
      return undefined;
  }
}
