#!/usr/bin/env node
/**
 * Benchmark, not a test: the stamp probe against qosprobe's own reflector, and irtt
 * (client and server, Debian package `irtt`) on loopback, same interval and packet count,
 * in one run, alternating rounds so both see the same machine load.
 *
 *   npm run build && node bench/stamp-vs-irtt.mjs [--count 500] [--interval 10] [--rounds 3] [--write]
 *
 * Prints a Markdown table; --write also replaces the "STAMP vs irtt" section of
 * docs/benchmarks.md (other sections are left alone). Loopback only (127.0.0.1).
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runStamp } from '../dist/probes/stamp.js';
import { startStampReflector } from '../dist/serve/stamp-reflector.js';
import { summarizePackets } from '../dist/stats/packets.js';
import { mean, quantile, max } from '../dist/stats/summary.js';
import { freePort } from './lib.mjs';

const { values: args } = parseArgs({
  options: { count: { type: 'string', default: '500' }, interval: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' }, write: { type: 'boolean', default: false } },
});
const count = Number(args.count);
const intervalMs = Number(args.interval);
const rounds = Number(args.rounds);
const never = new AbortController().signal;


async function stampRound(reflectorPort) {
  const out = await runStamp({ host: '127.0.0.1' }, { kind: 'stamp', count, intervalMs, timeoutMs: 1000, sizeBytes: 44, port: reflectorPort }, { signal: never });
  const m = summarizePackets(out.samples.packets, { intervalMs, reflectorReceived: null });
  // Timer error: how late each packet left against its isochronous due time seq × interval.
  const err = out.samples.packets.map((p) => p.sentAtMs - p.seq * intervalMs);
  return { rttMedian: m.rtt_median_ms, rttMin: m.rtt_min_ms, jitter: m.jitter_ms, timerErrMean: mean(err), timerErrP95: quantile(err, 0.95), timerErrMax: max(err), timerErrMin: Math.min(...err), loss: m.loss_percent };
}

async function irttRound(port, dir) {
  const out = join(dir, `irtt-${Date.now()}.json`);
  execFileSync('irtt', ['client', '-Q', '-i', `${intervalMs}ms`, '-d', `${count * intervalMs}ms`, '-l', '44', '-o', out, `127.0.0.1:${port}`], { stdio: 'ignore' });
  const s = JSON.parse(readFileSync(out, 'utf8')).stats;
  const ms = (ns) => ns / 1e6;
  return {
    rttMedian: ms(s.rtt.median),
    rttMin: ms(s.rtt.min),
    jitter: ms(s.ipdv_round_trip.mean),
    timerErrMean: ms(s.timer_error.mean),
    timerErrP95: null, // irtt reports mean and max only
    timerErrMax: ms(s.timer_error.max),
    timerErrMin: ms(s.timer_error.min),
    loss: s.packet_loss_percent,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'qosprobe-bench-'));
const reflector = await startStampReflector({ host: '127.0.0.1', port: 0, stateful: false, rateLimitPps: 100_000, log: () => {} });
const irttPort = await freePort();
const irttServer = spawn('irtt', ['server', '-b', `127.0.0.1:${irttPort}`], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const results = { stamp: [], irtt: [] };
try {
  for (let i = 0; i < rounds; i++) {
    results.stamp.push(await stampRound(reflector.port));
    results.irtt.push(await irttRound(irttPort, dir));
  }
} finally {
  irttServer.kill('SIGTERM');
  await reflector.close();
}

const avg = (rs, k) => {
  const xs = rs.map((r) => r[k]).filter((x) => x !== null && x !== undefined);
  return xs.length ? mean(xs) : null;
};
const f = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
const rows = [
  ['RTT median (ms)', 'rttMedian'],
  ['RTT min (ms)', 'rttMin'],
  ['jitter, round-trip IPDV mean (ms)', 'jitter'],
  ['send timer error, mean (ms)', 'timerErrMean'],
  ['send timer error, p95 (ms)', 'timerErrP95'],
  ['send timer error, max (ms)', 'timerErrMax'],
  ['send timer error, min (ms)', 'timerErrMin'],
  ['loss (%)', 'loss'],
];
const irttVersion = execFileSync('irtt', ['version']).toString().split('\n')[0];
const table = [
  `Loopback (127.0.0.1), ${count} packets of 44 bytes every ${intervalMs} ms, ${rounds} alternating rounds (mean of the rounds shown), ${cpus().length} CPUs, Node ${process.version}, ${irttVersion}.`,
  `Measured ${new Date().toISOString().slice(0, 10)} with \`node bench/stamp-vs-irtt.mjs --count ${count} --interval ${intervalMs} --rounds ${rounds} --write\`.`,
  '',
  '| metric | qosprobe stamp | irtt |',
  '| --- | ---: | ---: |',
  ...rows.map(([label, k]) => `| ${label} | ${f(avg(results.stamp, k))} | ${f(avg(results.irtt, k))} |`),
].join('\n');
console.log(table);

if (args.write) {
  const file = new URL('../docs/benchmarks.md', import.meta.url);
  const heading = '## STAMP vs irtt';
  const notes = [
    '',
    'Timer error is how late each packet left against its due time on the isochronous schedule (start + i × interval);',
    "irtt measures it the same way (`timer_error`). Node timers run on libuv's whole-millisecond loop clock and can fire",
    'up to 1 ms early, so the scheduler sleeps to 1 ms before the due time and spins the rest: a packet never leaves early.',
    "Both tools subtract the far end's processing time from the RTT; both run",
    'their server in the same machine, so the RTT is mostly two trips through the loopback stack and two event loops.',
  ].join('\n');
  const section = `${heading}\n\n${table}\n${notes}\n`;
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = doc.indexOf(heading);
  if (start >= 0) {
    const next = doc.indexOf('\n## ', start + heading.length);
    doc = doc.slice(0, start) + section + (next >= 0 ? doc.slice(next + 1) : '');
  } else {
    doc = `${doc.trimEnd()}\n\n${section}`;
  }
  writeFileSync(file, doc);
  console.error(`wrote ${file.pathname}`);
}
