import { describe, expect, it } from 'vitest';
import {
  STAMP_MIN_BYTES,
  decodeErrorEstimate,
  decodeReflectorPacket,
  decodeSenderPacket,
  encodeErrorEstimate,
  encodeReflectorPacket,
  encodeSenderPacket,
  errorEstimateMs,
} from '../../src/stamp/packet.js';
import { ntpFromUnixMs, timestampDiffMs, unixMsFromNtp, unixMsFromPtp } from '../../src/stamp/ntp.js';

// Reflector packet, RFC 8762 §4.3.1 figure, written octet by octet (not by our encoder):
//  0 Sequence Number            4 Timestamp (8)            12 Error Estimate   14 SSID / MBZ
// 16 Receive Timestamp (8)     24 Session-Sender Seq (4)   28 Session-Sender Timestamp (8)
// 36 Session-Sender Error Est. 38 MBZ (2)                  40 Session-Sender TTL  41 MBZ (3)
function handBuiltReflectorPacket(): Buffer {
  const b = Buffer.alloc(44, 0);
  b.set([0x00, 0x00, 0x01, 0x02], 0); // reflector seq 258
  b.set([0xe9, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00], 4); // T = 0xE9000000 s + 0.5 s
  b.set([0x81, 0x05], 12); // S=1 Z=0 scale=1 multiplier=5
  b.set([0x12, 0x34], 14); // SSID 0x1234
  b.set([0xe9, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00], 16); // receive = 0xE9000000 s + 0.25 s
  b.set([0x00, 0x00, 0x00, 0x07], 24); // sender seq 7
  b.set([0xe8, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01], 28); // sender timestamp
  b.set([0x00, 0x01], 36); // S=0 Z=0 scale=0 multiplier=1
  b[40] = 63; // TTL
  return b;
}

describe('STAMP packet layout (RFC 8762 §4)', () => {
  it('decodes a reflector packet built by hand from the RFC figure', () => {
    const d = decodeReflectorPacket(handBuiltReflectorPacket());
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.packet).toEqual({
      seq: 258,
      timestamp: { seconds: 0xe9000000, fraction: 0x80000000 },
      errorEstimate: { synchronized: true, ptpFormat: false, scale: 1, multiplier: 5 },
      ssid: 0x1234,
      receiveTimestamp: { seconds: 0xe9000000, fraction: 0x40000000 },
      senderSeq: 7,
      senderTimestamp: { seconds: 0xe8ffffff, fraction: 1 },
      senderErrorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 },
      senderTtl: 63,
      sizeBytes: 44,
    });
    // residence b − a = 0.5 s − 0.25 s
    expect(timestampDiffMs(d.packet.timestamp, d.packet.receiveTimestamp, 'ntp')).toBe(250);
  });

  it('decodes a sender packet built by hand (§4.2.1), padding included', () => {
    const b = Buffer.alloc(60, 0);
    b.writeUInt32BE(0xfffffffe, 0);
    b.writeUInt32BE(0xe9123456, 4);
    b.writeUInt32BE(0xc0000000, 8); // .75 s
    b.writeUInt16BE(0x4a20, 12); // S=0 Z=1 scale=10 multiplier=32
    b.writeUInt16BE(0xbeef, 14);
    const d = decodeSenderPacket(b);
    expect(d).toEqual({
      ok: true,
      packet: {
        seq: 0xfffffffe,
        timestamp: { seconds: 0xe9123456, fraction: 0xc0000000 },
        errorEstimate: { synchronized: false, ptpFormat: true, scale: 10, multiplier: 32 },
        ssid: 0xbeef,
        sizeBytes: 60,
      },
    });
  });

  it('encodes a sender packet at the RFC offsets, zero MBZ and padding', () => {
    const b = encodeSenderPacket(
      { seq: 0x01020304, timestamp: { seconds: 0xa1a2a3a4, fraction: 0xb1b2b3b4 }, errorEstimate: { synchronized: true, ptpFormat: false, scale: 22, multiplier: 1 }, ssid: 0x0a0b },
      64,
    );
    expect(b.length).toBe(64);
    expect([...b.subarray(0, 16)]).toEqual([1, 2, 3, 4, 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xb3, 0xb4, 0x96, 0x01, 0x0a, 0x0b]);
    expect(b.subarray(16).every((x) => x === 0)).toBe(true);
  });

  it('encodes a reflector packet at the RFC offsets', () => {
    const b = encodeReflectorPacket(
      {
        seq: 9,
        timestamp: { seconds: 1, fraction: 2 },
        errorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 },
        ssid: 0x0102,
        receiveTimestamp: { seconds: 3, fraction: 4 },
        senderSeq: 5,
        senderTimestamp: { seconds: 6, fraction: 7 },
        senderErrorEstimate: { synchronized: true, ptpFormat: true, scale: 63, multiplier: 255 },
        senderTtl: 255,
      },
      44,
    );
    expect(b.readUInt32BE(0)).toBe(9);
    expect([b.readUInt32BE(4), b.readUInt32BE(8)]).toEqual([1, 2]);
    expect(b.readUInt16BE(12)).toBe(0x0001);
    expect(b.readUInt16BE(14)).toBe(0x0102);
    expect([b.readUInt32BE(16), b.readUInt32BE(20)]).toEqual([3, 4]);
    expect(b.readUInt32BE(24)).toBe(5);
    expect([b.readUInt32BE(28), b.readUInt32BE(32)]).toEqual([6, 7]);
    expect(b.readUInt16BE(36)).toBe(0xffff);
    expect(b.readUInt16BE(38)).toBe(0);
    expect(b[40]).toBe(255);
    expect([b[41], b[42], b[43]]).toEqual([0, 0, 0]);
  });

  it.each([0, 1, 14, 40, 43])('refuses a %i-byte datagram with a reason, without throwing', (n) => {
    const s = decodeSenderPacket(Buffer.alloc(n, 0xff));
    const r = decodeReflectorPacket(Buffer.alloc(n, 0xff));
    expect(s.ok).toBe(false);
    expect(r.ok).toBe(false);
    if (!s.ok) expect(s.reason).toMatch(/too short/);
  });

  it('refuses to encode below the 44-byte minimum', () => {
    expect(STAMP_MIN_BYTES).toBe(44);
    const p = { seq: 0, timestamp: { seconds: 0, fraction: 0 }, errorEstimate: decodeErrorEstimate(1), ssid: 0 };
    expect(() => encodeSenderPacket(p, 43)).toThrow(RangeError);
  });
});

