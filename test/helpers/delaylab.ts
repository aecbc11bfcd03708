/**
 * A delay lab (root only): client — router — server, three network namespaces; the router holds every packet
 * it forwards for a known delay, through iptables NFQUEUE and test/helpers/nfq-delay.py, which logs the delay it
 * applied to each packet. That log is the ground truth accuracy tests compare with (this kernel has no netem,
 * and ../shared/lab/delaylab is not in every checkout). Queue 0 holds what goes to the server (up), queue 1
 * what comes back (down).
 * Why a router and not the server's own INPUT chain: the kernel stamps a datagram's arrival (SO_TIMESTAMPNS,
 * what the native STAMP socket reads) as it enters the host, before INPUT, so a hold there would look like time
 * spent in the server, not on the path. On a router the delay is on the path, as in a real network.
 *
 * Loss (optional): an nftables `netdev` table on the server's veth drops `numgen random mod 100 < N` of
 * what comes in (ingress: up) and of what goes out (egress: down, after the delayer), each through a named
 * counter: the exact drop count is the truth loss tests compare with. Dropping at the device, not in the
 * INPUT/OUTPUT hooks, is a wire loss: a sender is never told (an OUTPUT drop fails its sendmsg with EPERM).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { deleteNamespaces, deleteRootLinks, isRoot, type NetnsPair } from './netns.js';

export interface Applied {
  /** IP protocol (1 ICMP, 6 TCP, 17 UDP) and IP total length of the packet. */
  proto: number;
  len: number;
  /** Delay held, ms (release − arrival in the delayer). */
  appliedMs: number;
  /** Arrival in and release from the delayer, ms on its monotonic clock (CLOCK_MONOTONIC). */
  inMs: number;
  outMs: number;
  /** UDP and TCP: ports. */
  sport?: number;
  dport?: number;
  /** UDP: payload words 0 and 6 (a STAMP sender packet's sequence number; the reflector's copy of it). */
  w0?: number;
  w6?: number;
  /** TCP: the flags byte (SYN 0x02, ACK 0x10). */
  flags?: number;
  /** ICMP: type (8 echo request, 0 echo reply), echo identifier and sequence number. */
  itype?: number;
  iid?: number;
  iseq?: number;
}

/**
 * Loss to apply: percent of packets dropped each way. `up`/`down`: nft match expressions narrowing what is
 * counted as seen and may be dropped; `upDropMatch`/`downDropMatch`: narrowing further what may be dropped.
 */
export interface LossSpec {
  upPercent: number;
  downPercent: number;
  up?: string;
  down?: string;
  upDropMatch?: string;
  downDropMatch?: string;
}

/** nft counters (packets) since the lab was built: seen at the veth and dropped there, each way. */
export interface LossCounters {
  upSeen: number;
  upDropped: number;
  downSeen: number;
  downDropped: number;
}

export interface DelayLab {
  pair: NetnsPair & { router: string };
  /** Everything logged so far per direction; slice between two calls to get one test's packets. */
  log(): { up: Applied[]; down: Applied[] };
  /** Replace the loss rules (the counters go on counting); `{ upPercent: 0, downPercent: 0 }` drops nothing. */
  setLoss(loss: LossSpec): void;
  /** The nft counters now; diff two snapshots to get one test's drops. */
  lossCounters(): LossCounters;
  close(): Promise<void>;
}

/** Why the lab can't be built here, or null when it can. */
export function delayLabUnavailable(): string | null {
  if (!isRoot) return 'the delay lab needs root (network namespaces, iptables)';
  for (const [cmd, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
    ['python3', ['--version']],
  ] as const) {
    try {
      execFileSync(cmd, [...args], { stdio: 'ignore' });
    } catch {
      return `${cmd} is not installed (apt-get install iptables python3)`;
    }
  }
  return null;
}

/** Per delayer, the callers waiting for its next sync line. */
const syncWaiters = new WeakMap<ChildProcess, (() => void)[]>();

/**
 * Resolves once the delayer has logged every packet it released before this call (its log reaches this process
 * through a pipe, a moment after the packet): it answers SIGUSR1 with a sync line after those packets' lines.
 */
export function syncDelayer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const waiters = syncWaiters.get(child) ?? [];
    syncWaiters.set(child, waiters);
    waiters.push(resolve);
    child.kill('SIGUSR1');
  });
}

