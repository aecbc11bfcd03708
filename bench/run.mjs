#!/usr/bin/env node
// `npm run bench`: every benchmark in one go, figures written into docs/benchmarks.md.
// Benchmarks are scripts, not tests: CI machines are noisy. Each script can also run alone
// (see its header for options). Pass --only NAME to run one; --no-write to leave the doc alone.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const here = import.meta.dirname;
const write = !process.argv.includes('--no-write');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;

const benches = [
  { name: 'startup', file: 'startup.mjs', args: ['--runs', '30', ...(write ? ['--write'] : [])] },
  { name: 'stamp', file: 'stamp-vs-irtt.mjs', args: ['--count', '500', '--interval', '10', '--rounds', '3', ...(write ? ['--write'] : [])] },
  { name: 'throughput', file: 'throughput-loopback.mjs', args: ['--seconds', '5', '--rounds', '2', ...(write ? ['--write'] : [])] },
  { name: 'monitor', file: 'monitor-cost.mjs', args: ['--endpoints', '10', '--seconds', '120'] },
  { name: 'report', file: 'report-vs-miller.mjs', args: ['--rounds', '3', ...(write ? ['--write'] : [])] },
  // Issue 23: a month of a 3,006-site fleet (1,082,160 records, CSV and NDJSON) against DuckDB with an explicit schema.
  { name: 'report-duckdb', file: 'report-duckdb.mjs', args: ['--rounds', '3', ...(write ? ['--write'] : [])] },
  // Root only (network namespaces): left out otherwise.
  ...(process.getuid?.() === 0
    ? [
        { name: 'trace', file: 'trace-vs-mtr.mjs', args: ['--rounds', '3', '--count', '10', '--interval', '1000', ...(write ? ['--write'] : [])] },
        { name: 'throughput-netns', file: 'throughput-netns.mjs', args: ['--mbit', '20,100', '--seconds', '10', '--rounds', '2', ...(write ? ['--write'] : [])] },
        // Issue 9: RTT bias per method × injected round trip, qosprobe beside iputils ping, fping and irtt; serve's hold time.
        { name: 'latency', file: 'latency-truth.mjs', args: ['--rtts', '0,10,50,300', '--runs', '3', '--count', '20', '--interval', '100', ...(write ? ['--write'] : [])] },
        { name: 'hold', file: 'serve-hold-time.mjs', args: ['--count', '1000', '--interval', '10', '--rounds', '3', '--floor', ...(write ? ['--write'] : [])] },
      ]
    : []),
];

let failed = 0;
for (const b of benches) {
  if (only && b.name !== only) continue;
  console.log(`\n=== ${b.name}: node bench/${b.file} ${b.args.join(' ')}`);
  // Benchmarks measure loopback and their own namespaces only: no ping to the machine's real default gateway (issue 25).
  const r = spawnSync(process.execPath, [join(here, b.file), ...b.args], { stdio: 'inherit', env: { ...process.env, QOSPROBE_GATEWAY_PING: '0' } });
  if (r.status !== 0) {
    failed++;
    console.log(`=== ${b.name} failed (exit ${r.status}); a missing tool (irtt, iperf3, mlr, chromium) is the usual cause`);
  }
}
process.exitCode = failed ? 1 : 0;
