/**
 * Unattended runs end to end (built CLI, loopback only): run lock and --wait-lock, --splay
 * interrupted, the spool, run --push, --textfile-dir, host info on/off, spool and schedule.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherHostInfo } from '../../src/host/host-info.js';
import { listSpool, readBatch } from '../../src/spool/spool.js';
import { BIN, asleep, builtCliAvailable, ndjson, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/daemons.js';
import { startReceiver } from '../helpers/receiver.js';
import { startTcpListener } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('qosprobe-field-');
const HOST_FIELDS = ['net_iface', 'net_type', 'net_ip', 'gateway', 'wifi_ssid', 'wifi_bssid', 'wifi_signal_dbm', 'wifi_quality', 'wifi_channel', 'cell_operator', 'cell_tech', 'cell_rsrp_dbm', 'cell_rsrq_db', 'cell_sinr_db'];

describe.skipIf(!builtCliAvailable())('unattended runs (built CLI)', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  beforeAll(async () => {
    listener = await startTcpListener();
  });
  afterAll(async () => {
    await listener.close();
  });

  /** A config dir; `count` tcp attempts `intervalMs` apart (so a run lasts about count × interval). */
  function site(count = 2, intervalMs = 20): { dir: string; env: NodeJS.ProcessEnv } {
    const dir = tmp();
    writeFileSync(
      join(dir, 'qosprobe.yaml'),
      `probe: { id: field-e2e }\nlocation: { code: "32.73" }\ndefaults: { count: ${count}, interval_ms: ${intervalMs}, timeout_ms: 300 }\nendpoints:\n  - name: up\n    host: 127.0.0.1\n    tests: [{ kind: tcp, port: ${listener.port} }]\n`,
    );
    return { dir, env: { XDG_STATE_HOME: join(dir, 'state') } };
  }

  it('run spools its records in the state dir by default: one batch per run, the same records as stdout', async () => {
    const s = site();
    const res = await runCli(['run', '--format', 'ndjson', '--no-host-info'], { cwd: s.dir, env: s.env });
    expect(res.code, res.stderr).toBe(0);
    const l = listSpool(join(s.dir, 'state', 'qosprobe', 'spool'));
    expect(l.pending).toHaveLength(1);
    expect(readBatch(l.pending[0]!.path)).toEqual(ndjson(res.stdout));
    expect(l.pending[0]!.id).toBe(ndjson(res.stdout)[0]!.run_id);
  });

  it('a second run of the same config while the first is going exits 5; with --wait-lock it queues and succeeds', async () => {
    // ~8 s, so the first still holds its lock while a second CLI starts on a loaded host (seconds there).
    const s = site(80, 100);
    const first = runCli(['run', '--no-host-info', '--quiet'], { cwd: s.dir, env: s.env });
    // Readiness, not a guess: the second starts once the first holds the run lock (its file is in the state dir).
    await waitFor(() => readdirSync(join(s.dir, 'state', 'qosprobe', 'locks'), { withFileTypes: true }).some((e) => /^run-.*\.lock$/.test(e.name)), 'the first run to take its lock');
    const second = await runCli(['run', '--no-host-info'], { cwd: s.dir, env: s.env });
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/another run of .*qosprobe\.yaml is still going.*--wait-lock/);
    expect(second.stdout).toBe(''); // it measured nothing
    const third = await runCli(['run', '--no-host-info', '--wait-lock', '60'], { cwd: s.dir, env: s.env, timeoutMs: 90_000 });
    expect(third.code, third.stderr).toBe(0);
    expect((await first).code).toBe(0);
    expect(listSpool(join(s.dir, 'state', 'qosprobe', 'spool')).pending).toHaveLength(2); // first and third
    // Another config is another lock: it does not wait.
    const other = site(1);
    expect((await runCli(['run', '--no-host-info'], { cwd: other.dir, env: s.env })).code).toBe(0);
  }, 120_000);

  it('--splay: SIGINT during the random delay ends the run at once (130), nothing measured', async () => {
    const s = site();
    const t0 = Date.now();
    const res = await runCli(['run', '--no-host-info', '--splay', '60', '--format', 'ndjson'], {
      cwd: s.dir,
      env: s.env,
      // Once the CLI sleeps in its splay (asleep: no CPU for 300 ms): a fixed 1.5 s was too early under two suites at
      // once (SIGINT before its handler: killed outright, no 130), and a splay shorter than 1.5 s would have measured.
      onSpawn: (kill, pid) => void asleep(pid).then(() => kill('SIGINT')),
    });
    expect(res.code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(8000); // far below the 60 s splay
    expect(ndjson(res.stdout)).toEqual([]);
  });

  it('host info: the same network context as gatherHostInfo() sees here; --no-host-info leaves the columns empty', async () => {
    const s = site(1);
    // Time enough on both sides on a loaded host (the CLI's 3 s bound ran out there, leaving its side empty).
    const on = ndjson((await runCli(['run', '--format', 'ndjson'], { cwd: s.dir, env: { ...s.env, QOSPROBE_HOST_INFO_TIMEOUT_MS: '30000' } })).stdout)[0]!;
    const off = ndjson((await runCli(['run', '--format', 'ndjson', '--no-host-info'], { cwd: s.dir, env: s.env })).stdout)[0]!;
    const here = (await gatherHostInfo({ timeoutMs: 30_000 })) as Record<string, unknown>;
    for (const f of HOST_FIELDS) {
      expect(off[f], f).toBeNull();
      expect(on[f], f).toEqual(here[f] ?? null);
    }
  });

  it('run --push: measured, spooled, pushed with the run id as Idempotency-Key, moved to sent/', async () => {
    const s = site();
    const rx = await startReceiver();
    try {
      const res = await runCli(['run', '--no-host-info', '--format', 'ndjson', '--push', rx.url, '--push-format', 'ndjson'], { cwd: s.dir, env: s.env });
      expect(res.code, res.stderr).toBe(0);
      const recs = ndjson(res.stdout);
      expect(rx.stored).toHaveLength(1);
      expect(rx.stored[0]!.key).toBe(recs[0]!.run_id);
      expect(ndjson(rx.stored[0]!.body)).toEqual(recs);
      const l = listSpool(join(s.dir, 'state', 'qosprobe', 'spool'));
      expect(l.pending).toEqual([]);
      expect(l.sent).toHaveLength(1);
    } finally {
      await rx.close();
    }
  });

  it('run --push to a receiver that is down: exit 6, the batch waits; a later push sends it', async () => {
    const s = site();
    const port = await freePort();
    const res = await runCli(['run', '--no-host-info', '--quiet', '--push', `http://127.0.0.1:${port}/in`, '--push-format', 'ndjson', '--push-deadline', '1'], { cwd: s.dir, env: s.env });
    expect(res.code).toBe(6);
    expect(res.stderr).toMatch(/still waiting/);
    const spool = join(s.dir, 'state', 'qosprobe', 'spool');
    expect(listSpool(spool).pending).toHaveLength(1);
    const rx = await startReceiver({ port });
    try {
      const later = await runCli(['push', '--to', `http://127.0.0.1:${port}/in`, '--format', 'ndjson'], { cwd: s.dir, env: s.env });
      expect(later.code, later.stderr).toBe(0);
      expect(rx.stored).toHaveLength(1);
      expect(listSpool(spool).pending).toEqual([]);
      // spool lists it as sent; --keep-days 0 prunes it.
      const listing = await runCli(['spool', '--json'], { cwd: s.dir, env: s.env });
      expect(JSON.parse(listing.stdout)).toMatchObject({ pending: [], sent: [{ state: 'sent' }] });
      const pruned = await runCli(['spool', '--keep-days', '0', '--json'], { cwd: s.dir, env: s.env });
      expect(JSON.parse(pruned.stdout)).toMatchObject({ sent: [], pruned_sent: [expect.any(String)] });
    } finally {
      await rx.close();
    }
  });

  it('--textfile-dir: qosprobe.prom replaced atomically, no temp file left', async () => {
    const s = site();
    const dir = join(s.dir, 'textfile');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const res = await runCli(['run', '--no-host-info', '--quiet', '--textfile-dir', dir], { cwd: s.dir, env: s.env });
    expect(res.code, res.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['qosprobe.prom']);
    const text = readFileSync(join(dir, 'qosprobe.prom'), 'utf8');
    expect(text).toMatch(/^qosprobe_status_ok\{probe_id="field-e2e",location_code="32.73",endpoint="up",test="tcp"\} 1$/m);
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('schedule prints absolute node, bin and config paths for cron, systemd and schtasks', async () => {
    const s = site();
    const res = await runCli(['schedule', '--every', '15m'], { cwd: s.dir, env: s.env });
    expect(res.code, res.stderr).toBe(0);
    const cfg = join(s.dir, 'qosprobe.yaml');
    expect(res.stdout).toContain(`*/15 * * * * ${process.execPath} ${BIN} run --config ${cfg} --quiet --splay 90 --deadline 765 >/dev/null`);
    expect(res.stdout).toContain(`ExecStart=${process.execPath} ${BIN} run --config ${cfg} --quiet --deadline 765`);
    expect(res.stdout).toContain('OnCalendar=*:0/15');
    // Issue 25: the schtasks line is pasted on Windows: Windows paths, said to be defaults when generated elsewhere.
    if (process.platform === 'win32') expect(res.stdout).toContain(`schtasks /Create /F /TN "qosprobe" /SC MINUTE /MO 15 /TR "${process.execPath} ${BIN} run --config ${cfg}`);
    else {
      expect(res.stdout).toContain(
        'schtasks /Create /F /TN "qosprobe" /SC MINUTE /MO 15 /TR "\\"C:\\Program Files\\nodejs\\node.exe\\" \\"%APPDATA%\\npm\\node_modules\\qosprobe\\bin\\qosprobe.js\\" run --config \\"%APPDATA%\\qosprobe\\config.yaml\\" --quiet --splay 90 --deadline 765"',
      );
      expect(res.stdout).toMatch(/^# generated on \w+: the paths below are the Windows defaults of `npm install -g`/m);
      expect(res.stdout.split('\n').find((l) => l.startsWith('schtasks'))).not.toContain(s.dir);
    }
    // Issue 25: a user unit cannot wait for network-online.target; the service waits for a default route itself.
    expect(res.stdout).not.toContain('network-online.target\n');
    expect(res.stdout).not.toMatch(/^(After|Wants)=network-online\.target$/m);
    expect(res.stdout).toContain('ExecStartPre=-/usr/bin/timeout 60 /bin/sh -c "until ip route show default | grep -q default; do sleep 1; done"\n');
    expect(existsSync(BIN)).toBe(true);
    const bad = await runCli(['schedule', '--every', '7m'], { cwd: s.dir, env: s.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot be scheduled exactly/);
  });
});
