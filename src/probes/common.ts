import type { ConfigReader } from '../core/config-reader.js';
import type { MeasurementErrorCode } from '../core/errors.js';
import type { PacketSample } from '../core/samples.js';

/**
 * The most frequent failure cause among attempts, with one example message, so a record
 * whose attempts all failed says why (CONNECT_REFUSED, TIMEOUT...). Null when none failed.
 */
export function dominantError(packets: readonly PacketSample[]): { code: MeasurementErrorCode; message: string } | null {
  const counts = new Map<MeasurementErrorCode, { n: number; message: string }>();
  for (const p of packets) {
    if (p.rttMs != null || !p.errorCode) continue;
    const c = counts.get(p.errorCode);
    if (c) c.n++;
    else counts.set(p.errorCode, { n: 1, message: p.errorMessage ?? p.errorCode });
  }
  let best: { code: MeasurementErrorCode; message: string } | null = null;
  let bestN = 0;
  for (const [code, { n, message }] of counts) {
    if (n > bestN) [best, bestN] = [{ code, message }, n];
  }
  return best;
}

/** `family: 4 | 6` of the icmp, tcp and stamp entries, read one way for all three (5 is an error, not IPv4). */
export function readFamily(v: unknown, r: ConfigReader, path: string): 4 | 6 | undefined {
  if (v === undefined || v === null) return undefined;
  if (v !== 4 && v !== 6) r.fail(path, '4 or 6', v);
  return v;
}
