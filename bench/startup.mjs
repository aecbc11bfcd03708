#!/usr/bin/env node
/**
 * Start-up cost, hyperfine-style: spawn each command N times (after warm-up runs), report
 * median, p10, p90 and the median overhead of `qosprobe --version` over a bare `node -e 0`.
 *   node bench/startup.mjs [--runs 30] [--warmup 3] [--json]
 * Needs a build (npm run build). Wall-clock per spawn, from spawn to exit, so it includes what
 * a user waits for: process start, module loading, argument parsing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'qosprobe.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg('--runs', 30);
const warmup = arg('--warmup', 3);
const asJson = process.argv.includes('--json');

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench/startup.mjs: no dist/; run `npm run build` first');
  process.exit(2);
}

const commands = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'qosprobe --version', args: [bin, '--version'] },
  { name: 'qosprobe --help', args: [bin, '--help'] },
  { name: 'qosprobe schedule --every 15m', args: [bin, 'schedule', '--every', '15m'] },
];

function quantile(sorted, p) {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]) - sorted[lo]);
}

function time(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return ms;
}

const results = [];
for (const c of commands) {
  for (let i = 0; i < warmup; i++) time(c.args);
  // Interleaving would be fairer against drift; consecutive runs keep the page cache state identical per command.
  const samples = Array.from({ length: runs }, () => time(c.args)).sort((a, b) => a - b);
  results.push({ name: c.name, runs, median_ms: quantile(samples, 0.5), p10_ms: quantile(samples, 0.1), p90_ms: quantile(samples, 0.9), min_ms: samples[0] });
}
const base = results[0].median_ms;
for (const r of results) r.overhead_ms = r.median_ms - base;

if (asJson) {
  console.log(JSON.stringify({ node: process.version, platform: process.platform, results }, null, 2));
} else {
  console.log(`start-up, ${runs} runs each after ${warmup} warm-up (node ${process.version}, ${process.platform})`);
  console.log('command'.padEnd(32) + 'median'.padStart(10) + 'p10'.padStart(10) + 'p90'.padStart(10) + '  over node -e 0');
  for (const r of results) {
    console.log(r.name.padEnd(32) + `${r.median_ms.toFixed(1)} ms`.padStart(10) + `${r.p10_ms.toFixed(1)}`.padStart(10) + `${r.p90_ms.toFixed(1)}`.padStart(10) + `  ${r.overhead_ms >= 0 ? '+' : ''}${r.overhead_ms.toFixed(1)} ms`);
  }
}