export function startDelayer(ns: string, queue: number, delayMs: number, jitterMs: number, seed: number, into: Applied[], reorder = false, realtime = false): Promise<ChildProcess> {
  const args = [String(queue), String(delayMs), String(jitterMs), String(seed), ...(reorder ? ['reorder'] : [])];
  const child = spawn('ip', ['netns', 'exec', ns, ...(realtime ? DELAYER_REALTIME : []), 'python3', join(import.meta.dirname, 'nfq-delay.py'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (l) => {
      const j = JSON.parse(l) as { ready?: boolean; sync?: boolean; error?: string; proto?: number; len?: number; applied?: number; in?: number; out?: number } & Partial<Applied>;
      if (j.ready) return resolve(child);
      if (j.sync) return void syncWaiters.get(child)?.splice(0).forEach((w) => w());
      if (j.error) return reject(new Error(j.error));
      const a: Applied = { proto: j.proto!, len: j.len!, appliedMs: j.applied!, inMs: j.in!, outMs: j.out! };
      for (const k of ['sport', 'dport', 'w0', 'w6', 'flags', 'itype', 'iid', 'iseq'] as const) if (j[k] !== undefined) a[k] = j[k];
      into.push(a);
    });
    child.once('exit', (code) => {
      syncWaiters.get(child)?.splice(0).forEach((w) => w());
      reject(new Error(`nfq-delay.py exited (${code})`));
    });
  });
}

/**
 * A command prefix running a process at real-time priority (SCHED_FIFO 50), so that other processes on a busy
 * host do not delay its wake-ups: the delayer's holds (and a probe's timestamps) then stay precise to tens of
 * µs at a load of 10 on 2 CPUs, where at normal priority they are off by tens of ms.
 */
export const REALTIME = ['chrt', '-f', '50'];
/** The delayer above the processes it measures (REALTIME): a probe or reflector busy at real-time priority must not delay it. */
const DELAYER_REALTIME = ['chrt', '-f', '60'];

