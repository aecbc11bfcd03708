/**
 * STAMP session-reflector (RFC 8762 §4.3, unauthenticated; answers TWAMP-Light senders that
 * pad to 44 bytes). Safe to expose:
 * - a reply is exactly as long as its request and requests under 44 bytes get none, so the
 *   reflector never amplifies;
 * - a token bucket per source address caps the packet rate, so one flooding source can't
 *   starve the others (spoofed sources each get their own bucket: this is no DDoS shield);
 * - session and bucket tables are bounded and swept, so memory can't grow without limit.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { timestampFrom, wallClockMs } from '../stamp/ntp.js';
import { OUR_ERROR_ESTIMATE, decodeSenderPacket, encodeReflectorPacket, stampTransmitTime } from '../stamp/packet.js';

export interface StampReflectorOptions {
  /** Bind address: an IPv4 or IPv6 address; '::' takes IPv4 too (dual stack). */
  host: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  /** Keep a per-session counter as the reflector sequence number (RFC 8762 §4.3.1), so senders can split loss by direction. */
  stateful: boolean;
  /** Packets per second accepted from one source address. */
  rateLimitPps: number;
  /** Bucket depth in packets; default max(10, rate / 10) (100 ms worth). */
  rateLimitBurst?: number;
  /** A session with no packet for this long is closed and logged. Default 30 000. */
  sessionIdleMs?: number;
  /** Bound on tracked sessions and sources; packets of new ones beyond it are dropped. Default 10 000. */
  maxSessions?: number;
  log: (line: string) => void;
}

export interface ReflectorStats {
  /** Datagrams read from the socket. */
  received: number;
  reflected: number;
  /** Not a STAMP test packet (too short, source port 0). */
  bad: number;
  /** Dropped by the per-source rate limit. */
  rateLimited: number;
  /** Dropped because the session table was full. */
  overflow: number;
  activeSessions: number;
}

export interface StampReflector {
  address: string;
  port: number;
  stats(): ReflectorStats;
  close(): Promise<void>;
}

interface Session {
  key: string;
  source: string;
  ssid: number;
  firstMs: number;
  lastMs: number;
  /** Next reflector sequence number (stateful mode). */
  nextSeq: number;
  packets: number;
  rateLimited: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

export async function startStampReflector(o: StampReflectorOptions): Promise<StampReflector> {
  const idleMs = o.sessionIdleMs ?? 30_000;
  const maxEntries = o.maxSessions ?? 10_000;
  const burst = o.rateLimitBurst ?? Math.max(10, Math.ceil(o.rateLimitPps / 10));
  const sessions = new Map<string, Session>();
  const buckets = new Map<string, Bucket>();
  const st = { received: 0, reflected: 0, bad: 0, rateLimited: 0, overflow: 0 };
  const mode = o.stateful ? 'stateful' : 'stateless';

  const sock: Socket = createSocket({ type: isIPv6(o.host) ? 'udp6' : 'udp4', ipv6Only: false });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(o.port, o.host, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  // A send error (e.g. the sender's port went away) concerns one datagram, never the server.
  sock.on('error', (err) => o.log(`stamp: socket error: ${err.message}`));

  const endSession = (s: Session, why: string) => {
    sessions.delete(s.key);
    o.log(
      `stamp session ${s.source} ssid=${s.ssid} mode=${mode} packets=${s.packets} rate_limited=${s.rateLimited} duration_ms=${Math.round(s.lastMs - s.firstMs)} end=${why}`,
    );
  };

  const allow = (source: string, nowMs: number): boolean => {
    let b = buckets.get(source);
    if (!b) {
      if (buckets.size >= maxEntries) return false;
      b = { tokens: burst, lastMs: nowMs };
      buckets.set(source, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((nowMs - b.lastMs) / 1000) * o.rateLimitPps);
    b.lastMs = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };

  sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    // No datagram may end the process: a throw in an 'message' listener would be an uncaught exception.
    try {
      onMessage(msg, rinfo);
    } catch (err) {
      st.bad++;
      o.log(`stamp: internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  const onMessage = (msg: Buffer, rinfo: RemoteInfo) => {
    // Receive time first: everything after it is the reflector's residence time, which the reply reports.
    const receivedWallMs = wallClockMs();
    const nowMs = performance.now();
    st.received++;
    const req = decodeSenderPacket(msg);
    if (!req.ok || rinfo.port === 0) {
      st.bad++;
      return;
    }
    const address = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
    const source = isIPv6(address) ? `[${address}]:${rinfo.port}` : `${address}:${rinfo.port}`;
    const key = `${source}#${req.packet.ssid}`;
    let s = sessions.get(key);
    if (!s) {
      if (sessions.size >= maxEntries) {
        st.overflow++;
        return;
      }
      s = { key, source, ssid: req.packet.ssid, firstMs: nowMs, lastMs: nowMs, nextSeq: 0, packets: 0, rateLimited: 0 };
      sessions.set(key, s);
    }
    s.lastMs = nowMs;
    if (!allow(rateLimitKey(address), nowMs)) {
      st.rateLimited++;
      s.rateLimited++;
      return;
    }
    s.packets++;
    const reply = encodeReflectorPacket(
      {
        seq: o.stateful ? s.nextSeq++ : req.packet.seq,
        timestamp: { seconds: 0, fraction: 0 },
        errorEstimate: OUR_ERROR_ESTIMATE,
        ssid: req.packet.ssid,
        receiveTimestamp: timestampFrom(receivedWallMs, 'ntp'),
        senderSeq: req.packet.seq,
        senderTimestamp: req.packet.timestamp,
        senderErrorEstimate: req.packet.errorEstimate,
        // Node can't read the IP TTL of a received datagram; 0 says "unknown" rather than a made-up 255.
        senderTtl: 0,
      },
      msg.length, // the same size as the request: never larger (no amplification)
    );
    stampTransmitTime(reply, timestampFrom(wallClockMs(), 'ntp'));
    sock.send(reply, rinfo.port, rinfo.address, (err) => {
      if (!err) st.reflected++;
    });
  };

  const sweep = setInterval(() => {
    const nowMs = performance.now();
    for (const s of sessions.values()) if (nowMs - s.lastMs > idleMs) endSession(s, 'idle');
    // A bucket idle for a second or more is full again: forgetting it changes nothing.
    for (const [k, b] of buckets) if (nowMs - b.lastMs > Math.max(1000, (burst / o.rateLimitPps) * 1000)) buckets.delete(k);
  }, Math.min(idleMs, 5_000));
  sweep.unref();

  const addr = sock.address();
  let closed: Promise<void> | null = null;
  return {
    address: addr.address,
    port: addr.port,
    stats: () => ({ ...st, activeSessions: sessions.size }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(sweep);
        for (const s of [...sessions.values()]) endSession(s, 'shutdown');
        o.log(`stamp: closed: received=${st.received} reflected=${st.reflected} bad=${st.bad} rate_limited=${st.rateLimited} overflow=${st.overflow}`);
        sock.close(() => resolve());
      });
      return closed;
    },
  };
}

/**
 * The rate-limit bucket of a source: the IPv4 address, or the IPv6 /64. One IPv6 host usually
 * owns a whole /64, so a per-address bucket would let it flood from 2^64 addresses.
 */
export function rateLimitKey(address: string): string {
  if (!isIPv6(address)) return address;
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
