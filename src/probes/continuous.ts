/**
 * The endless schedule: one packet per interval to one endpoint through a kind's measuring session
 * (session.ts), for as long as the signal allows. What `monitor` measures with; `run` drives the same
 * sessions for `count` packets (pacing.ts runSchedule).
 *
 * - Fates reach the caller in send order (packet n waits until packet n−1 is answered or lost), so the
 *   detector and the windows see a clean sequence.
 * - The name is resolved at the start, again every `resolveEveryMs`, and again after `resolveAfterLosses`
 *   losses in a row (issue 24 item 7: a name that moved to another reflector is followed). A new address
 *   gets a new session; the old one is closed once its packets in flight have had their timeout.
 * - Nothing here stops the schedule: a name that does not resolve, a socket that cannot open, a send the
 *   kernel refuses — each is a lost packet with its error code, and the next slot tries again.
 */
import { performance } from 'node:perf_hooks';
import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import { resolveHost, type Resolved } from '../net/resolve.js';
import { STAMP_MIN_BYTES } from '../stamp/packet.js';
import { ICMP_DEFAULT_SIZE } from './icmp.js';
import { sleep } from '../core/sleep.js';
import { waitUntil } from './pacing.js';
import type { PacketFate, PacketSession, SessionOptions, SessionTarget } from './session.js';

/** Re-resolve a host name this often by default (a DNS change reaches a monitor within this). */
export const RESOLVE_EVERY_MS = 300_000;

/** How a host name becomes an address (net/resolve.ts resolveHost; tests script one). */
export type Resolver = typeof resolveHost;

export interface ContinuousOptions {
  host: string;
  family?: 4 | 6;
  intervalMs: number;
  timeoutMs: number;
  /**
   * The first packet's slot, performance.now() ms; packet n's is startMs + n × interval. Endpoints of one
   * monitor are given starts spread over the interval (spreadStarts), so their packets never leave together.
   */
  startMs: number;
  /** Re-resolve the name this often, ms. */
  resolveEveryMs?: number;
  /** ... and after this many losses in a row (0: never for losses). */
  resolveAfterLosses: number;
  /** Open the kind's session to an address (ProbeDef.openSession with the endpoint's spec). */
  open(t: SessionTarget, o: SessionOptions): Promise<PacketSession>;
  signal: AbortSignal;
  /** Each packet's fate, in send order; `targetIp` the address it went to (null when the name did not resolve). */
  onResult(f: PacketFate, targetIp: string | null): void;
  /** The resolver (tests give a scripted one). */
  resolve?: Resolver;
  /** Waits for leave to send (a monitor's sharedPace over all its endpoints); false: stop. */
  pace?: () => Promise<boolean>;
}

/** Slot offsets that spread n endpoints evenly over one interval (issue 24 item 12: no burst of every endpoint at once). */
export function spreadStarts(n: number, intervalMs: number, originMs: number): number[] {
  return Array.from({ length: n }, (_, i) => originMs + (i * intervalMs) / Math.max(1, n));
}

interface Live {
  address: string;
  family: 4 | 6;
  session: PacketSession;
}

