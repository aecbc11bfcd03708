import type { ConfigReader } from '../core/config-reader.js';
import { QosError, errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import type { PacketSample, ProbeOutcome } from '../core/samples.js';
import { resolveHost, type Resolved } from '../net/resolve.js';

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

/**
 * The target's address, resolved once before the first attempt so that name resolution is not in the measured times;
 * or, when it does not resolve (or the run was stopped meanwhile), the outcome of a test that made no attempt
 * (DNS_FAILED, ABORTED; failures.ts counts it as sent = 0). One rule for every probe that resolves its endpoint
 * (icmp, tcp, stamp, trace).
 */
export async function resolveTarget(
  host: string,
  target: string,
  opts: { family?: 4 | 6; signal: AbortSignal; timeoutMs?: number },
  resolve: typeof resolveHost = resolveHost,
): Promise<({ ok: true } & Resolved) | { ok: false; failed: Pick<ProbeOutcome, 'target' | 'error' | 'interrupted'> }> {
  try {
    return { ok: true, ...(await resolve(host, opts)) };
  } catch (err) {
    const code = err instanceof QosError ? measurementCodeFor(err) : 'DNS_FAILED';
    return { ok: false, failed: { target, error: { code, message: errorMessage(err) }, interrupted: code === 'ABORTED' } };
  }
}

/** An attempt of a paced test (tcp handshakes, dns queries), with its place on the test's timeline. */
export interface PacedAttempt {
  seq: number;
  sentAtMs: number;
  rttMs: number | null;
  errorCode?: MeasurementErrorCode;
  errorMessage?: string;
  /** Cut short by the abort signal before its own timeout: neither answered nor lost. */
  cut: boolean;
}

/** The samples of a paced test: every attempt but those the abort cut short (tcp, dns). */
export function keptAttempts(results: readonly PacedAttempt[]): PacketSample[] {
  return results.filter((a) => !a.cut).map(({ seq, sentAtMs, rttMs, errorCode, errorMessage: msg }) => ({ seq, sentAtMs, rttMs, errorCode, errorMessage: msg }));
}
