/**
 * push against real receivers on loopback (VictoriaMetrics, Pushgateway from Debian; the
 * NDJSON test receiver): the format follows the URL, what a status means, exit 6 whenever a
 * batch did not arrive, requeue, timestamps kept for store and forward, bad lines and a
 * read-only spool (issue 15 items 2 and 3, issue 10 item 9). Built CLI, as cron runs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../src/core/schema.js';
import { pushSpool } from '../../src/spool/push.js';
import { listSpool, readBatch, writeBatch } from '../../src/spool/spool.js';
import { vmRowCheck } from '../../src/spool/verify.js';
import { BIN, builtCliAvailable, ndjson, runCli } from '../helpers/cli.js';
import { PUSHGATEWAY, VICTORIA_METRICS, startPushgateway, startVictoriaMetrics, vmExport, type Daemon } from '../helpers/daemons.js';
import { monitoringRecord } from '../helpers/field-records.js';
import { startReceiver } from '../helpers/receiver.js';
import { startTcpListener } from '../helpers/servers.js';
import { tempDir } from '../helpers/temp.js';
import { unmount } from '../helpers/resources.js';

const tmp = () => tempDir('qosprobe-pushrx-');
const built = builtCliAvailable();

/** A spool of batches of `per` records each; batch b's records start at `t0 + b * gapMs`. */
function spool(probeId: string, n: number, opts: { per?: number; t0?: number; gapMs?: number } = {}): { dir: string; ids: string[]; records: ResultRecord[][] } {
  const dir = tmp();
  const per = opts.per ?? 2;
  const t0 = opts.t0 ?? Date.now() - 2 * 3600_000;
  const ids: string[] = [];
  const records: ResultRecord[][] = [];
  for (let b = 0; b < n; b++) {
    const recs = Array.from({ length: per }, (_, j) =>
      monitoringRecord(b * per + j, { probe_id: probeId, endpoint: `ep-${j}`, started_at: new Date(t0 + b * (opts.gapMs ?? 17_000) + j).toISOString() }),
    );
    ids.push(writeBatch(dir, `${probeId}-b${b}`, recs, new Date(t0 + b * (opts.gapMs ?? 17_000)))!.id);
    records.push(recs);
  }
  return { dir, ids, records };
}

/** Sample times and values of qosprobe_rtt_median_ms per endpoint, as VictoriaMetrics stored them. */
async function storedMedians(vm: Daemon, probeId: string): Promise<Map<string, { t: number; v: number }[]>> {
  const series = await vmExport(vm, `qosprobe_rtt_median_ms{probe_id="${probeId}"}`);
  return new Map(series.map((s) => [s.metric.endpoint!, s.timestamps.map((t, i) => ({ t, v: s.values[i]! })).sort((a, b) => a.t - b.t)]));
}

function expectMediansAtTheirTimes(got: Map<string, { t: number; v: number }[]>, records: ResultRecord[]): void {
  for (const r of records) {
    const samples = got.get(r.endpoint!) ?? [];
    expect(samples, `${r.endpoint} at ${r.started_at}`).toContainEqual({ t: Date.parse(r.started_at!), v: r.rtt_median_ms });
  }
}

