#!/usr/bin/env node
// Many endpoints, one monitor (issue 24 item 12): `qosprobe monitor` with N STAMP endpoints split over two
// `qosprobe serve` on loopback (default rate limit: 1000 packets a second per source, bursts of 100), one packet a
// second each. Prints the packets sent and lost in the window records and each reflector's rate_limited count.
//   node bench/monitor-many.mjs [--endpoints 1000] [--seconds 12]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, dflt) => (process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : dflt);
const n = arg('endpoints', 1000);
const seconds = arg('seconds', 12);
const BIN = join(import.meta.dirname, '..', 'bin', 'qosprobe.js');
const dir = mkdtempSync(join(tmpdir(), 'qosprobe-many-'));
const env = { ...process.env, XDG_STATE_HOME: join(dir, 'state'), QOSPROBE_GATEWAY_PING: '0' };
const base = 20000 + Math.floor(Math.random() * 20000);
const ports = [base, base + 1];
let serveLog = '';
const servers = ports.map((p) => {
  const s = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--stamp-port', String(p), '--http-port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  s.stderr.on('data', (d) => (serveLog += d));
  return s;
});
try {
  await new Promise((r) => setTimeout(r, 2500));
  const eps = Array.from({ length: n }, (_, i) => `  - { name: e${i}, host: 127.0.0.1, tests: [{ kind: stamp, port: ${ports[i % 2]} }] }`).join('\n');
  const cfg = join(dir, 'qosprobe.yaml');
  writeFileSync(cfg, `location: { code: "32.73" }\nendpoints:\n${eps}\noutput: { format: ndjson }\nmonitor: { interval_ms: 1000, timeout_ms: 2000, window_s: 5 }\n`);
  const mon = spawn(process.execPath, [BIN, 'monitor', '--config', cfg, '--no-host-info', '--duration', String(seconds), '-q'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  mon.stdout.on('data', (d) => (out += d));
  await new Promise((r) => mon.once('exit', r));
  const ws = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const sent = ws.reduce((a, w) => a + w.sent, 0);
  const lost = sent - ws.reduce((a, w) => a + w.received, 0);
  console.log(`${n} endpoints, ${seconds} s: ${ws.length} window records, ${sent} packets, ${lost} lost (${((100 * lost) / Math.max(1, sent)).toFixed(2)} %)`);
} finally {
  for (const s of servers) s.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  rmSync(dir, { recursive: true, force: true });
  for (const l of serveLog.split('\n').filter((x) => x.includes('stamp: closed'))) console.log(`reflector: ${l.replace(/^\S+ /, '')}`);
}
