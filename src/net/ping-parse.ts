/**
 * Reading the text a system `ping` printed. Pure: text in, data out; never throws, never guesses.
 *
 * Dialects (see docs/icmp.md and fixtures/ping/):
 * - iputils (Linux): `64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.030 ms`, sequence from 1,
 *   `From 10.77.0.1 icmp_seq=2 Destination Host Unreachable`, `(DUP!)`;
 * - BusyBox: `64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.039 ms`, sequence from 0;
 * - BSD/macOS: `icmp_seq=0 ... time=0.062 ms`, `Request timeout for icmp_seq 1`, ping6's `hlim=64`;
 * - Windows, any language: no sequence numbers, one line per echo request (reply, timeout,
 *   unreachable...), `time<1ms`, `TTL=128`; IPv6 replies carry no TTL.
 *
 * Numbers are found by structure (`=`/`<` followed by digits and a unit, `TTL=`, `icmp_seq`), not
 * by words, so translated or mis-decoded text around them does not matter. A decimal comma
 * (`0,045 ms` from a localised iputils, `waktu=12,5ms`) is read as a decimal point.
 *
 * The exit code is not an input: Windows exits 0 when every "reply" was "Destination host
 * unreachable", and iputils exits 0 with 40% loss. Only real replies (with a time) count.
 */

export type PingFlavour = 'iputils' | 'busybox' | 'bsd' | 'windows';

/** Why a packet got no echo reply, as far as ping said. */
export type PingFailureKind =
  | 'timeout' // "Request timeout for icmp_seq 3", "Request timed out.", "Waktu permintaan habis."
  | 'unreachable' // host/address/port unreachable, administratively prohibited
  | 'net-unreachable' // network unreachable, no route
  | 'ttl-exceeded' // time to live exceeded in transit
  | 'local-error' // Windows "General failure.", "transmit failed"
  | 'unknown'; // a per-packet line we could not classify (e.g. an untranslated Windows message)

export interface PingReply {
  /** 0-based, in send order: ping's own number minus its first one (iputils starts at 1); on Windows, the line's position. */
  seq: number;
  /** Round-trip time of the first copy, ms, as printed. For `<N ms` (Windows `time<1ms`), N/2: see `lessThanMs`. */
  rttMs: number;
  /** TTL (or IPv6 hop limit) of the reply; null when not printed (Windows IPv6). */
  ttl: number | null;
  /** Further copies of this packet (iputils/BSD `(DUP!)`, or any repeated sequence number). */
  duplicates: number;
  /**
   * Ping printed `<N ms` (Windows prints `time<1ms` for anything under a millisecond): the true
   * RTT is somewhere in [0, N). We keep the sample, at the midpoint N/2, rather than drop it (a
   * fast link would then look lossy) or print 0 (an impossible RTT that drags the minimum down);
   * the error is at most N/2, the same order as the 1 ms rounding of every other Windows time,
   * and `resolutionMs` on the result says so.
   */
  lessThanMs?: number;
}

export interface PingFailure {
  /** 0-based like PingReply.seq; null when ping did not say which packet (macOS prints unreachable notices without it). */
  seq: number | null;
  kind: PingFailureKind;
  /** The line ping printed, trimmed: the record's error message. */
  text: string;
}

export interface PingParsed {
  status: 'parsed';
  /** Which ping printed it; null when the text did not tell (then no line named a packet, so nothing depended on it). */
  flavour: PingFlavour | null;
  /** Real replies only (a time was printed), first copy of each packet, in arrival order. */
  replies: PingReply[];
  /** Packets ping reported as failed and that got no reply after all; the first report per packet. */
  failures: PingFailure[];
  /** "N packets transmitted" / "Sent = N" from the summary; null when there was no summary. */
  transmitted: number | null;
  /**
   * "N received" / "Received = N" as printed; null without a summary. Windows counts unreachable
   * "replies" here too, so never use it as the number of replies: use `replies.length`.
   */
  received: number | null;
  /** 1 + the highest sequence number any line mentioned (Windows: the number of per-packet lines); 0 if none. */
  packetsSeen: number;
  /** The summary was there: ping finished (or was interrupted with SIGINT) and said how many it sent. */
  complete: boolean;
  /**
   * The coarsest step of the printed times, ms: 1 when any time was printed as a whole number
   * (always on Windows, iputils from 100 ms up) or as `<1ms`; 0.001 for iputils' sub-ms times.
   * Null when there was no reply.
   */
  resolutionMs: number | null;
}

