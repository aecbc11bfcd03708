/**
 * STAMP's UDP sockets, sender and reflector, over two transports (issue 9, "each record says how it was measured"):
 * - `kernel_rx` (the native addon, Linux): the kernel stamps each datagram's arrival (SO_TIMESTAMPNS), the send time
 *   is taken in C right before the send system call and written into the packet there, and a reflector's reply
 *   leaves from the same libuv callback that read its request. Measured on a veth (bench/serve-hold-time.mjs):
 *   wire → reply ~0.12 ms against ~0.2 ms for Node's dgram.
 * - `event_loop` (node:dgram, everywhere else): both times are taken in JavaScript around Node's own calls.
 * Times handed to callers are performance.now() ms; wall-clock times written into packets are
 * performance.timeOrigin + that (stamp/ntp.ts wallClockMs), the same on both transports.
 * What a datagram means stays with the caller: these sockets move bytes and times.
 */
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { sendTimeMs } from '../core/send-call.js';
import { QosError } from '../core/errors.js';
import type { LinkBind } from '../core/samples.js';
import { bindError, binder, nativeUdp, nativeUdpUnavailable, type NativeHandle, type NativeUdp } from '../core/native.js';
import { wallClockMs, writeNtpAt as writeNtp } from './ntp.js';

export type UdpTimestamping = 'kernel_rx' | 'event_loop';

/** Where a packet's send time goes: an NTP timestamp at this byte offset, written as late as the transport can. */
export interface SendTimestamp {
  offset: number;
}

/** The largest UDP payload (IPv4): the native receive buffer holds any datagram whole. */
const MAX_DATAGRAM_BYTES = 65_535;

/** performance.now() = native monotonic ms − this (both are uv_hrtime; sampled once, tightest of 5 brackets). */
function monoOffsetMs(n: NativeUdp): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 5; i++) {
    const a = performance.now();
    const m = n.monoNowMs();
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = m - (a + b) / 2;
    }
  }
  return offset;
}

