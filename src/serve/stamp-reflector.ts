/**
 * STAMP session-reflector (RFC 8762 §4.3, unauthenticated; answers TWAMP-Light senders that
 * pad to 44 bytes). Safe to expose (limits and the guarantee: docs/serve.md):
 * - a reply is exactly as long as its request and requests under 44 bytes get none, so the
 *   reflector never amplifies; bogus sources (port 0, multicast, broadcast, itself) get none;
 * - a datagram that is itself a reflection (its receive timestamp set) gets none, whatever its source:
 *   two reflectors can't be made to bounce a spoofed packet between them;
 * - a token bucket per source (IPv4 address, IPv6 /64) caps the packet rate, and is checked
 *   before any other state is created, so a source over its budget costs nothing but a lookup;
 * - sessions are bounded per source (a source opening more replaces its own) and in all, and
 *   every table replaces its least recently active entry when full: a full table never locks
 *   a newcomer out. So a sender within its budget keeps being answered whatever others send,
 *   up to the CPU limit (spoofed sources each get their own bucket: this is no DDoS shield);
 * - session log lines are rate-limited.
 * Hot path (issue 9, hold time): the socket (stamp/socket.ts) gives the receive time (the kernel's on Linux) and
 * writes the send time as the reply leaves; the reply is written over the request's own buffer (nothing
 * allocated), with no bookkeeping before it but the bucket and the session counter.
 */
import { takeToken } from '../core/token-bucket.js';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import { writeNtpAt } from '../stamp/ntp.js';
import { openReflector, type ReflectorSocket, type UdpTimestamping } from '../stamp/socket.js';
import { OFF, OUR_ERROR_ESTIMATE, STAMP_MIN_BYTES, encodeErrorEstimate } from '../stamp/packet.js';

export interface StampReflectorOptions {
  /** Bind address: an IPv4 or IPv6 address; '::' takes IPv4 too (dual stack). */
  host: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  /** Keep a per-session counter as the reflector sequence number (RFC 8762 §4.3.1), so senders can split loss by direction. */
  stateful: boolean;
  /** Packets per second accepted from one source (IPv4 address or IPv6 /64). */
  rateLimitPps: number;
  /** Bucket depth in packets; default max(10, rate / 10) (100 ms worth). */
  rateLimitBurst?: number;
  /** A session with no packet for this long is closed. Default 30 000. */
  sessionIdleMs?: number;
  /** Bound on tracked sessions; a new one beyond it replaces the least recently active. Default 10 000. */
  maxSessions?: number;
  /** Bound on the sessions of one source; a new one beyond it replaces that source's least recently active. Default 64. */
  maxSessionsPerSource?: number;
  /** Bound on tracked sources (rate-limit buckets); a new one beyond it replaces the least recently active. Default 10 000. */
  maxSources?: number;
  /** Session log lines per second (burst: 20); the rest are counted in a summary line. Default 1. */
  logLinesPerSecond?: number;
  log: (line: string) => void;
}

export interface ReflectorStats {
  /** Datagrams read from the socket. */
  received: number;
  reflected: number;
  /** Not a STAMP test packet (under 44 bytes) or from a bogus source (port 0, multicast, broadcast, the reflector itself). */
  bad: number;
  /** Not a request but a reflection (bytes 16–23, a reflector's receive timestamp, not zero): never answered. */
  reflections: number;
  /** Dropped by the per-source rate limit. */
  rateLimited: number;
  /** Sessions closed early to make room for new ones (per-source or global session cap). */
  evicted: number;
  activeSessions: number;
  activeSources: number;
}

export interface StampReflector {
  address: string;
  port: number;
  /** How receive and send times are taken: kernel_rx (native socket, Linux) or event_loop (node:dgram). */
  timestamping: UdpTimestamping;
  stats(): ReflectorStats;
  close(): Promise<void>;
}

