import { emptyRecord, type ResultRecord } from '../../src/core/schema.js';

/** A record with known values for monitoring round trips; `i` varies every number so series differ. */
export function monitoringRecord(i: number, over: Partial<ResultRecord> = {}): ResultRecord {
  return {
    ...emptyRecord(),
    schema_version: 1,
    run_id: `run-${i}`,
    started_at: new Date(Date.UTC(2026, 10, 24, 8, i, 0, 250)).toISOString(),
    duration_ms: 800 + i,
    probe_id: 'bdg-tps-017',
    location_code: '32.73',
    location_name: 'Jawa Barat / Kota Bandung',
    site: 'TPS 017',
    lat: -6.9147,
    lon: 107.6098,
    endpoint: `jkt-${i % 2}`,
    target: '127.0.0.1:8080',
    test: 'tcp',
    status: 'ok',
    sent: 20,
    received: 19 - (i % 3),
    loss_percent: 5 + 5 * (i % 3),
    rtt_min_ms: 10.125 + i,
    rtt_mean_ms: 12.5 + i,
    rtt_median_ms: 12.25 + i,
    rtt_p95_ms: 20.75 + i,
    rtt_max_ms: 31 + i,
    jitter_ms: 1.5,
    tool_version: '0.0.0-test',
    interval_ms: 200,
    timeout_ms: 2000,
    ...over,
  };
}
