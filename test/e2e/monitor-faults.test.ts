/**
 * The monitor as an operator meets it when things go wrong (issue 24 items 8, 9, 10; issue 25
 * item 6), on the built CLI and loopback only: a refused alert event set aside, a second
 * monitor of one config refused, a bad profile in the config reported as a config error, a
 * start-up line that says where incidents go and what is detected, and (root: a real tmpfs)
 * window records that resume after a full disk.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { BIN, builtCliAvailable, runCli } from '../helpers/cli.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { refusedPort } from '../helpers/servers.js';
import { isRoot } from '../helpers/netns.js';
import { ALERTMANAGER, activeAlerts, startAlertmanager } from '../helpers/alerting.js';
import type { IncidentRecord } from '../../src/monitor/core.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'qosprobe-monfault-'));
  dirs.push(d);
  return d;
};
const children: ChildProcess[] = [];
let receiver: Receiver | null = null;
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await receiver?.close();
  receiver = null;
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function until<T>(what: string, timeoutMs: number, f: () => T | null | undefined | false): Promise<T> {
  return waitFor(f, what, timeoutMs, 100) as Promise<T>;
}

/** A config monitoring a refused loopback port: every packet lost at once, an outage within ~0.3 s. */
async function config(d: string, extra = ''): Promise<string> {
  const port = await refusedPort();
  const p = join(d, 'qosprobe.yaml');
  writeFileSync(
    p,
    `probe: { id: mon-fault }\nlocation: { code: "32.73" }\nendpoints:\n  - { name: dead, host: 127.0.0.1, tests: [{ kind: tcp, port: ${port} }] }\n` +
      `monitor:\n  interval_ms: 100\n  timeout_ms: 500\n  window_s: 1\n${extra}`,
  );
  return p;
}

