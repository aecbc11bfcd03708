/**
 * The first hop on every record (as RIPE Atlas does): a few pings to the default gateway while
 * each test runs, so a record separates "the site's own link" (Wi-Fi, the radio, the LAN) from
 * "beyond it". Cheap: GATEWAY_PINGS small echo requests, GATEWAY_INTERVAL_MS apart, through the
 * system ping like the icmp test, and the same packet statistics.
 */
import { isIP } from 'node:net';
import { runPing, type PingOptions, type PingRun } from '../net/ping.js';
import { buildIcmpOutcome } from '../probes/icmp.js';
import type { Metrics } from '../core/schema.js';
import type { LinkBind } from '../core/samples.js';
import { summarizePackets } from '../stats/packets.js';

export type GatewayMetrics = Pick<Metrics, 'gateway_rtt_ms' | 'gateway_loss_percent'>;

export const GATEWAY_PINGS = 5;
/** 200 ms: the shortest interval iputils allows a non-root user. */
export const GATEWAY_INTERVAL_MS = 200;
export const GATEWAY_TIMEOUT_MS = 1000;
/** Small: the first hop's figures, not a load on it. */
const GATEWAY_SIZE_BYTES = 16;

/**
 * Ping the gateway until done or `signal` fires (then what came back so far counts). Never
 * throws: a gateway that is not an address, or a ping that cannot run, gives nulls; a gateway
 * that answers nothing gives 100% loss and a null RTT.
 */
export async function measureGateway(
  gateway: string,
  signal: AbortSignal,
  ping: (o: PingOptions) => Promise<PingRun> = runPing,
  /** A link's own gateway is pinged through that link (issue 22). */
  bind?: LinkBind,
): Promise<GatewayMetrics> {
  const family = isIP(gateway);
  if (family !== 4 && family !== 6) return { gateway_rtt_ms: null, gateway_loss_percent: null };
  try {
    const run = await ping({
      address: gateway,
      family,
      count: GATEWAY_PINGS,
      intervalMs: GATEWAY_INTERVAL_MS,
      timeoutMs: GATEWAY_TIMEOUT_MS,
      sizeBytes: GATEWAY_SIZE_BYTES,
      signal,
      bind,
    });
    const outcome = buildIcmpOutcome({ target: gateway, targetIp: gateway, spec: { count: GATEWAY_PINGS, timeoutMs: GATEWAY_TIMEOUT_MS, size: GATEWAY_SIZE_BYTES }, run });
    if (outcome.samples?.type !== 'packets' || outcome.samples.packets.length === 0) return { gateway_rtt_ms: null, gateway_loss_percent: null };
    const m = summarizePackets(outcome.samples.packets, { intervalMs: GATEWAY_INTERVAL_MS });
    return { gateway_rtt_ms: m.rtt_median_ms ?? null, gateway_loss_percent: m.loss_percent ?? null };
  } catch {
    return { gateway_rtt_ms: null, gateway_loss_percent: null };
  }
}
