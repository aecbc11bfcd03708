/**
 * Did the receiver really take the rows? A 2xx alone does not say: VictoriaMetrics answers 204
 * to /write, /api/v1/import and /api/v1/import/prometheus and drops each line it cannot parse,
 * logging it and counting it in `vm_rows_invalid_total{type=...}` on its /metrics page, about
 * a second after it answered (measured: 0.93-0.97 s for each of the three). A read-back
 * (/api/v1/export) would be exact per batch but lags the same second and costs a query per
 * series; the counter costs three GETs of /metrics per push (about 7 KB gzipped each): one
 * before, two after the last batch (at 1.2 s and 2.5 s), so it names the push, not the batch.
 *
 * Limits (docs/monitoring.md): the counter is per VictoriaMetrics process, so another client
 * sending bad rows at the same moment is blamed on our push (its batches go to rejected/,
 * nothing is lost); where /metrics is not reachable or has no such counter (InfluxDB,
 * Telegraf, a proxy that hides it), the check is skipped and only the status and the body decide.
 */
import type { PushFormat } from '../core/format-names.js';
import { postOnce } from './http-post.js';

/** The vm_rows_invalid_total type that counts lines of each body format. */
const VM_TYPE: Record<PushFormat, string | null> = { influx: 'influx', vmimport: 'vmimport', openmetrics: 'prometheus', ndjson: null };

export interface RowCheck {
  /** What the counter says now, or null when it cannot be read. */
  read(signal?: AbortSignal): Promise<number | null>;
  /** Rows dropped since `baseline` (> 0), 0 when none after the receiver's delay, null when the counter cannot be read. */
  roseAbove(baseline: number, signal?: AbortSignal): Promise<number | null>;
  /** e.g. vm_rows_invalid_total{type="influx"}, for messages. */
  readonly counter: string;
}

/** When to look again after the last batch (ms): VictoriaMetrics updates the counter about 1 s after answering. */
const LOOK_AT_MS = [1200, 2500];

/** A check of VictoriaMetrics' invalid-row counter for pushes of `format` to `url`, or null when the format has none. */
export function vmRowCheck(
  url: URL,
  format: PushFormat,
  headers: Record<string, string>,
  opts: { timeoutMs?: number; lookAtMs?: readonly number[]; sleep?: (ms: number) => Promise<void> } = {},
): RowCheck | null {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const type = VM_TYPE[format];
  if (!type) return null;
  const metricsUrl = new URL('/metrics', url);
  const counter = `vm_rows_invalid_total{type="${type}"}`;
  const read = async (signal?: AbortSignal) => {
    const r = await postOnce(metricsUrl, Buffer.alloc(0), { ...headers, 'accept-encoding': 'gzip' }, { method: 'GET', timeoutMs, signal, keepBodyBytes: 4 << 20 });
    if (r.status !== 200 || r.body === undefined) return null;
    return parseCounter(r.body, counter);
  };
  return {
    counter,
    read,
    async roseAbove(baseline, signal) {
      let waited = 0;
      let last: number | null = null;
      for (const at of opts.lookAtMs ?? LOOK_AT_MS) {
        if (signal?.aborted) break;
        await sleep(at - waited);
        waited = at;
        const v = await read(signal);
        if (v === null) continue;
        last = v;
        if (v > baseline) return v - baseline;
      }
      return last === null ? null : 0;
    },
  };
}

/** The value of one sample line `name{labels} value` in Prometheus text, or null. */
export function parseCounter(text: string, sample: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(sample + ' ')) continue;
    const v = Number(line.slice(sample.length + 1).trim().split(' ')[0]);
    return Number.isFinite(v) ? v : null;
  }
  return null;
}