interface Session {
  key: string;
  source: SourceState;
  peer: string;
  ssid: number;
  firstMs: number;
  lastMs: number;
  /** lastMs when the eviction clock last passed over it (second chance: active since then = kept). */
  seenMs: number;
  /** Next reflector sequence number (stateful mode). */
  nextSeq: number;
  packets: number;
}

/** One source: its token bucket and its sessions (the per-source quota). */
interface SourceState {
  key: string;
  tokens: number;
  lastMs: number;
  seenMs: number;
  sessions: Map<string, Session>;
}

/**
 * Evict one entry of an insertion-ordered map, approximately the least recently active, in amortized O(1)
 * (the clock / second-chance algorithm): an entry active since the clock last passed it goes to the back.
 * Nothing is reordered on the hot path, which only updates lastMs.
 */
function evictOne<T extends { lastMs: number; seenMs: number }>(m: Map<string, T>, drop: (k: string, v: T) => void): void {
  for (let i = m.size; i > 0; i--) {
    const first = m.entries().next().value as [string, T];
    const [k, v] = first;
    if (v.lastMs > v.seenMs) {
      v.seenMs = v.lastMs;
      m.delete(k);
      m.set(k, v);
      continue;
    }
    drop(k, v);
    return;
  }
  // Every entry was active since the last pass: the oldest goes.
  const first = m.entries().next().value as [string, T] | undefined;
  if (first) drop(first[0], first[1]);
}

const ERROR_ESTIMATE = encodeErrorEstimate(OUR_ERROR_ESTIMATE);
/** Synthetic requests the handler runs at start (JIT warm-up), from a source no real packet has (port 9 of 127.0.0.2). */
const WARM_UP_REQUESTS = 3000;
const WARM_UP_SOURCE = '127.0.0.2';
/** A reaction on it runs once the current callback is done (queueMicrotask would create an AsyncResource per call). */
const RESOLVED = Promise.resolve();

