/**
 * Reading what path-tracing tools printed. Pure: text in, data out; never throws, never guesses.
 *
 * Per-probe dialects (every probe's RTT, so the shared packet statistics give median, p95 and
 * jitter per hop):
 * - `mtr --raw` (mtr 0.8x–0.95): `x HOP SEQ` (sent), `h HOP ADDR` (who answered at HOP),
 *   `p HOP USEC SEQ` (reply to SEQ after USEC µs), `d HOP NAME`; HOP counts from 0 (TTL 1);
 * - Linux / BSD `traceroute`: ` 3  10.77.82.1  1.204 ms  *  1.310 ms !H`, with `-n` or
 *   `name (address)`, several responders on one line (ECMP), `!H !N !P !X !S !F-mtu !<n>` flags;
 * - Windows `tracert`, any language: three time columns (`<1 ms`, `12 ms`, `*`) then the address
 *   or a translated "Request timed out." / "Waktu permintaan habis."; `ADDR reports: ...` /
 *   `ADDR melaporkan: ...` for an unreachable notice.
 *
 * Aggregate dialects (per-hop figures only: no per-probe times, so no median or p95):
 * - `mtr --report --json`: `report.hubs[]` with `count` (hop), `host`, `Loss%`, `Snt`, `Best`,
 *   `Avg`, `Wrst`, `StDev`; `???` for a hop that never answered;
 * - Windows `pathping`: `Hop RTT Lost/Sent = Pct Lost/Sent = Pct Address`.
 *
 * Numbers and addresses are found by structure, not by words, so translated text around them
 * does not matter.
 */

export type TraceTool = 'mtr' | 'traceroute' | 'tracert';

/** Why a probe's answer was an ICMP unreachable rather than time-exceeded or an echo reply. */
export type UnreachableKind = 'host_unreachable' | 'net_unreachable' | 'protocol_unreachable' | 'prohibited' | 'unreachable';

export interface TraceProbe {
  /** Round-trip time, ms; null = no answer (`*`). For tracert's `<1 ms`, 0.5 (see ping-parse's lessThanMs). */
  rttMs: number | null;
  /** Who answered; null when nobody did or the tool did not say per probe. */
  address: string | null;
  /** The answer was an unreachable notice (traceroute `!H`...). */
  unreachable: UnreachableKind | null;
}

export interface TraceHop {
  /** TTL of the probes, from 1. */
  hop: number;
  /** Probes in send order. */
  probes: TraceProbe[];
  /** Addresses that answered at this hop, most frequent first (ECMP paths show several). */
  addresses: string[];
  /** An unreachable notice for the hop as a whole (tracert's `ADDR reports: ...`). */
  unreachable: UnreachableKind | null;
}

export type TraceParsed =
  | {
      status: 'parsed';
      tool: TraceTool;
      hops: TraceHop[];
      /** Coarsest step of the printed RTTs, ms (mtr: 0.001 (µs); traceroute: 0.001; tracert: 1). */
      resolutionMs: number;
    }
  | { status: 'unparseable'; reason: string };

// ---- mtr --raw ----------------------------------------------------------------------------------

