import { execFile } from 'node:child_process';
import type { Socket } from 'node:net';
import { platform } from 'node:os';

/**
 * The kernel's own timing of a TCP handshake (issue 9). Linux stamps the SYN when it leaves and the SYN-ACK
 * when it is processed, in the network stack, and keeps the difference as the connection's first RTT sample
 * (tcpi_rtt, µs); `ss -ti` prints it. JavaScript sees the SYN-ACK only after the event loop wakes up (0.2–0.5 ms
 * later when the process was asleep, more on a busy host), so the kernel's figure is the wire's, as ping's is.
 * Node has no getsockopt(TCP_INFO): established connections are held open until one `ss` call reads a batch of
 * them, then closed. Where that is not possible (not Linux, no `ss`, a SYN retransmitted, the socket gone), the
 * caller keeps its own event-loop timing; each record says which (rtt_timestamping).
 */
export interface KernelRttReader {
  /** Hold this established socket until its kernel RTT is read (ms), then destroy it; null when unknown. */
  read(sock: Socket): Promise<number | null>;
  /** Read what is held now, without waiting for the batch to fill (the caller knows no more connections are coming). */
  flush(): Promise<void>;
  /** Read what is held now and stop; later reads resolve null at once. */
  close(): Promise<void>;
}

/** How `ss` is run: replaced in tests. Resolves its stdout, or null when it could not run. */
export type SsRunner = (args: string[], timeoutMs: number) => Promise<string | null>;

const runSs: SsRunner = (args, timeoutMs) =>
  new Promise((resolve) => {
    execFile('ss', args, { timeout: timeoutMs, maxBuffer: 32 << 20, encoding: 'utf8' }, (err, stdout) => resolve(err ? null : stdout));
  });

interface Held {
  sock: Socket;
  /** connectionKey: the peer address and our port (another program's connection elsewhere may share the port). */
  key: string;
  resolve: (ms: number | null) => void;
}

export interface KernelRttOptions {
  /** The far end's port: `ss` lists only connections to it. */
  remotePort: number;
  /** Read a batch this long after its first connection was held (the test waits for it at the end). */
  flushAfterMs?: number;
  /** Read at once when this many are held (bounds the connections held open at short intervals). */
  maxBatch?: number;
  ss?: SsRunner;
  platform?: NodeJS.Platform;
}

export function createKernelRttReader(o: KernelRttOptions): KernelRttReader {
  const flushAfterMs = o.flushAfterMs ?? 100;
  const maxBatch = o.maxBatch ?? 64;
  const ss = o.ss ?? runSs;
  let usable = (o.platform ?? platform()) === 'linux';
  let held: Held[] = [];
  let timer: NodeJS.Timeout | null = null;
  let reading: Promise<void> = Promise.resolve();
  let closed = false;

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = held;
    held = [];
    if (batch.length === 0) return reading;
    // One `ss` at a time: batches queue behind each other.
    reading = reading.then(async () => {
      const out = usable ? await ss(['-tinHO', 'dport', '=', `:${o.remotePort}`], 1_000) : null;
      // No ss (or it failed): don't spawn it again for every batch.
      if (out === null) usable = false;
      const rtts = out === null ? new Map<string, number>() : parseSsRtts(out);
      for (const h of batch) {
        h.sock.destroy();
        h.resolve(rtts.get(h.key) ?? null);
      }
    });
    return reading;
  };

  return {
    read(sock) {
      const localPort = sock.localPort;
      const peer = sock.remoteAddress;
      if (closed || !usable || localPort === undefined || peer === undefined) {
        sock.destroy();
        return Promise.resolve(null);
      }
      return new Promise((resolve) => {
        held.push({ sock, key: connectionKey(peer, localPort), resolve });
        if (held.length >= maxBatch) void flush();
        else timer ??= setTimeout(() => void flush(), flushAfterMs);
      });
    },
    flush,
    close() {
      closed = true;
      return flush();
    },
  };
}

/** "peer address#local port", the address bare (no brackets, no ::ffff: prefix, no zone), as ss and Node both name it. */
export function connectionKey(peer: string, localPort: number): string {
  let a = peer.startsWith('[') && peer.endsWith(']') ? peer.slice(1, -1) : peer;
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  const zone = a.indexOf('%');
  return `${zone < 0 ? a : a.slice(0, zone)}#${localPort}`;
}

/**
 * Kernel handshake RTTs by connectionKey from `ss -tinHO` lines ("STATE RECVQ SENDQ LOCAL PEER ... rtt:20.25/10.125
 * ..."). A connection whose SYN was retransmitted is left out: its handshake took the retransmission timeout too,
 * which the kernel's RTT sample (the last exchange only) does not contain.
 */
export function parseSsRtts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\S+\s+\d+\s+\d+\s+\S*:(\d+)\s+(\S+):\d+\s.*?\brtt:(\d+(?:\.\d+)?)\//.exec(line);
    if (!m || /\bretrans:\d+\/[1-9]/.test(line)) continue;
    const port = Number(m[1]);
    const ms = Number(m[3]);
    if (ms > 0 && port >= 1 && port <= 65535) out.set(connectionKey(m[2] as string, port), ms);
  }
  return out;
}
