#!/usr/bin/env node
/**
 * What `qosprobe monitor` costs a field laptop: CPU (share of one core) and RSS of the monitor
 * process with N endpoints at one packet a second, over a loopback `qosprobe serve`, and the
 * bytes per hour it puts on the wire (IP + UDP headers included).
 *   node bench/monitor-cost.mjs [--endpoints 10] [--seconds 600] [--interval 1000]
 * Needs a build (npm run build). CPU from /proc/PID/stat (Linux): utime + stime over the run,
 * after a 10 s settle; RSS sampled every second: median, last and max. Goal (issue 12): < 1 % of a core, < 80 MB.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './lib.mjs';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'qosprobe.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const endpoints = arg('--endpoints', 10);
const seconds = arg('--seconds', 600);
const intervalMs = arg('--interval', 1000);
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('bench/monitor-cost.mjs: no dist/; run `npm run build` first');
  process.exit(2);
}
if (!existsSync('/proc/self/stat')) {
  console.error('bench/monitor-cost.mjs: needs /proc (Linux)');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'qosprobe-monitor-bench-'));
const stampPort = await freePort();
const httpPort = await freePort();
const serve = spawn(process.execPath, [bin, 'serve', '--stamp-port', String(stampPort), '--http-port', String(httpPort), '--quiet', '--host', '127.0.0.1'], { stdio: 'ignore' });
const cfg = join(dir, 'qosprobe.yaml');
writeFileSync(
  cfg,
  [
    'location: { code: "32.73" }',
    'endpoints:',
    ...Array.from({ length: endpoints }, (_, i) => `  - { name: ep${i}, host: 127.0.0.1, tests: [{ kind: stamp, port: ${stampPort} }] }`),
    `monitor: { interval_ms: ${intervalMs}, window_s: 60 }`,
    '',
  ].join('\n'),
);
await new Promise((r) => setTimeout(r, 1000));
const mon = spawn(process.execPath, [bin, 'monitor', '--config', cfg, '--no-host-info', '--out', join(dir, 'windows.ndjson'), '-f', 'ndjson', '--quiet'], {
  env: { ...process.env, XDG_STATE_HOME: join(dir, 'state') },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const ticks = () => {
  const f = readFileSync(`/proc/${mon.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (fields 14, 15)
};
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${mon.pid}/status`, 'utf8'))[1]) / 1024;
const HZ = 100; // USER_HZ on Linux
await new Promise((r) => setTimeout(r, 10_000));
const t0 = ticks();
const w0 = Date.now();
let maxRss = 0;
const rssSamples = [];
const sampler = setInterval(() => {
  const r = rssMb();
  rssSamples.push(r);
  maxRss = Math.max(maxRss, r);
}, 1000);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(sampler);
const cpuS = (ticks() - t0) / HZ;
const rssEnd = rssMb();
const rssMedian = [...rssSamples].sort((a, b) => a - b)[Math.floor(rssSamples.length / 2)] ?? rssEnd;
const wallS = (Date.now() - w0) / 1000;
mon.kill('SIGTERM');
await new Promise((r) => mon.once('exit', r));
serve.kill('SIGTERM');
const windows = readFileSync(join(dir, 'windows.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const lossy = windows.filter((w) => w.loss_percent > 0).length;
rmSync(dir, { recursive: true, force: true });
// A STAMP packet is 44 bytes of UDP payload: 44 + 8 + 20 = 72 bytes on IPv4, a request and a reply.
const bytesPerHour = endpoints * (3_600_000 / intervalMs) * 2 * 72;
console.log(`monitor, ${endpoints} endpoints, one STAMP packet every ${intervalMs} ms each, ${Math.round(wallS)} s:`);
console.log(`  CPU ${((100 * cpuS) / wallS).toFixed(2)} % of one core (${cpuS.toFixed(2)} s), RSS median ${rssMedian.toFixed(1)} MB, at the end ${rssEnd.toFixed(1)} MB, max ${maxRss.toFixed(1)} MB (the region table is read at start and dropped: its memory goes back within ~30 s)`);
console.log(`  on the wire ${(bytesPerHour / 1e6).toFixed(2)} MB/h (${(bytesPerHour / endpoints / 1e3).toFixed(0)} kB/h per endpoint); ${windows.length} window records, ${lossy} with loss`);