describe.skipIf(!VICTORIA_METRICS || !built)(`push to VictoriaMetrics${VICTORIA_METRICS ? '' : ': SKIPPED, no victoria-metrics binary (apt-get install victoria-metrics)'}`, () => {
  let vm: Daemon;
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it('--to .../write without --format: influx is sent (the URL says so), the records land, with a summary on stderr', async () => {
    const s = spool('write-noformat', 2);
    const res = await runCli(['push', '--spool', s.dir, '--to', `${vm.url}/write`]);
    expect(res.code, res.stderr).toBe(0);
    expectMediansAtTheirTimes(await storedMedians(vm, 'write-noformat'), s.records.flat());
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(new RegExp(`^qosprobe: push: sent 2 batch\\(es\\), 4 records, to ${vm.url}/write as influx, the receiver counted no invalid rows\\n$`));
  });

  it('an explicit format that contradicts the path is a usage error: exit 2, nothing sent', async () => {
    const s = spool('write-ndjson', 1);
    const res = await runCli(['push', '--spool', s.dir, '--to', `${vm.url}/write`, '--format', 'ndjson']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--format ndjson contradicts the URL: \/write is InfluxDB line protocol/);
    expect(listSpool(s.dir).pending.map((b) => b.id)).toEqual(s.ids);
  });

  it('a URL typo answered 400 sets nothing aside: both batches stay pending, exit 6 at once', async () => {
    const s = spool('typo', 2);
    const t0 = Date.now();
    const res = await runCli(['push', '--spool', s.dir, '--to', `${vm.url}/wrtie`, '--format', 'influx', '--deadline', '30']);
    expect(res.code).toBe(6);
    expect(Date.now() - t0).toBeLessThan(10_000); // no retrying a refusal until the deadline
    expect(res.stderr).toMatch(/HTTP 400: .*unsupported path.*refused 2 batches and accepted none: check the URL and the format; nothing was set aside/);
    const l = listSpool(s.dir);
    expect(l.pending.map((b) => b.id)).toEqual(s.ids);
    expect(l.rejected).toEqual([]);
  });

  for (const path of ['/api/v1/import/prometheus', '/api/v1/import']) {
    it(`store and forward via ${path}: two batches measured 17 s apart, pushed two hours later, keep their own times`, async () => {
      const probe = `sf${path.replace(/\W/g, '-')}`;
      const s = spool(probe, 2, { gapMs: 17_000 });
      const res = await runCli(['push', '--spool', s.dir, '--to', `${vm.url}${path}`]);
      expect(res.code, res.stderr).toBe(0);
      const got = await storedMedians(vm, probe);
      expectMediansAtTheirTimes(got, s.records.flat());
      // Not stamped at push time: every stored sample is one of the two measurement times.
      const times = [...got.values()].flat().map((x) => x.t);
      expect(Math.max(...times) - Math.min(...times)).toBeLessThan(18_000);
      expect(Date.now() - Math.max(...times)).toBeGreaterThan(3600_000);
    });
  }

  it('run --push from cron: measured, spooled, pushed to /api/v1/import/prometheus, stored at the time it was measured', async () => {
    const listener = await startTcpListener();
    try {
      const dir = tmp();
      writeFileSync(
        join(dir, 'qosprobe.yaml'),
        `probe: { id: cron-vm }\nlocation: { code: "32.73" }\ndefaults: { count: 2, interval_ms: 20, timeout_ms: 300 }\nendpoints:\n  - { name: up, host: 127.0.0.1, tests: [{ kind: tcp, port: ${listener.port} }] }\n`,
      );
      const res = await runCli(['run', '--no-host-info', '--quiet', '--format', 'ndjson', '--push', `${vm.url}/api/v1/import/prometheus`], { cwd: dir, env: { XDG_STATE_HOME: join(dir, 'state') } });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toBe(''); // not a terminal: no summary
      const rec = ndjson(res.stdout)[0]!;
      const series = await vmExport(vm, 'qosprobe_status_ok{probe_id="cron-vm"}');
      expect(series).toHaveLength(1);
      expect(series[0]!.timestamps).toEqual([Date.parse(rec.started_at as string)]);
      expect(series[0]!.values).toEqual([1]);
      expect(listSpool(join(dir, 'state', 'qosprobe', 'spool')).sent).toHaveLength(1);
    } finally {
      await listener.close();
    }
  });

  it('a 204 for rows VictoriaMetrics dropped is not "sent": the row check sets the batch aside', async () => {
    // Influx lines to the JSON-line import (what a format mismatch does): 204, rows dropped and counted.
    const s = spool('dropped', 2);
    const url = new URL(`${vm.url}/api/v1/import`);
    const res = await pushSpool({ dir: s.dir, url, format: 'influx', deadlineMs: 10_000, rowCheck: vmRowCheck(url, 'vmimport', {}) });
    expect(res.verified).toBe(true);
    expect(res.sent).toEqual([]);
    expect(res.rejected).toHaveLength(2);
    expect(listSpool(s.dir).rejected.map((b) => b.id)).toEqual(s.ids);
  });
});