export async function startStampReflector(o: StampReflectorOptions): Promise<StampReflector> {
  const idleMs = o.sessionIdleMs ?? 30_000;
  const maxSessions = o.maxSessions ?? 10_000;
  const maxPerSource = o.maxSessionsPerSource ?? 64;
  const maxSources = o.maxSources ?? 10_000;
  const burst = o.rateLimitBurst ?? Math.max(10, Math.ceil(o.rateLimitPps / 10));
  // A bucket idle this long is full again: forgetting it changes nothing.
  const refillMs = Math.max(1000, (burst / o.rateLimitPps) * 1000);
  const sessions = new Map<string, Session>();
  const sources = new Map<string, SourceState>();
  const st = { received: 0, bad: 0, reflections: 0, rateLimited: 0, evicted: 0 };
  const mode = o.stateful ? 'stateful' : 'stateless';
  const timeOrigin = performance.timeOrigin;

  // Session log lines: a token bucket, so a sender cycling SSIDs can't fill the disk through stderr.
  const logRate = o.logLinesPerSecond ?? 1;
  const logBucket = { tokens: 20, lastMs: performance.now(), suppressed: 0 };
  const logSession = (line: string) => {
    if (!takeToken(logBucket, performance.now(), logRate, 20)) {
      logBucket.suppressed++;
      return;
    }
    o.log(line);
  };
  const flushSuppressed = () => {
    if (logBucket.suppressed === 0) return;
    o.log(`stamp: ${logBucket.suppressed} session lines not logged (log rate limit ${logRate}/s); totals: ${totals()}`);
    logBucket.suppressed = 0;
  };
  let sock: ReflectorSocket | null = null;
  const totals = () =>
    `received=${st.received} reflected=${sock?.replies() ?? 0} bad=${st.bad} reflections=${st.reflections} rate_limited=${st.rateLimited} evicted=${st.evicted} sessions=${sessions.size} sources=${sources.size}`;

  const endSession = (s: Session, why: string) => {
    sessions.delete(s.key);
    s.source.sessions.delete(s.key);
    logSession(`stamp session ${s.peer} ssid=${s.ssid} mode=${mode} packets=${s.packets} duration_ms=${Math.round(s.lastMs - s.firstMs)} end=${why}`);
  };
  const evictSession = (_k: string, s: Session) => {
    st.evicted++;
    endSession(s, 'evicted');
  };
  const dropSource = (k: string, src: SourceState) => {
    for (const s of [...src.sessions.values()]) evictSession(s.key, s);
    sources.delete(k);
    if (last.src === src) forgetLast();
  };

  const session = (src: SourceState, peer: string, ssid: number, nowMs: number): Session => {
    const key = `${peer}#${ssid}`;
    let s = src.sessions.get(key);
    if (s) {
      s.lastMs = nowMs;
      return s;
    }
    // Quotas: a source that opens many sessions replaces its own; the table as a whole replaces the least recently active.
    if (src.sessions.size >= maxPerSource) evictOne(src.sessions, evictSession);
    if (sessions.size >= maxSessions) evictOne(sessions, evictSession);
    s = { key, source: src, peer, ssid, firstMs: nowMs, lastMs: nowMs, seenMs: nowMs, nextSeq: 0, packets: 0 };
    sessions.set(key, s);
    src.sessions.set(key, s);
    return s;
  };

  const last: { port: number; rawAddress: string; address: string; src: SourceState | null } = { port: -1, rawAddress: '', address: '', src: null };
  function forgetLast(): void {
    last.port = -1;
    last.src = null;
  }

  // The socket's kernel port, known once bound (bogusSource needs it); set before the first datagram is read.
  let ownPort = -1;
  let selfCheck: SelfCheck | null = null;
  /** A request in msg[0, length), arrived at nowMs: the reply's length (written over msg), or 0 for none. */
  const onRequest = (msg: Buffer, length: number, rawAddress: string, rport: number, nowMs: number): number => {
    // nowMs is the receive time (the kernel's with the native socket): all after it is the reflector's residence time.
    st.received++;
    if (length < STAMP_MIN_BYTES) {
      st.bad++;
      return 0;
    }
    // A reflection, not a request (issue 24): a sender's bytes 16–23 are MBZ (RFC 8762 §4.2.1) where every reflector
    // writes its receive timestamp (§4.3.1). Answering one lets a packet spoofed from another reflector's port bounce
    // between the two until a bucket runs dry. The authenticated layout (§4.2.2, not served here) has its timestamp
    // at 16–23 in both directions, so neither its requests nor its reflections are answered either.
    if ((msg.readUInt32BE(OFF.receiveTimestamp) | msg.readUInt32BE(OFF.receiveTimestamp + 4)) !== 0) {
      st.reflections++;
      return 0;
    }
    // The sender of the previous accepted packet again (the usual case: one session at a time): it passed the source
    // checks and has its bucket already. Every op before the send counts in the hold time (~1 µs each on a cold CPU).
    let src: SourceState | undefined;
    let address: string;
    if (rport === last.port && rawAddress === last.rawAddress && last.src) {
      src = last.src;
      address = last.address;
    } else {
      if (!selfCheck || bogusSource({ address: rawAddress, port: rport }, ownPort, selfCheck)) {
        st.bad++;
        return 0;
      }
      address = rawAddress.startsWith('::ffff:') ? rawAddress.slice(7) : rawAddress;
      // The rate limit comes before any state but the bucket: a source over its budget creates nothing.
      const key = rateLimitKey(address);
      src = sources.get(key);
      if (!src) {
        if (sources.size >= maxSources) evictOne(sources, dropSource);
        src = { key, tokens: burst, lastMs: nowMs, seenMs: nowMs, sessions: new Map() };
        sources.set(key, src);
      }
      last.port = rport;
      last.rawAddress = rawAddress;
      last.address = address;
      last.src = src;
    }
    if (!takeToken(src, nowMs, o.rateLimitPps, burst)) {
      st.rateLimited++;
      return 0;
    }
    const ssid = msg.readUInt16BE(OFF.ssid);
    // Stateful: the counter is needed before sending; stateless: bookkeeping waits until the reply is out.
    const s = o.stateful ? session(src, peerOf(address, rport), ssid, nowMs) : null;
    // The reply is written over the request (Node hands each datagram its own buffer): no allocation, and the same
    // length as the request, never larger (no amplification). Sender sequence number, timestamp and error estimate
    // are contiguous in both packets (0–13 → 24–37) and move first; the SSID stays where it is (14–15).
    // Byte loops, not copy()/fill(): each of those crosses into C++, which costs microseconds on a CPU gone cold.
    for (let i = 13; i >= 0; i--) msg[OFF.senderSeq + i] = msg[i] as number;
    // Stateless: the reflector's sequence number is the sender's (bytes 0–3, already in place).
    if (s) msg.writeUInt32BE(s.nextSeq++ >>> 0, OFF.seq);
    msg.writeUInt16BE(ERROR_ESTIMATE, OFF.errorEstimate);
    writeNtpAt(msg, OFF.receiveTimestamp, timeOrigin + nowMs);
    // MBZ, sender TTL (0: Node can't read the IP TTL of a received datagram, and 0 says "unknown") and padding.
    for (let i = OFF.senderErrorEstimate + 2; i < length; i++) msg[i] = 0;
    // The send time (OFF.timestamp) is written by the socket as the reply leaves (stamp/socket.ts). The session's
    // bookkeeping waits until it has (a microtask runs once the socket's callback is done, the reply sent).
    if (s) s.packets++;
    else void RESOLVED.then(() => session(src, peerOf(address, rport), ssid, nowMs).packets++);
    return length;
  };

  const handle = (msg: Buffer, length: number, address: string, port: number, rxMs: number): number => {
    // No datagram may end the process: a throw here would be an uncaught exception.
    try {
      return onRequest(msg, length, address, port, rxMs);
    } catch (err) {
      st.bad++;
      o.log(`stamp: internal error: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  };
  const opened = await openReflector({
    host: o.host,
    port: o.port,
    replyTimestamp: { offset: OFF.timestamp },
    onRequest: handle,
    // A send error (e.g. the sender's port went away) concerns one datagram, never the server.
    onError: (err) => o.log(`stamp: socket error: ${err.message}`),
  });
  sock = opened;
  ownPort = opened.port;
  selfCheck = ownAddresses(opened.address);
  // JIT warm-up: a fresh process runs the handler in V8's interpreter until it has run often, and on a CPU gone cold
  // between packets that is ~30–60 µs more hold per packet for the first few hundred (bench/serve-hold-time.mjs
  // --count 20: 200–246 µs against irtt's 160–200). The handler runs on synthetic requests first (nothing is sent:
  // only the socket sends), then every trace of them goes. No datagram is read meanwhile (this is synchronous).
  const warm = Buffer.alloc(STAMP_MIN_BYTES);
  const t0 = performance.now();
  for (let i = 0; i < WARM_UP_REQUESTS; i++) {
    warm.fill(0);
    warm.writeUInt32BE(i, 0);
    // A second apart: the bucket is full for each, so every one takes the whole path to the reply.
    handle(warm, warm.length, WARM_UP_SOURCE, 9, t0 - (WARM_UP_REQUESTS - i) * 1000);
  }
  await new Promise<void>((r) => setImmediate(r)); // the bookkeeping queued after each "reply"
  sessions.clear();
  sources.clear();
  forgetLast();
  st.received = st.bad = st.reflections = st.rateLimited = st.evicted = 0;
  // The socket keeps the system's receive buffer (net.core.rmem_default, ~200 KB, a few hundred packets): a
  // bigger one absorbs longer bursts but, once the loop falls behind, holds packets for seconds (measured in
  // the soak: RTT p95 6 s with 4 MB), corrupting every client's RTT instead of dropping the excess.

  const sweep = setInterval(() => {
    const nowMs = performance.now();
    for (const s of sessions.values()) if (nowMs - s.lastMs > idleMs) endSession(s, 'idle');
    for (const [k, src] of sources) if (src.sessions.size === 0 && nowMs - src.lastMs > refillMs) sources.delete(k);
    selfCheck?.refresh();
    // The cache must not outlive the checks it skips (a source removed, the reflector's own addresses changed).
    forgetLast();
    flushSuppressed();
  }, Math.min(idleMs, 5_000));
  sweep.unref();

  let closed: Promise<void> | null = null;
  return {
    address: opened.address,
    port: opened.port,
    timestamping: opened.timestamping,
    stats: () => ({ ...st, reflected: opened.replies(), activeSessions: sessions.size, activeSources: sources.size }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(sweep);
        for (const s of [...sessions.values()]) endSession(s, 'shutdown');
        flushSuppressed();
        o.log(`stamp: closed: ${totals()}`);
        void opened.close().then(resolve);
      });
      return closed;
    },
  };
}

function peerOf(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

interface SelfCheck {
  /** Is this (normalised) address one of the reflector's own? */
  has(address: string): boolean;
  refresh(): void;
}

/**
 * The reflector's own addresses: a packet from one of them at the reflector's port is its own reply coming
 * back (spoofed), and answering it would bounce it until the bucket empties. Bound to a wildcard, every
 * local address and all of 127/8 count; refreshed by the sweep as interfaces change.
 */
function ownAddresses(bound: string): SelfCheck {
  const wildcard = bound === '0.0.0.0' || bound === '::';
  let set = new Set<string>();
  const refresh = () => {
    const next = new Set<string>([norm(bound)]);
    if (wildcard) for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) next.add(norm(a.address));
    set = next;
  };
  refresh();
  return { has: (a) => set.has(a) || (wildcard && (a.startsWith('127.') || a === '::1')), refresh };
}

function norm(a: string): string {
  const bare = a.startsWith('::ffff:') ? a.slice(7) : a;
  const zone = bare.indexOf('%');
  return zone < 0 ? bare : bare.slice(0, zone);
}

/**
 * Sources no STAMP sender can have: port 0; unspecified, multicast, broadcast and reserved IPv4 (0/8, 224/4,
 * 240/4 with 255.255.255.255); IPv6 :: and ff00::/8; and the reflector's own address and port.
 */
export function bogusSource(rinfo: { address: string; port: number }, ownPort: number, self: { has(a: string): boolean }): boolean {
  if (rinfo.port === 0) return true;
  const a = norm(rinfo.address);
  if (a.includes(':')) {
    if (a === '::' || /^ff/i.test(a)) return true;
  } else {
    const first = Number(a.slice(0, a.indexOf('.')));
    if (first === 0 || first >= 224) return true;
  }
  return rinfo.port === ownPort && self.has(a);
}

/**
 * The rate-limit bucket of a source: the IPv4 address, or the IPv6 /64. One IPv6 host usually
 * owns a whole /64, so a per-address bucket would let it flood from 2^64 addresses.
 */
export function rateLimitKey(address: string): string {
  // A colon test, not net.isIPv6 (a large regex, measurable per packet): callers pass IP literals.
  if (!address.includes(':')) return address;
  const bare = address.split('%')[0] as string; // zone id (fe80::1%eth0)
  const [head = '', tail] = bare.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:127.0.0.9) counts as two groups; only the first four groups matter here.
  const groupsOf = (ps: string[]) => ps.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const missing = tail === undefined ? 0 : 8 - groupsOf(headParts) - groupsOf(tailParts);
  const groups = [...headParts, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailParts];
  return `${groups
    .slice(0, 4)
    .map((g) => (g.includes('.') ? g : parseInt(g || '0', 16).toString(16)))
    .join(':')}::/64`;
}
