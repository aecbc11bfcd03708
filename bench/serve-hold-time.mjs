#!/usr/bin/env node
/**
 * Benchmark, not a test (root: network namespaces): how long `qosprobe serve`'s STAMP reflector holds a
 * packet, wire in to wire out, against irtt's server on the same link (issue 9). Two namespaces joined
 * by a veth pair (10.77.<idx>.1 server, .2 client); tcpdump on the server's end of the veth records each
 * request's arrival and its reply's departure (kernel timestamps, ns); the hold time of a packet is the
 * difference. Rounds alternate between the two servers so both see the same machine load.
 *
 *   npm run build && node bench/serve-hold-time.mjs [--count 1000] [--interval 10] [--rounds 3] [--idx 10] [--floor] [--dgram] [--write]
 *
 * qosprobe serve uses the native socket (kernel timestamps, replies sent from C) where it is built; --dgram adds
 * serve on node:dgram (QOSPROBE_NATIVE=0, the fallback where the addon is not built). --floor adds a bare Node dgram
 * echo (what Node itself costs). Prints a Markdown table and where serve's hold goes
 * (wire → handler → send → wire, from each reply's own timestamps a and b); --write also replaces the "STAMP hold
 * time" section of docs/benchmarks.md (keeping its notes after the <!-- hold-time notes --> marker).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    idx: { type: 'string', default: '10' },
    // Another checkout's build of qosprobe to measure instead of this one (e.g. the commit before a change).
    'serve-root': { type: 'string' },
    // Also measure the least a Node reflector can do (a bare dgram echo): the floor of Node's receive → send path.
    floor: { type: 'boolean', default: false },
    // Also measure serve on node:dgram (QOSPROBE_NATIVE=0): the transport where the native addon is not built.
    dgram: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const intervalMs = Number(args.interval);
const rounds = Number(args.rounds);
const idx = Number(args.idx);
if (process.getuid?.() !== 0) {
  console.error('serve-hold-time: needs root (network namespaces, tcpdump)');
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
const NS_S = `hserve${idx}-s`;
const NS_C = `hserve${idx}-c`;
const DEV_S = `hsv${idx}s`;
const DEV_C = `hsv${idx}c`;
const SERVER_IP = `10.77.${idx}.1`;
const CLIENT_IP = `10.77.${idx}.2`;
const STAMP_PORT = 8862; // inside our own namespace: nothing else listens there
const IRTT_PORT = 2112;

/**
 * The STAMP sender: plain timers, no busy-wait, so that it takes no CPU from the server while a reply is due
 * (irtt's client doesn't spin either). Only the server's hold time is measured; the sender's timing doesn't matter.
 */
const SENDER = `
import { createSocket } from 'node:dgram';
const [host, port, count, interval] = process.argv.slice(1);
const s = createSocket('udp4');
s.on('message', () => {});
let seq = 0;
const buf = Buffer.alloc(44);
const t = setInterval(() => {
  buf.writeUInt32BE(seq, 0);
  s.send(buf, Number(port), host);
  if (++seq >= Number(count)) { clearInterval(t); setTimeout(() => s.close(), 500); }
}, Number(interval));
`;

/** A bare Node UDP echo: no checks, no timestamps; what Node itself costs between wire in and wire out. */
const ECHO = `
import { createSocket } from 'node:dgram';
const [host, port] = process.argv.slice(1);
const s = createSocket({ type: 'udp4', lookup: (a, _f, cb) => cb(null, a, 4) });
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(Number(port), host);
`;

const sh = (cmd, a) => execFileSync(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const nsx = (ns, cmd, a, o = {}) => spawn('ip', ['netns', 'exec', ns, cmd, ...a], { stdio: ['ignore', 'pipe', 'pipe'], ...o });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function teardown() {
  for (const ns of [NS_S, NS_C]) {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      /* not there */
    }
  }
}
function setup() {
  teardown();
  sh('ip', ['netns', 'add', NS_S]);
  sh('ip', ['netns', 'add', NS_C]);
  sh('ip', ['link', 'add', DEV_S, 'type', 'veth', 'peer', 'name', DEV_C]);
  sh('ip', ['link', 'set', DEV_S, 'netns', NS_S]);
  sh('ip', ['link', 'set', DEV_C, 'netns', NS_C]);
  for (const [ns, dev, ip] of [
    [NS_S, DEV_S, SERVER_IP],
    [NS_C, DEV_C, CLIENT_IP],
  ]) {
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
}

/** Minimal pcap reader (ns timestamps, Ethernet, IPv4/UDP): [{ tNs, src, sport, dst, dport, payload }]. */
function readPcap(file) {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  if (!nano && magic !== 0xa1b2c3d4) throw new Error(`not a little-endian pcap: ${magic.toString(16)}`);
  const out = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const sec = b.readUInt32LE(off);
    const frac = b.readUInt32LE(off + 4);
    const incl = b.readUInt32LE(off + 8);
    const p = b.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (p.length < 14 + 20 + 8 || p.readUInt16BE(12) !== 0x0800) continue;
    const ip = p.subarray(14);
    if (ip[9] !== 17) continue;
    const ihl = (ip[0] & 0x0f) * 4;
    const udp = ip.subarray(ihl);
    out.push({
      tNs: BigInt(sec) * 1_000_000_000n + BigInt(nano ? frac : frac * 1000),
      src: ip.subarray(12, 16).join('.'),
      dst: ip.subarray(16, 20).join('.'),
      sport: udp.readUInt16BE(0),
      dport: udp.readUInt16BE(2),
      payload: udp.subarray(8),
    });
  }
  return out;
}

