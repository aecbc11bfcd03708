#!/usr/bin/env node
/**
 * Soak benchmark, not a test: `qosprobe serve` (the built CLI, its own process) under a mixed abusive load
 * from many loopback sources, while a legitimate STAMP sender and an HTTP /ping client measure what a
 * well-behaved client gets. Records the legitimate client's loss and RTT and the server's RSS, and checks
 * the peak RSS against the bound documented in docs/serve.md (SERVE_RSS_BOUND_MB below).
 *
 *   npm run build && node bench/serve-soak.mjs [--seconds 120] [--write]
 *
 * The abusive load runs in a child process (--role load) so that it does not starve the measuring client:
 *   - STAMP: one source cycling SSIDs under its rate limit; valid packets with random SSIDs and junk from
 *     500 addresses (127.4.x.y); a source flooding far over its rate limit;
 *   - HTTP: malformed request targets and headers; 200 slowloris connections re-opened as they are closed;
 *     uploads trickling a byte a second; /up requests filling the /up-stats table with new ids at the last
 *     interval of the hour, read back through /up-stats from rotating addresses; /down readers that stop.
 * --write replaces the "serve soak" section of docs/benchmarks.md.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeSenderPacket } from '../dist/stamp/packet.js';

/** The documented bound (docs/serve.md, "Memory"): serve's RSS under any load. */
export const SERVE_RSS_BOUND_MB = 300;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    write: { type: 'boolean', default: false },
    role: { type: 'string', default: 'main' },
    'stamp-port': { type: 'string' },
    'http-port': { type: 'string' },
  },
});
const root = join(import.meta.dirname, '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = Number(args.seconds);
const packet = (seq, ssid) =>
  encodeSenderPacket({ seq, timestamp: { seconds: 0xe9000000, fraction: seq }, errorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 }, ssid });

if (args.role === 'load') await load(Number(args['stamp-port']), Number(args['http-port']), seconds);
else await main();