function startMonitor(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  let err = '';
  const child = spawn(process.execPath, [BIN, 'monitor', '--no-host-info', ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { child, stderr: () => err, exit };
}

describe.skipIf(!builtCliAvailable())('monitor faults, built CLI', () => {
  it('a second monitor of the same config exits 5 naming the running one; the first goes on (issue 24 item 9)', async () => {
    const d = tmp();
    const cfg = await config(d);
    const env = { XDG_STATE_HOME: join(d, 'state') };
    const first = startMonitor(['--config', cfg, '-f', 'ndjson', '--out', join(d, 'w.ndjson')], env);
    await until('the first monitor to start', 10_000, () => first.stderr().includes('incidents:'));
    const second = await runCli(['monitor', '--config', cfg, '--no-host-info', '-f', 'ndjson', '--duration', '2'], { env, timeoutMs: 15_000 });
    expect(second.code, second.stderr).toBe(5);
    expect(second.stderr).toContain(`another monitor of ${cfg} is already running (pid ${first.child.pid} `);
    expect(second.stderr).toMatch(/monitor\.lock/);
    // The second one measured nothing and closed nothing of the first's.
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    // Released on exit: a new monitor of the config starts.
    const third = await runCli(['monitor', '--config', cfg, '--no-host-info', '-f', 'ndjson', '--duration', '1', '-q'], { env, timeoutMs: 15_000 });
    expect(third.code, third.stderr).toBe(0);
  }, 40_000);

  it('a bad monitor.degradation.profile is a config error: exit 3, the file and the field named (issue 25 item 6)', async () => {
    const d = tmp();
    const cfg = await config(d, '  degradation: { profile: tiphonx }\n');
    const r = await runCli(['monitor', '--config', cfg, '--no-host-info', '-f', 'ndjson', '--duration', '1'], { env: { XDG_STATE_HOME: join(d, 'state') }, timeoutMs: 15_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${cfg}: monitor.degradation.profile: tiphonx: not a bundled profile`);
    expect(r.stderr).not.toContain('--profile');
  });

  it('the start-up line gives the incidents file where it really is, and what is detected (issue 25 item 6)', async () => {
    const d = tmp();
    mkdirSync(join(d, 'etc'));
    const cfg = await config(join(d, 'etc'), '  incidents: logs/incidents.ndjson\n');
    const env = { XDG_STATE_HOME: join(d, 'state') };
    // Run from another directory: the relative path is relative to the config file.
    const r = await runCli(['monitor', '--config', cfg, '--no-host-info', '-f', 'ndjson', '--duration', '1'], { cwd: d, env, timeoutMs: 15_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`incidents: ${resolve(d, 'etc', 'logs', 'incidents.ndjson')}`);
    expect(existsSync(join(d, 'etc', 'logs', 'incidents.ndjson'))).toBe(true);
    expect(r.stderr).toContain('detects outages only (no monitor.degradation.profile)');
    const cfg2 = await config(join(d, 'etc'), '  degradation: { profile: tiphon }\n');
    const r2 = await runCli(['monitor', '--config', cfg2, '--no-host-info', '-f', 'ndjson', '--duration', '1'], { cwd: d, env, timeoutMs: 15_000 });
    expect(r2.stderr).toContain('detects outages and degradations against profile tiphon');
  }, 30_000);

  it('the last window of a monitor stopped 3 s into a 60 s window says how long it covered (issue 25 item 6)', async () => {
    const d = tmp();
    const cfg = await config(d);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('window_s: 1', 'window_s: 60'));
    const out = join(d, 'w.ndjson');
    const r = await runCli(['monitor', '--config', cfg, '--no-host-info', '-f', 'ndjson', '--out', out, '--duration', '3', '-q'], { env: { XDG_STATE_HOME: join(d, 'state') }, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    const windows = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { duration_ms: number; sent: number });
    expect(windows).toHaveLength(1);
    // 3 s of packets every 100 ms: the window covered about 3 s, not the 60,000 ms it used to claim.
    expect(windows[0]!.duration_ms).toBeGreaterThan(2500);
    expect(windows[0]!.duration_ms).toBeLessThan(4000);
    expect(windows[0]!.sent).toBeGreaterThan(20);
  }, 30_000);

  it('a webhook that refuses one waiting event (400): it is set aside with the reason, the real outage is delivered (issue 24 item 8)', async () => {
    receiver = await startReceiver({ behave: (req) => (JSON.parse(req.body).incident_id === 'poison' ? 'status-400' : 'ok') });
    const d = tmp();
    const cfg = await config(d, `  webhook: ${receiver.url}\n`);
    const env = { XDG_STATE_HOME: join(d, 'state') };
    // An event left in the outbox that the receiver will never take (as after a clock step, with an older version).
    const box = join(d, 'state', 'qosprobe', 'monitor', createHash('sha256').update(resolve(cfg)).digest('hex').slice(0, 16), 'outbox', 'webhook');
    mkdirSync(box, { recursive: true });
    writeFileSync(join(box, '000000000000001-000000-poison-closed.json'), JSON.stringify({ incident_id: 'poison', state: 'closed', started_at: '2026-11-30T08:00:00Z', ended_at: '2026-11-30T07:00:00Z' }));
    const mon = startMonitor(['--config', cfg, '-f', 'ndjson', '--out', join(d, 'w.ndjson')], env);
    const delivered = await until('the outage to reach the webhook', 15_000, () => receiver!.stored.find((r) => (JSON.parse(r.body) as IncidentRecord).incident_kind === 'outage'));
    expect((JSON.parse(delivered.body) as IncidentRecord).state).toBe('open');
    expect(readdirSync(join(box, 'rejected')).sort()).toEqual(['000000000000001-000000-poison-closed.json', '000000000000001-000000-poison-closed.why']);
    expect(readFileSync(join(box, 'rejected', '000000000000001-000000-poison-closed.why'), 'utf8')).toMatch(/HTTP 400/);
    expect(mon.stderr()).toMatch(/1 event\(s\) refused for good, set aside in .*rejected/);
    mon.child.kill('SIGTERM');
    expect(await mon.exit).toBe(0);
  }, 30_000);
});

describe.skipIf(!builtCliAvailable() || !ALERTMANAGER)(`monitor and a real Alertmanager${ALERTMANAGER ? '' : ': SKIPPED, prometheus-alertmanager is not installed'}`, () => {
  it('Alertmanager refuses one waiting event (400): it is set aside, the 59 behind it (more than a batch of 50), a mended clock-stepped close and the real outage arrive (issue 24 item 8)', async () => {
    const am = await startAlertmanager();
    const d = tmp();
    try {
      const cfg = await config(d, `  alertmanager: ${am.url}\n`);
      const box = join(d, 'state', 'qosprobe', 'monitor', createHash('sha256').update(resolve(cfg)).digest('hex').slice(0, 16), 'outbox', 'alertmanager');
      mkdirSync(box, { recursive: true });
      const ev = (id: string, over: Record<string, unknown> = {}) =>
        JSON.stringify({ incident_id: id, incident_kind: 'outage', state: 'open', probe_id: 'old', endpoint: 'old', test: 'tcp', target: 'x', started_at: '2026-11-30T08:00:00.000Z', ended_at: null, ...over });
      // First in line: an event Alertmanager cannot parse (400), as a torn or hand-edited file would be.
      writeFileSync(join(box, '000000000000001-000000-poison-open.json'), ev('poison', { started_at: 'not-a-time' }));
      for (let i = 0; i < 58; i++) writeFileSync(join(box, `000000000000002-${String(i).padStart(6, '0')}-old${i}-open.json`), ev(`old${i}`));
      // A close written after the wall clock stepped back an hour (Alertmanager 0.25: 400 "start time must be before end time").
      writeFileSync(join(box, '000000000000003-000000-stepped-closed.json'), ev('stepped', { state: 'closed', ended_at: '2026-11-30T07:00:20.000Z' }));
      const mon = startMonitor(['--config', cfg, '-f', 'ndjson', '--out', join(d, 'w.ndjson')], { XDG_STATE_HOME: join(d, 'state') });
      // Until the dead endpoint's alert is there; past the guard, what there is goes to the assertions (with the monitor's stderr).
      const alerts = await waitFor(async () => {
        const a = await activeAlerts(am);
        return a.some((x) => x.labels.endpoint === 'dead') ? a : null;
      }, "the dead endpoint's alert", 20_000, 250).catch(() => activeAlerts(am));
      expect(alerts.filter((a) => a.labels.endpoint === 'dead').map((a) => a.labels.alertname), mon.stderr()).toEqual(['QosprobeOutage']);
      expect(alerts.filter((a) => a.labels.endpoint === 'old')).toHaveLength(58);
      expect(readdirSync(join(box, 'rejected'))).toEqual(['000000000000001-000000-poison-open.json', '000000000000001-000000-poison-open.why']);
      expect(readFileSync(join(box, 'rejected', '000000000000001-000000-poison-open.why'), 'utf8')).toMatch(/HTTP 400 .*not-a-time/);
      // The stepped close was accepted (endsAt mended to startsAt): nothing of it left waiting.
      expect(readdirSync(box).filter((n) => n.includes('stepped'))).toEqual([]);
      mon.child.kill('SIGTERM');
      expect(await mon.exit).toBe(0);
    } finally {
      await am.stop();
    }
  }, 40_000);
});

/** Needs root to mount a tmpfs; skipped (saying so) otherwise. */
let canMount = isRoot && builtCliAvailable();
describe.skipIf(!canMount)(`monitor on a full disk, real tmpfs${canMount ? '' : ': SKIPPED, needs root (mount a tmpfs) and a built dist/'}`, () => {
  let mnt: string;
  beforeAll(() => {
    mnt = tmp();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', mnt]);
    } catch {
      canMount = false;
    }
  });
  afterAll(() => {
    if (canMount) execFileSync('umount', [mnt]);
  });

  it('window records stop while the disk is full and resume once space is back, whole lines only (issue 24 item 10)', async (ctx) => {
    if (!canMount) ctx.skip();
    const d = tmp();
    const cfg = await config(d);
    const out = join(mnt, 'windows.ndjson');
    const mon = startMonitor(['--config', cfg, '-f', 'ndjson', '--out', out], { XDG_STATE_HOME: join(d, 'state') });
    const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
    await until('the first window', 10_000, () => lines().length >= 1);
    // Fill the disk: the next windows cannot be written.
    const filler = join(mnt, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: full, as intended
    }
    await until('a window to fail on the full disk', 10_000, () => /cannot write to .*windows\.ndjson/.test(mon.stderr()));
    const whileFull = lines().length;
    truncateSync(filler, 0);
    await until('windows to resume', 10_000, () => lines().length >= whileFull + 2);
    expect(mon.stderr()).toMatch(/writing windows again \(\d+ lost/);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const l of lines()) expect(JSON.parse(l)).toHaveProperty('schema_version', 1);
    rmSync(filler);
    mon.child.kill('SIGTERM');
    // Windows were lost: exit 4 says so, after a run that went on.
    expect(await mon.exit).toBe(4);
    expect(statSync(out).size).toBeGreaterThan(0);
  }, 40_000);
});