/** Parts of qosprobe serve's hold, µs (see holdTimesUs). */
const parts = { in: [], handler: [], out: [] };

/** Hold times, µs: each reply (server → client) paired with the earliest unanswered request of its flow. */
function holdTimesUs(packets, serverPort, stampParts = false) {
  const pending = new Map();
  const holds = [];
  for (const p of packets) {
    if (p.dst === SERVER_IP && p.dport === serverPort) {
      const k = `${p.src}:${p.sport}`;
      if (!pending.has(k)) pending.set(k, []);
      pending.get(k).push(p.tNs);
    } else if (p.src === SERVER_IP && p.sport === serverPort) {
      const q = pending.get(`${p.dst}:${p.dport}`);
      const t = q?.shift();
      if (t === undefined) continue;
      holds.push(Number(p.tNs - t) / 1000);
      // A STAMP reply carries the reflector's receive (a, bytes 16–23) and send (b, 4–11) times, NTP, wall clock: split
      // the hold into wire in → a (kernel and Node up to the handler), a → b (the handler) and b → wire out (the send).
      if (stampParts && p.payload.length >= 44) {
        const ntpNs = (o) => BigInt(p.payload.readUInt32BE(o) - 2208988800) * 1_000_000_000n + BigInt(Math.round((p.payload.readUInt32BE(o + 4) / 2 ** 32) * 1e9));
        const a = ntpNs(16);
        const b = ntpNs(4);
        parts.in.push(Number(a - t) / 1000);
        parts.handler.push(Number(b - a) / 1000);
        parts.out.push(Number(p.tNs - b) / 1000);
      }
    }
  }
  return holds;
}

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]) - s[lo]);
};

async function captureRound(name, serverCmd, serverArgs, serverPort, clientCmd, clientArgs, dir, env = process.env) {
  const pcap = join(dir, `${name}-${Date.now()}.pcap`);
  const server = nsx(NS_S, serverCmd, serverArgs, { env });
  let serverErr = '';
  server.stderr.on('data', (d) => (serverErr += d));
  const dump = nsx(NS_S, 'tcpdump', ['-i', DEV_S, '-n', '-U', '--time-stamp-precision=nano', '-w', pcap, 'udp', 'port', String(serverPort)]);
  // Start only once tcpdump says it listens (it can take seconds on a loaded machine) and the server is up.
  let dumpErr = '';
  dump.stderr.on('data', (d) => (dumpErr += d));
  for (let i = 0; i < 200 && !/listening on/.test(dumpErr); i++) await sleep(50);
  await sleep(500);
  try {
    execFileSync('ip', ['netns', 'exec', NS_C, clientCmd, ...clientArgs], { stdio: ['ignore', 'ignore', 'pipe'], timeout: count * intervalMs + 30_000 });
  } finally {
    await sleep(300);
    dump.kill('SIGINT');
    server.kill('SIGTERM');
    await Promise.all([new Promise((r) => dump.on('exit', r)), new Promise((r) => server.on('exit', r))]);
  }
  const holds = holdTimesUs(readPcap(pcap), serverPort, name === 'qosprobe');
  if (holds.length < count * 0.5) throw new Error(`${name}: only ${holds.length} of ${count} packets answered\n${serverErr}`);
  return holds;
}

