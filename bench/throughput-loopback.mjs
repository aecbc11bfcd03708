#!/usr/bin/env node
/**
 * Benchmark, not a test: the download and upload probes (built CLI) against `qosprobe serve`,
 * and iperf3 (client and server) on loopback, in one run, alternating rounds so both see the
 * same machine load. Reports the probe process's CPU use (user + system, as a share of one
 * core over the test), from /usr/bin/time -v.
 *
 *   npm run build && node bench/throughput-loopback.mjs [--seconds 5] [--streams 4] [--rounds 2] [--write]
 *
 * Prints a Markdown table; --write replaces the "Throughput on loopback" section of
 * docs/benchmarks.md (other sections are left alone). Loopback only (127.0.0.1).
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from './lib.mjs';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'qosprobe.js');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    streams: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    write: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const streams = Number(args.streams);
const rounds = Number(args.rounds);
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run npm run build first');


/** Run a command under /usr/bin/time -v; returns stdout and CPU seconds (user + sys). */
function timed(cmd, argv) {
  // Loopback only: no gateway ping alongside the transfers (issue 25).
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], { encoding: 'utf8', timeout: (seconds + 30) * 1000, env: { ...process.env, QOSPROBE_GATEWAY_PING: '0' } });
  const num = (re) => Number(re.exec(r.stderr)?.[1] ?? NaN);
  return { stdout: r.stdout, cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/), rssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024 };
}

async function waitHttp(port) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve did not start');
}

const httpPort = await freePort();
const iperfPort = await freePort();
const serve = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--http-port', String(httpPort), '--stamp-port', '0', '--quiet'], { stdio: 'ignore' });
const iperfServer = spawn('iperf3', ['--server', '--bind', '127.0.0.1', '--port', String(iperfPort)], { stdio: 'ignore' });
await waitHttp(httpPort);
await new Promise((r) => setTimeout(r, 300));

const results = { download: [], upload: [], iperfDown: [], iperfUp: [] };
try {
  for (let round = 0; round < rounds; round++) {
    for (const kind of ['download', 'upload']) {
      const url = kind === 'download' ? `http://127.0.0.1:${httpPort}/down?bytes={bytes}` : `http://127.0.0.1:${httpPort}/up`;
      const t = timed(process.execPath, [BIN, kind, url, '--duration', String(seconds), '--streams', String(streams), '--format', 'ndjson', '--quiet']);
      const rec = JSON.parse(t.stdout.trim().split('\n')[0]);
      results[kind].push({ bps: rec.throughput_bps, cpu: t.cpuS / seconds, rssMb: t.rssMb, loaded: rec.loaded_rtt_median_ms, idle: rec.idle_rtt_ms, status: rec.status });
      const ia = ['--client', '127.0.0.1', '--port', String(iperfPort), '--time', String(seconds), '--omit', '1', '--parallel', String(streams), '--json'];
      if (kind === 'download') ia.push('--reverse');
      const it = timed('iperf3', ia);
      const j = JSON.parse(it.stdout);
      results[kind === 'download' ? 'iperfDown' : 'iperfUp'].push({ bps: j.end.sum_received.bits_per_second, cpu: it.cpuS / seconds, rssMb: it.rssMb });
    }
  }
} finally {
  serve.kill('SIGTERM');
  iperfServer.kill('SIGTERM');
}

const avg = (xs, f) => xs.reduce((a, x) => a + f(x), 0) / xs.length;
const gbit = (x) => (x / 1e9).toFixed(2);
const pct = (x) => `${Math.round(x * 100)}%`;
const iperfVersion = execFileSync('iperf3', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
const table = [
  `Loopback (127.0.0.1), ${seconds} s per transfer, ${streams} streams, ${rounds} alternating rounds (mean shown), ${cpus().length} CPUs, Node ${process.version}, ${iperfVersion}.`,
  `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run build && node bench/throughput-loopback.mjs --seconds ${seconds} --streams ${streams} --rounds ${rounds} --write\`.`,
  '',
  '| | qosprobe download | iperf3 -R | qosprobe upload | iperf3 |',
  '| --- | ---: | ---: | ---: | ---: |',
  `| throughput (Gbit/s) | ${gbit(avg(results.download, (x) => x.bps))} | ${gbit(avg(results.iperfDown, (x) => x.bps))} | ${gbit(avg(results.upload, (x) => x.bps))} | ${gbit(avg(results.iperfUp, (x) => x.bps))} |`,
  `| client CPU (share of one core) | ${pct(avg(results.download, (x) => x.cpu))} | ${pct(avg(results.iperfDown, (x) => x.cpu))} | ${pct(avg(results.upload, (x) => x.cpu))} | ${pct(avg(results.iperfUp, (x) => x.cpu))} |`,
  `| client peak RSS (MB) | ${avg(results.download, (x) => x.rssMb).toFixed(0)} | ${avg(results.iperfDown, (x) => x.rssMb).toFixed(0)} | ${avg(results.upload, (x) => x.rssMb).toFixed(0)} | ${avg(results.iperfUp, (x) => x.rssMb).toFixed(0)} |`,
  `| idle → loaded RTT median (ms) | ${avg(results.download, (x) => x.idle).toFixed(2)} → ${avg(results.download, (x) => x.loaded).toFixed(2)} | | ${avg(results.upload, (x) => x.idle).toFixed(2)} → ${avg(results.upload, (x) => x.loaded).toFixed(2)} | |`,
  '',
  'Both ends share the same 2 CPUs, so the figures are a ceiling of the pair (client + server), not of the client alone.',
  'The probe includes its warm-up exclusion (min(20% of the test, 2 s)) and its RTT sampling every 100 ms; iperf3 omits its first second.',
  'iperf3 (C, no HTTP framing, one thread here) is the reference; qosprobe client and server are one Node process each, streaming through undici and node:http.',
].join('\n');
console.log(table);

if (args.write) {
  const file = join(ROOT, 'docs', 'benchmarks.md');
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const heading = '## Throughput on loopback';
  const section = `${heading}\n\n${table}\n`;
  const start = doc.indexOf(heading);
  let out;
  if (start < 0) out = `${doc.trimEnd()}\n\n${section}`;
  else {
    const next = doc.indexOf('\n## ', start + heading.length);
    out = doc.slice(0, start) + section + (next < 0 ? '' : doc.slice(next));
  }
  writeFileSync(file, out);
  console.error(`wrote ${file}`);
}
