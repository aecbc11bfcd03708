/**
 * `qosprobe trace` through a chain of namespaces, client → r1 → r2 → r3 → server (root only):
 * loss injected on r2 with nft, counted by named counters (the truth), and an ICMP rate limit
 * on r1 alone, and delays at r2 and r3 through the project's NFQUEUE delayer (helpers/delaylab.ts:
 * this kernel has no netem and ../shared/lab/delaylab is not in this checkout).
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, builtCliAvailable, ndjson } from '../helpers/cli.js';
import { delayLabUnavailable, startDelayer, type Applied } from '../helpers/delaylab.js';
import { isRoot } from '../helpers/netns.js';
import { counterPackets, createTraceLab, labTools, type TraceLab } from '../helpers/trace-lab.js';
import { labIndexes } from '../helpers/resources.js';

const missing = !isRoot ? 'not root (network namespaces and nft need it)' : (labTools() ?? (builtCliAvailable() ? null : 'dist/ is missing: run npm run build'));

function traceInClient(lab: TraceLab, args: string[]): Promise<Record<string, unknown>[]> {
  return qosprobeIn(lab.ns.client, ['trace', ...args, '--no-host-info']);
}

function qosprobeIn(ns: string, args: string[]): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, process.execPath, BIN, ...args, '-f', 'ndjson', '-q'],
      // The gateway inside these namespaces is the lab's r1: pinging it is allowed here.
      { timeout: 20_000, env: { ...process.env, NO_COLOR: '1', QOSPROBE_GATEWAY_PING: '1' } },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(ndjson(stdout))),
    );
  });
}

describe.skipIf(missing !== null)(`trace through a chain of three routers (netns, root)${missing ? `: skipped, ${missing}` : ''}`, () => {
  let lab: TraceLab;
  beforeAll(() => {
    // Four subnets from base, reserved per run (helpers/resources.ts); the namespaces are named after base.
    const [base] = labIndexes(4);
    lab = createTraceLab(`qp${base!}`, base!);
  });
  afterAll(() => lab?.teardown());
  beforeEach(() => {
    for (const ns of [lab.ns.r1, lab.ns.r2]) {
      try {
        lab.exec(ns, 'nft', ['delete', 'table', 'ip', 'tracelab']);
      } catch {
        /* none yet */
      }
    }
  });

  it('20% loss on the way into r2: loss begins at hop 2, per-hop loss equals the nft counters', async () => {
    // A probe for hop k reaches r2 with TTL k − 1 (r1 decremented it): one counter per hop.
    const dev = lab.r2InDev;
    // Every 5th probe of each hop (numgen inc counts per rule), not 20 % at random: with random draws the hops after 2
    // now and then lost few enough that hop 2 rightly read as rate limiting (two suites at once), a chance outcome.
    const rule = (ttl: string, name: string) => `    iifname "${dev}" ip ttl ${ttl} numgen inc mod 5 == 0 counter name "${name}" drop`;
    lab.nft(
      lab.ns.r2,
      [
        'table ip tracelab {',
        '  counter h2 {}',
        '  counter h3 {}',
        '  counter h4 {}',
        '  counter beyond {}',
        '  chain pre {',
        '    type filter hook prerouting priority 0; policy accept;',
        rule('1', 'h2'),
        rule('2', 'h3'),
        rule('3', 'h4'),
        rule('> 3', 'beyond'),
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const rounds = 50;
    const records = await traceInClient(lab, [lab.serverIp, '--count', String(rounds), '--interval', '50', '--timeout', '1000']);
    const [trace, ...hops] = records;
    expect(trace).toMatchObject({ test: 'trace', hop: null, status: 'ok', trace_hops: 4, trace_loss_hop: 2, trace_tool: 'mtr' });
    expect(hops.map((h) => h.hop_address)).toEqual(lab.hopIps);
    expect(hops[0]).toMatchObject({ sent: rounds, received: rounds, loss_percent: 0 });
    const truth = ['h2', 'h3', 'h4'].map((c) => counterPackets(lab, lab.ns.r2, 'tracelab', c));
    const lost = hops.slice(1).map((h) => (h.sent as number) - (h.received as number));
    // The counters count exactly the probes dropped: mtr must see exactly those as lost (±1 for a
    // probe of mtr's first round past the target, counted under another TTL).
    lost.forEach((l, i) => expect(Math.abs(l - truth[i]!)).toBeLessThanOrEqual(1));
    expect(truth.every((t) => t > 0)).toBe(true);
    expect(hops.map((h) => h.hop_note)).toEqual([null, null, null, null]);
  });

  it('ICMP rate limit on r1 alone: hop 1 reported as rate limiting, not as path loss', async () => {
    lab.nft(
      lab.ns.r1,
      [
        'table ip tracelab {',
        '  counter limited {}',
        '  chain out {',
        '    type filter hook output priority 0; policy accept;',
        '    icmp type time-exceeded limit rate over 2/second burst 2 packets counter name "limited" drop',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const rounds = 30;
    const [trace, ...hops] = await traceInClient(lab, [lab.serverIp, '--count', String(rounds), '--interval', '50', '--timeout', '1000']);
    const limited = counterPackets(lab, lab.ns.r1, 'tracelab', 'limited');
    expect(limited).toBeGreaterThan(rounds / 2);
    expect(hops[0]).toMatchObject({ hop: 1, hop_note: 'icmp_rate_limit_suspected' });
    expect((hops[0]!.sent as number) - (hops[0]!.received as number)).toBe(limited);
    expect(hops.slice(1).map((h) => h.loss_percent)).toEqual([0, 0, 0]);
    expect(trace).toMatchObject({ trace_loss_hop: null, loss_percent: 0, status: 'ok' });
  });

  it('--trace-on-failure: a ping that loses packets carries where the trace taken then says loss begins (hop 2)', async () => {
    lab.nft(
      lab.ns.r2,
      ['table ip tracelab {', '  chain pre {', '    type filter hook prerouting priority 0; policy accept;', `    iifname "${lab.r2InDev}" numgen random mod 100 < 50 drop`, '  }', '}', ''].join('\n'),
    );
    const [rec] = await qosprobeIn(lab.ns.client, ['ping', lab.serverIp, '--count', '10', '--interval', '100', '--trace-on-failure', '20', '--no-host-info']);
    // 50% on every hop from 2 on: 20 rounds without a loss at some hop has odds 3 × 0.5^20.
    expect(rec).toMatchObject({ test: 'icmp', trace_loss_hop: 2, trace_hops: 4, trace_tool: 'mtr' });
    expect(rec!.loss_percent as number).toBeGreaterThan(0);
  });

  it('the first hop on every record: gateway RTT and loss, the loss equal to what nft dropped on r1', async () => {
    lab.nft(
      lab.ns.r1,
      [
        'table ip tracelab {',
        '  counter gw {}',
        '  chain in {',
        '    type filter hook input priority 0; policy accept;',
        `    ip daddr ${lab.gatewayIp} icmp type echo-request numgen random mod 100 < 40 counter name "gw" drop`,
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    // The gateway's 5 pings go on at most a second after the test (runner.ts ALONGSIDE_WAIT_MS), and a ping still in
    // flight then is left out, rightly. A 3-packet test left that second too short under two suites at once (the 5th
    // echo dropped by r1 but not yet timed out: 75 % where nft dropped 4 of 5): 2 s of test leave the last one its 1 s.
    const [rec] = await qosprobeIn(lab.ns.client, ['ping', lab.serverIp, '--count', '9', '--interval', '250']);
    const dropped = counterPackets(lab, lab.ns.r1, 'tracelab', 'gw');
    expect(rec).toMatchObject({ test: 'icmp', status: 'ok', gateway: lab.gatewayIp, gateway_loss_percent: (100 * dropped) / 5, loss_percent: 0 });
    if (dropped < 5) expect(rec!.gateway_rtt_ms).toEqual(expect.any(Number));
  });

  it('delays injected at r2 (20 ms) and r3 (40 ms), logged as applied: hop RTTs ordered and stepped as injected, delay begins at hop 2', async () => {
    const missingDelay = delayLabUnavailable();
    if (missingDelay) return void console.warn(`skipped: ${missingDelay}`);
    // Each router holds what arrives from the client side before routing (before the TTL expires), so
    // hop 2's probes and everything beyond wait at r2, hop 3's and beyond at r3 too.
    const applied: { r2: Applied[]; r3: Applied[] } = { r2: [], r3: [] };
    const delayers: ChildProcess[] = [];
    const setups = [
      [lab.ns.r2, lab.r2InDev, 20, applied.r2],
      [lab.ns.r3, lab.r3InDev, 40, applied.r3],
    ] as const;
    try {
      for (const [ns, dev, ms, log] of setups) {
        lab.exec(ns, 'iptables', ['-t', 'mangle', '-A', 'PREROUTING', '-i', dev, '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']);
        delayers.push(await startDelayer(ns, 0, ms, 0, 7, log));
      }
      const [trace, ...hops] = await traceInClient(lab, [lab.serverIp, '--count', '10', '--interval', '100', '--timeout', '1000']);
      const med = hops.map((h) => h.rtt_median_ms as number);
      const truth = (xs: Applied[]) => [...xs.map((a) => a.appliedMs)].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      expect(med[0]!).toBeLessThan(med[1]!);
      expect(med[1]!).toBeLessThan(med[2]!);
      // The steps between hops are the delays the routers applied (their logs), within a few ms of host time.
      expect(Math.abs(med[1]! - med[0]! - truth(applied.r2))).toBeLessThan(8);
      expect(Math.abs(med[2]! - med[1]! - truth(applied.r3))).toBeLessThan(8);
      expect(trace).toMatchObject({ trace_delay_hop: 2, trace_loss_hop: null });
    } finally {
      for (const d of delayers) d.kill('SIGTERM');
      for (const [ns] of setups) lab.exec(ns, 'iptables', ['-t', 'mangle', '-F']);
    }
  });

  it('no gateway known (a namespace with only loopback): gateway columns null, never 0', async () => {
    // Named after the lab's own index (qp<idx>-x), not a fixed 'trace-x' that two suites at once made and deleted in turn.
    const ns = lab.ns.client.replace(/-c$/, '-x');
    try {
      lab.exec(ns, 'true', []);
    } catch {
      execFileSync('ip', ['netns', 'add', ns]);
    }
    try {
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const [rec] = await qosprobeIn(ns, ['ping', '127.0.0.1', '--count', '2', '--interval', '200']);
      expect(rec).toMatchObject({ status: 'ok', gateway: null, gateway_rtt_ms: null, gateway_loss_percent: null });
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