function errorOf(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

// ---------------------------------------------------------------- sender (connected)

export interface SenderSocket {
  readonly timestamping: UdpTimestamping;
  /**
   * Sends buf whole, its send time written at ts.offset first; returns the send time (performance.now() ms).
   * A send the kernel refuses calls refused (now or later), never throws.
   */
  send(buf: Buffer, ts: SendTimestamp, refused: (err: Error) => void): number;
  close(): void;
}

export interface SenderOptions {
  family: 4 | 6;
  address: string;
  port: number;
  /** A datagram from the peer: buf[0, length) is valid during the call only; rxMs is its arrival (performance.now() ms). */
  onPacket(buf: Buffer, length: number, rxMs: number): void;
  /** A socket error after connect (e.g. ICMP port unreachable): data about the path, not a failure of the test. */
  onError(err: Error): void;
  /** Leave through this link (issue 22): the native socket bound to the device; without it, a QosError (INTERFACE_*). */
  bind?: LinkBind;
}

/** A UDP socket connected to the reflector; rejects with the connect error (no route, interface down). */
export async function openSender(o: SenderOptions): Promise<SenderSocket> {
  const n = nativeUdp();
  if (o.bind && !n) {
    binder(o.bind.device); // not Linux, or not built: says so
    throw new QosError('INTERFACE_BIND_UNAVAILABLE', `STAMP over ${o.bind.device} needs the native socket, turned off here: ${nativeUdpUnavailable() ?? 'unknown reason'}`);
  }
  return n ? nativeSender(n, o) : dgramSender(o);
}

function nativeSender(n: NativeUdp, o: SenderOptions): SenderSocket {
  const offset = monoOffsetMs(n);
  const wallMinusMono = performance.timeOrigin - offset;
  let handle: NativeHandle;
  try {
    ({ handle } = n.open(o.family, o.family === 6 ? '::' : '0.0.0.0', 0, true, o.bind?.device));
  } catch (err) {
    throw o.bind ? bindError(o.bind.device, err) : err;
  }
  try {
    n.connect(handle, o.address, o.port);
  } catch (err) {
    n.close(handle);
    throw err;
  }
  const buf = Buffer.alloc(MAX_DATAGRAM_BYTES);
  n.start(
    handle,
    buf,
    (b, length, _address, _port, rxMs) => {
      if (length >= 0) o.onPacket(b, length, rxMs);
      return 0;
    },
    (code, message) => o.onError(errorOf(code, message)),
    -1,
    wallMinusMono,
    offset,
  );
  let open = true;
  return {
    timestamping: 'kernel_rx',
    send(packet, ts, refused) {
      try {
        return n.send(handle, packet, packet.length, ts.offset, wallMinusMono) - offset;
      } catch (err) {
        refused(err as Error);
        return performance.now();
      }
    },
    close() {
      if (open) n.close(handle);
      open = false;
    },
  };
}

async function dgramSender(o: SenderOptions): Promise<SenderSocket> {
  const sock: Socket = createSocket(o.family === 6 ? 'udp6' : 'udp4');
  // Node hands a failed connect (no route, interface down) to the callback, not to 'error'; a failed bind emits 'error'.
  const connectError = await new Promise<Error | null>((resolve) => {
    const onError = (err: Error) => resolve(err);
    sock.once('error', onError);
    sock.connect(o.port, o.address, (err?: Error) => {
      sock.off('error', onError);
      resolve(err ?? null);
    });
  });
  const close = () => {
    sock.removeAllListeners('message');
    try {
      sock.close();
    } catch {
      // already closed
    }
  };
  if (connectError) {
    close();
    throw connectError;
  }
  sock.on('error', o.onError);
  sock.on('message', (msg: Buffer) => o.onPacket(msg, msg.length, performance.now()));
  return {
    timestamping: 'event_loop',
    send(packet, ts, refused) {
      writeNtp(packet, ts.offset, wallClockMs());
      const before = performance.now();
      try {
        // With a callback, a send the kernel refuses (no route, address gone) is reported instead of dropped.
        sock.send(packet, (err) => err && refused(err));
      } catch (err) {
        // A synchronous throw (socket already closed, bad state) is this packet's failure, not the test's.
        refused(err as Error);
      }
      // On a connected socket Node and libuv make the sendmsg() call synchronously inside send(), so its
      // JavaScript and system-call time is not counted in the RTT (a reply is read in a later loop turn).
      return sendTimeMs(before, performance.now());
    },
    close,
  };
}

// ---------------------------------------------------------------- reflector (bound)

/**
 * A request: buf[0, length) (length −1: larger than any UDP payload, cut), from address:port, arrived at rxMs
 * (performance.now() ms). Returns the length of the reply written over buf[0, …) to send back to the same
 * address and port, or 0 for none. The reply's send time goes at the socket's reply timestamp offset.
 */
export type RequestHandler = (buf: Buffer, length: number, address: string, port: number, rxMs: number) => number;

export interface ReflectorSocketOptions {
  host: string;
  port: number;
  replyTimestamp: SendTimestamp;
  onRequest: RequestHandler;
  /** A socket error (it concerns one datagram, never the server). */
  onError(err: Error): void;
}

export interface ReflectorSocket {
  readonly timestamping: UdpTimestamping;
  address: string;
  port: number;
  /** Replies sent (the kernel took them). */
  replies(): number;
  close(): Promise<void>;
}

export async function openReflector(o: ReflectorSocketOptions): Promise<ReflectorSocket> {
  const n = nativeUdp();
  if (!n) return dgramReflector(o);
  // The addon binds IP literals only; a host name (--host localhost) is resolved first, as node:dgram would.
  const host = isIP(o.host) ? o.host : (await lookup(o.host)).address;
  return nativeReflector(n, { ...o, host });
}

function nativeReflector(n: NativeUdp, o: ReflectorSocketOptions): ReflectorSocket {
  const offset = monoOffsetMs(n);
  const v6 = o.host.includes(':');
  // '::' takes IPv4 too (dual stack), as node:dgram's udp6 with ipv6Only false.
  const opened = n.open(v6 ? 6 : 4, o.host, o.port, false);
  // The handler is called from C directly (every layer costs microseconds of hold time on a cold CPU).
  n.start(opened.handle, Buffer.alloc(MAX_DATAGRAM_BYTES), o.onRequest, (code, message) => o.onError(errorOf(code, message)), o.replyTimestamp.offset, performance.timeOrigin - offset, offset);
  let closed = false;
  return {
    timestamping: 'kernel_rx',
    address: opened.address,
    port: opened.port,
    replies: () => n.replies(opened.handle),
    close() {
      if (!closed) n.close(opened.handle);
      closed = true;
      return Promise.resolve();
    },
  };
}

async function dgramReflector(o: ReflectorSocketOptions): Promise<ReflectorSocket> {
  const sock: Socket = createSocket({
    type: o.host.includes(':') ? 'udp6' : 'udp4',
    ipv6Only: false,
    // The destination is always the IP literal the request came from: send within the handler rather than
    // after dns.lookup's next tick (the hold time counts every hop).
    lookup: (address: string, _family: unknown, cb: (err: null, address: string, family: number) => void) => cb(null, address, address.includes(':') ? 6 : 4),
  } as SocketOptions);
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(o.port, o.host, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', o.onError);
  let replies = 0;
  sock.on('message', (msg: Buffer, rinfo) => {
    // Node hands each datagram its own buffer: the reply is written over it.
    const reply = o.onRequest(msg, msg.length, rinfo.address, rinfo.port, performance.now());
    if (reply <= 0) return;
    writeNtp(msg, o.replyTimestamp.offset, wallClockMs());
    sock.send(msg.subarray(0, reply), rinfo.port, rinfo.address, (err) => {
      if (!err) replies++;
    });
  });
  const own = sock.address();
  let closed: Promise<void> | null = null;
  return {
    timestamping: 'event_loop',
    address: own.address,
    port: own.port,
    replies: () => replies,
    close() {
      closed ??= new Promise<void>((resolve) => sock.close(() => resolve()));
      return closed;
    },
  };
}
