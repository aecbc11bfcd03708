// How long a 10-round trace of a 10-hop path takes with `qosprobe trace` and with `mtr --report`,
// on the same chain of namespaces (root only): client → r1 … r9 → server, 10.77.80–89.x.
//
//   npm run build && sudo node bench/trace-vs-mtr.mjs [--rounds 3] [--count 10] [--interval 1000] [--write]
//
// Both run mtr underneath (qosprobe with --raw, parsing every probe itself); the difference is
// qosprobe's start-up, name resolution, host context and statistics, and the wait after the last
// round (qosprobe: -G timeout_ms rounded up to seconds, 2 s by default; mtr's own default: 5 s).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'qosprobe.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const rounds = opt('rounds', 3);
const count = opt('count', 10);
const intervalMs = opt('interval', 1000);
const write = args.includes('--write');

if (process.getuid?.() !== 0) {
  console.error('trace-vs-mtr: needs root (network namespaces)');
  process.exit(2);
}

const ROUTERS = 9;
const BASE = 80;
const names = ['c', ...Array.from({ length: ROUTERS }, (_, i) => `r${i + 1}`), 's'].map((n) => `trace-b${n}`);
const sh = (cmd, a, input) => execFileSync(cmd, a, { input, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8' });
const net = (i, host) => `10.77.${BASE + i}.${host}`;

function teardown() {
  for (const ns of names) {
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      /* not there */
    }
  }
}

function build() {
  teardown();
  for (const ns of names) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  }
  // Link i joins names[i] (.1) and names[i+1] (.2); the client is .2 on link 0, r1 .1.
  for (let i = 0; i < names.length - 1; i++) {
    const [l, r] = [`trb${i}l`, `trb${i}r`];
    sh('ip', ['link', 'add', l, 'type', 'veth', 'peer', 'name', r]);
    sh('ip', ['link', 'set', l, 'netns', names[i]]);
    sh('ip', ['link', 'set', r, 'netns', names[i + 1]]);
    const [lip, rip] = i === 0 ? [net(0, 2), net(0, 1)] : [net(i, 1), net(i, 2)];
    sh('ip', ['-n', names[i], 'addr', 'add', `${lip}/24`, 'dev', l]);
    sh('ip', ['-n', names[i + 1], 'addr', 'add', `${rip}/24`, 'dev', r]);
    sh('ip', ['-n', names[i], 'link', 'set', l, 'up']);
    sh('ip', ['-n', names[i + 1], 'link', 'set', r, 'up']);
  }
  // Forward: default towards the server; back: every earlier link via the previous hop.
  sh('ip', ['-n', names[0], 'route', 'add', 'default', 'via', net(0, 1)]);
  for (let k = 1; k < names.length - 1; k++) {
    sh('ip', ['-n', names[k], 'route', 'add', 'default', 'via', net(k, 2)]);
    for (let j = 0; j < k - 1; j++) sh('ip', ['-n', names[k], 'route', 'add', `10.77.${BASE + j}.0/24`, 'via', net(k - 1, k - 1 === 0 ? 2 : 1)]);
  }
  sh('ip', ['-n', names.at(-1), 'route', 'add', 'default', 'via', net(names.length - 2, 1)]);
  return net(names.length - 2, 2);
}

/** `gatewayPing`: the default command pings the client's default gateway, r1 inside the chain (10.77.80.1): still the lab. */
function timed(cmd, a, gatewayPing = false) {
  const t0 = performance.now();
  const env = { ...process.env, QOSPROBE_GATEWAY_PING: '0' };
  if (gatewayPing) delete env.QOSPROBE_GATEWAY_PING;
  const r = spawnSync('ip', ['netns', 'exec', names[0], cmd, ...a], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { ms: performance.now() - t0, out: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const server = build();
try {
  const q = [];
  const d = [];
  const m = [];
  let hopsQ = 0;
  let hopsM = 0;
  for (let i = 0; i < rounds; i++) {
    const a = timed(process.execPath, [BIN, 'trace', server, '--count', String(count), '--interval', String(intervalMs), '-f', 'ndjson', '-q', '--no-host-info']);
    q.push(a.ms);
    hopsQ = JSON.parse(a.out.split('\n')[0]).trace_hops;
    // The command as a user types it: host context read and the gateway pinged alongside (issue 25).
    d.push(timed(process.execPath, [BIN, 'trace', server, '--count', String(count), '--interval', String(intervalMs), '-f', 'ndjson', '-q'], true).ms);
    const b = timed('mtr', ['--report', '-n', '-c', String(count), '-i', String(intervalMs / 1000), server]);
    m.push(b.ms);
    hopsM = b.out.split('\n').filter((l) => /^\s*\d+\.\|--/.test(l)).length;
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const rows = [
    `| \`qosprobe trace ${server} --count ${count} --interval ${intervalMs} --no-host-info\` with QOSPROBE_GATEWAY_PING=0 (mtr --raw underneath, -G 2) | ${hopsQ} | ${(median(q) / 1000).toFixed(2)} | ${q.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
    `| same, the default command (host context read, gateway pinged alongside: no --no-host-info, no QOSPROBE_GATEWAY_PING=0) | ${hopsQ} | ${(median(d) / 1000).toFixed(2)} | ${d.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
    `| \`mtr --report -n -c ${count} -i ${intervalMs / 1000}\` (its default -G 5) | ${hopsM} | ${(median(m) / 1000).toFixed(2)} | ${m.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
  ];
  const table = ['| command | hops | median s | runs (s) |', '| --- | --- | --- | --- |', ...rows].join('\n');
  console.log(table);
  console.log(`load average ${load} (shared machine: wall times include waiting for the CPU)`);
  if (write) {
    const doc = join(ROOT, 'docs', 'benchmarks.md');
    const text = readFileSync(doc, 'utf8');
    const start = text.indexOf('<!-- trace-vs-mtr -->');
    const end = text.indexOf('<!-- /trace-vs-mtr -->');
    if (start >= 0 && end > start) {
      writeFileSync(doc, `${text.slice(0, start)}<!-- trace-vs-mtr -->\n${table}\n\nLoad average during the run: ${load}.\n${text.slice(end)}`);
    }
  }
} finally {
  teardown();
}
