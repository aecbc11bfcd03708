/**
 * RTT against ground truth under injected delay (issue 9): a delay lab (test/helpers/delaylab.ts: iptables NFQUEUE
 * + a delayer that logs what it held each packet) between the probe and `qosprobe serve`, at round trips of 0, 10,
 * 50 and 300 ms (half each way). Truth is the round trip on the client's wire (tcpdump on its veth: request out →
 * reply in), which contains every delay as really applied; the delayer's log must agree with it. Bar: the issue's
 * max(0.2 ms, 1 %) for icmp and tcp (both timed by the kernel); stamp is held to what Node can do (below).
 * QOSPROBE_ACCURACY=full runs 3 runs of 50 packets per case instead of 1 of 20 (the default keeps the file near 60 s).
 * Root only; skips where the lab can't be built (no iptables, not root, CLI not built).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, builtCliAvailable } from '../helpers/cli.js';
import { hostLoad, skipEachWhenBusy } from '../helpers/host-load.js';
import { startCapture, stopCapture, tcpdumpUnavailable } from '../helpers/capture.js';
import { nativeUdp, nativeUdpUnavailable } from '../../src/stamp/native.js';
import { createDelayLab, delayLabUnavailable, realtimeUnavailable, type Applied, type DelayLab } from '../helpers/delaylab.js';
import { labIndexes } from '../helpers/resources.js';

// Timing bars: each case skips, saying what was measured, on a host too busy to hold them (helpers/host-load.ts).
skipEachWhenBusy('the RTT bars against the delayer');

const FULL = process.env.QOSPROBE_ACCURACY === 'full';
const RUNS = FULL ? 3 : 1;
const why = delayLabUnavailable() ?? (builtCliAvailable() ? null : 'dist/ is not built (npx tsc -p tsconfig.json)');
const skipWhy = why ?? tcpdumpUnavailable();
const skip = skipWhy !== null;
if (skip) console.warn(`accuracy-delay: skipped: ${skipWhy}`);

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const h = (v.length - 1) / 2;
  return ((v[Math.floor(h)] as number) + (v[Math.ceil(h)] as number)) / 2;
};

// A timing bar means something only on a host that is not oversubscribed (helpers/host-load.ts: other work keeping over half the CPUs busy), where a
// process waits for a CPU between the wire and its clock, so the bar is then loosened to 1 ms (still catching a method
// that is wrong, not just a busy host). The kernel-timed methods (icmp, tcp) don't need that, but the delayer and tcpdump
// (whose timestamps are the truth) are processes too.
const load = hostLoad();
const busy = load.busy;
if (busy) console.warn(`accuracy-delay: ${load.what}: RTT bar loosened to 1 ms`);
// The bar, max(0.2 ms, 1 %), with QOSPROBE_ACCURACY=full on a quiet host; npm test holds 1 ms, because a shared
// VM's noise varies by the hour (one CI run read download's kernel-timed idle RTT 0.25 ms off the wire). The method
// itself is held exactly: the records must say rtt_timestamping kernel.
const bar = (truthMs: number) => Math.max(busy || !FULL ? 1 : 0.2, truthMs * 0.01);
// stamp with the native socket (kernel_rx: the kernel stamps each arrival, C each send right before the system call,
// at both ends) is held to the same bar as icmp and tcp. Without it (event_loop: both ends timed in JavaScript, where
// the native addon is not built) the part of the reflector's hold outside its own (b − a) stays in: through the lab
// that read 0.26–0.74 ms above the network round trip, +1.32 ms once on a noisy CI host (docs/metrics.md
// "RTT accuracy"), so that fallback is held to what catches a wrong method.
const STAMP_TIMESTAMPING = nativeUdp() ? 'kernel_rx' : 'event_loop';
if (process.env.QOSPROBE_REQUIRE_NATIVE === '1' && STAMP_TIMESTAMPING !== 'kernel_rx') throw new Error(`accuracy-delay: the native UDP addon is required here: ${nativeUdpUnavailable()}`);
const stampBar = (truthMs: number) => (STAMP_TIMESTAMPING === 'kernel_rx' ? bar(truthMs) : FULL ? Math.max(busy ? 1.5 : 1, truthMs * 0.01) : Math.max(3, truthMs * 0.02));

type PairOf = (line: string) => { key: string; req: boolean } | null;

// One lab index per case, reserved per run (helpers/resources.ts).
const IDX = labIndexes(4);
const CASES = [
  { rttMs: 0, idx: IDX[0]!, count: 20, intervalMs: 30 },
  { rttMs: 10, idx: IDX[1]!, count: 20, intervalMs: 40 },
  { rttMs: 50, idx: IDX[2]!, count: 20, intervalMs: 60 },
  // Few packets at 300 ms: they overlap (interval < RTT), as a real ping's do.
  { rttMs: 300, idx: IDX[3]!, count: 8, intervalMs: 100 },
] as const;

for (const c of CASES) {
  describe.skipIf(skip)(`RTT through the delay lab, ${c.rttMs} ms round trip`, () => {
    let lab: DelayLab;
    let server: ChildProcess;
    let dir: string;
    /** Set when this kernel can't run the lab (no NFQUEUE target): the tests then skip, saying so. */
    let labError: string | null = null;
    const count = FULL ? 50 : c.count;
    beforeAll(async () => {
      try {
        lab = await createDelayLab(c.idx, { delayMs: c.rttMs / 2, realtime: realtimeUnavailable() === null });
      } catch (err) {
        labError = err instanceof Error ? err.message : String(err);
        console.warn(`accuracy-delay: skipped: the delay lab could not be built: ${labError}`);
        return;
      }
      dir = mkdtempSync(join(tmpdir(), 'qosprobe-delay-'));
      server = spawn('ip', ['netns', 'exec', lab.pair.server, process.execPath, BIN, 'serve', '--host', lab.pair.serverIp, '--stamp-port', '8862', '--http-port', '8080', '-q'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1500));
    }, 20_000);
    afterAll(async () => {
      server?.kill('SIGTERM');
      await lab?.close();
      if (dir && !process.env.KEEP_PCAP) rmSync(dir, { recursive: true, force: true });
    });

    /** Run a qosprobe command in the client namespace under tcpdump; its record and the wire's round trips. */
    async function measure(args: string[], pairOf: PairOf) {
      const pcap = join(dir, `${args[0]}.pcap`);
      if (process.env.KEEP_PCAP) console.info(`pcap ${pcap}`);
      const cap = await startCapture(lab.pair.client, `qp${c.idx}c`, pcap);
      const before = lab.log();
      const out = execFileSync('ip', ['netns', 'exec', lab.pair.client, process.execPath, BIN, ...args, '-q', '-f', 'ndjson', '--no-host-info'], { encoding: 'utf8', timeout: 30_000 });
      await new Promise((r) => setTimeout(r, 300));
      const after = lab.log();
      await stopCapture(cap);
      const record = JSON.parse(out.trim()) as Record<string, number | string | null>;
      const open = new Map<string, number[]>();
      const wire: number[] = [];
      for (const l of execFileSync('tcpdump', ['-r', pcap, '-n', '-tt', '-nn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
        const p = pairOf(l);
        if (!p) continue;
        const t = Number(l.slice(0, l.indexOf(' '))) * 1000;
        if (p.req) open.set(p.key, [...(open.get(p.key) ?? []), t]);
        else {
          const sent = open.get(p.key)?.shift();
          if (sent !== undefined) wire.push(t - sent);
        }
      }
      const slice = (a: Applied[], b: Applied[]) => b.slice(a.length);
      return { record, wire, up: slice(before.up, after.up), down: slice(before.down, after.down) };
    }

    /** RUNS runs: the median over runs of (tool's median − the wire's median), so one unlucky run is not the verdict. */
    async function biasOf(args: string[], pairOf: PairOf) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(args, pairOf));
      const truth = median(runs.map((m) => median(m.wire)));
      const bias = median(runs.map((m) => (m.record.rtt_median_ms as number) - median(m.wire)));
      console.info(`accuracy-delay ${c.rttMs} ms ${args[0]}: client wire ${truth.toFixed(3)} ms, bias vs wire ${bias >= 0 ? '+' : ''}${bias.toFixed(3)} ms`);
      return { runs, truth, bias };
    }

    const synPair = (clientIp: string): PairOf => {
      const ip = clientIp.replaceAll('.', '\\.');
      const syn = new RegExp(`${ip}\\.(\\d+) > .*Flags \\[S\\],`);
      const ack = new RegExp(`> ${ip}\\.(\\d+): Flags \\[S\\.\\],`);
      return (l) => {
        const s = syn.exec(l);
        if (s) return { key: s[1] as string, req: true };
        const a = ack.exec(l);
        return a ? { key: a[1] as string, req: false } : null;
      };
    };

    it(`tcp: the kernel's handshake time, within max(0.2 ms, 1%) of the wire, which the delayer log accounts for`, async (ctx) => {
      if (labError) return ctx.skip();
      const { runs, truth, bias } = await biasOf(['tcp', `${lab.pair.serverIp}:8080`, '-c', String(count), '-i', String(c.intervalMs)], synPair(lab.pair.clientIp));
      const m = runs[0]!;
      expect(runs.map((r) => r.record.received)).toEqual(runs.map(() => count));
      expect(runs.map((r) => r.record.rtt_timestamping)).toEqual(runs.map(() => 'kernel'));
      expect(m.wire.length).toBe(count);
      // The delayer held each SYN and SYN-ACK (IP length 60) half the round trip, give or take its own wake-up time; the
      // wire saw that (its log does not count the time before it reads a packet, so the wire is a bit more).
      const held = median(m.up.filter((a) => a.proto === 6 && a.len === 60).map((a) => a.appliedMs)) + median(m.down.filter((a) => a.proto === 6 && a.len === 60).map((a) => a.appliedMs));
      expect(held).toBeGreaterThanOrEqual(c.rttMs);
      // Its log is no finer than that: it reads a packet after a wake-up and stamps the release after the verdict
      // call, which re-injects the packet, returns. At 300 ms its timer is coarser too (CI: 1.27 ms off at 300 ms).
      expect(Math.abs(median(m.wire) - held)).toBeLessThan(busy || !FULL ? 5 : Math.max(1, held * 0.005));
      expect(Math.abs(bias)).toBeLessThanOrEqual(bar(truth));
    }, 60_000);

    it('icmp (system ping): within max(0.2 ms, 1%) of the wire', async (ctx) => {
      if (labError) return ctx.skip();
      const { runs, truth, bias } = await biasOf(['ping', lab.pair.serverIp, '-c', String(count), '-i', String(c.intervalMs)], (l) => {
        const q = /ICMP echo request, id (\d+), seq (\d+)/.exec(l);
        if (q) return { key: `${q[1]}/${q[2]}`, req: true };
        const r = /ICMP echo reply, id (\d+), seq (\d+)/.exec(l);
        return r ? { key: `${r[1]}/${r[2]}`, req: false } : null;
      });
      expect(runs.map((r) => r.record.received)).toEqual(runs.map(() => count));
      expect(truth).toBeGreaterThanOrEqual(c.rttMs);
      expect(Math.abs(bias)).toBeLessThanOrEqual(bar(truth));
    }, 60_000);

    it(`stamp (${STAMP_TIMESTAMPING}): within ${STAMP_TIMESTAMPING === 'kernel_rx' ? 'the icmp/tcp bar' : 'max(1 ms, 1%)'} of the network round trip`, async (ctx) => {
      if (labError) return ctx.skip();
      const { runs } = await biasOf(['stamp', `${lab.pair.serverIp}:8862`, '-c', String(count), '-i', String(c.intervalMs)], (l) => {
        const q = / > [\d.]+\.8862: UDP/.test(l);
        if (q) return { key: 'u', req: true };
        return /\.8862 > [\d.]+: UDP/.test(l) ? { key: 'u', req: false } : null;
      });
      expect(runs.map((r) => r.record.received)).toEqual(runs.map(() => count));
      expect(runs.map((r) => r.record.rtt_timestamping)).toEqual(runs.map(() => STAMP_TIMESTAMPING));
      // The client's wire RTT holds qosprobe serve's hold (the router's release of a request → the reply reaching it,
      // joined on the STAMP sequence number): the network's round trip is the wire's less that. The probe removes
      // what the reflector timestamped (b − a): with kernel_rx that is the hold but the send system call.
      const netOf = (m: (typeof runs)[number]) => {
        const up = new Map(m.up.filter((a) => a.proto === 17 && a.dport === 8862 && a.w0 !== undefined).map((a) => [a.w0, a]));
        const holds = m.down.flatMap((d) => {
          const u = d.proto === 17 && d.sport === 8862 ? up.get(d.w6) : undefined;
          return u ? [d.inMs - u.outMs] : [];
        });
        expect(holds.length).toBeGreaterThanOrEqual(count / 2);
        return { net: median(m.wire) - median(holds), hold: median(holds) };
      };
      const truth = median(runs.map((m) => netOf(m).net));
      const bias = median(runs.map((m) => (m.record.rtt_median_ms as number) - netOf(m).net));
      console.info(`accuracy-delay ${c.rttMs} ms stamp: network ${truth.toFixed(3)} ms (serve hold ${netOf(runs[0]!).hold.toFixed(3)} ms), bias ${bias >= 0 ? '+' : ''}${bias.toFixed(3)} ms`);
      expect(bias).toBeLessThanOrEqual(stampBar(truth));
      expect(bias).toBeGreaterThanOrEqual(-stampBar(truth));
    }, 60_000);

    // Issue 9: loaded latency by a method whose unloaded bias meets the RTT bar. download's idle RTT is the same
    // kernel-timed handshake as tcp's, so loaded − idle is the queue and nothing else. One RTT is enough for it.
    it.runIf(c.rttMs === 10)("download: idle_rtt_ms is the kernel's handshake time, within max(0.2 ms, 1%) of the wire", async (ctx) => {
      if (labError) return ctx.skip();
      const m = await measure(['download', `http://${lab.pair.serverIp}:8080/down?bytes={bytes}`, '-d', '1', '--streams', '1', '--bytes', '200000'], synPair(lab.pair.clientIp));
      expect(m.record.rtt_timestamping).toBe('kernel');
      // In order on the wire: the /ping request's connection, one uncounted handshake, then the 5 idle ones.
      const idle = m.wire.slice(2, 7);
      expect(idle).toHaveLength(5);
      const idleMs = m.record.idle_rtt_ms as number;
      console.info(`accuracy-delay ${c.rttMs} ms download idle: truth ${median(idle).toFixed(3)} ms, idle_rtt_ms ${idleMs.toFixed(3)} ms`);
      expect(Math.abs(idleMs - median(idle))).toBeLessThanOrEqual(bar(median(idle)));
    }, 60_000);
  });
}
