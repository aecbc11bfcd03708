#!/usr/bin/env node
/**
 * Benchmark, not a test (root only): RTT of qosprobe's ping, tcp, stamp and http against iputils ping,
 * fping and irtt, at several injected round trips, from one run, each against the on-wire truth captured
 * with tcpdump on both ends of the path (issue 9).
 *
 *   npm run build && sudo node bench/latency-truth.mjs [--rtts 0,10,50,300] [--runs 3] [--count 20] [--interval 100] [--idx 40] [--write]
 *
 * Client — router — server, three network namespaces. For an injected round trip of X ms the router holds every
 * forwarded packet X/2 ms each way (iptables NFQUEUE and test/helpers/nfq-delay.py; this kernel has no netem);
 * at 0 it just forwards. Every tool runs `--runs` times in alternation (so all see the same machine load); a
 * cell is the median over runs of the tool's own median RTT. Truth ("wire") is the median over the same packets
 * of the round trip tcpdump sees on the client's veth (request out → reply in) less the far end's hold time
 * (request in → reply out on the server's veth): the network's round trip, what every tool should report.
 * Prints the bias table (tool − wire, per method and injected RTT) and one detail table per RTT; --write
 * replaces the "RTT against the wire" section of docs/benchmarks.md. Addresses: 10.77.IDX.x and 10.77.IDX+1.x
 * inside the namespaces only.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '6' },
    count: { type: 'string', default: '20' },
    interval: { type: 'string', default: '100' },
    idx: { type: 'string', default: '40' },
    rtts: { type: 'string', default: '0,10,50,300' },
    write: { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
const count = Number(args.count);
const intervalMs = Number(args.interval);
const idx = Number(args.idx);
/** Injected round trips, ms: half each way. */
const rtts = args.rtts.split(',').map(Number);
const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'qosprobe.js');
const S = `htruth${idx}-s`;
const C = `htruth${idx}-c`;
const SDEV = `ht${idx}s`;
const CDEV = `ht${idx}c`;
const R = `htruth${idx}-r`;
// Client 10.77.IDX.2 — router (IDX.1 | IDX+1.2) — server 10.77.IDX+1.1.
const SIP = `10.77.${idx + 1}.1`;
const CIP = `10.77.${idx}.2`;
const STAMP_PORT = 8862;
const HTTP_PORT = 8080;
const IRTT_PORT = 2112;

const sh = (cmd, a, o = {}) => execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...o });
const inNs = (ns, cmd, a, o) => sh('ip', ['netns', 'exec', ns, cmd, ...a], o);
const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const h = (v.length - 1) / 2;
  return (v[Math.floor(h)] + v[Math.ceil(h)]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function labDown() {
  for (const ns of [S, C, R]) {
    try {
      sh('ip', ['netns', 'pids', ns])
        .split('\n')
        .filter(Boolean)
        .forEach((pid) => process.kill(Number(pid), 'SIGKILL'));
      sh('ip', ['netns', 'del', ns]);
    } catch {
      /* not there */
    }
  }
}

/**
 * Three namespaces: the router forwards between client and server and holds every forwarded packet
 * delayMs (iptables NFQUEUE → test/helpers/nfq-delay.py; none at 0), so the client's wire sees the delay and
 * the server's does not: truth = client wire RTT − server hold. Returns the delayer processes.
 */
function labUp(delayMs) {
  labDown();
  for (const ns of [S, C, R]) sh('ip', ['netns', 'add', ns]);
  const links = [
    [C, CDEV, CIP, `ht${idx}rc`, `10.77.${idx}.1`],
    [S, SDEV, SIP, `ht${idx}rs`, `10.77.${idx + 1}.2`],
  ];
  for (const [ns, dev, ip, rdev, rip] of links) {
    sh('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', rdev]);
    sh('ip', ['link', 'set', dev, 'netns', ns]);
    sh('ip', ['link', 'set', rdev, 'netns', R]);
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
    sh('ip', ['-n', R, 'addr', 'add', `${rip}/24`, 'dev', rdev]);
    for (const [n, d] of [
      [ns, dev],
      [R, rdev],
      [ns, 'lo'],
    ])
      sh('ip', ['-n', n, 'link', 'set', d, 'up']);
    sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', rip]);
  }
  sh('ip', ['-n', R, 'link', 'set', 'lo', 'up']);
  inNs(R, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  // ping as non-root needs this inside a fresh namespace; we are root anyway, but qosprobe's ping may run unprivileged.
  inNs(C, 'sysctl', ['-q', '-w', 'net.ipv4.ping_group_range=0 2147483647']);
  if (delayMs === 0) return [];
  inNs(R, 'iptables', ['-A', 'FORWARD', '-i', `ht${idx}rc`, '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']);
  inNs(R, 'iptables', ['-A', 'FORWARD', '-i', `ht${idx}rs`, '-j', 'NFQUEUE', '--queue-num', '1', '--queue-bypass']);
  const delayer = join(ROOT, 'test', 'helpers', 'nfq-delay.py');
  return [startIn(R, 'python3', [delayer, '0', String(delayMs), '0', '1']), startIn(R, 'python3', [delayer, '1', String(delayMs), '0', '2'])];
}

function startIn(ns, cmd, a) {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** tcpdump on both ends; stop() returns the parsed lines of each (time in ms, text). */
async function capture(dir, name) {
  const files = { client: join(dir, `${name}-c.pcap`), server: join(dir, `${name}-s.pcap`) };
  const procs = [startIn(C, 'tcpdump', ['-i', CDEV, '-n', '-U', '--immediate-mode', '-s', '128', '-w', files.client]), startIn(S, 'tcpdump', ['-i', SDEV, '-n', '-U', '--immediate-mode', '-s', '128', '-w', files.server])];
  await sleep(800); // tcpdump needs a moment before it captures
  return async () => {
    await sleep(200);
    for (const p of procs) p.kill('SIGINT');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.on('exit', r)))));
    const read = (f) =>
      sh('tcpdump', ['-r', f, '-n', '-tt', '-nn', '-v'], { maxBuffer: 64 << 20 })
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => ({ t: /^\d+\.\d+ /.test(l) ? Number(l.slice(0, l.indexOf(' '))) * 1000 : null, l }));
    return { client: read(files.client), server: read(files.server) };
  };
}