export function parseMtrRaw(text: string): TraceParsed {
  const sent = new Map<number, number[]>(); // hop → seqs in send order
  const replies = new Map<number, number>(); // seq → µs
  const hosts = new Map<number, string[]>();
  const hopOfSeq = new Map<number, number>();
  let lines = 0;
  for (const raw of text.split(/\r?\n/)) {
    const t = raw.trim().split(/\s+/);
    const hop = int(t[1]);
    if (hop === null || hop > 255) continue;
    if (t[0] === 'x' && t.length === 3) {
      const seq = int(t[2]);
      if (seq === null || hopOfSeq.has(seq)) continue;
      hopOfSeq.set(seq, hop);
      push(sent, hop, seq);
      lines++;
    } else if (t[0] === 'p' && t.length === 4) {
      const usec = int(t[2]);
      const seq = int(t[3]);
      // A reply to a probe not seen sent, or to another hop's probe, is not this hop's.
      if (usec === null || seq === null || hopOfSeq.get(seq) !== hop || replies.has(seq)) continue;
      replies.set(seq, usec);
      lines++;
    } else if (t[0] === 'h' && t.length === 3 && isAddress(t[2]!)) {
      push(hosts, hop, t[2]!);
      lines++;
    }
  }
  if (lines === 0) return { status: 'unparseable', reason: 'no mtr --raw lines (x/h/p)' };
  const maxHop = Math.max(...sent.keys(), ...hosts.keys());
  const hops: TraceHop[] = [];
  for (let h = 0; h <= maxHop; h++) {
    const seqs = sent.get(h) ?? [];
    const addrs = byFrequency(hosts.get(h) ?? []);
    hops.push({
      hop: h + 1,
      probes: seqs.map((s) => {
        const us = replies.get(s);
        // mtr's raw lines do not tie an address to a probe; ECMP hops list several `h` lines.
        return { rttMs: us === undefined ? null : us / 1000, address: us === undefined ? null : (addrs.length === 1 ? addrs[0]! : null), unreachable: null };
      }),
      addresses: addrs,
      unreachable: null,
    });
  }
  return { status: 'parsed', tool: 'mtr', hops, resolutionMs: 0.001 };
}

// ---- traceroute (Linux, BSD/macOS) --------------------------------------------------------------

const TRACEROUTE_FLAGS: Record<string, UnreachableKind> = {
  H: 'host_unreachable',
  N: 'net_unreachable',
  P: 'protocol_unreachable',
  X: 'prohibited',
  // !S source route failed, !F fragmentation needed, !V/!C precedence, !<n> other codes
};

export function parseTraceroute(text: string): TraceParsed {
  const hops = new Map<number, TraceHop>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s{0,3}(\d{1,3})\s+(.*)$/.exec(raw);
    if (!m) continue;
    const hop = Number(m[1]);
    if (hop < 1 || hop > 255 || hops.has(hop)) continue;
    const probes = traceroutePoints(m[2]!);
    if (probes === null) continue;
    hops.set(hop, { hop, probes, addresses: byFrequency(probes.flatMap((p) => (p.address ? [p.address] : []))), unreachable: null });
  }
  if (hops.size === 0) return { status: 'unparseable', reason: 'no traceroute hop lines' };
  return { status: 'parsed', tool: 'traceroute', hops: fillGaps(hops), resolutionMs: 0.001 };
}

/** The probes of one hop line; null when the line is not a hop line (a banner, a warning). */
function traceroutePoints(rest: string): TraceProbe[] | null {
  const tokens = rest.trim().split(/\s+/);
  const probes: TraceProbe[] = [];
  let address: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '*') {
      probes.push({ rttMs: null, address: null, unreachable: null });
    } else if (/^\d+(\.\d+)?$/.test(tok) && tokens[i + 1] === 'ms') {
      if (address === null) return null; // a time before any address: not traceroute's layout
      probes.push({ rttMs: Number(tok), address, unreachable: null });
      i++;
    } else if (tok.startsWith('!')) {
      const last = probes[probes.length - 1];
      if (!last || last.rttMs === null) return null;
      last.unreachable = TRACEROUTE_FLAGS[tok.slice(1)] ?? 'unreachable';
    } else if (isAddress(tok)) {
      address = tok;
    } else if (/^\(.*\)$/.test(tokens[i + 1] ?? '') && isAddress(tokens[i + 1]!.slice(1, -1))) {
      address = tokens[i + 1]!.slice(1, -1); // `name (address)`: the address wins
      i++;
    } else {
      return null;
    }
  }
  return probes.length > 0 ? probes : null;
}

// ---- Windows tracert ------------------------------------------------------------------------------

