/**
 * STAMP test packets, unauthenticated mode (RFC 8762 §4.2.1 and §4.3.1, with the SSID of
 * RFC 8972 §3 in octets 14–15): pure encoding and decoding, no sockets. Decoders never
 * throw on untrusted input: they return the packet or the reason it is not one.
 *
 * Session-Sender (44 octets minimum):
 *   0 sequence number (4) | 4 timestamp (8) | 12 error estimate (2) | 14 SSID (2) | 16 MBZ (28)
 * Session-Reflector (44 octets minimum, the same size so a reply is never larger than its request):
 *   0 sequence number (4) | 4 timestamp (8) | 12 error estimate (2) | 14 SSID (2)
 *   16 receive timestamp (8) | 24 sender sequence number (4) | 28 sender timestamp (8)
 *   36 sender error estimate (2) | 38 MBZ (2) | 40 sender TTL (1) | 41 MBZ (3)
 * Anything beyond 44 octets is padding.
 */
import type { TimestampFormat, WireTimestamp } from './ntp.js';

export const STAMP_MIN_BYTES = 44;
/** Largest UDP payload over IPv4; a test packet can't be bigger. */
export const STAMP_MAX_BYTES = 65_507;

export const OFF = {
  seq: 0,
  timestamp: 4,
  errorEstimate: 12,
  ssid: 14,
  receiveTimestamp: 16,
  senderSeq: 24,
  senderTimestamp: 28,
  senderErrorEstimate: 36,
  senderTtl: 40,
} as const;

/**
 * Error estimate (RFC 4656 §4.1.2; Z bit from RFC 8186 §2.3):
 * S = clock synchronized to UTC, Z = timestamps in PTPv2 truncated format (else NTP),
 * error = multiplier × 2^(scale − 32) seconds.
 */
export interface ErrorEstimate {
  synchronized: boolean;
  ptpFormat: boolean;
  /** 6 bits, 0–63. */
  scale: number;
  /** 8 bits, 1–255 (0 is invalid per RFC 4656; decoded as is). */
  multiplier: number;
}

export function encodeErrorEstimate(e: ErrorEstimate): number {
  return ((e.synchronized ? 1 : 0) << 15) | ((e.ptpFormat ? 1 : 0) << 14) | ((e.scale & 0x3f) << 8) | (e.multiplier & 0xff);
}

export function decodeErrorEstimate(v: number): ErrorEstimate {
  return { synchronized: (v & 0x8000) !== 0, ptpFormat: (v & 0x4000) !== 0, scale: (v >> 8) & 0x3f, multiplier: v & 0xff };
}

/** The estimated error in ms. */
export function errorEstimateMs(e: ErrorEstimate): number {
  return e.multiplier * 2 ** (e.scale - 32) * 1000;
}

export function formatOf(e: ErrorEstimate): TimestampFormat {
  return e.ptpFormat ? 'ptp' : 'ntp';
}

/**
 * What our own clocks claim: not known to be synchronized, NTP format, error 2^-10 s ≈ 0.98 ms
 * (scale 22, multiplier 1), an honest bound for a wall clock read through Node.
 */
export const OUR_ERROR_ESTIMATE: ErrorEstimate = { synchronized: false, ptpFormat: false, scale: 22, multiplier: 1 };

export interface SenderPacket {
  seq: number;
  timestamp: WireTimestamp;
  errorEstimate: ErrorEstimate;
  /** Session identifier (RFC 8972); 0 when the sender does not use one. */
  ssid: number;
  /** Whole datagram length in bytes, padding included. */
  sizeBytes: number;
}

export interface ReflectorPacket {
  /** The reflector's own sequence number: a copy of senderSeq (stateless) or its per-session counter (stateful). */
  seq: number;
  /** When the reflector sent the reply (b). */
  timestamp: WireTimestamp;
  errorEstimate: ErrorEstimate;
  ssid: number;
  /** When the reflector received the test packet (a), in the format given by errorEstimate.ptpFormat. */
  receiveTimestamp: WireTimestamp;
  senderSeq: number;
  senderTimestamp: WireTimestamp;
  senderErrorEstimate: ErrorEstimate;
  /** IP TTL / hop limit of the test packet as the reflector saw it; 0 when it could not read it. */
  senderTtl: number;
  sizeBytes: number;
}

export type Decoded<T> = { ok: true; packet: T } | { ok: false; reason: string };

