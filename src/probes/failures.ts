/**
 * One mapping of failures to records, for every probe (issue 15; the table is docs/failures.md).
 *
 * The counting rule: `sent` counts the attempts a test made that could leave this host (packets,
 * connections, queries, requests). So
 * - a test that could not make any attempt (the target's name did not resolve, no route or no
 *   address at the start, the ping program refused to start) has sent = 0, received = 0 and
 *   loss_percent = null: nothing was sent, so there is no loss to compute, and the cause is in
 *   error_code. Counting planned attempts as lost would turn "this laptop had no network" into
 *   "the network lost 100% of the packets", which pollutes loss statistics;
 * - a test that did make attempts counts every one of them, also those that failed later for a
 *   local reason (the address vanished mid-test): they are lost, and loss_percent shows the outage;
 * - null counts are left for tests that never ran (the run's deadline or an interrupt came first)
 *   and for output that could not be read (PING_UNPARSEABLE): not measured, as opposed to zero.
 * Transfers (download, upload) count bytes, not attempts: bytes = 0 when nothing arrived.
 */
import type { MeasurementErrorCode } from '../core/errors.js';
import type { PacketSample, ProbeOutcome, Samples } from '../core/samples.js';
import { attemptAsPacket } from '../core/samples.js';

/** Codes that, on an outcome without samples, mean the probe gave up before its first attempt. */
const BEFORE_FIRST_ATTEMPT = new Set<MeasurementErrorCode>([
  'DNS_FAILED',
  'NETWORK_UNREACHABLE',
  'HOST_UNREACHABLE',
  'CONNECT_REFUSED',
  'PING_UNAVAILABLE',
  'PING_FAILED',
  'SOCKET_ERROR',
]);

/** The samples whose entries are attempts (packets, queries, requests), as a probe declares in ProbeDef.attempts. */
export type AttemptSamples = 'packets' | 'dns' | 'http';

/**
 * Attempts that never left this host: the kernel had no route or no source address, or (except for the dns
 * probe, whose attempts are the lookups themselves) the target's name did not resolve.
 */
function neverLeft(type: AttemptSamples, code: MeasurementErrorCode | undefined): boolean {
  return code === 'NETWORK_UNREACHABLE' || (code === 'DNS_FAILED' && type !== 'dns');
}

/** The samples of a test that made no attempt. */
function noAttempts(type: AttemptSamples | null): Samples | null {
  switch (type) {
    case 'packets':
      return { type: 'packets', intervalMs: 0, packets: [] };
    case 'dns':
      return { type: 'dns', intervalMs: 0, queries: [] };
    case 'http':
      return { type: 'http', intervalMs: 0, attempts: [] };
    case null:
      return null;
  }
}

/** The attempts of packet-like samples, as (answered, error) pairs. */
function attemptsOf(s: Samples): Pick<PacketSample, 'rttMs' | 'errorCode' | 'errorMessage'>[] | null {
  switch (s.type) {
    case 'packets':
      return s.packets;
    case 'dns':
      return s.queries;
    case 'http':
      return s.attempts.map(attemptAsPacket);
    case 'transfer':
      return null;
  }
}

/** Apply the counting rule above to the outcome of a probe whose samples are `attempts` (null: not counted in attempts). Pure. */
export function settleOutcome(attempts: AttemptSamples | null, outcome: ProbeOutcome): ProbeOutcome {
  const code = outcome.error?.code;
  if (!outcome.samples) {
    const empty = noAttempts(attempts);
    if (empty && code && BEFORE_FIRST_ATTEMPT.has(code)) return { ...outcome, samples: empty };
    return outcome;
  }
  const made = attemptsOf(outcome.samples);
  const empty = noAttempts(attempts);
  if (!made || !empty || attempts === null || made.length === 0) return outcome;
  // Every attempt was refused by this host: none left it, the test could not start.
  const first = made[0];
  if (first?.errorCode && neverLeft(attempts, first.errorCode) && made.every((a) => a.rttMs == null && a.errorCode === first.errorCode)) {
    return { ...outcome, samples: { ...empty, intervalMs: outcome.samples.intervalMs } as Samples, error: { code: first.errorCode, message: first.errorMessage ?? first.errorCode } };
  }
  return outcome;
}