export function parseTracert(text: string): TraceParsed {
  const hops = new Map<number, TraceHop>();
  for (const raw of text.split(/\r?\n/)) {
    // `  5  10.77.82.1  reports: Destination host unreachable.` (any language: ADDR, a word and a colon)
    const rep = /^\s{0,4}(\d{1,3})\s+(\S+)\s+[^\s:]+:\s*(.*)$/.exec(raw);
    if (rep && isAddress(stripBrackets(rep[2]!))) {
      const hop = Number(rep[1]);
      if (hop >= 1 && hop <= 255 && !hops.has(hop)) {
        const addr = stripBrackets(rep[2]!);
        hops.set(hop, { hop, probes: [], addresses: [addr], unreachable: unreachableFromWords(rep[3]!) });
      }
      continue;
    }
    const m = /^\s{0,4}(\d{1,3})\s+((?:(?:<?\d+\s*ms|\*)\s+){3})(.*)$/.exec(raw);
    if (!m) continue;
    const hop = Number(m[1]);
    if (hop < 1 || hop > 255 || hops.has(hop)) continue;
    const tail = m[3]!.trim();
    // `name [address]` or a bare address; anything else is the translated "Request timed out."
    const bracket = /\[([^\]]+)\]\s*$/.exec(tail);
    const addr = bracket && isAddress(bracket[1]!) ? bracket[1]! : isAddress(tail.split(/\s+/)[0] ?? '') ? tail.split(/\s+/)[0]! : null;
    const cols = m[2]!.match(/<?\d+\s*ms|\*/g) ?? [];
    const probes: TraceProbe[] = cols.map((c) => {
      if (c === '*') return { rttMs: null, address: null, unreachable: null };
      const n = Number(/\d+/.exec(c)![0]);
      return { rttMs: c.startsWith('<') ? n / 2 : n, address: addr, unreachable: null };
    });
    // Replies without an address line would be answers from nobody: not a layout we know.
    if (addr === null && probes.some((p) => p.rttMs !== null)) continue;
    hops.set(hop, { hop, probes, addresses: addr ? [addr] : [], unreachable: null });
  }
  if (hops.size === 0) return { status: 'unparseable', reason: 'no tracert hop lines' };
  return { status: 'parsed', tool: 'tracert', hops: fillGaps(hops), resolutionMs: 1 };
}

function unreachableFromWords(s: string): UnreachableKind {
  const t = s.toLowerCase();
  // English, Indonesian ("Jaringan tujuan tidak dapat dijangkau", "Host tujuan ..."), else generic.
  if (/\bnet(work)?\b|jaringan/.test(t)) return 'net_unreachable';
  if (/\bhost\b/.test(t)) return 'host_unreachable';
  if (/prohibit|dilarang/.test(t)) return 'prohibited';
  return 'unreachable';
}

// ---- aggregate reports: mtr --json, pathping --------------------------------------------------------

/** One hop of a tool's own summary (no per-probe times). */
export interface TraceReportHop {
  hop: number;
  /** null: the hop never answered (mtr `???`). */
  address: string | null;
  sent: number;
  lossPercent: number | null;
  bestMs: number | null;
  avgMs: number | null;
  worstMs: number | null;
  stdevMs: number | null;
}

export type TraceReport = { status: 'parsed'; hops: TraceReportHop[] } | { status: 'unparseable'; reason: string };