/** Run until the signal fires; resolves once every session is closed. */
export async function runContinuous(o: ContinuousOptions): Promise<void> {
  const resolve = o.resolve ?? resolveHost;
  const resolveEveryMs = o.resolveEveryMs ?? RESOLVE_EVERY_MS;
  // Set by the background lookup (refresh); read through `live` so the loop sees its changes.
  let current: Live | null = null;
  const live = (): Live | null => current;
  const retiring = new Set<Promise<void>>();
  let resolvedAtMs = -Infinity;
  let mustResolve = true;
  let lossesInRow = 0;

  // In-order delivery: fates wait here until every earlier packet has one.
  const done = new Map<number, { f: PacketFate; ip: string | null }>();
  let nextToDeliver = 0;
  const deliver = () => {
    for (let d = done.get(nextToDeliver); d; d = done.get(nextToDeliver)) {
      done.delete(nextToDeliver);
      nextToDeliver++;
      if (o.signal.aborted) continue;
      if (!d.f.cut) o.onResult(d.f, d.ip);
    }
  };
  const settle = (f: PacketFate, ip: string | null) => {
    if (!f.cut) {
      lossesInRow = f.rttMs === null ? lossesInRow + 1 : 0;
      if (o.resolveAfterLosses > 0 && lossesInRow >= o.resolveAfterLosses) {
        mustResolve = true;
        lossesInRow = 0;
      }
    }
    done.set(f.seq, { f, ip });
    deliver();
  };
  const lostNow = (seq: number, code: MeasurementErrorCode, message: string): PacketFate => ({
    seq,
    sentMono: performance.now(),
    sentWall: Date.now(),
    rttMs: null,
    errorCode: code,
    errorMessage: message,
    cut: false,
    timing: null,
  });
  /** Close a session once its packets in flight have had their timeout (they are still delivered), or at the stop. */
  const retire = (s: PacketSession) => {
    const p = sleep(o.timeoutMs + 50, o.signal).then(() => s.close());
    retiring.add(p);
    void p.finally(() => retiring.delete(p));
  };
  // The last reason the name gave no session (a failed lookup, a socket that could not open).
  let why: { code: MeasurementErrorCode; message: string } = { code: 'DNS_FAILED', message: `${o.host} did not resolve` };
  let resolving: Promise<void> | null = null;
  /** Resolve in the background: packets keep going to the current address meanwhile. */
  const refresh = (): Promise<void> =>
    (resolving ??= (async () => {
      let r: Resolved;
      try {
        r = await resolve(o.host, { family: o.family, signal: o.signal, timeoutMs: o.timeoutMs });
      } catch (err) {
        why = { code: 'DNS_FAILED', message: errorMessage(err) };
        return;
      }
      resolvedAtMs = performance.now();
      mustResolve = false;
      if (current?.address === r.address || o.signal.aborted) return;
      try {
        const session = await o.open({ address: r.address, family: r.family }, { signal: o.signal, forgetDecided: true });
        if (current) retire(current.session);
        current = { address: r.address, family: r.family, session };
      } catch (err) {
        mustResolve = true;
        why = { code: measurementCodeFor(err), message: errorMessage(err) };
      }
    })().finally(() => {
      resolving = null;
    }));

  for (let seq = 0; ; seq++) {
    if (!(await waitUntil(o.startMs + seq * o.intervalMs, o.signal, 0))) break;
    if (mustResolve || performance.now() - resolvedAtMs >= resolveEveryMs) {
      const p = refresh();
      // Without an address yet there is nothing to send to: wait for this lookup (bounded by the timeout).
      if (!live()) await p;
    }
    if (o.signal.aborted || (o.pace && !(await o.pace()))) break;
    const c = live();
    if (!c) {
      settle(lostNow(seq, why.code, why.message), null);
      continue;
    }
    void c.session.probe(seq).then((f) => settle(f, c.address));
  }
  await resolving;
  await Promise.all([live()?.session.close(), ...retiring]);
}

/** Bytes on the wire per packet (IP and transport headers included, request and reply), for the bytes-per-hour figure. */
export function wireBytesPerPacket(kind: 'stamp' | 'tcp' | 'icmp', family: 4 | 6 = 4): number {
  const ip = family === 6 ? 40 : 20;
  switch (kind) {
    case 'stamp':
      return 2 * (ip + 8 + STAMP_MIN_BYTES); // request + reply, UDP
    case 'icmp':
      return 2 * (ip + 8 + ICMP_DEFAULT_SIZE); // echo request + reply with ping's default payload
    case 'tcp':
      return 4 * (ip + 40) + 2 * (ip + 32); // SYN, SYN-ACK (with options), ACK, then FIN/ACK both ways
  }
}