export interface PingUnparseable {
  status: 'unparseable';
  /**
   * - empty: nothing (or only a half-written line) was printed;
   * - no-data: no reply, per-packet failure or summary line was recognised;
   * - inconsistent: lines and summary disagree, so at least one of them was misread;
   * - ambiguous: the dialect (so where sequence numbers start) cannot be told.
   */
  code: 'empty' | 'no-data' | 'inconsistent' | 'ambiguous';
  reason: string;
}

export type PingParseResult = PingParsed | PingUnparseable;

export interface PingParseOptions {
  /**
   * Where ping ran (`process.platform` there). Only breaks ties the text itself leaves open:
   * a header-less Unix output, or an output with nothing but failure lines.
   */
  platform?: NodeJS.Platform;
}

// ---- patterns -------------------------------------------------------------------------------

const NUM = String.raw`(\d+(?:[.,]\d+)?)`;
/** iputils `icmp_seq=1`, BusyBox `seq=0`, BSD `Request timeout for icmp_seq 3`. */
const SEQ_RE = /\b(icmp_)?seq[= ](\d+)\b/;
/** `time=0.030 ms`, `Zeit=0,045 ms`, `kj=4.628 ms` (any label): a number after `=` and before `ms`. */
const UNIX_TIME_RE = new RegExp(String.raw`=\s*${NUM}\s*ms(?![\p{L}])`, 'u');
const UNIX_TTL_RE = /\b(?:ttl|hlim)=(\d+)/i;
/** `5 packets transmitted, 5 received, ...%` / `6 packets transmitted, 4 packets received, 1 duplicates, 33% packet loss`. */
const UNIX_SUMMARY_RE = /^\s*(\d+)\s+[^\d,]+,\s*(\d+)\s+[^\d,]*,.*%/u;
const UNIX_SUMMARY_DUPS_RE = /[,\s]\+?(\d+)\s+(?:dup|Dup|DUP)/;
/**
 * Windows IPv4 reply: the time token right before `TTL=`: `time=12ms`, `waktu<1ms`, `время=37мс`,
 * `temps=6 ms`. The unit is "anything but space, digit, = or <" so that a console code page
 * decoded as the wrong charset still matches; Windows only ever prints milliseconds.
 */
const WIN_REPLY_V4_RE = new RegExp(String.raw`([=<])\s*${NUM}\s*[^\s\d=<]{1,6}\s+TTL\s*=\s*(\d+)`, 'u');
/** Windows IPv6 reply (no TTL, no bytes): `Reply from ::1: time<1ms`, `Antwort von 2a00::1: Zeit=11ms`. */
const WIN_REPLY_V6_RE = new RegExp(String.raw`([=<])\s*${NUM}\s*[^\s\d=<]{1,6}\s*$`, 'u');
/** `Packets: Sent = 4, Received = 3, Lost = 1 (25% loss),` in any language: three `= N` separated by commas. */
const WIN_SUMMARY_RE = /=\s*(\d+)\s*[,，、]\s*[^=]*=\s*(\d+)\s*[,，、]\s*[^=]*=\s*(\d+)/u;