describe.skipIf(!PUSHGATEWAY || !built)(`push to a Pushgateway${PUSHGATEWAY ? '' : ': SKIPPED, no pushgateway binary (apt-get install prometheus-pushgateway)'}`, () => {
  let pg: Daemon;
  beforeAll(async () => {
    pg = await startPushgateway();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('records measured hours ago are refused (exit 2, nothing sent) rather than stamped with the push time; --allow-push-time sends them', async () => {
    const s = spool('pg-old', 1);
    const url = `${pg.url}/metrics/job/qosprobe/instance/pg-old`;
    const res = await runCli(['push', '--spool', s.dir, '--to', url]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/1 pending batch\(es\) .* were measured more than 5 minutes ago .*stamps samples with the time they arrive.*Nothing was sent/);
    expect(await (await fetch(`${pg.url}/metrics`)).text()).not.toContain('instance="pg-old"');
    expect(listSpool(s.dir).pending).toHaveLength(1);
    const anyway = await runCli(['push', '--spool', s.dir, '--to', url, '--allow-push-time']);
    expect(anyway.code, anyway.stderr).toBe(0);
    expect(await (await fetch(`${pg.url}/metrics`)).text()).toContain('instance="pg-old"');
  });

  it('a fresh batch goes without --format (the /metrics/job/ path says openmetrics)', async () => {
    const s = spool('pg-fresh', 1, { t0: Date.now() - 10_000 });
    const res = await runCli(['push', '--spool', s.dir, '--to', `${pg.url}/metrics/job/qosprobe/instance/pg-fresh`]);
    expect(res.code, res.stderr).toBe(0);
    expect(await (await fetch(`${pg.url}/metrics`)).text()).toMatch(/qosprobe_rtt_median_ms\{endpoint="ep-0",instance="pg-fresh"/);
  });

  it('a wrong path (404) stops at once: exit 6, the batch stays pending, nothing set aside', async () => {
    const s = spool('pg-404', 1, { t0: Date.now() - 10_000 });
    const t0 = Date.now();
    const res = await runCli(['push', '--spool', s.dir, '--to', `${pg.url}/metrics/jobs/qosprobe`, '--format', 'openmetrics', '--deadline', '30']);
    expect(res.code).toBe(6);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(res.stderr).toMatch(/HTTP 404.*the receiver, the URL or the credentials are wrong, not the batch/);
    expect(listSpool(s.dir)).toMatchObject({ rejected: [], sent: [] });
    expect(listSpool(s.dir).pending).toHaveLength(1);
  });
});

describe.skipIf(!built)('push to an NDJSON receiver: nothing set aside silently', () => {
  it('a batch refused while the next is accepted goes to rejected/ with exit 6; spool requeue --all puts it back and the next push sends it', async () => {
    const s = spool('rq', 2);
    let refuse = true;
    const rx = await startReceiver({ behave: (r) => (refuse && r.key === s.ids[0] ? 'status-400' : 'ok') });
    try {
      const first = await runCli(['push', '--spool', s.dir, '--to', rx.url, '--format', 'ndjson']);
      expect(first.code).toBe(6);
      expect(first.stderr).toMatch(/HTTP 400: bad body \(this receiver accepts other batches\); moved to rejected\//);
      expect(first.stderr).toMatch(/1 set aside in .*rejected; once fixed: qosprobe spool requeue --all; exit 6/);
      expect(listSpool(s.dir).rejected.map((b) => b.id)).toEqual([s.ids[0]]);
      expect((await runCli(['spool', '--spool', s.dir])).stdout).toMatch(/rejected .*requeue.*: 1\n {2}\S+-rq-b0\.ndjson {2}\(HTTP 400: bad body \(this receiver accepts other batches\)\)/);
      const listed = JSON.parse((await runCli(['spool', '--spool', s.dir, '--json'])).stdout) as { rejected: { id: string; reason: string }[] };
      expect(listed.rejected).toMatchObject([{ id: s.ids[0], reason: 'HTTP 400: bad body (this receiver accepts other batches)' }]);

      const rq = await runCli(['spool', 'requeue', '--all', '--spool', s.dir]);
      expect(rq.code, rq.stderr).toBe(0);
      expect(listSpool(s.dir).pending.map((b) => b.id)).toEqual([s.ids[0]]);
      expect(readdirSync(join(s.dir, 'rejected'))).toEqual([]); // its reason went with it
      refuse = false;
      const again = await runCli(['push', '--spool', s.dir, '--to', rx.url, '--format', 'ndjson']);
      expect(again.code, again.stderr).toBe(0);
      expect(rx.stored.map((r) => r.key)).toEqual([s.ids[1], s.ids[0]]);
      expect(again.stderr).toMatch(/^qosprobe: push: sent 1 batch\(es\), 2 records, to http:\/\/127\.0\.0\.1:\d+\/ingest as ndjson\n$/);
    } finally {
      await rx.close();
    }
  });

  it('a 200 whose body reports errors is not "sent": set aside once the receiver accepts another batch, exit 6', async () => {
    const s = spool('errbody', 2);
    const rx = await startReceiver({ behave: (r) => (r.key === s.ids[0] ? 'ok-with-errors' : 'ok') });
    try {
      const res = await runCli(['push', '--spool', s.dir, '--to', rx.url, '--format', 'ndjson']);
      expect(res.code).toBe(6);
      expect(res.stderr).toMatch(/HTTP 200, but the response lists errors \(this receiver accepts other batches\); moved to rejected\//);
      expect(listSpool(s.dir).rejected.map((b) => b.id)).toEqual([s.ids[0]]);
      expect(listSpool(s.dir).sent.map((b) => b.id)).toEqual([s.ids[1]]);
    } finally {
      await rx.close();
    }
  });

  it('one bad line does not set aside the good records: they are sent, the line goes to rejected/ with an accurate message, exit 6', async () => {
    const s = spool('badline', 1, { per: 40 });
    const path = listSpool(s.dir).pending[0]!.path;
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.splice(7, 0, '{"truncated": ');
    writeFileSync(path, lines.join('\n'));
    const rx = await startReceiver();
    try {
      const res = await runCli(['push', '--spool', s.dir, '--to', rx.url, '--format', 'ndjson']);
      expect(res.code).toBe(6);
      expect(res.stderr).not.toMatch(/rejected by the receiver/);
      expect(res.stderr).toMatch(/line 8 is not JSON; nothing was sent: moved to rejected\/\S+-unreadable\.ndjson, the other 40 records go/);
      expect(rx.stored).toHaveLength(1);
      expect(rx.stored[0]!.body.trim().split('\n').map((l) => (JSON.parse(l) as ResultRecord).run_id)).toEqual(s.records[0]!.map((r) => r.run_id));
      const l = listSpool(s.dir);
      expect(l.sent).toHaveLength(1);
      expect(readBatch(l.sent[0]!.path)).toHaveLength(40);
      expect(l.rejected).toHaveLength(1);
      expect(readFileSync(l.rejected[0]!.path, 'utf8')).toBe('{"truncated": \n');
      expect(l.rejected[0]!.reason).toMatch(/^line 8 is not JSON \(from \S+-badline-b0\.ndjson\)$/);
    } finally {
      await rx.close();
    }
  });

  const canMount = process.getuid?.() === 0 && process.platform === 'linux';
  it.skipIf(!canMount)(`a read-only spool: every batch is sent once per push (none blocks the next), exit 4 "read-only file system"${canMount ? '' : ' (SKIPPED: needs root to bind-mount read-only)'}`, async (ctx) => {
    const s = spool('ro', 3);
    try {
      execFileSync('mount', ['--bind', s.dir, s.dir]);
      execFileSync('mount', ['-o', 'remount,bind,ro', s.dir]);
    } catch {
      ctx.skip(); // no CAP_SYS_ADMIN here
    }
    const rx = await startReceiver();
    try {
      const res = await runCli(['push', '--spool', s.dir, '--to', rx.url, '--format', 'ndjson']);
      expect(res.code).toBe(4);
      expect(rx.requests.map((r) => r.key)).toEqual(s.ids);
      expect(res.stderr).toMatch(/3 batch\(es\) reached .* but could not be marked sent in .*read-only file system.*the next push sends them again under the same Idempotency-Key; exit 4/);
      expect(res.stderr).not.toMatch(/ENOENT|permission denied/);
      expect(listSpool(s.dir).pending.map((b) => b.id)).toEqual(s.ids);
    } finally {
      await rx.close();
      unmount(s.dir);
    }
  });

  it.skipIf(!canMount)(`run --spool below a read-only mount says "read-only file system", not "no such directory"${canMount ? '' : ' (SKIPPED: needs root)'}`, async (ctx) => {
    const dir = tmp();
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    try {
      execFileSync('mount', ['--bind', ro, ro]);
      execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
    } catch {
      ctx.skip();
    }
    try {
      writeFileSync(join(dir, 'qosprobe.yaml'), `probe: { id: ro }\nlocation: { code: "32.73" }\nendpoints:\n  - { name: x, host: 127.0.0.1, tests: [{ kind: tcp, port: 9, count: 1 }] }\n`);
      const res = await runCli(['run', '--no-host-info', '--spool', join(ro, 'new', 'spool')], { cwd: dir });
      expect(res.code).toBe(4);
      expect(res.stderr).toMatch(/cannot write to the spool .*: read-only file system/);
    } finally {
      unmount(ro);
    }
  });
});

describe.skipIf(!built)('run --push and schedule --push: the format is settled before anything runs', () => {
  it('run --push to a path that does not say its format, without --push-format: exit 2 before measuring', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'qosprobe.yaml'), `probe: { id: fmt }\nlocation: { code: "32.73" }\nendpoints:\n  - { name: x, host: 127.0.0.1, tests: [{ kind: tcp, port: 9 }] }\n`);
    const res = await runCli(['run', '--no-host-info', '--push', 'http://127.0.0.1:9/ingest'], { cwd: dir, env: { XDG_STATE_HOME: join(dir, 'state') } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/cannot tell from the path \/ingest which format.*--push-format/);
    expect(res.stdout).toBe('');
  });

  it('schedule --push: the cron line carries --push-format; a missing or contradicting one is exit 2', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'x'));
    const ok = await runCli(['schedule', '--every', '15m', '--push', 'https://collector.example/ingest', '--push-format', 'ndjson'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${BIN} run --quiet --splay 90 --deadline 765 --push https://collector.example/ingest --push-format ndjson >/dev/null`);
    const vmLine = await runCli(['schedule', '--every', '15m', '--push', 'http://127.0.0.1:8428/write'], { cwd: dir });
    expect(vmLine.code, vmLine.stderr).toBe(0);
    expect(vmLine.stdout).toContain('--push http://127.0.0.1:8428/write >/dev/null');
    const pg = await runCli(['schedule', '--every', '15m', '--push', 'http://127.0.0.1:9091/metrics/job/q'], { cwd: dir });
    expect(pg.stdout).toMatch(/# note: .*Pushgateway.*refused \(exit 2\) rather than stamped with the push time/);
    const missing = await runCli(['schedule', '--every', '15m', '--push', 'https://collector.example/ingest'], { cwd: dir });
    expect(missing.code).toBe(2);
    const contra = await runCli(['schedule', '--every', '15m', '--push', 'http://127.0.0.1:8428/write', '--push-format', 'ndjson'], { cwd: dir });
    expect(contra.code).toBe(2);
    expect(contra.stderr).toMatch(/--push-format ndjson contradicts the URL/);
  });
});
