/**
 * Real receivers on loopback: VictoriaMetrics (Influx line protocol and Prometheus text),
 * Prometheus Pushgateway, and an NDJSON endpoint that honours Idempotency-Key. Skips when the
 * Debian packages (victoria-metrics, prometheus-pushgateway) are not installed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_FIELDS } from '../../src/monitoring/metrics.js';
import type { ResultRecord } from '../../src/core/schema.js';
import { pushSpool } from '../../src/spool/push.js';
import { listSpool, writeBatch } from '../../src/spool/spool.js';
import { builtCliAvailable, runCli } from '../helpers/cli.js';
import { PUSHGATEWAY, VICTORIA_METRICS, freePort, startPushgateway, startVictoriaMetrics, vmExport, type Daemon, type ExportedSeries } from '../helpers/daemons.js';
import { monitoringRecord } from '../helpers/field-records.js';
import { startReceiver } from '../helpers/receiver.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('qosprobe-mon-');

/** Spool `n` batches of `per` records each, oldest first; returns their ids in order. */
function spoolBatches(dir: string, n: number, per: number, probeId: string): { ids: string[]; records: ResultRecord[][] } {
  const ids: string[] = [];
  const records: ResultRecord[][] = [];
  for (let b = 0; b < n; b++) {
    const recs = Array.from({ length: per }, (_, j) => monitoringRecord(b * per + j, { probe_id: probeId }));
    const id = `batch-${b}-${probeId}`;
    writeBatch(dir, id, recs, new Date(Date.UTC(2026, 10, 24, 8, 0, b)));
    ids.push(id);
    records.push(recs);
  }
  return { ids, records };
}

