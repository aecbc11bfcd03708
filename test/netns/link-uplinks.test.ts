/**
 * Measuring over each link (issue 22), in the two-uplink lab (test/helpers/uplinks.ts; root only): link A (the default
 * route) holds 5 ms each way, link B 20 ms each way and drops 5 % of non-TCP packets each way. A test over B must give
 * B's truth and put no packet on A (A's nft counters stay 0); over A, A's truth; a link that is down gives error records
 * for it alone. The truth of delay is the delayer's log (what it held each packet, both ways); of loss, B's router's
 * nft drop counters. Bar: the project's RTT bar against the delayer (max(1 ms, 1 %); skipped, saying why, on a busy host, as
 * accuracy-delay's delayer-vs-wire check, since the delayer is a process). Throughput runs in a second lab without the
 * delayer (it stalls under a transfer's packet rate): B shaped to 8 Mbit/s by tbf, within 7 % (throughput-netns's bar).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, builtCliAvailable, ndjson } from '../helpers/cli.js';
import { delayLabUnavailable, type Applied } from '../helpers/delaylab.js';
import { caseLoad, skipIfBusy } from '../helpers/host-load.js';
import { createUplinkLab, type LinkCounters, type UplinkLab } from '../helpers/uplinks.js';
import { nativeUdp } from '../../src/core/native.js';
import { labIndexes } from '../helpers/resources.js';

const run = promisify(execFile);
const why =
  delayLabUnavailable() ??
  (builtCliAvailable() ? null : 'dist/ is not built (npx tsc -p tsconfig.json)') ??
  (nativeUdp() ? null : 'the native addon is not built (binding needs it)');
if (why) console.warn(`link-uplinks: skipped: ${why}`);
// The RTT bar, max(1 ms, 1 %), holds on a host that is not oversubscribed: where other work keeps the CPUs busy, before
// or during a case, it is skipped saying what was measured (measured: dns 1.67 ms off with two CPU burners, issue 21),
// after the case's link, counter and loss assertions, which always hold; never skipped under QOSPROBE_ACCURACY=full.
const bar = (truthMs: number) => Math.max(1, truthMs * 0.01);
const RTT_BAR = 'the RTT bar against the delayer (max(1 ms, 1 %))';
// Reserved per run (helpers/resources.ts): two suites on one host never build the same namespaces or subnet. The
// second is the throughput lab's (it was IDX + 10, an index another suite could hold).
const [IDX, IDX_THROUGHPUT] = labIndexes(2) as [number, number];

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const h = (v.length - 1) / 2;
  return ((v[Math.floor(h)] as number) + (v[Math.ceil(h)] as number)) / 2;
};
/**
 * The STAMP test's count: its last packet and that packet's reply are never dropped (B drops only packets whose
 * first payload word, a STAMP sender's sequence number, and seventh, a reflector's copy of it, are not the last one).
 * A reply lost after the last reply that came back leaves no gap in the reflector's numbers, so the sender counts it
 * as lost up (docs/metrics.md): with the last reply home the split is exact, as in accuracy-loss. (Other packets B
 * may drop do not carry that number there: ping's timestamp and pattern, DNS's header and question, ICMP errors' quote.)
 */
const STAMP_COUNT = 100;
const diff = (a: LinkCounters, b: LinkCounters): LinkCounters =>
  Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - a[k as keyof LinkCounters]])) as unknown as LinkCounters;

interface Measured {
  records: Record<string, unknown>[];
  a: LinkCounters;
  b: LinkCounters;
  held: { up: Applied[]; down: Applied[] };
}

