/**
 * The application layer without the CLI (issue 20): a short script runs a plan and a monitor through the library
 * entry (src/index.ts) and receives the records and incidents; the monitor sends its window records where `run`
 * would send its records (the config's output file only in the config's format, else stdout). The server and the
 * push (serve, push, spoolStatus) run the same way.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, QUIET_EVENTS, push, runMonitor, runTests, serve, spoolStatus, validateConfig, type AppIo, type IncidentRecord, type ResultRecord } from '../../src/index.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'qosprobe-app-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A TCP listener on loopback: a tcp test's target. */
async function listener(): Promise<number> {
  const s: Server = createServer((c) => c.destroy());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as { port: number }).port;
}

/** A port nothing listens on (a listener opened and closed): every handshake refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function appIo(dir: string, signal = new AbortController().signal): AppIo & { out: () => string; said: string[] } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const said: string[] = [];
  return {
    stdout,
    env: { QOSPROBE_GATEWAY_PING: '0', XDG_STATE_HOME: join(dir, 'state'), HOME: dir },
    cwd: dir,
    signal,
    interactive: false,
    events: { ...QUIET_EVENTS, say: (t) => said.push(t) },
    out: () => out,
    said,
  };
}

const configOf = (dir: string, port: number, output: object = { format: 'ndjson' }, monitor: object = {}) =>
  validateConfig(
    {
      location: { code: '32.73' },
      endpoints: [{ name: 'srv', host: '127.0.0.1', tests: [{ kind: 'tcp', port, count: 3, interval_ms: 50, timeout_ms: 500 }] }],
      output,
      monitor: { interval_ms: 100, timeout_ms: 200, window_s: 1, ...monitor },
    },
    join(dir, 'qosprobe.yaml'),
    dir,
  );

describe('the library runs a plan and a monitor without the CLI', () => {
  it('runTests: the records through events and to the output, the exit code as a value', async () => {
    const dir = tmp();
    const port = await listener();
    const io = appIo(dir);
    const seen: ResultRecord[] = [];
    io.events.testFinished = (r) => seen.push(r);
    const report = await runTests({ config: configOf(dir, port), flags: { hostInfo: false }, io, requireLocation: true });
    expect(report.exitCode).toBe(0);
    expect(report.status).toBe('completed');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ test: 'tcp', status: 'ok', sent: 3, received: 3, location_code: '32.73' });
    expect(JSON.parse(io.out().trim())).toMatchObject({ run_id: seen[0]!.run_id, received: 3 });
    expect(report.written).toMatchObject({ count: 1, output: { format: 'ndjson', path: null } });
  });

  it('runTests with failOnError: a failed test is EXIT.TEST_FAILED, returned, not set on any process', async () => {
    const dir = tmp();
    const report = await runTests({ config: configOf(dir, await closedPort()), flags: { hostInfo: false, failOnError: true }, io: appIo(dir), requireLocation: true });
    expect(report.records[0]).toMatchObject({ status: 'error', error_code: 'CONNECT_REFUSED' });
    expect(report.exitCode).toBe(EXIT.TEST_FAILED);
  });

  it('runMonitor: window records and incidents to the script (an outage opens, and closes when the monitor stops)', async () => {
    const dir = tmp();
    const windows: ResultRecord[] = [];
    const incidents: IncidentRecord[] = [];
    const res = await runMonitor({
      config: configOf(dir, await closedPort()),
      flags: { hostInfo: false, quiet: true, duration: 1.5 },
      io: appIo(dir),
      onWindow: (r) => windows.push(r),
      onIncident: (r) => incidents.push(r),
    });
    expect(res.exitCode).toBe(0);
    expect(windows.length).toBeGreaterThanOrEqual(1);
    expect(windows[0]).toMatchObject({ test: 'tcp', endpoint: 'srv', status: 'error', error_code: 'CONNECT_REFUSED' });
    expect(incidents.map((i) => [i.incident_kind, i.state])).toEqual([
      ['outage', 'open'],
      ['outage', 'closed'],
    ]);
    expect(incidents[1]).toMatchObject({ end_reason: 'monitor_stopped', incident_id: incidents[0]!.incident_id });
  });
});

describe("monitor follows run's rule for where records go", () => {
  it('--format other than the config\'s: stdout, the config\'s file untouched (found: NDJSON written into results.csv)', async () => {
    const dir = tmp();
    const port = await listener();
    const io = appIo(dir);
    await runMonitor({ config: configOf(dir, port, { format: 'csv', path: 'results.csv' }), flags: { hostInfo: false, quiet: true, duration: 1.3, format: 'ndjson' }, io });
    expect(existsSync(join(dir, 'results.csv'))).toBe(false);
    expect(JSON.parse(io.out().trim().split('\n')[0]!)).toMatchObject({ test: 'tcp', endpoint: 'srv' });
  });

  it('no --format, or the config\'s own: the config\'s file', async () => {
    for (const format of [undefined, 'csv' as const]) {
      const dir = tmp();
      const port = await listener();
      const io = appIo(dir);
      await runMonitor({ config: configOf(dir, port, { format: 'csv', path: 'results.csv' }), flags: { hostInfo: false, quiet: true, duration: 1.3, format }, io });
      expect(io.out()).toBe('');
      expect(readFileSync(join(dir, 'results.csv'), 'utf8')).toMatch(/^schema_version,/);
    }
  });
});

describe('the library serves and pushes without the CLI', () => {
  it('serve until the signal (exit 0); a stamp test against it spooled; push sends the batch to a loopback receiver', async () => {
    const dir = tmp();
    const stop = new AbortController();
    const serveIo = appIo(dir, stop.signal);
    let stampPort = 0;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const served = serve(serveIo, { host: '127.0.0.1', stampPort: 0, httpPort: 0 }, (s) => {
      stampPort = s.stampPort;
      started();
    });
    // Closed even when an assertion fails: the signal ends it, and the test waits for its sockets to close.
    cleanup.push(async () => {
      stop.abort('test over');
      await served.catch(() => {});
    });
    await Promise.race([running, served]);
    expect(serveIo.said.join('')).toMatch(/serving on 127\.0\.0\.1: STAMP udp\/\d+ \(stateless/);

    const config = validateConfig(
      { location: { code: '32.73' }, endpoints: [{ name: 'srv', host: '127.0.0.1', tests: [{ kind: 'stamp', port: stampPort, count: 3, interval_ms: 50, timeout_ms: 500 }] }], output: { format: 'ndjson' } },
      join(dir, 'qosprobe.yaml'),
      dir,
    );
    const io = appIo(dir);
    const report = await runTests({ config, flags: { hostInfo: false }, io, requireLocation: true, unattended: { spool: 'spool' } });
    expect(report.records.map((r) => [r.test, r.status, r.received])).toEqual([['stamp', 'ok', 3]]);
    expect((await spoolStatus(io, { spool: 'spool' })).listing.pending).toHaveLength(1);

    const bodies: string[] = [];
    const receiver = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => receiver.close(() => r())));
    const pushed = await push(io, { spool: 'spool', to: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/api/v1/import/prometheus`, gzip: false, verify: false, deadline: 30 });
    expect(pushed).toMatchObject({ exitCode: EXIT.OK, dir: join(dir, 'spool'), pending: [], rejected: [] });
    expect(pushed.sent).toHaveLength(1);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatch(/^POST \/api\/v1\/import\/prometheus /);
    expect(bodies[0]).toMatch(/\nqosprobe_status_ok\{[^}]*test="stamp"\} 1 \d+\n/);
    const after = await spoolStatus(io, { spool: 'spool' });
    expect([after.listing.pending.length, after.listing.sent.length]).toEqual([0, 1]);

    stop.abort('SIGTERM');
    expect(await served).toBe(EXIT.OK);
    expect(serveIo.said.join('')).toMatch(/ SIGTERM: shutting down\n/);
  });
});