/** Ordered: the first match wins ("Destination Net Unreachable" is net, not host). */
const FAILURE_PATTERNS: readonly [RegExp, PingFailureKind | 'ignore'][] = [
  // iputils prints redirects for packets that may still be answered: not a failure.
  [/redirect/i, 'ignore'],
  [/time to live exceeded|ttl expired|ttl kedaluwarsa|hop limit exceeded/i, 'ttl-exceeded'],
  [/net(?:work)? unreachable|no route|jaringan tujuan tidak dapat dijangkau|netz(?:werk)? nicht erreichbar/i, 'net-unreachable'],
  [/unreachable|tidak dapat dijangkau|prohibited|packet filtered|reject route|nicht erreichbar|inaccessible|недоступ/i, 'unreachable'],
  [/timed out|time ?out|permintaan habis|no answer yet|zeitüberschreitung|délai d'attente|превышен/i, 'timeout'],
  [/general failure|transmit failed|kegagalan umum/i, 'local-error'],
];

function classify(line: string): PingFailureKind | 'ignore' {
  for (const [re, kind] of FAILURE_PATTERNS) if (re.test(line)) return kind;
  return 'unknown';
}

/**
 * Why ping refused to start, from what it printed before giving up ("ping: connect: Network is
 * unreachable" with no route or a downed interface; "Cannot assign requested address" when the
 * source address is gone), so such a test reads like every other probe's (docs/failures.md).
 * Null: some other failure (bad option, permission), which stays PING_FAILED.
 */
export function pingStartFailureCode(text: string): 'NETWORK_UNREACHABLE' | 'HOST_UNREACHABLE' | null {
  if (/network is unreachable|cannot assign requested address|network is down/i.test(text)) return 'NETWORK_UNREACHABLE';
  for (const line of text.split(/\r?\n/)) {
    const kind = classify(line);
    if (kind === 'net-unreachable') return 'NETWORK_UNREACHABLE';
    if (kind === 'unreachable') return 'HOST_UNREACHABLE';
  }
  return null;
}

/** `0,045` → 0.045. */
function num(s: string): number {
  return Number(s.replace(',', '.'));
}

/** Step of a printed number: `0.030` → 0.001, `12` → 1, `12,5` → 0.1. */
function stepOf(s: string): number {
  const i = s.search(/[.,]/);
  return i < 0 ? 1 : 10 ** -(s.length - i - 1);
}

/**
 * Lines, without a final line that has no newline: ping writes whole lines, so an unterminated
 * one was cut mid-write (killed) and could hold half a number (`time=12` of `time=123.4 ms`).
 */
function completeLines(text: string): string[] {
  const parts = text.split(/\r?\n/);
  parts.pop(); // '' after a final newline, or the unterminated fragment
  return parts;
}

function unparseable(code: PingUnparseable['code'], reason: string): PingUnparseable {
  return { status: 'unparseable', code, reason };
}

// ---- entry point ----------------------------------------------------------------------------

/** Read one ping run's standard output. Never throws: an output it cannot read is `unparseable`. */
export function parsePingOutput(text: string, opts: PingParseOptions = {}): PingParseResult {
  const lines = completeLines(text);
  if (lines.every((l) => l.trim() === '')) {
    return unparseable('empty', text.trim() === '' ? 'ping printed nothing' : 'ping printed only an incomplete line');
  }
  const unixish = lines.some((l) => SEQ_RE.test(l) || UNIX_SUMMARY_RE.test(l) || /^PING6?\b/.test(l));
  const windowsish = lines.some((l) => (!SEQ_RE.test(l) && windowsReply(l) !== null) || WIN_SUMMARY_RE.test(l));
  const windows = unixish === windowsish ? opts.platform === 'win32' : windowsish;
  return windows ? parseWindows(lines) : parseUnix(lines, opts.platform);
}

// ---- Unix: iputils, BusyBox, BSD/macOS --------------------------------------------------------

function unixFlavour(lines: readonly string[], platform: NodeJS.Platform | undefined): PingFlavour | null {
  const bareSeq = lines.some((l) => {
    const m = SEQ_RE.exec(l);
    return m !== null && m[1] === undefined;
  });
  if (bareSeq) return 'busybox';
  const header = lines.find((l) => /^PING6?\b/.test(l));
  if (header !== undefined) {
    if (/^PING6\(/.test(header)) return 'bsd'; // macOS ping6: "PING6(56=40+8+8 bytes) ::1 --> ::1"
    // BSD and BusyBox: "PING 127.0.0.1 (127.0.0.1): 56 data bytes"; iputils has no colon after
    // the parenthesis: "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.", "PING ::1(::1) 56 data bytes".
    if (/\):\s*\d/.test(header)) {
      // Both number from 0, so only the label rides on this: BusyBox prints "min/avg/max" and a
      // whole loss percentage ("33% packet loss"), BSD adds stddev and one decimal ("33.3%").
      const busybox = lines.some((l) => /min\/avg\/max = /.test(l) || /, \d+% packet loss/.test(l));
      return busybox ? 'busybox' : 'bsd';
    }
    if (/\)\s+(?:from\s|\d)/.test(header)) return 'iputils';
  }
  if (lines.some((l) => /^Request timeout for icmp_seq/.test(l) || /packets received/.test(l))) return 'bsd';
  if (lines.some((l) => /^From \S+ icmp_seq=/.test(l) || /^rtt min\/avg\/max\/mdev/.test(l) || /^\d+ packets transmitted, \d+ received/.test(l))) {
    return 'iputils';
  }
  if (platform === 'linux' || platform === 'android') return 'iputils';
  if (platform === 'darwin' || platform === 'freebsd' || platform === 'openbsd' || platform === 'netbsd') return 'bsd';
  return null;
}

