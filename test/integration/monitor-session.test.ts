/**
 * The monitor's durable parts on loopback: incidents survive a crash (closed at the last
 * heartbeat, same id, never twice), the outbox delivers at least once and in order through a
 * receiver that is down and comes back, and the `monitor:` config section is validated with
 * the field path.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { validateConfig } from '../../src/config/validate.js';
import { Outbox, alertOf, alertmanagerReceiver, webhookReceiver } from '../../src/monitor/alerts.js';
import type { IncidentRecord } from '../../src/monitor/core.js';
import type { RunContext } from '../../src/records/assemble.js';
import { DEFAULT_DETECTION } from '../../src/monitor/detector.js';
import { runMonitorSession } from '../../src/monitor/session.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { builtCliAvailable, runCli } from '../helpers/cli.js';
import { createSocket } from 'node:dgram';
import { tempDir } from '../helpers/temp.js';

const dirs: string[] = [];
const tmp = () => {
  const d = tempDir('qosprobe-monitor-');
  dirs.push(d);
  return d;
};
let receiver: Receiver | null = null;
let listener: Server | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
  await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
  listener = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ctx: RunContext = {
  runId: 'r',
  probeId: 'p1',
  location: { code: '32.73', name: 'Jawa Barat / Kota Bandung', site: 'TPS-017', lat: null, lon: null, source: 'config' },
  toolVersion: 'test',
};

function incident(over: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    schema_version: 1,
    record_type: 'incident',
    incident_id: 'inc-1',
    incident_kind: 'outage',
    state: 'open',
    probe_id: 'p1',
    location_code: '32.73',
    location_name: null,
    site: 'TPS-017',
    lat: null,
    lon: null,
    net_iface: null,
    operator: null,
    endpoint: 'srv',
    target: '10.77.7.2:862',
    target_ip: '10.77.7.2',
    test: 'stamp',
    started_at: '2026-11-30T08:00:00.000Z',
    ended_at: null,
    duration_ms: null,
    metric: 'loss_percent',
    threshold: 3,
    worst_value: 3,
    profile: null,
    rule: null,
    cause: 'TIMEOUT',
    samples_sent: 3,
    samples_lost: 3,
    first_seq: 10,
    last_seq: 12,
    end_reason: null,
    tool_version: 'test',
    net: {},
    ...over,
  };
}

async function tcpListener(): Promise<number> {
  listener = createServer((s) => s.destroy());
  await new Promise<void>((r) => listener!.listen(0, '127.0.0.1', () => r()));
  return (listener.address() as { port: number }).port;
}

describe('restart safety', () => {
  it('an incident left open by a crashed monitor is closed once, at its last heartbeat, with its id', async () => {
    const state = tmp();
    const heartbeat = '2026-11-30T08:05:00.000Z';
    writeFileSync(join(state, 'state.json'), JSON.stringify({ version: 1, heartbeat, open: [incident()] }));
    const port = await tcpListener();
    const run = async () => {
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 300);
      await runMonitorSession({
        ctx,
        endpoints: [{ name: 'srv', host: '127.0.0.1', port, method: 'tcp', target: `127.0.0.1:${port}` }],
        intervalMs: 100,
        timeoutMs: 500,
        windowMs: 60_000,
        detection: DEFAULT_DETECTION,
        rules: [],
        profile: null,
        stateDir: state,
        incidentsPath: join(state, 'incidents.ndjson'),
        receivers: [],
        resendMs: 60_000,
        signal: ctl.signal,
        onWindow: () => {},
        log: () => {},
      });
    };
    await run();
    await run(); // a second start must not close it again
    const lines = readFileSync(join(state, 'incidents.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as IncidentRecord);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ incident_id: 'inc-1', state: 'closed', ended_at: heartbeat, end_reason: 'monitor_stopped', duration_ms: 300_000 });
    expect(JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')).open).toEqual([]);
  });
});

describe('alert delivery through the outbox', () => {
  it('a webhook that is down, then up: every event delivered, in order, each once', async () => {
    let up = false;
    receiver = await startReceiver({ behave: () => (up ? 'ok' : 'status-500') });
    const box = new Outbox(join(tmp(), 'outbox'));
    const wh = webhookReceiver(receiver.url + '/incidents', 'sekret');
    box.put(incident());
    box.put(incident({ state: 'closed', ended_at: '2026-11-30T08:01:00.000Z', duration_ms: 60_000, end_reason: 'recovered' }));
    const down = await box.deliver(wh, { timeoutMs: 2000 });
    expect(down).toMatchObject({ sent: 0, pending: 2 });
    expect(down.lastError).toContain('HTTP 500');
    up = true;
    expect(await box.deliver(wh, { timeoutMs: 2000 })).toEqual({ sent: 2, pending: 0, rejected: 0, lastError: null });
    expect(box.pending()).toEqual([]);
    expect(receiver.stored.map((r) => JSON.parse(r.body).state)).toEqual(['open', 'closed']);
    expect(receiver.stored.map((r) => r.key)).toEqual(['inc-1:open', 'inc-1:closed']);
    expect(receiver.stored[0]!.headers.authorization).toBe('Bearer sekret');
  });

  it("Alertmanager's alert: labels name the place, endsAt only once resolved", async () => {
    const open = alertOf(incident());
    expect(open).toMatchObject({ labels: { alertname: 'QosprobeOutage', severity: 'critical', location_code: '32.73', endpoint: 'srv', site: 'TPS-017', incident_id: 'inc-1' }, startsAt: '2026-11-30T08:00:00.000Z' });
    expect(open).not.toHaveProperty('endsAt');
    expect(alertOf(incident({ state: 'closed', ended_at: '2026-11-30T08:01:00.000Z' }))).toMatchObject({ endsAt: '2026-11-30T08:01:00.000Z' });
    expect(alertmanagerReceiver('http://127.0.0.1:9093/').url.href).toBe('http://127.0.0.1:9093/api/v2/alerts');
  });

  it('an unreadable outbox file is set aside, not retried for ever', async () => {
    receiver = await startReceiver();
    const dir = join(tmp(), 'outbox');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '000000000000001-000000-x-open.json'), '{"torn');
    const box = new Outbox(dir);
    box.put(incident());
    expect(await box.deliver(webhookReceiver(receiver.url, null), { timeoutMs: 2000 })).toMatchObject({ sent: 1, pending: 0 });
    expect(box.pending()).toEqual([]);
  });
});

describe('a refused event never blocks the outbox; the outbox is bounded (issue 24 item 8)', () => {
  it('a webhook that refuses one event (400): it is set aside in rejected/ with the reason, the later ones are delivered', async () => {
    receiver = await startReceiver({ behave: (req) => (JSON.parse(req.body).incident_id === 'poison' ? 'status-400' : 'ok') });
    const box = new Outbox(join(tmp(), 'outbox'));
    const wh = webhookReceiver(receiver.url, null);
    box.put(incident({ incident_id: 'poison' }));
    box.put(incident({ incident_id: 'real' }));
    box.put(incident({ incident_id: 'real', state: 'closed', ended_at: '2026-11-30T08:01:00.000Z', duration_ms: 60_000, end_reason: 'recovered' }));
    expect(await box.deliver(wh, { timeoutMs: 2000 })).toMatchObject({ sent: 2, pending: 0, rejected: 1, lastError: null });
    expect(receiver.stored.map((r) => r.key)).toEqual(['real:open', 'real:closed']);
    expect(box.pending()).toEqual([]);
    const rejected = box.rejected();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.name).toMatch(/-poison-open\.json$/);
    expect(rejected[0]!.why).toMatch(/^webhook http:\/\/127\.0\.0\.1:\d+\/\S*: HTTP 400/);
    // Set aside, not retried: the next delivery sends nothing.
    expect(await box.deliver(wh, { timeoutMs: 2000 })).toMatchObject({ sent: 0, pending: 0, rejected: 0 });
  });

  it('Alertmanager refusing a batch of 50 for one event: the 49 others and everything after them are delivered', async () => {
    receiver = await startReceiver({ behave: (req) => ((JSON.parse(req.body) as { labels: { incident_id: string } }[]).some((a) => a.labels.incident_id === 'poison') ? 'status-400' : 'ok') });
    const box = new Outbox(join(tmp(), 'outbox'));
    const am = alertmanagerReceiver(receiver.url);
    box.put(incident({ incident_id: 'poison' }));
    for (let i = 0; i < 80; i++) box.put(incident({ incident_id: `inc-${i}` }));
    expect(await box.deliver(am, { timeoutMs: 2000 })).toMatchObject({ sent: 80, pending: 0, rejected: 1 });
    const delivered = receiver.stored.flatMap((r) => (JSON.parse(r.body) as { labels: { incident_id: string } }[]).map((a) => a.labels.incident_id));
    expect(new Set(delivered)).toEqual(new Set(Array.from({ length: 80 }, (_, i) => `inc-${i}`)));
  });

  it('a receiver that is down (5xx) still blocks (order matters) and nothing is set aside', async () => {
    receiver = await startReceiver({ behave: () => 'status-500' });
    const box = new Outbox(join(tmp(), 'outbox'));
    box.put(incident());
    expect(await box.deliver(webhookReceiver(receiver.url, null), { timeoutMs: 2000 })).toMatchObject({ sent: 0, pending: 1, rejected: 0 });
    expect(box.rejected()).toEqual([]);
  });

  it('bounded: 50 open incidents re-sent 10 times while Alertmanager is unreachable leave 50 files, the newest of each', () => {
    const box = new Outbox(join(tmp(), 'outbox'));
    for (let round = 0; round < 10; round++) for (let i = 0; i < 50; i++) box.put(incident({ incident_id: `inc-${i}`, duration_ms: round }));
    const names = box.pending();
    expect(names).toHaveLength(50);
    for (const n of names) expect(JSON.parse(readFileSync(join(box.dir, n), 'utf8')).duration_ms).toBe(9);
    // A close does not replace the open: a webhook needs both, in order.
    box.put(incident({ incident_id: 'inc-0', state: 'closed', ended_at: '2026-11-30T08:01:00.000Z' }));
    expect(box.pending().filter((n) => n.includes('-inc-0-'))).toHaveLength(2);
  });

  it('an event with ended_at before started_at (an older version, a clock stepped back) goes to Alertmanager with endsAt = startsAt', () => {
    const a = alertOf(incident({ state: 'closed', started_at: '2026-11-30T08:00:00.000Z', ended_at: '2026-11-30T07:00:20.000Z' }));
    expect(a.endsAt).toBe('2026-11-30T08:00:00.000Z');
  });
});

describe('the incidents file on a full disk (issue 24 item 11)', () => {
  it('a short write then ENOSPC: the file keeps whole lines only, and the waiting lines are written, in order, once space is back', async () => {
    const state = tmp();
    const path = join(state, 'incidents.ndjson');
    writeFileSync(path, JSON.stringify({ schema_version: 1, record_type: 'incident', incident_id: 'before' }) + '\n');
    let full = true;
    let left = 40; // the disk takes 40 more bytes: part of the first line, then ENOSPC
    const writeFn = (fd: number, buf: Buffer, off: number, len: number): number => {
      if (!full) return writeSync(fd, buf, off, len);
      if (left <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const n = writeSync(fd, buf, off, Math.min(len, left));
      left -= n;
      return n;
    };
    const { refusedPort } = await import('../helpers/servers.js');
    const port = await refusedPort();
    const ctl = new AbortController();
    const logs: string[] = [];
    const session = runMonitorSession({
      ctx,
      endpoints: [{ name: 'srv', host: '127.0.0.1', port, method: 'tcp', target: `127.0.0.1:${port}` }],
      intervalMs: 100,
      timeoutMs: 500,
      windowMs: 500,
      detection: DEFAULT_DETECTION,
      rules: [],
      profile: null,
      stateDir: state,
      incidentsPath: path,
      receivers: [],
      resendMs: 60_000,
      signal: ctl.signal,
      onWindow: () => {},
      log: (l) => logs.push(l),
      writeFn,
    });
    // The outage opens (3 refused connections) while the disk is full.
    await waitFor(() => logs.some((l) => l.startsWith('OPEN')), 'the outage to open', 20_000, 10);
    // Never torn: the file is its one earlier line.
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).incident_id)).toEqual(['before']);
    full = false;
    ctl.abort(); // the close (monitor_stopped) is written with the waiting open before it
    await session;
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as IncidentRecord);
    expect(lines.map((l) => `${l.incident_id === 'before' ? 'before' : l.state}`)).toEqual(['before', 'open', 'closed']);
    expect(logs.some((l) => /cannot append to .*incidents\.ndjson \(1 line\(s\) waiting/.test(l))).toBe(true);
  });
});

describe('an incident put while a delivery is under way', () => {
  it('is delivered right after it, not left waiting for the next resend (found: an outage behind 60 waiting events)', async () => {
    const state = tmp();
    // An event already waiting: its delivery is the one under way when the outage opens.
    const box = new Outbox(join(state, 'outbox', 'webhook'));
    box.put(incident({ incident_id: 'waiting', state: 'closed', ended_at: '2026-11-30T08:01:00.000Z' }));
    const logs: string[] = [];
    let opened!: () => void;
    const outageOpened = new Promise<void>((r) => (opened = r));
    const bodies: IncidentRecord[] = [];
    // The receiver holds its answer to the waiting event until the outage has opened (and been put in the outbox).
    const http = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const e = JSON.parse(body) as IncidentRecord;
        bodies.push(e);
        void (e.incident_id === 'waiting' ? outageOpened : Promise.resolve()).then(() => res.end('{}'));
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const { refusedPort } = await import('../helpers/servers.js');
    const port = await refusedPort();
    const ctl = new AbortController();
    try {
      const session = runMonitorSession({
        ctx,
        endpoints: [{ name: 'srv', host: '127.0.0.1', port, method: 'tcp', target: `127.0.0.1:${port}` }],
        intervalMs: 100,
        timeoutMs: 500,
        windowMs: 60_000,
        detection: DEFAULT_DETECTION,
        rules: [],
        profile: null,
        stateDir: state,
        incidentsPath: join(state, 'incidents.ndjson'),
        receivers: [webhookReceiver(`http://127.0.0.1:${(http.address() as { port: number }).port}/`, null)],
        resendMs: 3_600_000,
        signal: ctl.signal,
        onWindow: () => {},
        onIncident: (r) => {
          if (r.state === 'open') setImmediate(opened); // after writeIncident has put it and kicked
        },
        log: (l) => logs.push(l),
      });
      // Awaited as an event: the outage's open reaching the receiver while the monitor still runs.
      await new Promise<void>((resolve) => {
        const check = () => (bodies.some((b) => b.incident_kind === 'outage' && b.state === 'open' && b.incident_id !== 'waiting') ? resolve() : setTimeout(check, 20));
        check();
      });
      expect(bodies.map((b) => (b.incident_id === 'waiting' ? 'waiting' : b.state))).toEqual(['waiting', 'open']);
      ctl.abort();
      await session;
    } finally {
      ctl.abort();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});

describe('the monitor: config section', () => {
  const base = { location: { code: '32.73' }, endpoints: [{ host: '127.0.0.1', tests: ['icmp'] }] };
  it('defaults when absent, values when given', () => {
    expect(validateConfig(base, 'q.yaml').monitor).toMatchObject({ method: 'auto', intervalMs: 1000, timeoutMs: 2000, windowS: 60, lossCount: 3, recoverCount: 3 });
    const c = validateConfig({ ...base, monitor: { interval_ms: 1500, outage: { loss_count: 2 }, degradation: { profile: 'tiphon' }, alertmanager: 'http://127.0.0.1:9093' } }, 'q.yaml');
    expect(c.monitor).toMatchObject({ intervalMs: 1500, lossCount: 2, profile: 'tiphon', alertmanager: 'http://127.0.0.1:9093' });
  });
  it.each([
    [{ interval_ms: 10 }, /q\.yaml: monitor\.interval_ms: expected .*100/],
    [{ outage: { loss_count: 0 } }, /monitor\.outage\.loss_count/],
    [{ method: 'carrier-pigeon' }, /monitor\.method: expected one of auto, stamp, tcp, icmp/],
    [{ alertmanager: 'ftp://x' }, /monitor\.alertmanager: expected an http\(s\):\/\/ URL/],
    [{ intervall_ms: 1000 }, /monitor.*intervall_ms/],
  ])('refuses %j naming the field', (monitor, msg) => {
    expect(() => validateConfig({ ...base, monitor }, 'q.yaml')).toThrow(msg);
  });
});

describe.skipIf(!builtCliAvailable())('stopping the monitor', () => {
  it('packets in flight at the stop hold nothing open: exit 0 at once, not an internal error (found: exit 70)', async () => {
    // A UDP port that takes packets and never answers: every STAMP packet is in flight for its whole 60 s timeout, so
    // "at once" is "long before that timeout", a bound a busy host's slow start-up (seconds) cannot reach.
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const port = silent.address().port;
    const d = tmp();
    const cfg = join(d, 'q.yaml');
    writeFileSync(cfg, `location: { code: "32.73" }\nendpoints:\n  - { name: s, host: 127.0.0.1, tests: [{ kind: stamp, port: ${port} }] }\nmonitor: { interval_ms: 200, timeout_ms: 60000 }\n`);
    try {
      const t0 = Date.now();
      const res = await runCli(['monitor', '--config', cfg, '--duration', '1', '--no-host-info', '-f', 'ndjson', '-q'], { env: { XDG_STATE_HOME: join(d, 'state') }, timeoutMs: 50_000 });
      expect(res.code, res.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(45_000);
    } finally {
      silent.close();
    }
  }, 60_000);
});