describe('error estimate (RFC 4656 §4.1.2, Z bit RFC 8186)', () => {
  it.each([
    // bits S Z scale(6) multiplier(8)
    [0x8000 | 0x0001, { synchronized: true, ptpFormat: false, scale: 0, multiplier: 1 }],
    [0x4000 | (63 << 8) | 0xff, { synchronized: false, ptpFormat: true, scale: 63, multiplier: 255 }],
    [(22 << 8) | 1, { synchronized: false, ptpFormat: false, scale: 22, multiplier: 1 }],
  ])('0x%s round-trips', (raw, fields) => {
    expect(decodeErrorEstimate(raw)).toEqual(fields);
    expect(encodeErrorEstimate(fields)).toBe(raw);
  });

  it('gives multiplier × 2^(scale−32) seconds', () => {
    // 1 × 2^(32−32) s = 1000 ms; 3 × 2^(22−32) s = 2.9296875 ms
    expect(errorEstimateMs({ synchronized: false, ptpFormat: false, scale: 32, multiplier: 1 })).toBe(1000);
    expect(errorEstimateMs({ synchronized: false, ptpFormat: false, scale: 22, multiplier: 3 })).toBe(2.9296875);
  });
});

describe('timestamps', () => {
  it('NTP epoch is 1900: Unix 0 is 2208988800 s, and the fraction is binary', () => {
    expect(ntpFromUnixMs(0)).toEqual({ seconds: 2_208_988_800, fraction: 0 });
    // 2026-01-01T00:00:00.5Z
    const ms = Date.UTC(2026, 0, 1) + 500;
    expect(ntpFromUnixMs(ms)).toEqual({ seconds: ms / 1000 - 0.5 + 2_208_988_800, fraction: 0x80000000 });
    expect(unixMsFromNtp({ seconds: 2_208_988_800 + 1, fraction: 0x40000000 })).toBe(1250);
  });

  it('keeps sub-microsecond precision through a round trip', () => {
    const ms = 1_790_000_000_123.457; // about the finest a double holds at this magnitude (~0.2 µs)
    expect(Math.abs(unixMsFromNtp(ntpFromUnixMs(ms)) - ms)).toBeLessThan(0.001);
  });

  it('reads NTP era 1 (after 2036-02-07) when the seconds have wrapped', () => {
    // 2040-01-01 is 2^32 s + x after 1900: on the wire x is small.
    const ms = Date.UTC(2040, 0, 1);
    const wire = ntpFromUnixMs(ms);
    expect(wire.seconds).toBeLessThan(2 ** 31);
    expect(unixMsFromNtp(wire)).toBe(ms);
  });

  it('PTP truncated format: seconds since 1970 and nanoseconds', () => {
    expect(unixMsFromPtp({ seconds: 10, fraction: 500_000_000 })).toBe(10_500);
    expect(timestampDiffMs({ seconds: 11, fraction: 0 }, { seconds: 10, fraction: 999_000_000 }, 'ptp')).toBeCloseTo(1, 9);
  });

  it('diff across the 32-bit seconds wrap', () => {
    expect(timestampDiffMs({ seconds: 0, fraction: 0 }, { seconds: 0xffffffff, fraction: 0 }, 'ntp')).toBe(1000);
  });
});
