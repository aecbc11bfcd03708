#!/usr/bin/env node
/**
 * What a legitimate STAMP sender loses while junk floods `qosprobe serve` (issue 24, "also seen": 3.8–7 % at 4 kpps).
 * serve (the built CLI) runs alone; a load process sends junk from 500 loopback addresses (127.30.x.y) at --pps:
 * half under 44 bytes, half random 44–1400 bytes (no request: their bytes 16–23 are not zero); a legitimate sender
 * (127.0.0.2) sends 44 bytes every 20 ms and counts its replies. serve runs with --trace-gc: its GC pauses are counted.
 *
 *   npm run build && node bench/serve-junk-flood.mjs [--pps 4000] [--seconds 30] [--dgram]
 *
 * --dgram runs serve on node:dgram (QOSPROBE_NATIVE=0) instead of the native socket.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeSenderPacket } from '../dist/stamp/packet.js';

const { values: args } = parseArgs({
  options: {
    pps: { type: 'string', default: '4000' },
    seconds: { type: 'string', default: '30' },
    dgram: { type: 'boolean', default: false },
    role: { type: 'string', default: 'main' },
    port: { type: 'string' },
  },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pps = Number(args.pps);
const seconds = Number(args.seconds);

if (args.role === 'load') {
  const port = Number(args.port);
  const socks = await Promise.all(
    Array.from({ length: 500 }, async (_, i) => {
      const s = createSocket('udp4');
      s.on('error', () => {});
      s.on('message', () => {});
      await new Promise((r) => s.bind(0, `127.30.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`, r));
      return s;
    }),
  );
  const junk = Array.from({ length: 256 }, (_, i) => randomBytes(i % 2 ? 1 + (i % 43) : 44 + ((i * 37) % 1356)));
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - t0) / 1000) * pps);
    for (; sent < due; sent++) socks[sent % socks.length].send(junk[sent % junk.length], port, '127.0.0.1');
    await sleep(5);
  }
  for (const s of socks) s.close();
  process.stdout.write(JSON.stringify({ sent }) + '\n');
} else {
  const server = spawn(process.execPath, ['--trace-gc', join(import.meta.dirname, '..', 'bin', 'qosprobe.js'), 'serve', '--host', '127.0.0.1', '--stamp-port', '0', '--http-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(args.dgram ? { QOSPROBE_NATIVE: '0' } : {}) },
  });
  let log = '';
  server.stderr.on('data', (d) => (log += d));
  const pauses = [];
  let gcOut = '';
  server.stdout.on('data', (d) => {
    gcOut += d;
    const lines = gcOut.split('\n');
    gcOut = lines.pop();
    for (const l of lines) {
      const m = /MB, ([\d.]+) \/ [\d.]+ ms/.exec(l);
      if (m) pauses.push({ ms: Number(m[1]), at: performance.now(), kind: /Mark-Compact/.test(l) ? 'mark-compact' : 'scavenge' });
    }
  });
  while (!/STAMP udp\/(\d+)/.test(log)) await sleep(50);
  const port = Number(/STAMP udp\/(\d+)/.exec(log)[1]);
  const cpuS = () => readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0) / 100;
  const gen = spawn(process.execPath, [import.meta.filename, '--role', 'load', '--pps', String(pps), '--seconds', String(seconds), '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let genOut = '';
  gen.stdout.on('data', (d) => (genOut += d));
  await sleep(1000);
  const tStart = performance.now();
  const cpu0 = cpuS();
  const sock = createSocket('udp4');
  const sentAt = new Map();
  const rtts = [];
  sock.on('message', (m) => {
    const t = sentAt.get(m.readUInt32BE(24));
    if (t !== undefined) rtts.push(performance.now() - t);
  });
  await new Promise((r) => sock.bind(0, '127.0.0.2', r));
  let seq = 0;
  const end = performance.now() + (seconds - 2) * 1000;
  while (performance.now() < end) {
    sentAt.set(seq, performance.now());
    sock.send(encodeSenderPacket({ seq, timestamp: { seconds: 0, fraction: 0 }, errorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 }, ssid: 5 }), port, '127.0.0.1');
    seq++;
    await sleep(Math.max(0, tStart + seq * 20 - performance.now()));
  }
  await sleep(1000);
  const cpu = (cpuS() - cpu0) / ((performance.now() - tStart) / 1000);
  await new Promise((r) => gen.on('exit', r));
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  sock.close();
  const q = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] : null;
  };
  const during = pauses.filter((p) => p.at >= tStart);
  const totals = /stamp: closed: (.*)/.exec(log)?.[1] ?? '';
  console.log(
    JSON.stringify({
      socket: args.dgram ? 'node:dgram' : 'native',
      junkPps: pps,
      junkSent: JSON.parse(genOut.trim() || '{}').sent,
      legitSent: seq,
      legitLossPct: Number(((100 * (seq - rtts.length)) / seq).toFixed(2)),
      rttMedMs: Number(q(rtts, 0.5)?.toFixed(3)),
      rttP95Ms: Number(q(rtts, 0.95)?.toFixed(3)),
      serverCpuPct: Math.round(cpu * 100),
      gcPauses: during.length,
      gcMaxMs: Math.max(0, ...during.map((p) => p.ms)),
      markCompacts: during.filter((p) => p.kind === 'mark-compact').length,
      load: loadavg().map((x) => x.toFixed(1)).join(' '),
      totals,
    }),
  );
}
