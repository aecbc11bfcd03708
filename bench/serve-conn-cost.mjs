#!/usr/bin/env node
/**
 * What one open HTTP connection holding unfinished headers costs `qosprobe serve` (the built CLI), in RSS:
 * N connections from 20 loopback addresses per 4000 (under the per-source share), each sending HEADER_BYTES of a
 * header that never ends and a byte a second, serve's VmRSS read before and after (docs/serve.md, "Memory").
 *
 *   npm run build && node bench/serve-conn-cost.mjs [connections=4000] [header-bytes=1900]
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const n = Number(process.argv[2] ?? 4000);
const headerBytes = Number(process.argv[3] ?? 1900);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'qosprobe.js'), 'serve', '--host', '127.0.0.1', '--stamp-port', '0', '--http-port', '0'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let log = '';
child.stderr.on('data', (d) => (log += d));
while (!/HTTP tcp\/(\d+)/.test(log)) await sleep(50);
const port = Number(/HTTP tcp\/(\d+)/.exec(log)[1]);
const rssMB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
await sleep(500);
const rss0 = rssMB();
const socks = [];
for (let i = 0; i < n; i++) {
  const s = connect({ port, host: '127.0.0.1', localAddress: `127.20.${Math.floor(i / 200)}.${1 + (i % 200)}` });
  s.on('error', () => {});
  s.write(`GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad: ${'x'.repeat(headerBytes)}`);
  socks.push(s);
  if (i % 500 === 499) await sleep(100); // the accept queue
}
for (let k = 0; k < 3; k++) {
  await sleep(1000);
  for (const s of socks) s.write('y');
}
await sleep(1500);
const rss1 = rssMB();
const open = socks.filter((s) => !s.destroyed).length;
console.log(JSON.stringify({ connections: n, headerBytes, open, rssStartMB: Math.round(rss0), rssMB: Math.round(rss1), perConnectionKB: Number((((rss1 - rss0) * 1024) / n).toFixed(1)) }));
for (const s of socks) s.destroy();
child.kill('SIGTERM');