export function parseMtrJson(text: string): TraceReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { status: 'unparseable', reason: 'not JSON' };
  }
  const hubs = (doc as { report?: { hubs?: unknown } } | null)?.report?.hubs;
  if (!Array.isArray(hubs)) return { status: 'unparseable', reason: 'no report.hubs array' };
  const hops: TraceReportHop[] = [];
  for (const h of hubs as unknown[]) {
    if (typeof h !== 'object' || h === null) continue;
    const o = h as Record<string, unknown>;
    const hop = typeof o.count === 'number' && Number.isInteger(o.count) && o.count >= 1 && o.count <= 255 ? o.count : null;
    const sent = typeof o.Snt === 'number' && Number.isInteger(o.Snt) && o.Snt >= 0 ? o.Snt : null;
    if (hop === null || sent === null || hops.some((x) => x.hop === hop)) continue;
    const host = typeof o.host === 'string' && o.host !== '???' && o.host.trim() !== '' ? o.host.trim() : null;
    const loss = fin(o['Loss%']);
    const answered = host !== null && loss !== null && loss < 100;
    hops.push({
      hop,
      address: host,
      sent,
      lossPercent: loss !== null && loss >= 0 && loss <= 100 ? loss : null,
      // mtr prints 0.0 for the times of a hop that never answered: not a time.
      bestMs: answered ? nonNeg(o.Best) : null,
      avgMs: answered ? nonNeg(o.Avg) : null,
      worstMs: answered ? nonNeg(o.Wrst) : null,
      stdevMs: answered ? nonNeg(o.StDev) : null,
    });
  }
  if (hops.length === 0) return { status: 'unparseable', reason: 'no usable hubs' };
  hops.sort((a, b) => a.hop - b.hop);
  return { status: 'parsed', hops };
}

export function parsePathping(text: string): TraceReport {
  const hops: TraceReportHop[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s{0,4}(\d{1,3})\s+(\d+ms|---)\s+(\d+)\/\s*(\d+)\s*=\s*(\d+)%\s+\d+\/\s*\d+\s*=\s*\d+%\s+(.*)$/.exec(raw);
    if (!m) continue;
    const hop = Number(m[1]);
    const lost = Number(m[3]);
    const sent = Number(m[4]);
    if (hop < 1 || hop > 255 || lost > sent || hops.some((h) => h.hop === hop)) continue;
    const tail = m[6]!.trim();
    const bracket = /\[([^\]]+)\]\s*$/.exec(tail);
    const found = bracket && isAddress(bracket[1]!) ? bracket[1]! : isAddress(tail) ? tail : null;
    // pathping's placeholder for a hop that never answered.
    const addr = found === '0.0.0.0' || found === '::' ? null : found;
    const rtt = m[2] === '---' ? null : Number(m[2]!.slice(0, -2));
    hops.push({ hop, address: addr, sent, lossPercent: sent > 0 ? (100 * lost) / sent : null, bestMs: null, avgMs: rtt, worstMs: null, stdevMs: null });
  }
  if (hops.length === 0) return { status: 'unparseable', reason: 'no pathping statistics lines' };
  hops.sort((a, b) => a.hop - b.hop);
  return { status: 'parsed', hops };
}

// ---- helpers --------------------------------------------------------------------------------------

/** An IPv4 or IPv6 literal (no zone); names are not addresses. */
export function isAddress(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(s)) return true;
  return s.includes(':') && /^[0-9a-fA-F:.]{2,45}$/.test(s) && (s.match(/::/g) ?? []).length <= 1;
}

function stripBrackets(s: string): string {
  return s.replace(/^\[(.*)\]$/, '$1');
}

function int(s: string | undefined): number | null {
  return s !== undefined && /^\d{1,9}$/.test(s) ? Number(s) : null;
}

function fin(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function nonNeg(v: unknown): number | null {
  const n = fin(v);
  return n !== null && n >= 0 ? n : null;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

function byFrequency(xs: readonly string[]): string[] {
  const n = new Map<string, number>();
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1]).map(([x]) => x);
}

/** Hops 1..max in order; a hop the tool skipped (never happens with a sane tool) has no probes. */
function fillGaps(hops: Map<number, TraceHop>): TraceHop[] {
  const max = Math.max(...hops.keys());
  const out: TraceHop[] = [];
  for (let h = 1; h <= max; h++) out.push(hops.get(h) ?? { hop: h, probes: [], addresses: [], unreachable: null });
  return out;
}
