import type { MeasurementErrorCode } from './errors.js';
import type { Metrics } from './schema.js';

/** One test packet or attempt, as a probe saw it. Times are from the monotonic clock, ms since the test started. */
export interface PacketSample {
  /** Sequence number in send order, from 0. */
  seq: number;
  /** When it was sent. */
  sentAtMs: number;
  /** Round-trip time of the first copy that came back within the loss threshold (far-end residence removed); null = lost. */
  rttMs: number | null;
  /** When the first copy arrived (for arrival-order statistics); null when lost. Defaults to sentAtMs + rttMs. */
  receivedAtMs?: number | null;
  /** It came back, but after the loss threshold: counted as lost and as late. */
  late?: boolean;
  /** Further copies of this packet that arrived. */
  duplicates?: number;
  /** One-way delay towards the far end, including the unknown clock offset (STAMP: a − s). */
  upMs?: number | null;
  /** One-way delay back, including the unknown clock offset (STAMP: r − b). */
  downMs?: number | null;
  /** Why this attempt failed, when it did (TCP: refused, timeout...). */
  errorCode?: MeasurementErrorCode;
  errorMessage?: string;
}

/** Raw samples a probe returns; the stats functions turn them into metrics, the same way for every probe. */
export type Samples =
  | {
      type: 'packets';
      intervalMs: number;
      packets: PacketSample[];
      /** Stateful STAMP reflector: how many test packets reached it (for the up/down loss split). */
      reflectorReceived?: number | null;
    }
  | { type: 'http'; intervalMs: number; attempts: HttpAttempt[] }
  | {
      type: 'dns';
      intervalMs: number;
      /** One per query; rttMs is the resolution time, null when it failed or timed out. */
      queries: PacketSample[];
    }
  | TransferSamples;

/** One HTTP request. Phase times in ms; null when the phase did not happen (reused connection, plain HTTP, failure). */
export interface HttpAttempt {
  seq: number;
  /** When it was sent, ms since the test started. */
  sentAtMs: number;
  /** It opened a new connection (its DNS/connect/TLS phases are known) rather than reusing a kept-alive one. */
  cold: boolean;
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  /** Request start → response headers (includes DNS/connect/TLS on a cold request). */
  ttfbMs: number | null;
  /** Request start → last body byte; null when the body did not complete. */
  totalMs: number | null;
  /** Status code of the response, when one came. */
  status: number | null;
  /** The expected status arrived and the body completed within the timeout. */
  ok: boolean;
  /** Still in flight when the test was cut (deadline, interrupt): counted as sent, neither received nor lost. */
  cut?: boolean;
  errorCode?: MeasurementErrorCode;
  errorMessage?: string;
}

/** A download or upload: bytes per fixed interval summed over streams, plus the latency probes around it. */
export interface TransferSamples {
  type: 'transfer';
  direction: 'download' | 'upload';
  /** Interval length, ms (100). */
  intervalMs: number;
  /** Application payload bytes per interval since the transfer start, summed over streams. */
  intervalBytes: number[];
  /** How long the transfer ran, ms (shorter than planned when interrupted). */
  elapsedMs: number;
  /** Warm-up excluded from the steady-state figures, ms. */
  warmupMs: number;
  streams: number;
  /** RTTs (ms) measured on a separate connection just before the transfer; null entries = no answer. */
  idleRttMs: (number | null)[];
  /** RTTs measured on a separate connection during the transfer, with when they were sent (ms since the transfer start). */
  loadedRtt: { atMs: number; rttMs: number | null }[];
}

export interface ProbeOutcome {
  /** What was measured: host, host:port or URL. */
  target: string;
  targetIp?: string | null;
  samples?: Samples;
  /** Fields the probe knows directly (e.g. packet size, HTTP status); never derived statistics. */
  fields?: Metrics;
  /** Set when the test as a whole failed, or the dominant cause when some attempts failed. */
  error?: { code: MeasurementErrorCode; message: string } | null;
  /** The signal fired before the test finished: what is here is partial. */
  interrupted?: boolean;
  /** trace: every hop's samples, for one row per hop (ProbeDef.rowsOf). */
  hops?: TraceHopSamples[];
}

/** The probes one hop of a trace answered (or not), as packet samples: round i is seq i. */
export interface TraceHopSamples {
  /** TTL, from 1. */
  hop: number;
  /** The address that answered most at this hop; null when none did. */
  address: string | null;
  /** What the row's hop_note says: an unreachable kind, icmp_rate_limit_suspected, no_reply; null when nothing special. */
  note: string | null;
  packets: PacketSample[];
}

/** Everything a probe gets from the runner. Probes never touch `process`. */
export interface ProbeContext {
  /** Aborted at the test's deadline or on interrupt; a probe stops and returns what it measured. */
  signal: AbortSignal;
  /**
   * Called once set-up (name resolution, sockets, clients) is done and the timed part begins: the runner
   * then counts the test's deadline (ProbeDef.deadlineMs) from this moment, not from before the set-up.
   */
  measuring?(): void;
}

/**
 * The link a test's traffic must leave through (issue 22: `--interface`, `interface:`): every socket and tool of the
 * test is bound to this device (Linux SO_BINDTODEVICE, `ping -I`, `traceroute -i`), never only to a source address, since the
 * route lookup ignores that. Absent: the default route.
 */
export interface LinkBind {
  /** Network interface name, e.g. wwan0. */
  device: string;
}

/**
 * A network interface name as Linux accepts one (dev_valid_name): 1 to 15 bytes, no '/', ':' or white space, not '.'
 * or '..'. Checked when the config or --interface is read, so a typo fails at once, not every test of a run.
 */
export function isInterfaceName(v: string): boolean {
  return v.length > 0 && Buffer.byteLength(v) <= 15 && v !== '.' && v !== '..' && !/[/:\s]/.test(v);
}

/** Common fields of every test in the config (after defaults are applied). */
export interface BaseSpec {
  kind: string;
  count: number;
  intervalMs: number;
  timeoutMs: number;
  /** Leave through this link (config `interface:`, `--interface`); absent = the default route. */
  bind?: LinkBind;
}

export interface Endpoint {
  name: string;
  host: string;
}

/**
 * An HTTP attempt as a packet: answered when it succeeded (its total time is the round trip), else lost with its
 * cause. The one mapping, read by the statistics below, the probe's dominant error and the failure rule.
 */
export function attemptAsPacket(a: HttpAttempt): PacketSample {
  return { seq: a.seq, sentAtMs: a.sentAtMs, rttMs: a.ok ? a.totalMs : null, errorCode: a.errorCode, errorMessage: a.errorMessage };
}