/**
 * Pairs request → reply in one capture: `isReq`/`isRep` give a key (or null); a reply answers the
 * earliest unanswered request with its key. Returns the round trip of each pair, in ms.
 */
function pairs(lines, isReq, isRep) {
  const open = new Map();
  const out = [];
  for (const { t, l } of lines) {
    const kq = isReq(l);
    if (kq != null) {
      if (!open.has(kq)) open.set(kq, []);
      open.get(kq).push(t);
      continue;
    }
    const kr = isRep(l);
    if (kr != null && open.get(kr)?.length) out.push(t - open.get(kr).shift());
  }
  return out;
}

// Per method: request and reply matchers on tcpdump's text (-tt -nn -v, one line per packet after the header line).
const icmpReq = (l) => /ICMP echo request, id (\d+), seq (\d+)/.exec(l)?.slice(1).join('/') ?? null;
const icmpRep = (l) => /ICMP echo reply, id (\d+), seq (\d+)/.exec(l)?.slice(1).join('/') ?? null;
const synReq = (l) => (/ Flags \[S\],/.test(l) ? (new RegExp(`${CIP.replaceAll('.', '\\.')}\\.(\\d+) >`).exec(l)?.[1] ?? null) : null);
const synRep = (l) => (/ Flags \[S\.\],/.test(l) ? (new RegExp(`> ${CIP.replaceAll('.', '\\.')}\\.(\\d+):`).exec(l)?.[1] ?? null) : null);
const udpReq = (port) => (l) => (l.includes(`> ${SIP}.${port}: UDP`) ? 'u' : null);
const udpRep = (port) => (l) => (l.includes(`${SIP}.${port} > ${CIP}`) && l.includes('UDP') ? 'u' : null);
// HTTP: a client segment carrying data (the request) → the server's first segment carrying data (the response).
const httpReq = (l) => (new RegExp(`> ${SIP.replaceAll('.', '\\.')}\\.${HTTP_PORT}: Flags \\[P\\.\\]`).test(l) ? 'h' : null);
const httpRep = (l) => (new RegExp(`${SIP.replaceAll('.', '\\.')}\\.${HTTP_PORT} > .*Flags \\[P\\.\\]`).test(l) ? 'h' : null);

/** tcpdump -v prints the IP header on one line and the transport on the next: join them. */
function joined(lines) {
  const out = [];
  for (const x of lines) {
    if (/^\d+\.\d+ IP /.test(x.l)) out.push({ ...x });
    else if (out.length) out[out.length - 1].l += ` ${x.l.trim()}`;
  }
  return out;
}

