/**
 * A technician's first hour, scripted (issue 15): `init`, edit the two lines a user edits, `run`,
 * the records through jq, mlr and Python's csv module, ad hoc commands, push to a real
 * VictoriaMetrics in each format it takes (and NDJSON to an ingest endpoint), then `report`.
 * Every step runs the built CLI as a user would, on loopback only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, builtCliAvailable, ndjson, runCli } from '../helpers/cli.js';
import { VICTORIA_METRICS, startVictoriaMetrics, vmExport, type Daemon } from '../helpers/daemons.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTcpListener } from '../helpers/servers.js';
import { tempDir } from '../helpers/temp.js';

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const missing = !builtCliAvailable()
  ? 'dist/ is not built'
  : ['jq', 'mlr', 'python3', 'ping'].find((c) => !has('sh', ['-c', `command -v ${c}`])) ?? (VICTORIA_METRICS ? null : 'victoria-metrics');
if (missing) console.warn(`first-hour: skipped: ${missing} is missing (.ci/run installs it)`);

/** A shell pipeline, as a user types it, in the work directory. */
function sh(cmd: string, cwd: string): string {
  return execFileSync('bash', ['-o', 'pipefail', '-c', cmd], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
}

describe.skipIf(missing !== null)('a technician\'s first hour', () => {
  let dir: string;
  let listener: { port: number; close(): Promise<void> };
  let vm: Daemon;
  let rx: Receiver;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cli = `${q(process.execPath)} ${q(BIN)}`;

  beforeAll(async () => {
    dir = tempDir('qosprobe-first-hour-');
    [listener, vm, rx] = await Promise.all([startTcpListener(), startVictoriaMetrics(), startReceiver()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([listener?.close(), vm?.stop(), rx?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('init, run, pipes, ad hoc commands, push in every format, report', async () => {
    // 1. init writes the example; the user points the tcp test at their server and shortens the tests.
    expect((await runCli(['init'], { cwd: dir })).code).toBe(0);
    const cfgPath = join(dir, 'qosprobe.yaml');
    const cfg = readFileSync(cfgPath, 'utf8');
    expect(cfg).toContain('port: 8080');
    writeFileSync(cfgPath, cfg.replace('port: 8080', `port: ${listener.port}`).replace(/count: 20 /, 'count: 3  ').replace(/interval_ms: 200 /, 'interval_ms: 50  '));

    // 2. run: the records land in the config's results.csv, beside the config.
    const run = await runCli(['run', '--no-host-info'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    // Python's csv module: one header, every row as wide as it, icmp and tcp ok.
    const py = sh(
      `python3 -c "import csv,json,sys; r=list(csv.reader(open('results.csv', newline=''))); h=r[0]; assert all(len(x)==len(h) for x in r), 'ragged'; print(json.dumps([dict(zip(h,x)) for x in r[1:]]))"`,
      dir,
    );
    const rows = JSON.parse(py) as Record<string, string>[];
    expect(rows.map((r) => [r.test, r.status, r.location_code])).toEqual([
      ['icmp', 'ok', '32.73'],
      ['tcp', 'ok', '32.73'],
    ]);

    // 3. the same run piped: ndjson into jq, csv on stdout into mlr.
    const viaJq = sh(`${cli} run --no-host-info --format ndjson | jq -c '{test, status, sent}'`, dir);
    expect(viaJq.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { test: 'icmp', status: 'ok', sent: 3 },
      { test: 'tcp', status: 'ok', sent: 10 },
    ]);
    const viaMlr = sh(`${cli} run --no-host-info -o - --format csv | mlr --icsv --ojson cut -f test,status`, dir);
    expect(JSON.parse(viaMlr)).toEqual([
      { test: 'icmp', status: 'ok' },
      { test: 'tcp', status: 'ok' },
    ]);

    // 4. ad hoc commands take the site from the config.
    const tcp = await runCli(['tcp', `127.0.0.1:${listener.port}`, '-c', '3', '-i', '20', '-f', 'ndjson', '--no-host-info'], { cwd: dir });
    expect(ndjson(tcp.stdout)).toMatchObject([{ test: 'tcp', status: 'ok', sent: 3, received: 3, location_code: '32.73', site: 'TPS-017' }]);
    const ping = await runCli(['ping', '127.0.0.1', '-c', '2', '-i', '200', '-f', 'ndjson', '--no-host-info'], { cwd: dir });
    expect(ndjson(ping.stdout)).toMatchObject([{ test: 'icmp', status: 'ok', received: 2 }]);

    // 5. store and forward: a run into a spool, pushed to VictoriaMetrics in each of its formats, and NDJSON to an ingest endpoint.
    const targets = [`${vm.url}/write`, `${vm.url}/api/v1/import`, `${vm.url}/api/v1/import/prometheus`];
    for (const [i, to] of targets.entries()) {
      const spool = join(dir, `spool-${i}`);
      const r = await runCli(['run', '--no-host-info', '--spool', spool, '-o', join(dir, `run-${i}.csv`)], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const p = await runCli(['push', '--spool', spool, '--to', to], { cwd: dir });
      expect(p.code, `${to}: ${p.stderr}`).toBe(0);
      expect(p.stderr).toMatch(/sent 1 batch\(es\), 2 records/);
    }
    const series = await vmExport(vm, 'qosprobe_sent{location_code="32.73"}');
    // Two series (icmp, tcp), one sample per push, each at its run's own time.
    expect(series.map((s) => s.metric.test).sort()).toEqual(['icmp', 'tcp']);
    for (const s of series) expect(new Set(s.timestamps).size).toBe(targets.length);
    const nd = join(dir, 'spool-nd');
    expect((await runCli(['run', '--no-host-info', '--spool', nd, '-o', join(dir, 'run-nd.csv')], { cwd: dir })).code).toBe(0);
    const pushNd = await runCli(['push', '--spool', nd, '--to', `${rx.url}/ingest`, '--format', 'ndjson'], { cwd: dir });
    expect(pushNd.code, pushNd.stderr).toBe(0);
    expect(rx.stored).toHaveLength(1);
    expect(ndjson(rx.stored[0]!.body).map((r) => r.test)).toEqual(['icmp', 'tcp']);

    // 6. report over what was collected.
    const rep = await runCli(['report', 'results.csv', '--format', 'json'], { cwd: dir });
    expect(rep.code, rep.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(rep.stdout))).toContain('32.73');
  }, 90_000);
});
