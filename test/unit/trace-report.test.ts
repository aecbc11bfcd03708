import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigReader } from '../../src/core/config-reader.js';
import { makeTraceProbe } from '../../src/probes/trace.js';
import type { ResultRecord } from '../../src/core/schema.js';
import { buildReport } from '../../src/report/pipeline.js';
import { runPlan } from '../../src/run/runner.js';
import { ctx } from '../helpers/records.js';

const fx = (name: string) => readFileSync(join(import.meta.dirname, '../..', 'fixtures', 'trace', name), 'utf8');

/** The records of a trace over recorded mtr output (loss from hop 2), as NDJSON. */
async function traceNdjson(): Promise<string> {
  const probe = makeTraceProbe(async (o) => ({ tool: 'mtr', outputs: [fx('mtr-raw-lab-loss-at-hop2.txt')], stderr: '', stoppedBy: null, intervalMs: o.intervalMs, durationMs: 1, command: ['mtr'] }));
  const spec = probe.parse({}, { kind: 'trace', count: 50, intervalMs: 100, timeoutMs: 1000 }, new ConfigReader('t'), 't');
  const records: ResultRecord[] = [];
  await runPlan([{ endpoint: { name: 'lab', host: '10.77.83.2' }, spec, probe: probe as never }], ctx, { onRecord: (r) => records.push(r) });
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

const source = (text: string) => [{ name: 'trace.ndjson', open: () => Readable.from([text]) }];

describe('report over trace records', () => {
  it('--by hop: one group per hop with its loss (and one for the trace\'s own record)', async () => {
    const data = await buildReport(source(await traceNdjson()), { by: ['hop'], profile: null });
    const byKey = new Map(data.groups.map((g) => [g.key[0], g.metrics.loss_percent.mean]));
    expect([1, 2, 3, 4].map((h) => byKey.get(String(h)))).toEqual([0, 14, 10, 18]); // 0, 7, 5, 9 of 50
    expect(data.groups).toHaveLength(5); // and the trace's own record, without a hop: the target's 18%
  });

  it('any other grouping counts the trace once (its own record), not once per hop', async () => {
    const data = await buildReport(source(await traceNdjson()), { by: ['test'], profile: null });
    expect(data.groups).toHaveLength(1);
    expect(data.groups[0]).toMatchObject({ key: ['trace'], records: 1 });
    expect(data.groups[0]!.metrics.loss_percent.mean).toBe(18);
  });
});

describe('monitoring formats over trace records', () => {
  it('influx, openmetrics and vmimport carry the trace\'s own record only: hop rows would overwrite it (same labels, same time)', async () => {
    const { influxLines } = await import('../../src/monitoring/influx.js');
    const { openMetricsText } = await import('../../src/monitoring/openmetrics.js');
    const { vmImportLines } = await import('../../src/monitoring/vmimport.js');
    const records = (await traceNdjson())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ResultRecord);
    expect(records).toHaveLength(5);
    const lp = influxLines(records).trim().split('\n');
    expect(lp).toHaveLength(1);
    expect(lp[0]).toMatch(/trace_loss_hop=2i/);
    expect(lp[0]).toMatch(/loss_percent=18[ ,]/);
    expect(lp[0]).not.toMatch(/\bhop=/);
    const om = openMetricsText(records);
    expect(om).toMatch(/^qosprobe_trace_loss_hop\{.*\} 2$/m);
    expect(om).toMatch(/^qosprobe_loss_percent\{.*test="trace"\} 18$/m);
    expect(om).not.toMatch(/^qosprobe_hop\{/m);
    expect(vmImportLines(records, 0).trim().split('\n').every((l) => !l.includes('"hop"'))).toBe(true);
  });
});