/** Why processes can't be run at real-time priority here, or null when they can. */
export function realtimeUnavailable(): string | null {
  try {
    execFileSync(REALTIME[0]!, [...REALTIME.slice(1), 'true'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'chrt -f (real-time priority) is not available (util-linux, CAP_SYS_NICE)';
  }
}

export interface DelayLabOptions {
  /** One-way delay, ms, each way. */
  delayMs: number;
  /** Plus uniform [0, jitterMs) per packet. */
  jitterMs?: number;
  seed?: number;
  /** Hold each packet independently (jitter larger than the spacing then reorders); default: FIFO, never reorders. */
  reorder?: boolean;
  /** Run the delayer at real-time priority (REALTIME): its holds stay precise on a busy host. */
  realtime?: boolean;
  /** false: no delayer at all (no NFQUEUE, nothing logged), e.g. for a loss test that needs only the nft counters. */
  delayer?: boolean;
  /** nft loss rules from the start (see setLoss); the counters exist whether or not this is given. */
  loss?: LossSpec;
}

const LOSS_TABLE = 'qplab';

/** The nft script for the loss table on `dev`: named counters, then the rules (seen, maybe dropped) per direction. */
export function lossRuleset(dev: string, loss: LossSpec): string {
  const rule = (dir: 'up' | 'down', percent: number, match: string | undefined, dropMatch: string | undefined) => {
    // A percent of 0 drops nothing (no rule); 100 drops all (mod 100 < 100 always holds).
    const drop = percent > 0 ? ` ${dropMatch ?? ''} numgen random mod 100 < ${Math.round(percent)} counter name "${dir}_drop" drop` : '';
    return `meta protocol ip ${match ?? ''} counter name "${dir}_seen"${drop}`;
  };
  return [
    `flush chain netdev ${LOSS_TABLE} up`,
    `flush chain netdev ${LOSS_TABLE} down`,
    `add rule netdev ${LOSS_TABLE} up ${rule('up', loss.upPercent, loss.up, loss.upDropMatch)}`,
    `add rule netdev ${LOSS_TABLE} down ${rule('down', loss.downPercent, loss.down, loss.downDropMatch)}`,
    '',
  ].join('\n');
}

/**
 * Client (10.77.idx.130) — router — server (10.77.idx.1): namespaces qp<idx>-c, qp<idx>-r, qp<idx>-s; the server's
 * device (where the loss table sits) is qp<idx>s, the router's qp<idx>rc (to the client) and qp<idx>rs (to the server).
 */
export function createRoutedPair(idx: number): NetnsPair & { router: string } {
  const [server, client, router] = [`qp${idx}-s`, `qp${idx}-c`, `qp${idx}-r`];
  const serverIp = `10.77.${idx}.1`;
  const clientIp = `10.77.${idx}.130`;
  const sh = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const teardown = () => deleteNamespaces([server, client, router]);
  teardown();
  deleteRootLinks([`qp${idx}s`, `qp${idx}rs`, `qp${idx}c`, `qp${idx}rc`]);
  try {
    for (const ns of [server, client, router]) sh(['netns', 'add', ns]);
    for (const [ns, dev, ip, rdev, rip] of [
      [server, `qp${idx}s`, serverIp, `qp${idx}rs`, `10.77.${idx}.126`],
      [client, `qp${idx}c`, clientIp, `qp${idx}rc`, `10.77.${idx}.129`],
    ] as const) {
      sh(['link', 'add', dev, 'type', 'veth', 'peer', 'name', rdev]);
      sh(['link', 'set', dev, 'netns', ns]);
      sh(['link', 'set', rdev, 'netns', router]);
      sh(['-n', ns, 'addr', 'add', `${ip}/25`, 'dev', dev]);
      sh(['-n', router, 'addr', 'add', `${rip}/25`, 'dev', rdev]);
      for (const [n, d] of [
        [ns, dev],
        [ns, 'lo'],
        [router, rdev],
      ] as const)
        sh(['-n', n, 'link', 'set', d, 'up']);
      sh(['-n', ns, 'route', 'add', 'default', 'via', rip]);
    }
    sh(['-n', router, 'link', 'set', 'lo', 'up']);
    sh(['netns', 'exec', router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  } catch (err) {
    teardown();
    throw err;
  }
  return {
    server,
    client,
    router,
    serverIp,
    clientIp,
    setRate: () => {
      throw new Error('the delay lab has no rate limit');
    },
    teardown,
  };
}

/** One-way delay `delayMs` + uniform [0, jitterMs) each way, held by the router of a routed pair `idx`. */
export async function createDelayLab(idx: number, o: DelayLabOptions): Promise<DelayLab> {
  const pair = createRoutedPair(idx);
  const dev = `qp${idx}s`;
  const up: Applied[] = [];
  const down: Applied[] = [];
  const delayers: ChildProcess[] = [];
  const nft = (script: string) => execFileSync('ip', ['netns', 'exec', pair.server, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
  // The loss table needs nft and a kernel with netdev egress hooks (5.16+). A lab for delay alone works without
  // them: then only setLoss/lossCounters fail, saying why.
  let lossError: string | null = null;
  try {
    nft(
      [
        `table netdev ${LOSS_TABLE} {`,
        ...['up_seen', 'up_drop', 'down_seen', 'down_drop'].map((c) => `  counter ${c} {}`),
        `  chain up { type filter hook ingress device "${dev}" priority 0; }`,
        `  chain down { type filter hook egress device "${dev}" priority 0; }`,
        '}',
        '',
      ].join('\n'),
    );
  } catch (err) {
    lossError = `the nft loss table could not be made (nft installed? netdev egress hook in this kernel?): ${String((err as { stderr?: unknown }).stderr ?? err)}`;
  }
  const setLoss = (loss: LossSpec) => {
    if (lossError) throw new Error(lossError);
    nft(lossRuleset(dev, loss));
  };
  try {
    if (o.loss) setLoss(o.loss);
    else if (!lossError) setLoss({ upPercent: 0, downPercent: 0 });
    if (o.delayer !== false) {
      // --queue-bypass: if the delayer is gone, packets pass instead of being dropped.
      execFileSync('ip', ['netns', 'exec', pair.router, 'iptables', '-A', 'FORWARD', '-i', `qp${idx}rc`, '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']);
      execFileSync('ip', ['netns', 'exec', pair.router, 'iptables', '-A', 'FORWARD', '-i', `qp${idx}rs`, '-j', 'NFQUEUE', '--queue-num', '1', '--queue-bypass']);
      delayers.push(await startDelayer(pair.router, 0, o.delayMs, o.jitterMs ?? 0, o.seed ?? 1, up, o.reorder, o.realtime));
      delayers.push(await startDelayer(pair.router, 1, o.delayMs, o.jitterMs ?? 0, (o.seed ?? 1) + 1, down, o.reorder, o.realtime));
    }
  } catch (err) {
    for (const d of delayers) d.kill('SIGKILL');
    pair.teardown();
    throw err;
  }
  return {
    pair,
    log: () => ({ up: [...up], down: [...down] }),
    setLoss,
    lossCounters() {
      if (lossError) throw new Error(lossError);
      const out = execFileSync('ip', ['netns', 'exec', pair.server, 'nft', '-j', 'list', 'counters', 'table', 'netdev', LOSS_TABLE], { encoding: 'utf8' });
      const packets = new Map<string, number>();
      for (const o of (JSON.parse(out) as { nftables: { counter?: { name: string; packets: number } }[] }).nftables) {
        if (o.counter) packets.set(o.counter.name, o.counter.packets);
      }
      const get = (name: string) => packets.get(name) ?? 0;
      return { upSeen: get('up_seen'), upDropped: get('up_drop'), downSeen: get('down_seen'), downDropped: get('down_drop') };
    },
    close: async () => {
      await Promise.all(
        delayers.map(
          (d) =>
            new Promise<void>((r) => {
              if (d.exitCode !== null) return r();
              d.once('exit', () => r());
              d.kill('SIGTERM');
            }),
        ),
      );
      pair.teardown();
    },
  };
}