function qp(a) {
  const out = inNs(C, process.execPath, [BIN, ...a, '-q', '-f', 'ndjson', '--no-host-info'], { timeout: 120_000 });
  return JSON.parse(out.trim().split('\n').pop());
}

const methods = [
  {
    name: 'qosprobe ping',
    run: () => qp(['ping', SIP, '-c', String(count), '-i', String(intervalMs)]).rtt_median_ms,
    req: icmpReq,
    rep: icmpRep,
  },
  {
    name: 'qosprobe tcp',
    run: () => qp(['tcp', `${SIP}:${HTTP_PORT}`, '-c', String(count), '-i', String(intervalMs)]).rtt_median_ms,
    req: synReq,
    rep: synRep,
  },
  {
    name: 'qosprobe stamp',
    run: () => qp(['stamp', `${SIP}:${STAMP_PORT}`, '-c', String(count), '-i', String(intervalMs)]).rtt_median_ms,
    req: udpReq(STAMP_PORT),
    rep: udpRep(STAMP_PORT),
  },
  {
    name: 'qosprobe http /ping (warm)',
    run: () => qp(['http', `http://${SIP}:${HTTP_PORT}/ping`, '-c', String(count), '-i', String(intervalMs)]).warm_ttfb_ms,
    req: httpReq,
    rep: httpRep,
  },
  {
    name: 'iputils ping',
    run: () => {
      const o = inNs(C, 'ping', ['-n', '-c', String(count), '-i', String(intervalMs / 1000), SIP]);
      return median([...o.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])));
    },
    req: icmpReq,
    rep: icmpRep,
  },
  {
    name: 'fping',
    run: () => {
      // fping -C prints its per-packet times on stderr: "10.77.40.1 : 0.05 0.04 ..." ("-" for a lost one). Its default
      // 500 ms timeout is raised so a 300 ms round trip is not lost.
      const o = spawnSync('ip', ['netns', 'exec', C, 'fping', '-C', String(count), '-p', String(intervalMs), '-t', '2000', '-q', SIP], { encoding: 'utf8' });
      const line = o.stderr.split('\n').find((l) => l.startsWith(`${SIP} `)) ?? '';
      return median(line.slice(line.indexOf(':') + 1).trim().split(/\s+/).map(Number));
    },
    req: icmpReq,
    rep: icmpRep,
  },
  {
    name: 'irtt',
    run: (dir) => {
      const f = join(dir, `irtt-${Date.now()}.json`);
      inNs(C, 'irtt', ['client', '-Q', '-i', `${intervalMs}ms`, '-d', `${count * intervalMs}ms`, '-l', '44', '-o', f, `${SIP}:${IRTT_PORT}`]);
      return JSON.parse(readFileSync(f, 'utf8')).stats.rtt.median / 1e6;
    },
    req: udpReq(IRTT_PORT),
    rep: udpRep(IRTT_PORT),
  },
];

if (process.getuid?.() !== 0) {
  console.error('latency-truth: needs root (network namespaces, tcpdump)');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'qosprobe-truth-'));
/** results[rtt][method] = { tool, wire, hold, clientWire } arrays over runs. */
const results = new Map();
for (const rtt of rtts) {
  const delayers = labUp(rtt / 2);
  const servers = [
    ...delayers,
    startIn(S, process.execPath, [BIN, 'serve', '--host', SIP, '--stamp-port', String(STAMP_PORT), '--http-port', String(HTTP_PORT), '-q']),
    startIn(S, 'irtt', ['server', '-b', `${SIP}:${IRTT_PORT}`]),
  ];
  const byMethod = new Map(methods.map((m) => [m.name, { tool: [], wire: [], hold: [], clientWire: [] }]));
  results.set(rtt, byMethod);
  try {
    await sleep(1500);
    for (let r = 0; r < runs; r++) {
      for (const m of methods) {
        const stop = await capture(dir, `${rtt}-${r}-${m.name.replace(/\W+/g, '_')}`);
        const tool = m.run(dir);
        const cap = await stop();
        const client = pairs(joined(cap.client), m.req, m.rep);
        // On the server's veth the request comes in and the reply goes out: the far end's hold time.
        const hold = pairs(joined(cap.server), m.req, m.rep);
        const res = byMethod.get(m.name);
        // Per packet where both ends saw the same packets (pairs come out in reply order at both ends): the median of
        // the differences, not the difference of the medians (which differ by ~0.5 ms when the hold varies).
        const net = client.length === hold.length ? client.map((c, i) => c - hold[i]) : null;
        const wire = net ? median(net) : median(client) - median(hold);
        res.tool.push(tool);
        res.clientWire.push(median(client));
        res.hold.push(median(hold));
        res.wire.push(wire);
        process.stderr.write(
          `rtt ${rtt} run ${r + 1}/${runs} ${m.name}: tool ${tool?.toFixed(3)} ms, wire ${wire.toFixed(3)} ms (client ${median(client)?.toFixed(3)}, far-end hold ${median(hold)?.toFixed(3)}; ${client.length} pairs${net ? '' : ', medians'})\n`,
        );
      }
    }
  } finally {
    for (const p of servers) p.kill('SIGTERM');
    await sleep(300);
    labDown();
  }
}

