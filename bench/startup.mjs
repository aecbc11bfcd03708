#!/usr/bin/env node
/**
 * Start-up cost (issue 20): each command against a bare `node -e 0` in paired runs (A B A B ..., the order
 * flipped every round so neither always runs on a warmer cache), the ratio taken pair by pair so a machine whose
 * speed drifts still gives a fair ratio. Wall time from spawn to exit (what a cron job or a technician waits for)
 * and CPU time (the children's user + system ticks from /proc/self/stat, Linux only; averaged over the runs).
 *   node bench/startup.mjs [--runs 30] [--warmup 3] [--json] [--write]
 * Needs a build (npm run build). The tcp commands measure a loopback listener this script starts; nothing
 * leaves the machine (QOSPROBE_GATEWAY_PING=0 for the run with host info).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
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
const write = process.argv.includes('--write');

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench/startup.mjs: no dist/; run `npm run build` first');
  process.exit(2);
}

const server = createServer((s) => s.destroy()).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const target = `127.0.0.1:${server.address().port}`;

const base = { name: 'node -e 0', args: ['-e', '0'] };
const commands = [
  { name: 'qosprobe --version', args: [bin, '--version'], goal: 1.4 },
  { name: 'qosprobe --help', args: [bin, '--help'] },
  { name: 'qosprobe tcp HOST:PORT -c 1 --no-host-info', args: [bin, 'tcp', target, '-c', '1', '--no-host-info'], goal: 2.5 },
  { name: 'qosprobe tcp HOST:PORT -c 1 -l 32.73 --no-host-info', args: [bin, 'tcp', target, '-c', '1', '-l', '32.73', '--no-host-info'] },
  { name: 'qosprobe tcp HOST:PORT -c 1 (host info on)', args: [bin, 'tcp', target, '-c', '1'] },
];

/** The children's CPU time so far (user + system, ms), from /proc/self/stat; null where there is no /proc. */
function childCpuMs() {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime + cstime, USER_HZ = 100
  } catch {
    return null;
  }
}

function time(args) {
  return new Promise((resolve, reject) => {
    const c0 = childCpuMs();
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1', QOSPROBE_GATEWAY_PING: '0' } });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      const c1 = childCpuMs();
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}`));
      else resolve({ ms, cpuMs: c0 === null || c1 === null ? null : c1 - c0 });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const load = loadavg().map((x) => x.toFixed(2)).join(' ');
const results = [];
for (const c of commands) {
  for (let i = 0; i < warmup; i++) {
    await time(base.args);
    await time(c.args);
  }
  const pairs = [];
  for (let i = 0; i < runs; i++) {
    const flip = i % 2 === 1;
    const first = await time(flip ? c.args : base.args);
    const second = await time(flip ? base.args : c.args);
    pairs.push(flip ? { a: first, b: second } : { a: second, b: first });
  }
  const cpu = (side) => (pairs.every((p) => p[side].cpuMs !== null) ? pairs.reduce((s, p) => s + p[side].cpuMs, 0) / runs : null);
  results.push({
    name: c.name,
    runs,
    goal: c.goal ?? null,
    median_ms: median(pairs.map((p) => p.a.ms)),
    base_median_ms: median(pairs.map((p) => p.b.ms)),
    ratio_wall: median(pairs.map((p) => p.a.ms / p.b.ms)),
    cpu_ms: cpu('a'),
    base_cpu_ms: cpu('b'),
  });
}
server.close();

const fmt = (x, d = 1) => (x === null ? '-' : x.toFixed(d));
const rows = results.map(
  (r) =>
    `| \`${r.name}\` | ${fmt(r.median_ms)} | ${fmt(r.base_median_ms)} | ${fmt(r.ratio_wall, 2)}×${r.goal ? ` (goal ≤ ${r.goal}×)` : ''} | ${fmt(r.cpu_ms)} | ${fmt(r.cpu_ms !== null && r.base_cpu_ms ? r.cpu_ms / r.base_cpu_ms : null, 2)}× |`,
);
const table = [
  `Paired runs, ${runs} pairs per command after ${warmup} warm-up pairs, order flipped every pair; node ${process.version}, ${process.platform}; load average at start ${load}.`,
  '',
  '| command | median wall (ms) | `node -e 0` alongside (ms) | median ratio (wall, pair by pair) | mean CPU (ms) | CPU ratio |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n');

if (asJson) console.log(JSON.stringify({ node: process.version, platform: process.platform, load, results }, null, 2));
else console.log(table);

if (write) {
  const doc = join(root, 'docs', 'benchmarks.md');
  const text = readFileSync(doc, 'utf8');
  const begin = '<!-- startup -->';
  const end = '<!-- /startup -->';
  if (text.includes(begin) && text.includes(end)) {
    writeFileSync(doc, text.slice(0, text.indexOf(begin) + begin.length) + '\n' + table + '\n' + text.slice(text.indexOf(end)));
    console.log(`written to ${doc}`);
  } else console.log(`${doc} has no ${begin} ... ${end} block: not written`);
}