function parseUnix(lines: readonly string[], platform: NodeJS.Platform | undefined): PingParseResult {
  const flavour = unixFlavour(lines, platform);
  const base = flavour === 'iputils' ? 1 : 0;
  const replies = new Map<number, PingReply>();
  const failures: PingFailure[] = [];
  let summary: { transmitted: number; received: number; duplicates: number | null } | null = null;
  let untimed = 0;
  let anySeq = false;
  let step = 0;
  // ICMP sequence numbers are 16 bits; a run longer than 65,536 packets wraps to 0.
  let highest = -1;
  const unwrap = (raw: number): number => {
    const u = highest < 0 ? raw : raw + 65536 * Math.round((highest - raw) / 65536);
    if (u > highest) highest = u;
    return u;
  };

  for (const line of lines) {
    const s = UNIX_SUMMARY_RE.exec(line);
    if (s) {
      const d = UNIX_SUMMARY_DUPS_RE.exec(line);
      summary = { transmitted: Number(s[1]), received: Number(s[2]), duplicates: d ? Number(d[1]) : null };
      continue;
    }
    const seqM = SEQ_RE.exec(line);
    const timeM = UNIX_TIME_RE.exec(line);
    if (seqM) {
      anySeq = true;
      const seq = unwrap(Number(seqM[2])) - base;
      if (timeM) {
        const prior = replies.get(seq);
        if (prior) prior.duplicates++;
        else {
          const ttlM = UNIX_TTL_RE.exec(line);
          replies.set(seq, { seq, rttMs: num(timeM[1] as string), ttl: ttlM ? Number(ttlM[1]) : null, duplicates: 0 });
          step = Math.max(step, stepOf(timeM[1] as string));
        }
        continue;
      }
      const kind = classify(line);
      if (kind === 'ignore') continue;
      // A reply printed without a time: the payload was too small to carry ping's timestamp.
      if (kind === 'unknown' && UNIX_TTL_RE.test(line)) {
        untimed++;
        continue;
      }
      failures.push({ seq, kind, text: line.trim() });
      continue;
    }
    // macOS: "92 bytes from 10.77.9.1: Destination Host Unreachable" names no packet.
    if (!timeM && !/^ping6?:/.test(line)) {
      const kind = classify(line);
      if (kind === 'unreachable' || kind === 'net-unreachable' || kind === 'ttl-exceeded') {
        failures.push({ seq: null, kind, text: line.trim() });
      }
    }
  }

  if (replies.size === 0 && !failures.some((f) => f.seq !== null) && !summary) {
    return unparseable('no-data', 'no reply, timeout or summary line recognised');
  }
  if (flavour === null && anySeq) {
    return unparseable('ambiguous', 'cannot tell which ping printed this, so whether its sequence numbers start at 0 or 1');
  }
  if (untimed > 0) {
    return unparseable('inconsistent', `${untimed} replies were printed without a round-trip time (payload smaller than ping's timestamp?)`);
  }
  const seqs = [...replies.keys(), ...failures.flatMap((f) => (f.seq === null ? [] : [f.seq]))];
  if (seqs.some((q) => q < 0)) {
    return unparseable('inconsistent', `a sequence number below ${base}, the first one ${flavour} uses`);
  }
  const packetsSeen = seqs.length ? Math.max(...seqs) + 1 : 0;
  if (summary) {
    if (summary.transmitted < packetsSeen) {
      return unparseable('inconsistent', `the summary says ${summary.transmitted} sent, but a line names packet ${packetsSeen - 1 + base}`);
    }
    if (summary.received !== replies.size) {
      return unparseable('inconsistent', `the summary says ${summary.received} received, but ${replies.size} reply lines were read`);
    }
    const dups = [...replies.values()].reduce((n, r) => n + r.duplicates, 0);
    if (summary.duplicates !== null && summary.duplicates !== dups) {
      return unparseable('inconsistent', `the summary says ${summary.duplicates} duplicates, but ${dups} were read`);
    }
  }
  return {
    status: 'parsed',
    flavour,
    replies: [...replies.values()],
    failures: firstFailures(failures, replies),
    transmitted: summary?.transmitted ?? null,
    received: summary?.received ?? null,
    packetsSeen,
    complete: summary !== null,
    resolutionMs: replies.size ? step : null,
  };
}