/** Runs the CLI in the client (asynchronously: the delayers' logs are read by this process meanwhile). */
async function measureIn(lab: UplinkLab, args: string[], over: 'a' | 'b' | null, env: string[] = ['QOSPROBE_GATEWAY_PING=0']): Promise<Measured> {
  const before = { a: lab.counters('a'), b: lab.counters('b') };
  const link = over ? lab.links[over] : null;
  const logBefore = link?.log();
  const { stdout: out } = await run('ip', ['netns', 'exec', lab.client, 'env', ...env, process.execPath, BIN, ...args, ...(link ? ['--interface', link.dev] : []), '-f', 'ndjson', '-q'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  // The delayers log each packet as they release it: the last lines reach us a moment later.
  await link?.sync();
  const logAfter = link?.log();
  return {
    records: ndjson(out),
    a: diff(before.a, lab.counters('a')),
    b: diff(before.b, lab.counters('b')),
    held: { up: logAfter?.up.slice(logBefore!.up.length) ?? [], down: logAfter?.down.slice(logBefore!.down.length) ?? [] },
  };
}

/** Until the link has sent nothing for 500 ms (at most 15 s). */
async function settle(lab: UplinkLab, link: 'a' | 'b'): Promise<void> {
  let last = lab.counters(link).out;
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 500)); // the quiet half-second is the condition itself
    const now = lab.counters(link).out;
    if (now === last) return;
    last = now;
  }
}

/** The round trip the delayer held, median up + median down, over packets of one protocol. */
const heldRtt = (m: Measured, proto: number) => median(m.held.up.filter((a) => a.proto === proto).map((a) => a.appliedMs)) + median(m.held.down.filter((a) => a.proto === proto).map((a) => a.appliedMs));

