import type { RunInfo } from '../../src/output/formats.js';
import { buildRecord, identityOf, type RunContext } from '../../src/records/assemble.js';
import type { ResultRecord } from '../../src/core/schema.js';

/** Fixed records for golden-file tests: built by the real record builder from known samples. */
export const ctx: RunContext = {
  runId: '00000000-0000-4000-8000-000000000001',
  probeId: 'bdg-tps-017',
  location: {
    code: '32.73',
    name: 'Jawa Barat / Kota Bandung',
    site: 'TPS-017, "north" gate', // a comma and quotes: CSV must quote this cell
    lat: -6.9147,
    lon: 107.6098,
    source: 'config',
  },
  toolVersion: '0.0.0-test',
};

export function sampleRecords(): ResultRecord[] {
  const at = new Date('2026-11-24T08:00:00.000Z');
  const ok = buildRecord(
    ctx,
    { endpoint: 'local', test: 'tcp', startedAt: at, durationMs: 812.3456, intervalMs: 200, timeoutMs: 2000 },
    {
      target: '127.0.0.1:8080',
      targetIp: '127.0.0.1',
      samples: {
        type: 'packets',
        intervalMs: 200,
        packets: [
          { seq: 0, sentAtMs: 0, rttMs: 0.25 },
          { seq: 1, sentAtMs: 200, rttMs: 0.5 },
          { seq: 2, sentAtMs: 400, rttMs: null, errorCode: 'TIMEOUT' },
          { seq: 3, sentAtMs: 600, rttMs: 0.125 },
        ],
      },
    },
  );
  const refused = buildRecord(
    ctx,
    { endpoint: 'local', test: 'tcp', startedAt: new Date(at.getTime() + 1000), durationMs: 3.2, intervalMs: 200, timeoutMs: 2000 },
    {
      target: '127.0.0.1:9',
      targetIp: '127.0.0.1',
      samples: { type: 'packets', intervalMs: 200, packets: [{ seq: 0, sentAtMs: 0, rttMs: null, errorCode: 'CONNECT_REFUSED', errorMessage: 'connect ECONNREFUSED 127.0.0.1:9' }] },
      error: { code: 'CONNECT_REFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' },
    },
  );
  return [ok, refused];
}

/** The run a sink is closed with, for tests that do not look at the document's run fields. */
export const runInfo: RunInfo = {
  ...identityOf(ctx),
  started_at: '2026-11-24T08:00:00.000Z',
  finished_at: null,
  status: 'completed',
};