/** One failure per packet (the first report), none for packets that were answered after all. */
function firstFailures(failures: readonly PingFailure[], replies: ReadonlyMap<number, PingReply>): PingFailure[] {
  const seen = new Set<number>();
  return failures.filter((f) => {
    if (f.seq === null) return true;
    if (replies.has(f.seq) || seen.has(f.seq)) return false;
    seen.add(f.seq);
    return true;
  });
}

// ---- Windows ----------------------------------------------------------------------------------

/**
 * A Windows reply line: [1] `=` or `<`, [2] the time, [3] the TTL (undefined for IPv6). A real
 * IPv4 reply has a time and a TTL. IPv6 replies carry neither TTL nor bytes, so a line without
 * TTL counts only if its time is its only `=`/`<` number and ends it. An unreachable
 * "Reply from ...: Destination host unreachable." carries no time at all.
 */
function windowsReply(line: string): RegExpExecArray | null {
  const v4 = WIN_REPLY_V4_RE.exec(line);
  if (v4) return v4;
  if ((line.match(/[=<]\s*\d/g) ?? []).length !== 1) return null;
  return WIN_REPLY_V6_RE.exec(line);
}

/**
 * ping.exe prints a header ending in ':' ("Pinging 127.0.0.1 with 32 bytes of data:",
 * "Ping 127.0.0.1 dengan 32 byte data:"), then exactly one line per echo request, then a blank
 * line and the statistics. Sequence numbers are the positions of those lines.
 */
function parseWindows(lines: readonly string[]): PingParseResult {
  const start = lines.findIndex((l) => l.trim() !== '');
  if (start < 0 || !(lines[start] as string).trimEnd().endsWith(':')) {
    return unparseable('no-data', 'no Windows ping header ("Pinging ... :")');
  }
  const replies: PingReply[] = [];
  const failures: PingFailure[] = [];
  let seq = 0;
  let step = 0;
  let i = start + 1;
  for (; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.endsWith(':')) break;
    const m = windowsReply(line);
    if (m) {
      const printed = m[2] as string;
      const lessThan = m[1] === '<';
      const value = num(printed);
      replies.push({
        seq,
        rttMs: lessThan ? value / 2 : value,
        ttl: m[3] !== undefined ? Number(m[3]) : null,
        duplicates: 0,
        ...(lessThan ? { lessThanMs: value } : {}),
      });
      step = Math.max(step, lessThan ? value : stepOf(printed));
    } else {
      const kind = classify(line);
      failures.push({ seq, kind: kind === 'ignore' ? 'unknown' : kind, text: line });
    }
    seq++;
  }
  let summary: { transmitted: number; received: number } | null = null;
  for (; i < lines.length; i++) {
    const s = WIN_SUMMARY_RE.exec(lines[i] as string);
    if (s) {
      summary = { transmitted: Number(s[1]), received: Number(s[2]) };
      break;
    }
  }
  if (replies.length === 0 && !failures.some((f) => f.kind !== 'unknown') && !summary) {
    return unparseable('no-data', 'no reply, timeout or summary line recognised');
  }
  if (summary && summary.transmitted !== seq) {
    return unparseable('inconsistent', `the summary says ${summary.transmitted} sent, but ${seq} per-packet lines were read`);
  }
  if (summary && summary.received < replies.length) {
    return unparseable('inconsistent', `the summary says ${summary.received} received, but ${replies.length} replies were read`);
  }
  return {
    status: 'parsed',
    flavour: 'windows',
    replies,
    failures,
    transmitted: summary?.transmitted ?? null,
    received: summary?.received ?? null,
    packetsSeen: seq,
    complete: summary !== null,
    resolutionMs: replies.length ? step : null,
  };
}