const dir = mkdtempSync(join(tmpdir(), 'qosprobe-hold-'));
setup();
const all = { qosprobe: [], irtt: [], ...(args.dgram ? { dgram: [] } : {}), ...(args.floor ? { echo: [] } : {}) };
const perRound = { qosprobe: [], irtt: [], dgram: [], echo: [] };
const serveArgs = [join(args['serve-root'] ?? root, 'bin', 'qosprobe.js'), 'serve', '--host', SERVER_IP, '--stamp-port', String(STAMP_PORT), '--http-port', '0', '--rate-limit', '100000', '-q'];
const senderArgs = ['--input-type=module', '-e', SENDER, SERVER_IP, String(STAMP_PORT), String(count), String(intervalMs)];
try {
  for (let r = 0; r < rounds; r++) {
    all.qosprobe.push(...(await captureRound('qosprobe', process.execPath, serveArgs, STAMP_PORT, process.execPath, senderArgs, dir)));
    all.irtt.push(
      ...(await captureRound(
        'irtt',
        'irtt',
        ['server', '-b', `${SERVER_IP}:${IRTT_PORT}`],
        IRTT_PORT,
        'irtt',
        ['client', '-Q', '-i', `${intervalMs}ms`, '-d', `${count * intervalMs}ms`, '-l', '44', `${SERVER_IP}:${IRTT_PORT}`],
        dir,
      )),
    );
    if (args.dgram) {
      all.dgram.push(...(await captureRound('dgram', process.execPath, serveArgs, STAMP_PORT, process.execPath, senderArgs, dir, { ...process.env, QOSPROBE_NATIVE: '0' })));
    }
    if (args.floor) {
      all.echo.push(
        ...(await captureRound(
          'echo',
          process.execPath,
          ['--input-type=module', '-e', ECHO, SERVER_IP, String(STAMP_PORT)],
          STAMP_PORT,
          process.execPath,
          ['--input-type=module', '-e', SENDER, SERVER_IP, String(STAMP_PORT), String(count), String(intervalMs)],
          dir,
        )),
      );
    }
    for (const k of Object.keys(all)) perRound[k].push(q(all[k].slice(-count), 0.5));
    process.stderr.write(`round ${r + 1}/${rounds}: medians (µs) ${Object.keys(all).map((k) => `${k} ${perRound[k].at(-1)?.toFixed(1)}`).join(', ')}\n`);
  }
} finally {
  teardown();
}

const fmt = (x) => (x === null ? 'n/a' : x.toFixed(1));
const irttVersion = sh('irtt', ['version']).split('\n')[0].trim();
const rows = [
  ['median', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
  ['min', 0],
];
const cols = Object.keys(all);
const names = { qosprobe: 'qosprobe serve', irtt: 'irtt server', dgram: 'qosprobe serve on node:dgram', echo: 'bare Node dgram echo' };
const table = [
  `| hold time, wire in → wire out (µs) | ${cols.map((c) => names[c]).join(' | ')} |`,
  `| --- |${cols.map(() => ' ---: |').join('')}`,
  ...rows.map(([n, p]) => `| ${n} | ${cols.map((c) => fmt(q(all[c], p))).join(' | ')} |`),
  `| median of the round medians | ${cols.map((c) => fmt(q(perRound[c], 0.5))).join(' | ')} |`,
  `| packets | ${cols.map((c) => all[c].length).join(' | ')} |`,
].join('\n');
const split = () =>
  `Where qosprobe serve's hold goes (median µs, from the reply's own timestamps a and b, wall clock against tcpdump's): wire in → a (the kernel's arrival stamp with the native socket; Node's \`'message'\` handler on node:dgram) ${fmt(q(parts.in, 0.5))}, a → b (wake-up, the handler, the send time taken) ${fmt(q(parts.handler, 0.5))}, b → wire out (the send call) ${fmt(q(parts.out, 0.5))}.`;
const section = `## STAMP hold time (serve vs irtt server)

Two network namespaces joined by a veth pair, ${count} packets of 44 bytes every ${intervalMs} ms per round, ${rounds} alternating rounds, ${cpus().length} CPUs (shared with other work: noisy), Node ${process.version}, ${irttVersion}.
Hold time = the reply's departure minus the request's arrival, both stamped by the kernel on the server's end of the veth (tcpdump, ns).
Measured ${new Date().toISOString().slice(0, 10)} with \`npm run build && sudo node bench/serve-hold-time.mjs --count ${count} --interval ${intervalMs} --rounds ${rounds} --write\`.

${table}

${parts.in.length ? split() : ''}
`;
console.log(section);
if (args.write) {
  const file = join(root, 'docs', 'benchmarks.md');
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /## STAMP hold time \(serve vs irtt server\)\n[\s\S]*?(?=\n## |$)/;
  const NOTES = '<!-- hold-time notes -->';
  const notesAt = doc.match(re)?.[0].indexOf(NOTES) ?? -1;
  const notes = notesAt >= 0 ? doc.match(re)[0].slice(notesAt) : '';
  const text = re.test(doc) ? doc.replace(re, section + (notes ? '\n' + notes : '')) : doc.trimEnd() + '\n\n' + section;
  writeFileSync(file, text);
}
