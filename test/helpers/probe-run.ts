import { ConfigReader, type Obj } from '../../src/core/config-reader.js';
import { probeFor } from '../../src/probes/index.js';
import type { ProbeOutcome } from '../../src/core/samples.js';
import { buildRecord } from '../../src/records/assemble.js';
import type { ResultRecord } from '../../src/core/schema.js';
import { ctx } from './records.js';

/** Parse a config-style test entry, run the probe, and build the record as the runner would. */
export async function runProbe(
  kind: string,
  raw: Obj,
  o: { host?: string; signal?: AbortSignal; count?: number; intervalMs?: number; timeoutMs?: number } = {},
): Promise<{ record: ResultRecord; outcome: ProbeOutcome }> {
  const probe = probeFor(kind)!;
  const d = { ...(probe.defaults ?? {}), count: 3, intervalMs: 50, timeoutMs: 2000 };
  const spec = probe.parse(raw, { kind, count: o.count ?? d.count, intervalMs: o.intervalMs ?? d.intervalMs, timeoutMs: o.timeoutMs ?? d.timeoutMs }, new ConfigReader('test'), 'test');
  const started = new Date();
  const t0 = performance.now();
  const outcome = await probe.run({ name: 'test', host: o.host ?? '127.0.0.1' }, spec, { signal: o.signal ?? new AbortController().signal });
  const record = buildRecord(
    ctx,
    { endpoint: 'test', test: kind, startedAt: started, durationMs: performance.now() - t0, intervalMs: spec.intervalMs, timeoutMs: spec.timeoutMs },
    outcome,
  );
  return { record, outcome };
}
