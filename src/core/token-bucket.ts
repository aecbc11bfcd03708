/**
 * The one token bucket (the reflector's per-source packet limit and its log-line limit, the HTTP side's per-source
 * limit): `perSecond` tokens a second, at most `burst` saved up. The state is plain data so a table of buckets keyed
 * by source costs one small object each.
 */
export interface TokenBucket {
  tokens: number;
  /** When it was last refilled, ms on the caller's clock. */
  lastMs: number;
}

/** Refill since the last call, then take one token; false (nothing taken) when none is left. */
export function takeToken(b: TokenBucket, nowMs: number, perSecond: number, burst: number): boolean {
  b.tokens = Math.min(burst, b.tokens + ((nowMs - b.lastMs) / 1000) * perSecond);
  b.lastMs = nowMs;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}
