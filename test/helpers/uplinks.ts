/**
 * The two-uplink lab (issue 22, root only): a client with two links to two routers (two "operators"), both reaching one
 * server that runs `qosprobe serve`. The default route is on link A; link B has a default route too, of a higher metric
 * (as NetworkManager gives a second link), so only a test bound to B leaves through it.
 *
 *   client qpl<idx>-c: qpla 10.77.idx.2/26 ── qpl<idx>-ra (10.77.idx.1)  ── 10.77.idx.129/.130 ─┐
 *                      qplb 10.77.idx.66/26 ── qpl<idx>-rb (10.77.idx.65) ── 10.77.idx.161/.162 ─┴ server qpl<idx>-s,
 *                                                                                                  service 10.77.idx.250
 * Each router holds what it forwards for its link's one-way delay (the project's NFQUEUE delayer, delaylab.ts; this kernel
 * has no netem), and may drop a percent of non-TCP packets through named nft counters on its client-side device (the
 * truth of loss); B may be rate-limited (tc tbf, both ways). nft counters on the client's qpla and qplb count every IPv4
 * packet each way: a test over B must leave A's at 0; nft sets there keep the ICMP echoes each link sent and got back.
 * Namespaces qpl<idx>-*, idx 200-219 (issue 22's range) or one the run's allocator reserved (helpers/resources.ts labIndexes).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { startDelayer, lossRuleset, realtimeUnavailable, syncDelayer, type Applied, type LossSpec } from './delaylab.js';
import { deleteNamespaces } from './netns.js';
import { waitFor } from './wait.js';

export interface LinkTruth {
  /** One-way delay each way, ms. */
  delayMs: number;
  /** Percent of non-TCP packets dropped each way (TCP is left alone so transfers measure the rate). */
  lossPercent?: number;
  /** tbf rate both ways, Mbit/s. */
  rateMbit?: number;
  /** nft matches a packet must also meet to be dropped, each way (e.g. to spare the last packet of a STAMP test). */
  dropMatch?: { up: string; down: string };
}

/** An ICMP echo on the client's side of a link: requests as sent (with their TTL), replies as received. */
export interface Echo {
  ttl?: number;
  id: number;
  seq: number;
}

export interface LinkCounters {
  /** IPv4 packets the client sent (out) and received (in) on the link's device (multicast aside). */
  out: number;
  in: number;
  /** Of `out`, TCP resets. */
  outRst: number;
  /** The router's drops each way (the loss truth) and what it saw. */
  upSeen: number;
  upDropped: number;
  downSeen: number;
  downDropped: number;
}

export interface UplinkLab {
  client: string;
  server: string;
  /** The service address of `qosprobe serve`. */
  serverIp: string;
  links: Record<'a' | 'b', { dev: string; router: string; gateway: string; clientIp: string; log(): { up: Applied[]; down: Applied[] }; sync(): Promise<void> }>;
  counters(link: 'a' | 'b'): LinkCounters;
  /** The ICMP echoes the client sent and received on the link since clearEchoes (the truth of which probe was answered). */
  echoes(link: 'a' | 'b'): { requests: Echo[]; replies: Echo[] };
  clearEchoes(link: 'a' | 'b'): void;
  /** Take the client's side of a link down (or up again). */
  setUp(link: 'a' | 'b', up: boolean): void;
  close(): Promise<void>;
}

const TABLE = 'qplab';

export function uplinkNamespaces(idx: number): string[] {
  return [`qpl${idx}-c`, `qpl${idx}-ra`, `qpl${idx}-rb`, `qpl${idx}-s`];
}

