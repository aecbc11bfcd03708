import type { MeasurementErrorCode } from '../errors.js';
import type { PacketSample } from './types.js';

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