describe.skipIf(why !== null)('two uplinks: every probe over the link it was given (netns, root)', () => {
  let lab: UplinkLab;
  beforeAll(async () => {
    const last = STAMP_COUNT - 1;
    lab = await createUplinkLab(IDX, { a: { delayMs: 5 }, b: { delayMs: 20, lossPercent: 5, dropMatch: { up: `@th,64,32 != ${last}`, down: `@th,256,32 != ${last}` } } }, [
      process.execPath,
      BIN,
    ]);
  }, 60_000);
  afterAll(async () => {
    await lab?.close();
  });

  const target = () => ({
    icmp: ['ping', lab.serverIp, '-c', '40', '-i', '20'],
    tcp: ['tcp', `${lab.serverIp}:8080`, '-c', '10', '-i', '50'],
    stamp: ['stamp', `${lab.serverIp}:8862`, '-c', String(STAMP_COUNT), '-i', '10'],
  });
  const protoOf = { icmp: 1, tcp: 6, stamp: 17 } as const;

  for (const [link, other, rttMs] of [
    ['b', 'a', 40],
    ['a', 'b', 10],
  ] as const) {
    for (const kind of ['icmp', 'tcp', 'stamp'] as const) {
      it(`${kind} over ${link.toUpperCase()}: ${link.toUpperCase()}'s RTT (${rttMs} ms) within the bar, its own link context, no packet on ${other.toUpperCase()}`, async (ctx) => {
        const load = caseLoad();
        const m = await measureIn(lab, target()[kind], link);
        const r = m.records[0]!;
        const l = lab.links[link];
        expect(r).toMatchObject({ net_iface: l.dev, gateway: l.gateway, net_ip: l.clientIp });
        expect(m[other]).toMatchObject({ out: 0, in: 0 });
        expect(m[link].out).toBeGreaterThan(0);
        const truth = heldRtt(m, protoOf[kind]);
        expect(truth).toBeGreaterThanOrEqual(rttMs);
        console.info(`link-uplinks ${kind} over ${link}: rtt_median ${String(r.rtt_median_ms)} ms, delayer ${truth.toFixed(3)} ms, loss ${String(r.loss_percent)} %`);
        if (kind === 'tcp' || link === 'a') expect(r).toMatchObject({ status: 'ok', loss_percent: 0 });
        else {
          // Loss exact against B's router: every packet lost was one it dropped (up or down), and no other.
          const lost = (r.sent as number) - (r.received as number);
          expect(lost).toBe(m.b.upDropped + m.b.downDropped);
          expect(m.b.upSeen).toBe(r.sent);
          if (kind === 'stamp') {
            // The stateful reflector splits it: up = what B dropped on the way in (exact: the last reply comes home).
            expect(Math.round(((r.sent as number) * (r.loss_up_percent as number)) / 100)).toBe(m.b.upDropped);
          }
        }
        skipIfBusy(ctx, load.stop(), RTT_BAR);
        expect(Math.abs((r.rtt_median_ms as number) - truth)).toBeLessThanOrEqual(bar(truth));
      }, 60_000);
    }
  }

  it('http over B: warm requests take B’s round trip; nothing on A', async (ctx) => {
    const load = caseLoad();
    const m = await measureIn(lab, ['http', `http://${lab.serverIp}:8080/ping`, '-c', '5', '-i', '100'], 'b');
    const r = m.records[0]!;
    expect(r).toMatchObject({ status: 'ok', net_iface: 'qplb', received: 5 });
    expect(m.a).toMatchObject({ out: 0, in: 0 });
    const truth = heldRtt(m, 6);
    // A warm request is at least one round trip of B (A's is 10 ms); HTTP is not an RTT measurement, so no tighter bar.
    expect(r.warm_ttfb_ms as number).toBeGreaterThanOrEqual(truth - bar(truth)); // never faster than B: load cannot do that
    skipIfBusy(ctx, load.stop(), 'the bar of two round trips of B on a warm request');
    expect(r.warm_ttfb_ms as number).toBeLessThan(2 * truth);
  }, 60_000);

  it('trace over B: traceroute through B (first hop B’s router); nothing on A', async (ctx) => {
    const load = caseLoad();
    const m = await measureIn(lab, ['trace', lab.serverIp, '-c', '2'], 'b');
    expect(m.a).toMatchObject({ out: 0, in: 0 });
    const hops = m.records.filter((r) => r.hop !== null && r.hop !== undefined);
    expect(hops[0]).toMatchObject({ hop: 1, net_iface: 'qplb' });
    expect(m.records[0]).toMatchObject({ net_iface: 'qplb', target_ip: lab.serverIp });
    // B's router unanswered at hop 1 (two suites on 2 CPUs: its time-exceeded never came within the wait) can only be
    // the host's doing; on a host that was not busy it is a failure, as is any other address.
    if (hops[0]?.hop_address === null) skipIfBusy(ctx, load.stop(), "B's router answering hop 1 within traceroute's wait");
    expect(hops[0]?.hop_address).toBe(lab.links.b.gateway);
  }, 60_000);

  it('dns over B: the resolver asked through B (B’s round trip), nothing on A', async (ctx) => {
    const load = caseLoad();
    const dnsd = spawn('ip', ['netns', 'exec', lab.server, process.execPath, join(ROOT, 'test/helpers/dns-responder.mjs'), lab.serverIp, '10.77.0.9'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        dnsd.stdout.once('data', () => resolve());
        dnsd.once('exit', (c) => reject(new Error(`dns-responder exited (${c})`)));
      });
      const m = await measureIn(lab, ['dns', 'example.org', '--server', lab.serverIp, '-c', '10', '-i', '100'], 'b');
      const r = m.records[0]!;
      expect(r).toMatchObject({ net_iface: 'qplb', target_ip: '10.77.0.9' });
      expect(m.a).toMatchObject({ out: 0, in: 0 });
      // Loss exact against B's drops, as for icmp and stamp (one try per query: a drop is a lost query).
      expect((r.sent as number) - (r.received as number)).toBe(m.b.upDropped + m.b.downDropped);
      const truth = heldRtt(m, 17);
      console.info(`link-uplinks dns over b: dns_ms ${String(r.dns_ms)} ms, delayer ${truth.toFixed(3)} ms`);
      // A DNS time includes the server's own (here a Node responder in the server namespace: 1-2 ms on this 2-CPU
      // machine, measured 2.04 ms over the delayer's hold on an idle host), which no delayer log holds: the bar adds 3 ms.
      skipIfBusy(ctx, load.stop(), RTT_BAR);
      expect((r.dns_ms as number) - truth).toBeGreaterThanOrEqual(-bar(truth));
      expect((r.dns_ms as number) - truth).toBeLessThanOrEqual(bar(truth) + 3);
    } finally {
      dnsd.kill('SIGTERM');
    }
  }, 60_000);

  it('--trace-on-failure after a lossy test over B traces over B: nothing on A', async () => {
    lab.clearEchoes('b');
    const m = await measureIn(lab, ['ping', lab.serverIp, '-c', '60', '-i', '20', '--trace-on-failure', '2'], 'b');
    const r = m.records[0]!;
    expect(m.a).toMatchObject({ out: 0, in: 0 });
    // 5 % each way over 60 packets: some loss but for a chance of 0.2 % (0.9025^60); then the trace ran, over B.
    if ((r.loss_percent as number) > 0) {
      // The target is 2 hops away (B's router, the server), but B's drops may take both of a hop's 2 probes (about
      // 1 %): the target then answers a higher TTL first, and that is its hop count. The truth is the client's nft
      // log of the trace's echoes (TTL up to 30; ping's leave with 64): the lowest TTL whose request got its reply.
      const { requests, replies } = lab.echoes('b');
      const answered = new Set(replies.map((e) => `${e.id}.${e.seq}`));
      const probes = requests.filter((e) => e.ttl! <= 30);
      expect(probes.filter((e) => e.ttl === 2)).toHaveLength(2);
      const firstAnsweredTtl = Math.min(...probes.filter((e) => answered.has(`${e.id}.${e.seq}`)).map((e) => e.ttl!));
      expect(r).toMatchObject({ trace_tool: 'traceroute', trace_hops: firstAnsweredTtl });
      // Hop 1, B's router, answers time-exceeded, never an echo: no trace can count fewer hops than the server's 2.
      expect(firstAnsweredTtl).toBeGreaterThanOrEqual(2);
    }
  }, 60_000);

  it('interfaces: [qpla, qplb] in one run: both sets of records, each with its own link, gateway and gateway figures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpl-links-'));
    try {
      const config = join(dir, 'qosprobe.yaml');
      writeFileSync(
        config,
        [
          'location: { code: "32.73" }',
          'interfaces: [qpla, qplb]',
          'endpoints:',
          `  - { name: srv, host: ${lab.serverIp}, tests: [{ kind: tcp, port: 8080, count: 5, interval_ms: 50 }, { kind: stamp, port: 8862, count: 20, interval_ms: 20 }] }`,
          '',
        ].join('\n'),
      );
      // The gateway pings on: each link's own gateway, through that link (both are this lab's routers).
      const m = await measureIn(lab, ['run', '-C', config], null, ['QOSPROBE_GATEWAY_PING=1']);
      expect(m.records.map((r) => `${String(r.test)}@${String(r.net_iface)}`)).toEqual(['tcp@qpla', 'stamp@qpla', 'tcp@qplb', 'stamp@qplb']);
      for (const r of m.records) {
        const l = r.net_iface === 'qpla' ? lab.links.a : lab.links.b;
        expect(r).toMatchObject({ status: 'ok', gateway: l.gateway, net_ip: l.clientIp });
        expect(r.gateway_rtt_ms).not.toBeNull();
        // The routers answer their own pings at once: the gateway figure is the first hop, not the path's delay.
        expect(r.gateway_rtt_ms as number).toBeLessThan(5);
      }
      const tcpA = m.records[0]!.rtt_median_ms as number;
      const tcpB = m.records[2]!.rtt_median_ms as number;
      expect(tcpB - tcpA).toBeGreaterThan(25);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a link that is down gives error records for it alone; the other goes on', async () => {
    lab.setUp('b', false);
    try {
      const m = await measureIn(lab, ['tcp', `${lab.serverIp}:8080`, '-c', '3', '-i', '50', '--interface', 'qpla,qplb'], null);
      const byLink = Object.fromEntries(m.records.map((r) => [r.net_iface, r]));
      expect(byLink.qpla).toMatchObject({ status: 'ok', received: 3 });
      expect(byLink.qplb).toMatchObject({ status: 'error', error_code: 'NETWORK_UNREACHABLE', received: 0 });
      const s = await measureIn(lab, ['stamp', `${lab.serverIp}:8862`, '-c', '5', '-i', '20'], 'b');
      expect(s.records[0]).toMatchObject({ status: 'error', error_code: 'NETWORK_UNREACHABLE' });
      const i = await measureIn(lab, ['ping', lab.serverIp, '-c', '2', '-i', '200'], 'b');
      expect(i.records[0]).toMatchObject({ status: 'error', net_iface: 'qplb' });
      for (const x of [s, i]) expect(x.a).toMatchObject({ out: 0, in: 0 });
    } finally {
      lab.setUp('b', true);
    }
  }, 60_000);
});

