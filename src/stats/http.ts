/**
 * HTTP request metrics: the attempts as packets (sent, received, loss, rtt_* over the total
 * request time of every answered attempt, jitter), the phases of the cold sample and the
 * medians of the warm ones. Pure.
 */
import { attemptAsPacket, type HttpAttempt } from '../core/samples.js';
import type { Metrics } from '../core/schema.js';
import { summarizePackets } from './packets.js';
import { quantile } from './summary.js';

export function summarizeHttp(attempts: readonly HttpAttempt[], intervalMs: number): Metrics {
  // Loss is over the attempts whose fate is known; one cut in flight still counts as sent.
  const decided = attempts.filter((a) => !a.cut);
  const m = summarizePackets(decided.map(attemptAsPacket), { intervalMs });
  // The cold sample: the first request that opened a connection and got an answer.
  const cold = attempts.find((a) => a.cold && a.ttfbMs !== null) ?? null;
  const warm = attempts.filter((a) => !a.cold && a.ok);
  const withStatus = attempts.filter((a) => a.status !== null);
  return {
    ...m,
    sent: attempts.length,
    http_status: withStatus.length ? (withStatus[withStatus.length - 1]?.status ?? null) : null,
    dns_ms: cold?.dnsMs ?? null,
    connect_ms: cold?.connectMs ?? null,
    tls_ms: cold?.tlsMs ?? null,
    ttfb_ms: cold?.ttfbMs ?? null,
    total_ms: cold?.totalMs ?? null,
    warm_ttfb_ms: quantile(warm.map((a) => a.ttfbMs).filter((x): x is number => x !== null), 0.5),
    warm_total_ms: quantile(warm.map((a) => a.totalMs).filter((x): x is number => x !== null), 0.5),
  };
}
