import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELD_NAMES, FIELDS } from '../../src/core/schema.js';
import { buildRecord } from '../../src/records/assemble.js';
import { ctx, sampleRecords } from '../helpers/records.js';

describe('record building', () => {
  const [ok, refused] = sampleRecords();

  it('fills every schema field, null where it does not apply', () => {
    expect(Object.keys(ok!)).toEqual(expect.arrayContaining([...FIELD_NAMES]));
    expect(Object.keys(ok!)).toHaveLength(FIELD_NAMES.length);
    expect(ok!.throughput_bps).toBeNull();
    expect(ok!.http_status).toBeNull();
  });

  it('an ok test: metrics from the samples, rounded to 1 µs, no error', () => {
    // RTTs 0.25, 0.5, 0.125 (one lost): loss 1/4 = 25%; mean 0.875/3 = 0.291666.. → 0.292
    expect(ok).toMatchObject({ status: 'ok', error_code: null, sent: 4, received: 3, loss_percent: 25, rtt_min_ms: 0.125, rtt_max_ms: 0.5, rtt_mean_ms: 0.292, duration_ms: 812.346 });
    // IPDV: only (0,1) is a pair of consecutive received packets: |0.5-0.25| = 0.25
    expect(ok!.jitter_ms).toBe(0.25);
    expect(ok!.location_code).toBe('32.73');
    expect(ok!.started_at).toBe('2026-11-24T08:00:00.000Z');
  });

  it('every attempt failed: status error with the cause', () => {
    expect(refused).toMatchObject({ status: 'error', error_code: 'CONNECT_REFUSED', sent: 1, received: 0, loss_percent: 100, rtt_median_ms: null });
  });

  it('interrupted after measuring: partial; before measuring: error', () => {
    const id = { endpoint: 'e', test: 'tcp', startedAt: new Date(0), durationMs: 1, intervalMs: 100, timeoutMs: 100 };
    const partial = buildRecord(ctx, id, { target: 't', interrupted: true, samples: { type: 'packets', intervalMs: 100, packets: [{ seq: 0, sentAtMs: 0, rttMs: 1 }] } }, 'DEADLINE');
    expect(partial).toMatchObject({ status: 'partial', error_code: 'DEADLINE', received: 1 });
    const none = buildRecord(ctx, id, { target: 't', interrupted: true, samples: { type: 'packets', intervalMs: 100, packets: [] } });
    expect(none).toMatchObject({ status: 'error', error_code: 'ABORTED', sent: 0, loss_percent: null });
  });
});

describe('docs/schema.md documents every field', () => {
  const doc = readFileSync(join(import.meta.dirname, '../..', 'docs', 'schema.md'), 'utf8');
  it.each(FIELDS.map((f) => [f.name, f.unit]))('%s', (name, unit) => {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    expect(row, `no table row for ${name}`).toBeDefined();
    if (unit) expect(row).toContain(unit);
  });
});