/** Every numeric metric of every record must be a sample of the series with the record's labels. */
function expectSeriesMatch(series: ExportedSeries[], records: ResultRecord[], opts: { timestamps: boolean }): void {
  let checked = 0;
  for (const r of records) {
    for (const f of METRIC_FIELDS) {
      const v = r[f.name as keyof ResultRecord];
      if (typeof v !== 'number') continue;
      const s = series.find(
        (x) =>
          x.metric.__name__ === `qosprobe_${f.name}` &&
          x.metric.probe_id === r.probe_id &&
          x.metric.location_code === r.location_code &&
          x.metric.endpoint === r.endpoint &&
          x.metric.test === r.test,
      );
      expect(s, `series qosprobe_${f.name} for ${r.endpoint}`).toBeDefined();
      if (opts.timestamps) {
        const i = s!.timestamps.indexOf(Date.parse(r.started_at!));
        expect(i, `sample at ${r.started_at}`).toBeGreaterThanOrEqual(0);
        expect(s!.values[i]).toBeCloseTo(v, 9);
      } else {
        expect(s!.values).toContain(v);
      }
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(records.length * 8);
}

describe.skipIf(!VICTORIA_METRICS)(`VictoriaMetrics (victoria-metrics package)${VICTORIA_METRICS ? '' : ': SKIPPED, no victoria-metrics binary (apt-get install victoria-metrics)'}`, () => {
  let vm: Daemon;
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it('influx line protocol via /write (gzip): series, labels, values and timestamps match the records', async () => {
    const dir = tmp();
    const { records } = spoolBatches(dir, 2, 4, 'influx-probe');
    const res = await pushSpool({ dir, url: new URL(`${vm.url}/write`), format: 'influx', deadlineMs: 10_000 });
    expect(res).toMatchObject({ pending: [], rejected: [] });
    expect(res.sent).toHaveLength(2);
    const series = await vmExport(vm, '{probe_id="influx-probe"}');
    expectSeriesMatch(series, records.flat(), { timestamps: true });
    // Influx fields become <measurement>_<field>: the same names as the Prometheus families.
    const ok = series.find((s) => s.metric.__name__ === 'qosprobe_status_ok' && s.metric.endpoint === 'jkt-0');
    expect(ok?.values.every((v) => v === 1)).toBe(true);
    // Identity and parameters are not series.
    expect(series.some((s) => ['qosprobe_lat', 'qosprobe_interval_ms', 'qosprobe_schema_version'].includes(s.metric.__name__!))).toBe(false);
  });

  it('Prometheus text via /api/v1/import/prometheus: the same series and values', async () => {
    const dir = tmp();
    const { records } = spoolBatches(dir, 1, 2, 'prom-probe');
    const before = Date.now();
    const res = await pushSpool({ dir, url: new URL(`${vm.url}/api/v1/import/prometheus`), format: 'openmetrics', deadlineMs: 10_000 });
    expect(res.sent).toHaveLength(1);
    const series = await vmExport(vm, '{probe_id="prom-probe"}');
    expectSeriesMatch(series, records.flat(), { timestamps: false });
    // No sample timestamps in the text (textfile collector and Pushgateway refuse them): stamped at ingestion.
    for (const s of series) for (const t of s.timestamps) expect(t).toBeGreaterThanOrEqual(before - 1000);
  });

  it('run --format influx written to a file imports as-is', async () => {
    const dir = tmp();
    const { records } = spoolBatches(dir, 1, 2, 'file-probe');
    const { formats } = await import('../../src/output/formats.js');
    const body = records.flat().map((r) => formats.influx.record(r)).join('');
    const res = await fetch(`${vm.url}/write`, { method: 'POST', body });
    expect(res.status).toBe(204);
    expectSeriesMatch(await vmExport(vm, '{probe_id="file-probe"}'), records.flat(), { timestamps: true });
  });
});

describe.skipIf(!PUSHGATEWAY)(`Prometheus Pushgateway (prometheus-pushgateway package)${PUSHGATEWAY ? '' : ': SKIPPED, no pushgateway binary (apt-get install prometheus-pushgateway)'}`, () => {
  let pg: Daemon;
  beforeAll(async () => {
    pg = await startPushgateway();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  for (const gzip of [false, true]) {
    it(`push text format to /metrics/job/qosprobe/instance/ID${gzip ? ' (gzip)' : ''}, read /metrics back`, async () => {
      const dir = tmp();
      const instance = gzip ? 'tps-gz' : 'tps-plain';
      const { records } = spoolBatches(dir, 1, 2, instance);
      const res = await pushSpool({ dir, url: new URL(`${pg.url}/metrics/job/qosprobe/instance/${instance}`), format: 'openmetrics', deadlineMs: 10_000, gzip });
      expect(res.rejected, pg.log()).toEqual([]);
      expect(res.sent).toHaveLength(1);
      const text = await (await fetch(`${pg.url}/metrics`)).text();
      for (const r of records[0]!) {
        const labels = `endpoint="${r.endpoint}",instance="${instance}",job="qosprobe",location_code="32.73",probe_id="${instance}",test="tcp"`;
        expect(text).toContain(`qosprobe_rtt_median_ms{${labels}} ${r.rtt_median_ms}`);
        expect(text).toContain(`qosprobe_loss_percent{${labels}} ${r.loss_percent}`);
        expect(text).toContain(`qosprobe_sent{${labels}} 20`);
        expect(text).toContain(`qosprobe_status_ok{${labels}} 1`);
      }
      expect(text).toContain('# TYPE qosprobe_rtt_median_ms gauge');
    });
  }
});

describe('NDJSON receiver honouring Idempotency-Key', () => {
  it.skipIf(!builtCliAvailable())('crash after the receiver stored a batch but before it was marked sent: retry stores each batch exactly once', async () => {
    const dir = tmp();
    const { ids } = spoolBatches(dir, 3, 3, 'crash-probe');
    // The very first request is stored but never acknowledged; we SIGKILL the pusher while it waits.
    const rx = await startReceiver({ behave: (_r, n) => (n === 1 ? 'store-then-hang' : 'ok') });
    try {
      const first = await runCli(['push', '--spool', dir, '--to', rx.url, '--format', 'ndjson', '--deadline', '60'], {
        timeoutMs: 20_000,
        onSpawn: (kill) => {
          const poll = setInterval(() => {
            if (rx.requests.length >= 1) {
              clearInterval(poll);
              kill('SIGKILL');
            }
          }, 20);
        },
      });
      expect(first.signal).toBe('SIGKILL');
      expect(rx.stored.map((s) => s.key)).toEqual([ids[0]]);
      // Nothing was acknowledged, so nothing is marked sent: all three still pending.
      expect(listSpool(dir).pending.map((b) => b.id)).toEqual(ids);

      const second = await runCli(['push', '--spool', dir, '--to', rx.url, '--format', 'ndjson', '--deadline', '20'], { timeoutMs: 30_000 });
      expect(second.code, second.stderr).toBe(0);
      expect(rx.duplicates).toBe(1); // batch 0 was really sent twice...
      expect(rx.stored.map((s) => s.key)).toEqual(ids); // ...and stored once, in order
      for (const [i, s] of rx.stored.entries()) {
        expect(s.headers['content-encoding']).toBe('gzip');
        expect(s.headers['content-type']).toBe('application/x-ndjson');
        expect(s.body).toBe(readFileSync(join(dir, 'sent', listSpool(dir).sent[i]!.name), 'utf8'));
      }
      expect(listSpool(dir)).toMatchObject({ pending: [], rejected: [] });
      expect(listSpool(dir).sent.map((b) => b.id)).toEqual(ids);
    } finally {
      await rx.close();
    }
  });

  it('receiver down, then up: all batches arrive, in order, once', async () => {
    const dir = tmp();
    const { ids } = spoolBatches(dir, 4, 2, 'down-probe');
    const port = await freePort();
    let rx: Awaited<ReturnType<typeof startReceiver>> | null = null;
    const events: string[] = [];
    const up = setTimeout(() => {
      void startReceiver({ port }).then((r) => (rx = r));
    }, 1500);
    try {
      const res = await pushSpool({
        dir,
        url: new URL(`http://127.0.0.1:${port}/ingest`),
        format: 'ndjson',
        deadlineMs: 20_000,
        initialBackoffMs: 100,
        maxBackoffMs: 400,
        onEvent: (e) => events.push(e.type),
      });
      expect(events.filter((e) => e === 'retry').length).toBeGreaterThan(0); // it really was down at first
      expect(res).toMatchObject({ pending: [], rejected: [] });
      expect(rx).not.toBeNull();
      const got = rx!;
      expect(got.requests.map((r) => r.key)).toEqual(ids); // each once, oldest first
      expect(got.duplicates).toBe(0);
      expect(listSpool(dir).sent.map((b) => b.id)).toEqual(ids);
    } finally {
      clearTimeout(up);
      await (rx as Awaited<ReturnType<typeof startReceiver>> | null)?.close();
    }
  });
});
