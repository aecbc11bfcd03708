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
 * --scenario http-flood (issue 24) replaces that load with the HTTP attacks on memory and connections:
 *   - 10,000 connections each holding an unfinished 1.9 KB of headers (just under the 2 KB cap), from 20
 *     addresses (500 each, under the per-source share), re-opened as the headers timeout closes them;
 *   - 10,050 connections from one address (one /ping every 4 s each), more than its share;
 *   - body floods after early answers: POST /ping (405), GET /down?bytes=abc (400), POST /nothing (404),
 *     each with a 10 GB body sent as fast as the server takes it, re-sent as the server closes them;
 *   while the legitimate client (another address) pings and downloads 1 MB every 2 s.
 * --write replaces the "serve soak" (or "serve soak: HTTP floods") section of docs/benchmarks.md.
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
    scenario: { type: 'string', default: 'mixed' },
    part: { type: 'string', default: 'all' },
    'stamp-port': { type: 'string' },
    'http-port': { type: 'string' },
  },
});
const root = join(import.meta.dirname, '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = Number(args.seconds);
const packet = (seq, ssid) =>
  encodeSenderPacket({ seq, timestamp: { seconds: 0xe9000000, fraction: seq }, errorEstimate: { synchronized: false, ptpFormat: false, scale: 0, multiplier: 1 }, ssid });

if (args.role === 'load' && args.scenario === 'http-flood') await httpFlood(Number(args['http-port']), seconds, args.part);
else if (args.role === 'load') await load(Number(args['stamp-port']), Number(args['http-port']), seconds);
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

/** The HTTP attacks of issue 24 on serve's memory and connections (see the header). */
async function httpFlood(httpPort, secs, part) {
  const end = performance.now() + secs * 1000;
  const sent = { stamp: 0, http: 0, held: 0, refused: 0, floodMB: 0 };
  let open = 0;
  /** A connection that writes `head`, then `more()` as long as the server reads; resolves when closed. */
  const conn = (from, head, more) =>
    new Promise((resolve) => {
      const s = connect({ port: httpPort, host: '127.0.0.1', localAddress: from });
      let timer = null;
      s.on('error', () => {});
      s.on('data', () => {});
      s.on('connect', () => {
        open++;
        sent.held = Math.max(sent.held, open);
        s.write(head);
        if (more) timer = more(s);
      });
      s.on('close', () => {
        if (s.bytesWritten > 0) open--;
        if (timer) clearInterval(timer);
        resolve();
      });
      setTimeout(() => s.destroy(), Math.max(0, end - performance.now())).unref();
      sent.http++;
    });
  // Re-opened a second after each close: a connection flood of 20,000 SYNs every 100 ms would measure the kernel's
  // accept queue, not serve.
  const forever = (f) =>
    (async () => {
      while (performance.now() < end) {
        await f();
        await sleep(1000);
      }
    })();
  const tasks = [];
  const pad = 'x'.repeat(1900);
  // 10,000 unfinished headers of 1.9 KB from 127.10.0.1–20, a byte a second so only the headers timeout ends them.
  for (let i = 0; i < (part === 'b' ? 0 : 10_000); i++) {
    const from = `127.10.0.${1 + (i % 20)}`;
    tasks.push(forever(() => conn(from, `GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad: ${pad}`, (s) => setInterval(() => s.write('x'), 1000))));
    if (i % 500 === 499) await sleep(50); // the kernel's accept queue (somaxconn) is 4096
  }
  // 10,050 from one address, one /ping every 4 s each (the lock-out).
  for (let i = 0; i < (part === 'a' ? 0 : 10_050); i++) {
    tasks.push(
      forever(() =>
        conn('127.11.0.1', 'GET /ping HTTP/1.1\r\nHost: x\r\n\r\n', (s) => setInterval(() => s.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n'), 4000)),
      ),
    );
    if (i % 500 === 499) await sleep(50);
  }
  // Body floods after early answers.
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const flood = (from, line) =>
    forever(() =>
      conn(from, `${line} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n`, (s) => {
        const pump = () => {
          let more = true;
          while (more && !s.destroyed) {
            more = s.write(chunk);
            sent.floodMB += chunk.length / 1e6;
          }
        };
        s.on('drain', pump);
        pump();
        return null;
      }),
    );
  if (part !== 'a') for (const [i, line] of ['POST /ping', 'GET /down?bytes=abc', 'POST /nothing'].entries()) tasks.push(flood(`127.12.0.${1 + i}`, line));
  await Promise.all(tasks);
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
  // One process of 20,000 sockets would pass the fd limit (ulimit -n): the HTTP floods run in two.
  const parts = args.scenario === 'http-flood' ? ['a', 'b'] : ['all'];
  const gens = parts.map((part) =>
    spawn(process.execPath, [import.meta.filename, '--role', 'load', '--scenario', args.scenario, '--part', part, '--seconds', String(seconds), '--stamp-port', String(stampPort), '--http-port', String(httpPort)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const genOuts = gens.map(() => '');
  gens.forEach((g, i) => g.stdout.on('data', (d) => (genOuts[i] += d)));
  let peak = rss0;
  const cpu0 = cpuS();
  const wall0 = performance.now();
  const rssTimer = setInterval(() => (peak = Math.max(peak, rssMB())), 1000);
  const loaded = await measure(stampPort, httpPort, seconds, () => peak);
  await Promise.all(gens.map((g) => new Promise((r) => g.on('exit', r))));
  clearInterval(rssTimer);
  peak = Math.max(peak, rssMB());
  const cpuShare = (cpuS() - cpu0) / ((performance.now() - wall0) / 1000);
  const alive = server.exitCode === null;
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  // Each load process's totals, summed (held: the largest number open at once in each, summed too).
  const sent = {};
  for (const out of genOuts) for (const [k, v] of Object.entries(JSON.parse(out.trim().split('\n').pop() || '{}'))) sent[k] = (sent[k] ?? 0) + v;

  const f = (x, d = 2) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
  const table = [
    '| legitimate client | alone (5 s) | under abusive load |',
    '| --- | ---: | ---: |',
    `| STAMP packets sent (every 20 ms) | ${base.stampSent} | ${loaded.stampSent} |`,
    `| STAMP loss (%) | ${f(base.lossPct)} | ${f(loaded.lossPct)} |`,
    `| STAMP RTT median / p95 / max (ms) | ${f(base.rttMed, 3)} / ${f(base.rttP95, 3)} / ${f(base.rttMax, 3)} | ${f(loaded.rttMed, 3)} / ${f(loaded.rttP95, 3)} / ${f(loaded.rttMax, 3)} |`,
    `| HTTP /ping answered (every 500 ms) | ${base.pingOk} / ${base.pingSent} | ${loaded.pingOk} / ${loaded.pingSent} |`,
    `| HTTP /ping time median / p95 (ms) | ${f(base.pingMed, 1)} / ${f(base.pingP95, 1)} | ${f(loaded.pingMed, 1)} / ${f(loaded.pingP95, 1)} |`,
    `| HTTP /down of 1 MB whole (every 2 s) | ${base.downOk} / ${base.downSent} | ${loaded.downOk} / ${loaded.downSent} |`,
  ].join('\n');
  const ok = alive && peak <= SERVE_RSS_BOUND_MB;
  const flood = args.scenario === 'http-flood';
  const what = flood
    ? `\`qosprobe serve --stateful\` under ${seconds} s of the HTTP attacks of issue 24 (${sent.http ?? '?'} connections opened, up to ${sent.held ?? '?'} open at once on the attacking side: 10,000 holding unfinished 1.9 KB headers from 20 addresses, 10,050 from one address sending a /ping every 4 s each, ${Math.round(sent.floodMB ?? 0)} MB of bodies sent after 405, 400 and 404 answers), while a legitimate client on other addresses (STAMP from 127.0.0.2 every 20 ms, /ping from 127.0.0.3, /down from 127.0.0.4) measured.`
    : `\`qosprobe serve --stateful\` under ${seconds} s of mixed abusive load from about 1,500 loopback addresses (${sent.stamp ?? '?'} STAMP datagrams, ${sent.http ?? '?'} HTTP requests or connections: SSID cycling, a flood over the rate limit, junk and new sessions from 500 sources, malformed targets and headers, 200 slowloris connections, 20 trickling uploads, the /up-stats table filled and read, stalled /down readers), while a legitimate STAMP sender (127.0.0.2, 44 bytes every 20 ms) and /ping client measured.`;
  const section = `${flood ? '## serve soak: HTTP floods' : '## serve soak'}

${what} 2 CPUs shared with other work (noisy), Node ${process.version}, ${cpus()[0]?.model ?? ''}.
Measured ${new Date().toISOString().slice(0, 10)} with \`npm run build && node bench/serve-soak.mjs --seconds ${seconds}${flood ? ' --scenario http-flood' : ''} --write\`.

${table}

Server CPU under load: ${f(cpuShare * 100, 0)}% of one core (the machine's load average: ${loadavg().map((x) => x.toFixed(1)).join(', ')}). Server RSS: ${f(rss0, 0)} MB at start, peak ${f(peak, 0)} MB; documented bound ${SERVE_RSS_BOUND_MB} MB (docs/serve.md): ${peak <= SERVE_RSS_BOUND_MB ? 'held' : '**exceeded**'}. Server ${alive ? 'still running at the end' : '**died**'}; its log: ${f(logBytes / 1024, 0)} KB.
`;
  console.log(section);
  if (args.write) {
    const file = join(root, 'docs', 'benchmarks.md');
    const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
    const re = flood ? /## serve soak: HTTP floods\n[\s\S]*?(?=\n## |$)/ : /## serve soak\n[\s\S]*?(?=\n## |$)/;
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
  // A download of 1 MB every 2 s from yet another address: what the download probe would get.
  let downSent = 0;
  let downOk = 0;
  const downloader = (async () => {
    while (performance.now() < end) {
      downSent++;
      const t0 = performance.now();
      const got = await new Promise((resolve) => {
        const r = request({ host: '127.0.0.1', port: httpPort, path: '/down?bytes=1000000', localAddress: '127.0.0.4', agent: false, timeout: 5000 }, (res) => {
          let n = 0;
          res.on('data', (d) => (n += d.length)).on('end', () => resolve(res.statusCode === 200 ? n : 0));
        });
        r.on('timeout', () => r.destroy());
        r.on('error', () => resolve(0));
        r.end();
      });
      if (got === 1_000_000) downOk++;
      await sleep(Math.max(0, 2000 - (performance.now() - t0)));
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
  await downloader;
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
    downSent,
    downOk,
    pingMed: q(pings, 0.5),
    pingP95: q(pings, 0.95),
  };
}
