/**
 * Wire timestamps of STAMP (RFC 8762 §4.2.1): NTP 64-bit (RFC 5905: seconds since
 * 1900-01-01 and a 32-bit binary fraction) or, when the Z bit is set, PTPv2 truncated
 * (seconds since 1970-01-01 and nanoseconds). These are wall-clock times: they only
 * serve the far end's residence time and one-way delay *differences*; RTT itself comes
 * from the local monotonic clock (docs/metrics.md).
 */
import { performance } from 'node:perf_hooks';

/** The two 32-bit words of a timestamp as they travel (fraction: 2^-32 s units for NTP, ns for PTP). */
export interface WireTimestamp {
  seconds: number;
  fraction: number;
}

export type TimestampFormat = 'ntp' | 'ptp';

/** Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;
const TWO_32 = 2 ** 32;

/**
 * Wall-clock time in Unix ms with sub-millisecond resolution: the process time origin plus
 * the monotonic clock, so consecutive timestamps never step backwards within a run (an NTP
 * slew of the system clock would otherwise show up as fake one-way jitter).
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** An NTP timestamp of a wall-clock time written in place, big-endian (no objects kept: hot paths use it). */
export function writeNtpAt(buf: Uint8Array, off: number, unixMs: number): void {
  const { seconds, fraction } = ntpFromUnixMs(unixMs);
  for (let i = 0; i < 4; i++) {
    buf[off + i] = (seconds >>> (24 - 8 * i)) & 0xff;
    buf[off + 4 + i] = (fraction >>> (24 - 8 * i)) & 0xff;
  }
}

export function ntpFromUnixMs(unixMs: number): WireTimestamp {
  const totalS = unixMs / 1000;
  let seconds = Math.floor(totalS);
  let fraction = Math.round((totalS - seconds) * TWO_32);
  if (fraction >= TWO_32) {
    fraction -= TWO_32;
    seconds += 1;
  }
  // NTP era 1 starts in 2036: the 32-bit seconds wrap, the wire format does not say which era.
  return { seconds: (seconds + NTP_UNIX_OFFSET_S) % TWO_32, fraction };
}

export function unixMsFromNtp(ts: WireTimestamp): number {
  // Seconds below 2^31 (before 1968) can only mean era 1 (after 2036-02-07).
  const s = ts.seconds < 2 ** 31 ? ts.seconds + TWO_32 : ts.seconds;
  return (s - NTP_UNIX_OFFSET_S) * 1000 + (ts.fraction / TWO_32) * 1000;
}

export function ptpFromUnixMs(unixMs: number): WireTimestamp {
  const seconds = Math.floor(unixMs / 1000);
  const ns = Math.min(999_999_999, Math.round((unixMs - seconds * 1000) * 1e6));
  return { seconds: seconds % TWO_32, fraction: ns };
}

export function unixMsFromPtp(ts: WireTimestamp): number {
  return ts.seconds * 1000 + ts.fraction / 1e6;
}

export function unixMsFrom(ts: WireTimestamp, format: TimestampFormat): number {
  return format === 'ptp' ? unixMsFromPtp(ts) : unixMsFromNtp(ts);
}

export function timestampFrom(unixMs: number, format: TimestampFormat): WireTimestamp {
  return format === 'ptp' ? ptpFromUnixMs(unixMs) : ntpFromUnixMs(unixMs);
}

/**
 * later − earlier in ms, from the raw words (exact to the wire resolution, without the
 * float rounding of two large Unix times); handles the 32-bit seconds wrap.
 */
export function timestampDiffMs(later: WireTimestamp, earlier: WireTimestamp, format: TimestampFormat): number {
  let ds = later.seconds - earlier.seconds;
  if (ds > 2 ** 31) ds -= TWO_32;
  else if (ds < -(2 ** 31)) ds += TWO_32;
  const df = later.fraction - earlier.fraction;
  return ds * 1000 + (format === 'ptp' ? df / 1e6 : (df / TWO_32) * 1000);
}
