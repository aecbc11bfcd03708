#!/usr/bin/env node
// One engine (issue 20): `qosprobe monitor` and `qosprobe stamp` against one `qosprobe serve` on loopback at the
// same time, through the built CLI. Prints each round's window median, stamp's median, their difference and the
// rtt_timestamping both records carry. Options: --rounds N (3), --count N (100 packets, 100 ms apart).
//   node bench/monitor-vs-stamp.mjs --rounds 3
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, dflt) => (process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : dflt);
const rounds = arg('rounds', 3);
const count = arg('count', 100);
const BIN = join(import.meta.dirname, '..', 'bin', 'qosprobe.js');
const PORT = 18862 + Math.floor(Math.random() * 1000);
const dir = mkdtempSync(join(tmpdir(), 'qosprobe-mvs-'));
const env = { ...process.env, XDG_STATE_HOME: join(dir, 'state'), QOSPROBE_GATEWAY_PING: '0' };

function run(args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args[0]} exit ${code}: ${err}`))));
  });
}

const serve = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--stamp-port', String(PORT), '--http-port', '0', '-q'], { env, stdio: 'ignore' });
try {
  await new Promise((r) => setTimeout(r, 1500));
  const cfg = join(dir, 'qosprobe.yaml');
  const windowS = Math.ceil((count * 100) / 1000);
  writeFileSync(
    cfg,
    `location: { code: "32.73" }\nendpoints:\n  - { name: srv, host: 127.0.0.1, tests: [{ kind: stamp, port: ${PORT} }] }\noutput: { format: ndjson }\nmonitor: { interval_ms: 100, timeout_ms: 1000, window_s: ${windowS} }\n`,
  );
  console.log('round  window median  stamp median  |diff|    window timing / stamp timing');
  for (let i = 0; i < rounds; i++) {
    const [mon, st] = await Promise.all([
      run(['monitor', '--config', cfg, '--no-host-info', '--duration', String(windowS + 1.5), '-q']),
      run(['stamp', `127.0.0.1:${PORT}`, '-c', String(count), '-i', '100', '-f', 'ndjson', '-q', '--no-host-info']),
    ]);
    const w = JSON.parse(mon.trim().split('\n')[0]);
    const s = JSON.parse(st.trim());
    const d = Math.abs(w.rtt_median_ms - s.rtt_median_ms);
    console.log(`${i + 1}      ${w.rtt_median_ms.toFixed(4)} ms      ${s.rtt_median_ms.toFixed(4)} ms     ${d.toFixed(4)} ms   ${w.rtt_timestamping} / ${s.rtt_timestamping}`);
  }
} finally {
  serve.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