describe.skipIf(why !== null)('two uplinks: throughput over the shaped link (netns, root)', () => {
  let lab: UplinkLab;
  const RATE_MBIT = 8;
  beforeAll(async () => {
    lab = await createUplinkLab(IDX_THROUGHPUT, { a: { delayMs: 0 }, b: { delayMs: 0, rateMbit: RATE_MBIT } }, [process.execPath, BIN]);
  }, 60_000);
  afterAll(async () => {
    await lab?.close();
  });

  for (const kind of ['download', 'upload'] as const) {
    it(`${kind} over B: within 7 % of B’s ${RATE_MBIT} Mbit/s, nothing on A; over A: faster than B`, async (ctx) => {
      const url = kind === 'download' ? `http://${lab.serverIp}:8080/down?bytes={bytes}` : `http://${lab.serverIp}:8080/up`;
      // The rate is a timing bar (sender and receiver are processes of this host): it skips when the host is busy,
      // after every other assertion of the case (an upload read 7.13 % off beside six other files on 2 CPUs).
      const load = caseLoad();
      const m = await measureIn(lab, [kind, url, '--duration', '6', '--streams', '4'], 'b');
      const loadOverB = load.stop();
      const r = m.records[0]!;
      expect(r).toMatchObject({ status: 'ok', net_iface: 'qplb' });
      // Nothing on A but the kernel's resets of segments that arrive after a cut transfer's socket is gone: Linux
      // routes those by the main table, without the device (tcp_v4_send_reset: "all binding information is lost").
      // They carry no data and B's source address (docs/failures.md); nothing comes back on A.
      expect(m.a.in).toBe(0);
      expect(m.a.out).toBe(m.a.outRst);
      const bps = r.throughput_bps as number;
      console.info(`link-uplinks ${kind} over b: ${(bps / 1e6).toFixed(2)} Mbit/s against ${RATE_MBIT}`);
      // The cut transfer's sockets still drain what they had queued, through B's shaper (orphaned sockets send their
      // buffer out): wait until B is quiet, so what follows counts the test over A alone.
      await settle(lab, 'b');
      const overA = await measureIn(lab, [kind, url, '--duration', '2', '--streams', '4'], 'a');
      expect(overA.b.out).toBe(overA.b.outRst);
      expect(overA.records[0]!.throughput_bps as number).toBeGreaterThan(2 * RATE_MBIT * 1e6);
      skipIfBusy(ctx, loadOverB, `B's rate within 7 %`);
      expect(Math.abs(bps - RATE_MBIT * 1e6) / (RATE_MBIT * 1e6)).toBeLessThan(0.07);
    }, 90_000);
  }
});
