#!/usr/bin/env node
/**
 * Throughput through a rate-limited link, qosprobe against iperf3 in the same run (root only): the shared
 * lab's netlab (../shared/lab/netlab: two namespaces, tc tbf both ways) with `qosprobe serve` and an iperf3
 * server in one namespace and both clients in the other, alternating. The reference is iperf3's RECEIVER per-second
 * intervals inside the measured window (its upload summary also counts the sender's backlog draining after the
 * end). This is the comparison test/lab/throughput-netns.test.ts makes only with QOSPROBE_ACCURACY=full.
 *
 *   npm run build && sudo node bench/throughput-netns.mjs [--mbit 20,100] [--seconds 10] [--rounds 2] [--write]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSection } from './lib.mjs';

const ROOT = join(import.meta.dirname, '..');
const NETLAB = join(ROOT, '..', 'shared', 'lab', 'netlab');
const BIN = join(ROOT, 'bin', 'qosprobe.js');
const { values: args } = parseArgs({
  options: { mbit: { type: 'string', default: '20,100' }, seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '2' }, write: { type: 'boolean', default: false } },
});
if (process.getuid?.() !== 0) {
  console.error('throughput-netns: needs root (network namespaces)');
  process.exit(0);
}
if (!existsSync(NETLAB)) {
  console.error(`throughput-netns: ${NETLAB} is not here (the shared lab is not part of a user's clone)`);
  process.exit(0);
}
const seconds = Number(args.seconds);
const omit = 2; // the probe's default warm-up; iperf3 --omit the same
const rounds = Number(args.rounds);
const NAME = 'qpbt';
const IDX = 240;
const C = `${NAME}-c`;
const S = `${NAME}-s`;
const SERVER_IP = `10.77.${IDX}.2`;
const HTTP_PORT = 18080;

const inNs = (ns, cmd, a) => spawnSync('ip', ['netns', 'exec', ns, cmd, ...a], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });

function iperf3(reverse) {
  const a = ['--client', SERVER_IP, '--time', String(seconds), '--omit', String(omit), '--parallel', '4', '--json', '--get-server-output'];
  if (reverse) a.push('--reverse');
  const j = JSON.parse(inNs(C, 'iperf3', a).stdout);
  const receiver = reverse ? j : j.server_output_json;
  const kept = receiver.intervals.map((iv) => iv.sum).filter((iv) => iv.start >= omit - 0.01 && iv.end <= seconds + 0.01);
  return (8 * kept.reduce((n, iv) => n + iv.bytes, 0)) / kept.reduce((n, iv) => n + (iv.end - iv.start), 0);
}

function qosprobe(kind) {
  const url = kind === 'download' ? `http://${SERVER_IP}:${HTTP_PORT}/down?bytes={bytes}` : `http://${SERVER_IP}:${HTTP_PORT}/up`;
  const r = inNs(C, process.execPath, [BIN, kind, url, '--duration', String(seconds), '--streams', '4', '--format', 'ndjson', '--quiet', '--no-host-info']);
  const rec = JSON.parse(r.stdout.trim().split('\n')[0]);
  if (rec.status !== 'ok') throw new Error(`${kind}: ${rec.status} ${rec.error_code}`);
  return rec.throughput_bps;
}

const rows = [];
for (const mbit of args.mbit.split(',').map(Number)) {
  execFileSync(NETLAB, ['down', NAME]);
  execFileSync(NETLAB, ['up', NAME, String(IDX), String(mbit), '0']);
  const serve = spawn('ip', ['netns', 'exec', S, process.execPath, BIN, 'serve', '--host', SERVER_IP, '--http-port', String(HTTP_PORT), '--stamp-port', '0', '--quiet'], { stdio: 'ignore' });
  const iperfd = spawn('ip', ['netns', 'exec', S, 'iperf3', '--server', '--json', '--bind', SERVER_IP], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50 && inNs(C, process.execPath, ['-e', `fetch("http://${SERVER_IP}:${HTTP_PORT}/health").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`]).status !== 0; i++) await new Promise((r) => setTimeout(r, 200));
    const got = { down: [], iperfDown: [], up: [], iperfUp: [] };
    for (let r = 0; r < rounds; r++) {
      got.down.push(qosprobe('download'));
      got.iperfDown.push(iperf3(true));
      got.up.push(qosprobe('upload'));
      got.iperfUp.push(iperf3(false));
    }
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    rows.push({ mbit, down: mean(got.down), iperfDown: mean(got.iperfDown), up: mean(got.up), iperfUp: mean(got.iperfUp) });
  } finally {
    serve.kill('SIGTERM');
    iperfd.kill('SIGTERM');
    execFileSync(NETLAB, ['down', NAME]);
  }
}

const m = (bps) => (bps / 1e6).toFixed(2);
const table = [
  '| tbf rate | qosprobe download | iperf3 download | ratio | qosprobe upload | iperf3 upload | ratio |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.mbit} Mbit/s | ${m(r.down)} | ${m(r.iperfDown)} | ${(r.down / r.iperfDown).toFixed(4)} | ${m(r.up)} | ${m(r.iperfUp)} | ${(r.up / r.iperfUp).toFixed(4)} |`),
].join('\n');
console.log(table);
if (args.write) {
  writeSection(
    '## Throughput through a rate-limited link (qosprobe vs iperf3)',
    `${table}\n\nMbit/s, mean of ${rounds} rounds of ${seconds} s, 4 streams, ${omit} s warm-up, alternating tools. Measured ${new Date().toISOString().slice(0, 10)} with \`sudo node bench/throughput-netns.mjs --mbit ${args.mbit} --seconds ${seconds} --rounds ${rounds} --write\`. ` +
      'Below the tbf rate by the Ethernet/IP/TCP headers (1448 payload bytes per 1514 on the wire); the test (test/lab/throughput-netns.test.ts) checks 7 % of the rate in every run and 3 % of iperf3 with QOSPROBE_ACCURACY=full.',
  );
}