async function load(stampPort, httpPort, secs) {
  const end = performance.now() + secs * 1000;
  const udp = async (address) => {
    const s = createSocket('udp4');
    s.on('error', () => {});
    s.on('message', () => {});
    await new Promise((r, j) => {
      s.once('error', j);
      s.bind(0, address, r);
    });
    return s;
  };
  const sent = { stamp: 0, http: 0 };
  const tasks = [];
  // STAMP: SSID cycler (800 pps, under its 1000 pps budget), flooder (5000 pps, over it), 500-source mix.
  const cycler = await udp('127.4.0.1');
  const flooder = await udp('127.4.0.2');
  const many = await Promise.all(Array.from({ length: 500 }, (_, i) => udp(`127.4.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`)));
  tasks.push(
    (async () => {
      let ssid = 0;
      let tick = 0;
      while (performance.now() < end) {
        for (let i = 0; i < 8; i++) cycler.send(packet(ssid, ssid++ & 0xffff), stampPort, '127.0.0.1');
        for (let i = 0; i < 50; i++) flooder.send(packet(i, 1), stampPort, '127.0.0.1');
        // 50 of the 500 sources per tick: ~5000 datagrams/s, half valid with a random SSID, half junk.
        for (let i = 0; i < 50; i++) {
          const s = many[(tick * 50 + i) % many.length];
          if ((tick + i) % 2) s.send(packet(tick, randomBytes(2).readUInt16BE(0)), stampPort, '127.0.0.1');
          else s.send(randomBytes(1 + ((tick + i) % 200)), stampPort, '127.0.0.1');
        }
        sent.stamp += 108;
        tick++;
        await sleep(10);
      }
    })(),
  );
  // HTTP: one-shot raw requests.
  const raw = (bytes, from, holdMs = 2000) =>
    new Promise((resolve) => {
      const s = connect({ port: httpPort, host: '127.0.0.1', localAddress: from });
      s.on('error', () => resolve());
      s.on('data', () => {});
      s.on('close', () => resolve());
      s.write(bytes);
      setTimeout(() => s.destroy(), holdMs).unref();
      sent.http++;
    });
  const targets = ['//[', 'http://[', '//x:99999/', '//%', '*', '/%zz', '/' + 'a'.repeat(9000), '/down?bytes=%', '/up-stats?id=%ff'];
  tasks.push(
    (async () => {
      let i = 0;
      while (performance.now() < end) {
        const t = targets[i % targets.length];
        void raw(`GET ${t} HTTP/1.1\r\nHost: x\r\n\r\n`, `127.5.0.${1 + (i % 200)}`, 500);
        void raw(`GET /ping HTTP/1.1\r\nHost: x\r\nX-Bad: \x01\r\n\r\n`, `127.5.1.${1 + (i % 200)}`, 500);
        i++;
        await sleep(20);
      }
    })(),
  );
  // A connection that sends `head`, then one byte a second, re-opened `pauseMs` after the server closes it.
  const drip = (from, head, pauseMs) =>
    (async () => {
      while (performance.now() < end) {
        await new Promise((resolve) => {
          const s = connect({ port: httpPort, host: '127.0.0.1', localAddress: from });
          s.on('error', () => {});
          s.on('data', () => {});
          s.write(head);
          const t = setInterval(() => (performance.now() < end ? s.write('x') : s.destroy()), 1000);
          s.on('close', () => {
            clearInterval(t);
            resolve();
          });
        });
        await sleep(pauseMs);
      }
    })();
  // 200 slowloris connections (closed by the headers timeout) and 20 trickling uploads (cut by the minimum rate).
  for (let i = 0; i < 200; i++) tasks.push(drip(`127.6.0.${1 + (i % 250)}`, 'GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ', 50));
  for (let i = 0; i < 20; i++) tasks.push(drip(`127.7.0.${1 + i}`, 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n', 200));
  // /up-stats filling: new ids with a byte at the end of the hour, read back from rotating addresses.
  tasks.push(
    (async () => {
      let i = 0;
      while (performance.now() < end) {
        const id = `soak-${i}-${randomBytes(4).toString('hex')}`;
        const from = `127.8.${Math.floor(i / 250) % 250}.${1 + (i % 250)}`;
        await new Promise((resolve) => {
          const r = request(
            { host: '127.0.0.1', port: httpPort, path: '/up', method: 'POST', localAddress: from, agent: false, headers: { 'content-length': '1', 'x-qosprobe-upload-id': id, 'x-qosprobe-offset-ms': '3599950' } },
            (res) => res.resume().on('end', resolve),
          );
          r.on('error', resolve);
          r.end('x');
        });
        await new Promise((resolve) => {
          const r = request({ host: '127.0.0.1', port: httpPort, path: `/up-stats?id=${id}`, localAddress: from, agent: false }, (res) => res.resume().on('end', resolve));
          r.on('error', resolve);
          r.end();
        });
        sent.http += 2;
        i++;
        await sleep(10);
      }
    })(),
  );
  // /down readers that stop reading after the first bytes (held until the minimum rate frees the slot).
  tasks.push(
    (async () => {
      let i = 0;
      while (performance.now() < end) {
        void raw('GET /down?bytes=900000000 HTTP/1.1\r\nHost: x\r\n\r\n', `127.9.0.${1 + (i % 250)}`, 15_000).then(() => {});
        i++;
        await sleep(1000);
      }
    })(),
  );
  await Promise.all(tasks);
  for (const s of [cycler, flooder, ...many]) s.close();
  process.stdout.write(JSON.stringify(sent) + '\n');
}

async function main() {
  // SOAK_CPU_PROF=DIR writes a CPU profile of the server there (node --cpu-prof), to see where its time goes.
  const prof = process.env.SOAK_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SOAK_CPU_PROF}`] : [];
  const server = spawn(process.execPath, [...prof, join(root, 'bin', 'qosprobe.js'), 'serve', '--host', '127.0.0.1', '--stamp-port', '0', '--http-port', '0', '--stateful'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  let logBytes = 0;
  server.stderr.on('data', (d) => {
    logBytes += d.length;
    if (log.length < 20_000) log += d;
  });
  while (!/HTTP tcp\/\d+/.test(log)) await sleep(50);
  const stampPort = Number(/STAMP udp\/(\d+)/.exec(log)[1]);
  const httpPort = Number(/HTTP tcp\/(\d+)/.exec(log)[1]);
  const rssMB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024;
  const rss0 = rssMB();
  // CPU seconds the server used (utime + stime, clock ticks of 1/100 s): tells its own limit from a starved machine.
  const cpuS = () => readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0) / 100;

  // Baseline: the legitimate client alone for a few seconds, then under load.
  const base = await measure(stampPort, httpPort, 5, null);
  const gen = spawn(process.execPath, [import.meta.filename, '--role', 'load', '--seconds', String(seconds), '--stamp-port', String(stampPort), '--http-port', String(httpPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let genOut = '';
  gen.stdout.on('data', (d) => (genOut += d));
  let peak = rss0;
  const cpu0 = cpuS();
  const wall0 = performance.now();
  const rssTimer = setInterval(() => (peak = Math.max(peak, rssMB())), 1000);
  const loaded = await measure(stampPort, httpPort, seconds, () => peak);
  await new Promise((r) => gen.on('exit', r));
  clearInterval(rssTimer);
  peak = Math.max(peak, rssMB());
  const cpuShare = (cpuS() - cpu0) / ((performance.now() - wall0) / 1000);
  const alive = server.exitCode === null;
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  const sent = JSON.parse(genOut.trim().split('\n').pop() || '{}');

  const f = (x, d = 2) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
  const table = [
    '| legitimate client | alone (5 s) | under abusive load |',
    '| --- | ---: | ---: |',
    `| STAMP packets sent (every 20 ms) | ${base.stampSent} | ${loaded.stampSent} |`,
    `| STAMP loss (%) | ${f(base.lossPct)} | ${f(loaded.lossPct)} |`,
    `| STAMP RTT median / p95 / max (ms) | ${f(base.rttMed, 3)} / ${f(base.rttP95, 3)} / ${f(base.rttMax, 3)} | ${f(loaded.rttMed, 3)} / ${f(loaded.rttP95, 3)} / ${f(loaded.rttMax, 3)} |`,
    `| HTTP /ping answered (every 500 ms) | ${base.pingOk} / ${base.pingSent} | ${loaded.pingOk} / ${loaded.pingSent} |`,
    `| HTTP /ping time median / p95 (ms) | ${f(base.pingMed, 1)} / ${f(base.pingP95, 1)} | ${f(loaded.pingMed, 1)} / ${f(loaded.pingP95, 1)} |`,
  ].join('\n');
  const ok = alive && peak <= SERVE_RSS_BOUND_MB;
  const section = `## serve soak

\`qosprobe serve --stateful\` under ${seconds} s of mixed abusive load from about 1,500 loopback addresses (${sent.stamp ?? '?'} STAMP datagrams, ${sent.http ?? '?'} HTTP requests or connections: SSID cycling, a flood over the rate limit, junk and new sessions from 500 sources, malformed targets and headers, 200 slowloris connections, 20 trickling uploads, the /up-stats table filled and read, stalled /down readers), while a legitimate STAMP sender (127.0.0.2, 44 bytes every 20 ms) and /ping client measured. 2 CPUs shared with other work (noisy), Node ${process.version}, ${cpus()[0]?.model ?? ''}.
Measured ${new Date().toISOString().slice(0, 10)} with \`npm run build && node bench/serve-soak.mjs --seconds ${seconds} --write\`.

${table}

Server CPU under load: ${f(cpuShare * 100, 0)}% of one core (the machine's load average: ${loadavg().map((x) => x.toFixed(1)).join(', ')}). Server RSS: ${f(rss0, 0)} MB at start, peak ${f(peak, 0)} MB; documented bound ${SERVE_RSS_BOUND_MB} MB (docs/serve.md): ${peak <= SERVE_RSS_BOUND_MB ? 'held' : '**exceeded**'}. Server ${alive ? 'still running at the end' : '**died**'}; its log: ${f(logBytes / 1024, 0)} KB.
`;
  console.log(section);
  if (args.write) {
    const file = join(root, 'docs', 'benchmarks.md');
    const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
    const re = /## serve soak\n[\s\S]*?(?=\n## |$)/;
    writeFileSync(file, re.test(doc) ? doc.replace(re, section) : doc.trimEnd() + '\n\n' + section);
  }
  process.exitCode = ok ? 0 : 1;
}

/** The legitimate client for `secs`: STAMP every 20 ms from 127.0.0.2, GET /ping every 500 ms from 127.0.0.3. */
async function measure(stampPort, httpPort, secs) {
  const sock = createSocket('udp4');
  const sentAt = new Map();
  const rtts = [];
  sock.on('message', (m) => {
    const t = sentAt.get(m.readUInt32BE(24));
    if (t !== undefined) {
      rtts.push(performance.now() - t);
      sentAt.delete(m.readUInt32BE(24));
    }
  });
  await new Promise((r) => sock.bind(0, '127.0.0.2', r));
  const end = performance.now() + secs * 1000;
  let seq = 0;
  const pings = [];
  let pingSent = 0;
  const pinger = (async () => {
    while (performance.now() < end) {
      pingSent++;
      const t0 = performance.now();
      const ok = await new Promise((resolve) => {
        const r = request({ host: '127.0.0.1', port: httpPort, path: '/ping', localAddress: '127.0.0.3', agent: false, timeout: 2000 }, (res) =>
          res.resume().on('end', () => resolve(res.statusCode === 200)),
        );
        r.on('timeout', () => r.destroy());
        r.on('error', () => resolve(false));
        r.end();
      });
      if (ok) pings.push(performance.now() - t0);
      await sleep(Math.max(0, 500 - (performance.now() - t0)));
    }
  })();
  const t0 = performance.now();
  while (performance.now() < end) {
    sentAt.set(seq, performance.now());
    sock.send(packet(seq, 77), stampPort, '127.0.0.1');
    seq++;
    await sleep(Math.max(0, t0 + seq * 20 - performance.now()));
  }
  await pinger;
  await sleep(1000);
  sock.close();
  const q = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] : null;
  };
  return {
    stampSent: seq,
    lossPct: (100 * (seq - rtts.length)) / seq,
    rttMed: q(rtts, 0.5),
    rttP95: q(rtts, 0.95),
    rttMax: q(rtts, 1),
    pingSent,
    pingOk: pings.length,
    pingMed: q(pings, 0.5),
    pingP95: q(pings, 0.95),
  };
}