const fmt = (x) => (x == null || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));
const signed = (x) => (x == null || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);
const bar = (truth) => Math.max(0.2, truth * 0.01);
const biasRows = methods.map((m) => {
  const cells = rtts.map((rtt) => {
    const r = results.get(rtt).get(m.name);
    const b = median(r.tool) - median(r.wire);
    return `${signed(b)}${Math.abs(b) <= bar(median(r.wire)) ? '' : ' ✗'}`;
  });
  return `| ${m.name} | ${cells.join(' | ')} |`;
});
const detail = rtts.map((rtt) => {
  const rows = [...results.get(rtt)].map(([name, r]) => {
    const tool = median(r.tool);
    const wire = median(r.wire);
    return `| ${name} | ${fmt(tool)} | ${fmt(median(r.clientWire))} | ${fmt(median(r.hold))} | ${fmt(wire)} | ${signed(tool - wire)} |`;
  });
  return `Injected ${rtt} ms round trip:

| method | tool reports (ms) | client wire RTT (ms) | far-end hold (ms) | network RTT, truth (ms) | bias (ms) |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}`;
});
const today = new Date().toISOString().slice(0, 10);
const title = '## RTT against the wire';
const section = `${title}

Client — router — server namespaces; the router holds each forwarded packet half the injected round trip each way (NFQUEUE
delayer; at 0 it only forwards). ${count} packets every ${intervalMs} ms per run, median over ${runs} alternating runs of each
tool's median RTT, ${cpus().length} CPUs shared with other work (noisy), Node ${process.version}.
Measured ${today} with \`npm run build && sudo node bench/latency-truth.mjs --rtts ${rtts.join(',')} --runs ${runs} --count ${count} --interval ${intervalMs} --write\`.

Bias, tool − truth (ms); ✗ marks a cell outside the issue-9 bar max(0.2 ms, 1 %):

| method | ${rtts.map((r) => `${r} ms`).join(' | ')} |
| --- |${rtts.map(() => ' ---: |').join('')}
${biasRows.join('\n')}

${detail.join('\n\n')}

Client wire RTT: tcpdump on the client's veth, request out → reply in. Far-end hold: tcpdump on the server's veth, request in →
reply out (the kernel for ICMP and the SYN-ACK; \`qosprobe serve\` or the irtt server for UDP; the HTTP server for /ping).
Truth = client wire RTT − far-end hold, packet by packet (the median of the differences). iputils ping and fping print 0.001 ms here (RTTs below 1 ms) and 0.01–0.1 ms above.

Where the bias left comes from (docs/metrics.md "RTT accuracy"): qosprobe ping, tcp, iputils ping and fping are timed by
the kernel (tcp reads the kernel's handshake time with \`ss\`); iputils prints whole milliseconds from 100 ms (300 ms row).
qosprobe stamp reads the kernel's receive timestamps at both ends (the native socket: \`rtt_timestamping\` kernel_rx) and
takes its send times in C right before the system call, and \`qosprobe serve\` stamps its hold the same way, so the
reflector's whole hold but the send call is inside the residence time the sender subtracts. irtt is timed in user space
at both ends: the client's wake-up after the reply, plus the part of its server's hold it does not timestamp. http /ping
is HTTP responsiveness through undici and the server, not network RTT.
`;
console.log(section);
if (args.write) {
  const p = join(ROOT, 'docs', 'benchmarks.md');
  const doc = readFileSync(p, 'utf8');
  const re = new RegExp(`${title}(, [^\\n]*)?\n[\\s\\S]*?(?=\n## |$)`);
  // One section for every RTT now: older per-delay sections ("…, 10 ms each way") go.
  const rest = doc.replace(/\n## RTT against the wire, [^\n]*\n[\s\S]*?(?=\n## |$)/g, '');
  writeFileSync(p, re.test(rest) ? rest.replace(re, section) : `${rest.trimEnd()}\n\n${section}`);
}