/** Builds the lab and starts `serve` in the server (argv: the CLI to run, e.g. [node, bin/qosprobe.js]). */
export async function createUplinkLab(idx: number, truth: Record<'a' | 'b', LinkTruth>, serveArgv: string[]): Promise<UplinkLab> {
  // 10.77.idx.0/24 must be a subnet: an index from labIndexes (its lock keeps other suites off it) or issue 22's range.
  if (!Number.isInteger(idx) || idx < 1 || idx > 254) throw new Error('the uplink lab takes a namespace index from 1 to 254 (labIndexes, or 200-219)');
  const [client, ra, rb, server] = uplinkNamespaces(idx) as [string, string, string, string];
  const net = `10.77.${idx}`;
  const serverIp = `${net}.250`;
  const sh = (args: string[], input?: string) => execFileSync(args[0]!, args.slice(1), { input, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ip = (...args: string[]) => sh(['ip', ...args]);
  const nft = (ns: string, script: string) => sh(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], script);
  const children: ChildProcess[] = [];
  const logs = { a: { up: [] as Applied[], down: [] as Applied[] }, b: { up: [] as Applied[], down: [] as Applied[] } };
  const delayers: Record<'a' | 'b', ChildProcess[]> = { a: [], b: [] };
  const teardown = () => deleteNamespaces([client, ra, rb, server]);
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            c.once('exit', () => r());
            c.kill('SIGTERM');
          }),
      ),
    );
    teardown();
  };
  teardown();
  try {
    for (const ns of [client, ra, rb, server]) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      // Replies to B come from an address whose best route is A: strict reverse-path filtering would drop them
      // (a multi-homed host runs loose or none).
      for (const k of ['all', 'default']) sh(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv4.conf.${k}.rp_filter=0`]);
    }
    for (const r of [ra, rb]) sh(['ip', 'netns', 'exec', r, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    const veth = (ns1: string, d1: string, a1: string, ns2: string, d2: string, a2: string, prefix: number) => {
      ip('link', 'add', d1, 'netns', ns1, 'type', 'veth', 'peer', 'name', d2, 'netns', ns2);
      ip('-n', ns1, 'addr', 'add', `${a1}/${prefix}`, 'dev', d1);
      ip('-n', ns2, 'addr', 'add', `${a2}/${prefix}`, 'dev', d2);
      ip('-n', ns1, 'link', 'set', d1, 'up');
      ip('-n', ns2, 'link', 'set', d2, 'up');
    };
    veth(client, 'qpla', `${net}.2`, ra, 'qplrc', `${net}.1`, 26);
    veth(client, 'qplb', `${net}.66`, rb, 'qplrc', `${net}.65`, 26);
    veth(ra, 'qplrs', `${net}.130`, server, 'qplsa', `${net}.129`, 27);
    veth(rb, 'qplrs', `${net}.162`, server, 'qplsb', `${net}.161`, 27);
    ip('-n', server, 'addr', 'add', `${serverIp}/32`, 'dev', 'lo');
    ip('-n', server, 'route', 'add', `${net}.0/26`, 'via', `${net}.130`);
    ip('-n', server, 'route', 'add', `${net}.64/26`, 'via', `${net}.162`);
    ip('-n', ra, 'route', 'add', `${serverIp}/32`, 'via', `${net}.129`);
    ip('-n', rb, 'route', 'add', `${serverIp}/32`, 'via', `${net}.161`);
    ip('-n', client, 'route', 'add', 'default', 'via', `${net}.1`, 'dev', 'qpla', 'metric', '100');
    ip('-n', client, 'route', 'add', 'default', 'via', `${net}.65`, 'dev', 'qplb', 'metric', '200');

    // The client's counters: every IPv4 packet in and out of each link but multicast (IGMP reports a link sends by
    // itself when it comes up); and each ICMP echo request sent (TTL, id, sequence) and reply received (id, sequence):
    // which of a trace's probes came back, the truth a count cannot give.
    nft(
      client,
      [
        ...(['a', 'b'] as const).flatMap((l) => [
          `table netdev ${TABLE}${l} {`,
          '  counter in {}',
          '  counter out {}',
          '  counter out_rst {}',
          '  set echo_out { typeof ip ttl . icmp id . icmp sequence; flags dynamic; }',
          '  set echo_in { typeof icmp id . icmp sequence; flags dynamic; }',
          `  chain i { type filter hook ingress device "qpl${l}" priority 0; meta protocol ip ip saddr != 224.0.0.0/4 counter name "in"; meta protocol ip icmp type echo-reply add @echo_in { icmp id . icmp sequence }; }`,
          `  chain o { type filter hook egress device "qpl${l}" priority 0; meta protocol ip ip daddr != 224.0.0.0/4 counter name "out"; tcp flags & rst == rst counter name "out_rst"; meta protocol ip icmp type echo-request add @echo_out { ip ttl . icmp id . icmp sequence }; }`,
          '}',
        ]),
        '',
      ].join('\n'),
    );
    for (const [link, router] of [
      ['a', ra],
      ['b', rb],
    ] as const) {
      const t = truth[link];
      // Loss at the router's client-side device, through delaylab's ruleset (named counters: the truth).
      nft(
        router,
        [
          `table netdev ${TABLE} {`,
          ...['up_seen', 'up_drop', 'down_seen', 'down_drop'].map((c) => `  counter ${c} {}`),
          '  chain up { type filter hook ingress device "qplrc" priority 0; }',
          '  chain down { type filter hook egress device "qplrc" priority 0; }',
          '}',
          '',
        ].join('\n'),
      );
      const notTcp = 'meta l4proto != tcp';
      const loss: LossSpec = { upPercent: t.lossPercent ?? 0, downPercent: t.lossPercent ?? 0, up: notTcp, down: notTcp, upDropMatch: t.dropMatch?.up, downDropMatch: t.dropMatch?.down };
      nft(router, lossRuleset('qplrc', loss));
      if (t.rateMbit) {
        const burst = String(Math.max(65536, Math.round((t.rateMbit * 1e6 * 0.004) / 8)));
        for (const [ns, dev] of [
          [router, 'qplrc'],
          [client, `qpl${link}`],
        ] as const)
          sh(['tc', '-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${t.rateMbit}mbit`, 'burst', burst, 'latency', '50ms']);
      }
      // No delay: no delayer (the Python delayer stalls under a transfer's packet rate: rate tests use a lab without it).
      if (t.delayMs > 0) {
        sh(['ip', 'netns', 'exec', router, 'iptables', '-A', 'FORWARD', '-i', 'qplrc', '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']);
        sh(['ip', 'netns', 'exec', router, 'iptables', '-A', 'FORWARD', '-i', 'qplrs', '-j', 'NFQUEUE', '--queue-num', '1', '--queue-bypass']);
        // At real-time priority where chrt can (as accuracy-delay's): the log stamps a packet when the delayer reads
        // it, so a delayer waiting for a CPU behind the suite's other namespace files adds time no log line shows (CI:
        // stamp over A read 1.30 ms above the held round trip with the host not reading busy).
        const realtime = realtimeUnavailable() === null;
        delayers[link].push(await startDelayer(router, 0, t.delayMs, 0, 1, logs[link].up, false, realtime));
        delayers[link].push(await startDelayer(router, 1, t.delayMs, 0, 2, logs[link].down, false, realtime));
        children.push(...delayers[link]);
      }
    }
    const serve = spawn('ip', ['netns', 'exec', server, ...serveArgv, 'serve', '--host', serverIp, '--stamp-port', '8862', '--http-port', '8080', '--stateful', '--rate-limit', '100000', '--quiet'], {
      stdio: 'ignore',
    });
    children.push(serve);
    // Ready when its HTTP answers over A (the default route); polled from the client namespace (a failed fetch throws).
    await waitFor(
      () => {
        if (serve.exitCode !== null) return 'exited';
        sh(['ip', 'netns', 'exec', client, process.execPath, '-e', `fetch("http://${serverIp}:8080/health").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`]);
        return 'ready';
      },
      `qosprobe serve to answer in ${server}`,
      20_000,
      200,
    ).then((s) => {
      if (s === 'exited') throw new Error(`qosprobe serve exited in ${server}`);
    });
    // The readiness check's connection closes over A (held by A's delayer): before anyone counts, it must have sent
    // its last packet, i.e. be gone or in TIME-WAIT (which sends nothing).
    const closing = ['established', 'syn-sent', 'fin-wait-1', 'fin-wait-2', 'close-wait', 'last-ack', 'closing'].flatMap((s) => ['state', s]);
    await waitFor(() => sh(['ip', 'netns', 'exec', client, 'ss', '-Htn', ...closing, 'dst', serverIp]).trim() === '', 'the readiness check\'s connection to close', 20_000, 20);
  } catch (err) {
    await stop();
    throw err;
  }
  const counterValues = (ns: string, table: string) => {
    const out = sh(['ip', 'netns', 'exec', ns, 'nft', '-j', 'list', 'counters', 'table', 'netdev', table]);
    const m = new Map<string, number>();
    for (const o of (JSON.parse(out) as { nftables: { counter?: { name: string; packets: number } }[] }).nftables) if (o.counter) m.set(o.counter.name, o.counter.packets);
    return (k: string) => m.get(k) ?? 0;
  };
  const setElements = (l: 'a' | 'b', set: string): number[][] => {
    const out = sh(['ip', 'netns', 'exec', client, 'nft', '-j', 'list', 'set', 'netdev', `${TABLE}${l}`, set]);
    type Elem = { concat: number[] } | { elem: { val: { concat: number[] } } };
    const s = (JSON.parse(out) as { nftables: { set?: { elem?: Elem[] } }[] }).nftables.find((o) => o.set)?.set;
    return (s?.elem ?? []).map((e) => ('concat' in e ? e.concat : e.elem.val.concat));
  };
  const link = (l: 'a' | 'b', router: string, gw: string, cip: string) => ({
    dev: `qpl${l}`,
    router,
    gateway: gw,
    clientIp: cip,
    log: () => ({ up: [...logs[l].up], down: [...logs[l].down] }),
    sync: async () => void (await Promise.all(delayers[l].map(syncDelayer))),
  });
  return {
    client,
    server,
    serverIp,
    links: { a: link('a', ra, `${net}.1`, `${net}.2`), b: link('b', rb, `${net}.65`, `${net}.66`) },
    counters(l) {
      const c = counterValues(client, `${TABLE}${l}`);
      const r = counterValues(l === 'a' ? ra : rb, TABLE);
      return { out: c('out'), in: c('in'), outRst: c('out_rst'), upSeen: r('up_seen'), upDropped: r('up_drop'), downSeen: r('down_seen'), downDropped: r('down_drop') };
    },
    echoes(l) {
      return {
        requests: setElements(l, 'echo_out').map(([ttl, id, seq]) => ({ ttl: ttl!, id: id!, seq: seq! })),
        replies: setElements(l, 'echo_in').map(([id, seq]) => ({ id: id!, seq: seq! })),
      };
    },
    clearEchoes(l) {
      for (const set of ['echo_out', 'echo_in']) sh(['ip', 'netns', 'exec', client, 'nft', 'flush', 'set', 'netdev', `${TABLE}${l}`, set]);
    },
    setUp(l, up) {
      ip('-n', client, 'link', 'set', `qpl${l}`, up ? 'up' : 'down');
      // A link that went down lost its routes: back up, it gets its default route again.
      if (up) ip('-n', client, 'route', 'replace', 'default', 'via', l === 'a' ? `${net}.1` : `${net}.65`, 'dev', `qpl${l}`, 'metric', l === 'a' ? '100' : '200');
    },
    close: stop,
  };
}