function writeTs(buf: Buffer, off: number, ts: WireTimestamp): void {
  buf.writeUInt32BE(ts.seconds >>> 0, off);
  buf.writeUInt32BE(ts.fraction >>> 0, off + 4);
}

function readTs(buf: Buffer, off: number): WireTimestamp {
  return { seconds: buf.readUInt32BE(off), fraction: buf.readUInt32BE(off + 4) };
}

function checkSize(sizeBytes: number): void {
  if (!Number.isInteger(sizeBytes) || sizeBytes < STAMP_MIN_BYTES || sizeBytes > STAMP_MAX_BYTES) {
    throw new RangeError(`STAMP packet size must be an integer from ${STAMP_MIN_BYTES} to ${STAMP_MAX_BYTES}, got ${sizeBytes}`);
  }
}

/** A session-sender packet of `sizeBytes` (MBZ and padding zero). Throws RangeError on a size we would never send. */
export function encodeSenderPacket(p: Omit<SenderPacket, 'sizeBytes'>, sizeBytes: number = STAMP_MIN_BYTES): Buffer {
  return senderPart(p, sizeBytes);
}

/** The fields both packet kinds start with (RFC 8762 §4.2.1 and §4.3.1 share offsets 0–11 and the SSID). */
function senderPart(p: Omit<SenderPacket, 'sizeBytes'>, sizeBytes: number): Buffer {
  checkSize(sizeBytes);
  const buf = Buffer.alloc(sizeBytes);
  buf.writeUInt32BE(p.seq >>> 0, OFF.seq);
  writeTs(buf, OFF.timestamp, p.timestamp);
  buf.writeUInt16BE(encodeErrorEstimate(p.errorEstimate), OFF.errorEstimate);
  buf.writeUInt16BE(p.ssid & 0xffff, OFF.ssid);
  return buf;
}

export function decodeSenderPacket(buf: Buffer): Decoded<SenderPacket> {
  if (buf.length < STAMP_MIN_BYTES) return { ok: false, reason: `too short: ${buf.length} bytes, STAMP needs at least ${STAMP_MIN_BYTES}` };
  return {
    ok: true,
    packet: {
      seq: buf.readUInt32BE(OFF.seq),
      timestamp: readTs(buf, OFF.timestamp),
      errorEstimate: decodeErrorEstimate(buf.readUInt16BE(OFF.errorEstimate)),
      ssid: buf.readUInt16BE(OFF.ssid),
      sizeBytes: buf.length,
    },
  };
}

/** A session-reflector packet of `sizeBytes` (MBZ and padding zero). */
export function encodeReflectorPacket(p: Omit<ReflectorPacket, 'sizeBytes'>, sizeBytes: number = STAMP_MIN_BYTES): Buffer {
  const buf = senderPart(p, sizeBytes);
  writeTs(buf, OFF.receiveTimestamp, p.receiveTimestamp);
  buf.writeUInt32BE(p.senderSeq >>> 0, OFF.senderSeq);
  writeTs(buf, OFF.senderTimestamp, p.senderTimestamp);
  buf.writeUInt16BE(encodeErrorEstimate(p.senderErrorEstimate), OFF.senderErrorEstimate);
  buf.writeUInt8(p.senderTtl & 0xff, OFF.senderTtl);
  return buf;
}

export function decodeReflectorPacket(buf: Buffer): Decoded<ReflectorPacket> {
  if (buf.length < STAMP_MIN_BYTES) return { ok: false, reason: `too short: ${buf.length} bytes, a STAMP reply has at least ${STAMP_MIN_BYTES}` };
  return {
    ok: true,
    packet: {
      seq: buf.readUInt32BE(OFF.seq),
      timestamp: readTs(buf, OFF.timestamp),
      errorEstimate: decodeErrorEstimate(buf.readUInt16BE(OFF.errorEstimate)),
      ssid: buf.readUInt16BE(OFF.ssid),
      receiveTimestamp: readTs(buf, OFF.receiveTimestamp),
      senderSeq: buf.readUInt32BE(OFF.senderSeq),
      senderTimestamp: readTs(buf, OFF.senderTimestamp),
      senderErrorEstimate: decodeErrorEstimate(buf.readUInt16BE(OFF.senderErrorEstimate)),
      senderTtl: buf.readUInt8(OFF.senderTtl),
      sizeBytes: buf.length,
    },
  };
}
