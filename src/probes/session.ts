/**
 * A measuring session: one kind's socket (or tool) open to one resolved target, sending one packet
 * per call. `run` drives it for `count` packets on the isochronous schedule (pacing.ts runSchedule),
 * `monitor` drives it indefinitely (continuous.ts): the same socket, the same timing, the same
 * failure mapping and late-reply rule either way (issue 20, "one engine, two schedules").
 */
import type { MeasurementErrorCode } from '../core/errors.js';

/** How one packet's round trip was timed (the record's rtt_timestamping values). */
export type RttTiming = 'kernel_rx' | 'event_loop' | 'kernel' | 'tool';

/** What became of one packet. */
export interface PacketFate {
  seq: number;
  /** Send time, performance.now() ms. */
  sentMono: number;
  /** Send time, wall clock (Date.now()) ms: where a record's started_at comes from. */
  sentWall: number;
  /** Round trip, ms; null = lost (no reply within the timeout, a late reply, or the send failed). */
  rttMs: number | null;
  /** Why it was lost; null when it was answered. */
  errorCode: MeasurementErrorCode | null;
  errorMessage: string | null;
  /** Cut short by the session's abort before its timeout passed: neither received nor lost. */
  cut: boolean;
  /** How the round trip was timed; null when there is none. */
  timing: RttTiming | null;
}

export interface PacketSession {
  /**
   * Send packet `seq` now. Resolves with its fate by its timeout (a later reply is lost, and late), never rejects.
   * A continuous schedule numbers packets without end; each kind keeps what it must on the wire (STAMP: 32 bits).
   */
  probe(seq: number): Promise<PacketFate>;
  /** Stop: packets in flight are cut, the socket released. */
  close(): Promise<void>;
}

/** A resolved target a session is opened to, with options a kind or a later one (an interface to bind) may read. */
export interface SessionTarget {
  address: string;
  family: 4 | 6;
}

export interface SessionOptions {
  /** Aborting it cuts what is in flight and closes the session. */
  signal: AbortSignal;
  /**
   * Forget each packet once its fate is known (a continuous schedule: memory stays flat); a finite run keeps them
   * to count late replies and duplicates until it ends.
   */
  forgetDecided?: boolean;
  /** A finite run's packet count (a continuous schedule has none): a kind may finish its last packet sooner knowing it. */
  count?: number;
}

/** The record's rtt_timestamping over the answered packets: their one timing, `mixed` when they differ, null with none. */
export function timingOf(fates: Iterable<{ rttMs: number | null; timing: RttTiming | null }>): RttTiming | 'mixed' | null {
  let seen: RttTiming | null = null;
  for (const f of fates) {
    if (f.rttMs === null || f.timing === null) continue;
    if (seen === null) seen = f.timing;
    else if (seen !== f.timing) return 'mixed';
  }
  return seen;
}
