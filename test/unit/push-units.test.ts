/**
 * Pure parts of push: which format a URL takes, what may be printed of it, splitting a batch
 * into records and unreadable lines, the VictoriaMetrics bodies and counter, old batches, requeue.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openMetricsText } from '../../src/monitoring/openmetrics.js';
import { vmImportLines } from '../../src/monitoring/vmimport.js';
import { staleBatches } from '../../src/spool/push.js';
import { displayUrl, resolvePushTarget } from '../../src/spool/receiver.js';
import { listSpool, moveBatch, parseBatchText, requeueBatches, writeBatch } from '../../src/spool/spool.js';
import { parseCounter } from '../../src/spool/verify.js';
import { monitoringRecord } from '../helpers/field-records.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('qosprobe-pushunit-');

describe('resolvePushTarget: the URL path picks the format', () => {
  it.each([
    ['http://127.0.0.1:8428/write', 'influx', 'influx', true],
    ['http://127.0.0.1:8428/write?db=qos&u=a&p=b', 'influx', 'influx', true],
    ['http://127.0.0.1:8428/api/v2/write', 'influx', 'influx', true],
    ['http://127.0.0.1:8428/influx/write/', 'influx', 'influx', true],
    ['http://127.0.0.1:8480/insert/0/influx/write', 'influx', 'influx', true],
    ['http://127.0.0.1:8428/api/v1/import', 'vmimport', 'vm-import', true],
    ['http://127.0.0.1:8480/insert/0/prometheus/api/v1/import', 'vmimport', 'vm-import', true],
    ['http://127.0.0.1:8428/api/v1/import/prometheus', 'openmetrics', 'vm-prometheus', true],
    ['http://127.0.0.1:9091/metrics/job/qosprobe/instance/tps-017', 'openmetrics', 'pushgateway', false],
    ['http://127.0.0.1:9091/pgw/metrics/job/qosprobe', 'openmetrics', 'pushgateway', false],
  ])('%s → %s (%s, keeps time: %s)', (url, format, kind, keepsTime) => {
    expect(resolvePushTarget(new URL(url), undefined, '--format')).toMatchObject({ format, kind, keepsTime });
    // The same format given explicitly is fine.
    expect(resolvePushTarget(new URL(url), format as 'influx', '--format').format).toBe(format);
  });

  it.each([
    ['http://127.0.0.1:8428/write', 'ndjson'],
    ['http://127.0.0.1:8428/write', 'openmetrics'],
    ['http://127.0.0.1:8428/api/v1/import', 'influx'],
    ['http://127.0.0.1:8428/api/v1/import/prometheus', 'vmimport'],
    ['http://127.0.0.1:9091/metrics/job/q', 'influx'],
  ] as const)('%s with --format %s contradicts the path: USAGE', (url, format) => {
    expect(() => resolvePushTarget(new URL(url), format, '--push-format')).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(new RegExp(`^--push-format ${format} contradicts the URL`)) as unknown }) as unknown as Error,
    );
  });

  it('a path that does not say needs an explicit format; with one, openmetrics goes without timestamps', () => {
    for (const url of ['http://127.0.0.1:8123/?query=INSERT', 'http://127.0.0.1:1/ingest', 'http://127.0.0.1:1/WRITE', 'http://127.0.0.1:1/writer']) {
      expect(() => resolvePushTarget(new URL(url), undefined, '--format')).toThrow(expect.objectContaining({ code: 'USAGE' }) as unknown as Error);
    }
    expect(resolvePushTarget(new URL('http://127.0.0.1:1/ingest'), 'ndjson', '--format')).toMatchObject({ kind: 'unknown', keepsTime: true });
    expect(resolvePushTarget(new URL('http://127.0.0.1:1/ingest'), 'openmetrics', '--format')).toMatchObject({ kind: 'unknown', keepsTime: false });
  });

  it('paths of formats qosprobe does not produce are refused, even with a format', () => {
    for (const path of ['/api/v1/write', '/api/v1/push', '/api/v1/import/csv', '/api/v1/import/native']) {
      expect(() => resolvePushTarget(new URL(`http://127.0.0.1:1${path}`), 'influx', '--format')).toThrow(/which qosprobe does not produce/);
    }
  });

  it('property: any URL either resolves to one of the formats or is a USAGE error, never anything else', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.constantFrom(undefined, 'ndjson', 'influx', 'openmetrics', 'vmimport'), (u, f) => {
        try {
          const t = resolvePushTarget(new URL(u), f as 'ndjson' | undefined, '--format');
          expect(['ndjson', 'influx', 'openmetrics', 'vmimport']).toContain(t.format);
          if (f !== undefined) expect(t.format).toBe(f);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('USAGE');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('displayUrl drops credentials and the query (InfluxDB 1.x takes p=password there)', () => {
    expect(displayUrl(new URL('https://user:secret@127.0.0.1:8086/write?db=q&u=a&p=secret#x'))).toBe('https://127.0.0.1:8086/write');
  });
});

describe('parseBatchText: records and the lines that are not', () => {
  it('keeps good lines byte for byte, reports bad ones with their line numbers', () => {
    const good = JSON.stringify(monitoringRecord(1));
    const p = parseBatchText(`${good}\n{"torn": \n[1,2]\n\n${good}\n`);
    expect(p.goodLines).toEqual([good, good]);
    expect(p.records).toHaveLength(2);
    expect(p.bad.map((b) => [b.line, b.reason])).toEqual([
      [2, 'is not JSON'],
      [3, 'is not a record (a JSON object)'],
      [4, 'is not JSON'],
    ]);
  });

  it('property: every line is either a good line or a bad one, in order, none lost', () => {
    const line = fc.oneof(
      fc.constant(JSON.stringify(monitoringRecord(2))),
      fc.json(),
      fc.string().filter((s) => !s.includes('\n')),
    );
    fc.assert(
      fc.property(fc.array(line.filter((l) => !l.includes('\n')), { maxLength: 30 }), (lines) => {
        const p = parseBatchText(lines.map((l) => l + '\n').join(''));
        expect(p.goodLines.length + p.bad.length).toBe(lines.length);
        const rebuilt: string[] = [];
        let g = 0;
        const badAt = new Map(p.bad.map((b) => [b.line, b.text]));
        for (let i = 1; i <= lines.length; i++) rebuilt.push(badAt.get(i) ?? p.goodLines[g++]!);
        expect(rebuilt).toEqual(lines);
      }),
    );
  });
});

describe('VictoriaMetrics bodies keep the time of measurement', () => {
  const a = monitoringRecord(0, { started_at: '2026-11-24T08:00:00.250Z' });
  const b = monitoringRecord(2, { started_at: '2026-11-24T08:00:17.250Z' }); // same endpoint jkt-0, 17 s later

  it('vmimport: one line per series, every sample at its started_at (ms)', () => {
    const lines = vmImportLines([a, b])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
    const median = lines.find((l) => l.metric.__name__ === 'qosprobe_rtt_median_ms')!;
    expect(median.metric).toEqual({ __name__: 'qosprobe_rtt_median_ms', probe_id: 'bdg-tps-017', location_code: '32.73', endpoint: 'jkt-0', test: 'tcp' });
    expect(median.values).toEqual([a.rtt_median_ms, b.rtt_median_ms]);
    expect(median.timestamps).toEqual([Date.parse(a.started_at!), Date.parse(b.started_at!)]);
    expect(new Set(lines.map((l) => l.metric.__name__)).size).toBe(lines.length);
  });

  it('openmetrics with timestamps keeps both records of one series; without, the later one wins', () => {
    const withTs = openMetricsText([a, b], { timestamps: true });
    expect(withTs).toContain(`qosprobe_rtt_median_ms{probe_id="bdg-tps-017",location_code="32.73",endpoint="jkt-0",test="tcp"} ${a.rtt_median_ms} ${Date.parse(a.started_at!)}\n`);
    expect(withTs).toContain(`} ${b.rtt_median_ms} ${Date.parse(b.started_at!)}\n`);
    const without = openMetricsText([a, b]);
    expect(without).not.toContain(`} ${a.rtt_median_ms}\n`);
    expect(without).toContain(`} ${b.rtt_median_ms}\n`);
  });

  it('parseCounter reads one sample of a /metrics page', () => {
    const page = '# TYPE vm_rows_invalid_total counter\nvm_rows_invalid_total{type="influx"} 12\nvm_rows_invalid_total{type="vmimport"} 3\n';
    expect(parseCounter(page, 'vm_rows_invalid_total{type="vmimport"}')).toBe(3);
    expect(parseCounter(page, 'vm_rows_invalid_total{type="prometheus"}')).toBeNull();
  });
});

describe('spool: old batches and requeue', () => {
  it('staleBatches: by the end of the newest record (started_at + duration_ms)', () => {
    const dir = tmp();
    const now = Date.parse('2026-11-24T09:00:00Z');
    writeBatch(dir, 'old', [monitoringRecord(0, { started_at: '2026-11-24T08:50:00Z', duration_ms: 1000 })]);
    writeBatch(dir, 'fresh', [monitoringRecord(0, { started_at: '2026-11-24T08:40:00Z' }), monitoringRecord(1, { started_at: '2026-11-24T08:58:00Z', duration_ms: 60_000 })]);
    const stale = staleBatches(listSpool(dir).pending, now, 5 * 60_000);
    expect(stale.map((s) => s.batch.id)).toEqual(['old']);
    expect(stale[0]!.endedAtMs).toBe(Date.parse('2026-11-24T08:50:01Z'));
  });

  it('requeue moves rejected batches back by name or id, refuses unknown names and a name that is also pending', () => {
    const dir = tmp();
    const b1 = writeBatch(dir, 'r1', [monitoringRecord(1)])!;
    const b2 = writeBatch(dir, 'r2', [monitoringRecord(2)])!;
    moveBatch(dir, b1, 'rejected');
    moveBatch(dir, b2, 'rejected');
    expect(() => requeueBatches(dir, { names: ['nope'] })).toThrow(expect.objectContaining({ code: 'USAGE' }) as unknown as Error);
    expect(requeueBatches(dir, { names: ['r1'] })).toEqual([b1.name]);
    expect(listSpool(dir).pending.map((b) => b.id)).toEqual(['r1']);
    writeFileSync(join(dir, b2.name), readFileSync(join(dir, 'rejected', b2.name))); // a pending copy under the same name
    expect(() => requeueBatches(dir, { all: true })).toThrow(/also pending/);
    expect(readdirSync(join(dir, 'rejected'))).toEqual([b2.name]);
  });
});
