import { errorMessage, measurementCodeFor, type MeasurementErrorCode } from '../core/errors.js';
import { parseMtrRaw, parseTraceroute, parseTracert, type TraceHop, type TraceParsed, type TraceTool, type UnreachableKind } from '../net/trace-parse.js';
import { runTrace, traceDurationMs, type TraceProtocol, type TraceRun } from '../net/trace-run.js';
import type { Metrics } from '../core/schema.js';
import { readFamily, resolveTarget } from './common.js';
import type { ProbeDef } from './probe.js';
import type { BaseSpec, PacketSample, ProbeOutcome, TraceHopSamples } from '../core/samples.js';

export interface TraceSpec extends BaseSpec {
  kind: 'trace';
  protocol: TraceProtocol;
  /** Destination port of udp/tcp probes; the tool's default when undefined. */
  port?: number;
  family?: 4 | 6;
  maxHops: number;
  tool: TraceTool | 'auto';
  /** Probe packet size in bytes; the tool's default when undefined. */
  size?: number;
}

export const TRACE_DEFAULT_MAX_HOPS = 30;
const PROTOCOLS: readonly TraceProtocol[] = ['icmp', 'udp', 'tcp'];
const TOOLS: readonly (TraceTool | 'auto')[] = ['auto', 'mtr', 'traceroute', 'tracert'];

/** Runs the tool; the system's by default, something else in tests. */
export type TraceRunner = typeof runTrace;

/**
 * Per-hop loss and RTT, in the manner of `mtr --report`: the system's tracing tool sends `count`
 * rounds of probes with rising TTL; every hop's probes become packet samples, and the same
 * packet statistics as ping's give its loss, RTT quantiles and jitter. One record for the
 * trace (the target's figures, where loss and delay begin) and one per hop. See docs/trace.md.
 */
export function makeTraceProbe(runner: TraceRunner = runTrace): ProbeDef<TraceSpec> {
  return {
    kind: 'trace',
    configKeys: ['protocol', 'port', 'family', 'max_hops', 'tool', 'size'],
    defaults: { count: 10, intervalMs: 1000 },
    parse(raw, base, r, path) {
      const protocol = raw.protocol ?? 'icmp';
      if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol as TraceProtocol)) r.fail(`${path}.protocol`, PROTOCOLS.join(' | '), raw.protocol);
      const tool = raw.tool ?? 'auto';
      if (typeof tool !== 'string' || !TOOLS.includes(tool as TraceTool)) r.fail(`${path}.tool`, TOOLS.join(' | '), raw.tool);
      const family = readFamily(raw.family, r, `${path}.family`);
      return {
        ...base,
        kind: 'trace',
        protocol: protocol as TraceProtocol,
        tool: tool as TraceTool | 'auto',
        port: r.optNum(raw.port, `${path}.port`, { integer: true, min: 1, max: 65535 }),
        family,
        maxHops: r.optNum(raw.max_hops, `${path}.max_hops`, { integer: true, min: 1, max: 64 }) ?? TRACE_DEFAULT_MAX_HOPS,
        size: r.optNum(raw.size, `${path}.size`, { integer: true, min: 28, max: 1500 }),
      };
    },
    deadlineMs: (s) => traceDurationMs(s),
    targetOf: (e) => e.host,
    async run(endpoint, spec, { signal, measuring }) {
      const target = endpoint.host;
      const resolved = await resolveTarget(endpoint.host, target, { family: spec.family, signal });
      if (!resolved.ok) return resolved.failed;
      const { address, family } = resolved;
      measuring?.();
      let run: TraceRun;
      try {
        run = await runner({
          address,
          family,
          protocol: spec.protocol,
          port: spec.port,
          count: spec.count,
          intervalMs: spec.intervalMs,
          timeoutMs: spec.timeoutMs,
          maxHops: spec.maxHops,
          sizeBytes: spec.size,
          tool: spec.tool,
          signal,
          bind: spec.bind,
        });
      } catch (err) {
        return { target, targetIp: address, error: { code: measurementCodeFor(err), message: errorMessage(err) }, interrupted: signal.aborted };
      }
      return buildTraceOutcome({ target, targetIp: address, spec, run });
    },
  };
}

export const trace: ProbeDef<TraceSpec> = makeTraceProbe();

export interface TraceOutcomeInput {
  target: string;
  targetIp: string;
  spec: Pick<TraceSpec, 'count' | 'timeoutMs' | 'protocol'>;
  run: Pick<TraceRun, 'tool' | 'outputs' | 'stoppedBy' | 'intervalMs'>;
}

const PARSERS: Record<TraceTool, (text: string) => TraceParsed> = { mtr: parseMtrRaw, traceroute: parseTraceroute, tracert: parseTracert };

/**
 * From what the tool printed to the outcome: the target's samples on the trace's own record,
 * every hop's samples for its row. Pure.
 *
 * - Hops past the first one where the target answered are dropped (mtr's first round probes
 *   beyond the target before it knows how far it is).
 * - Target not reached: hops up to the last one that answered, and the silent one after it.
 * - Probe i of a hop is round i, sent at i × interval; an answer later than timeout_ms is lost.
 */
export function buildTraceOutcome({ target, targetIp, spec, run }: TraceOutcomeInput): ProbeOutcome {
  const interrupted = run.stoppedBy !== null;
  const fields: Metrics = { trace_tool: run.tool, trace_protocol: spec.protocol };
  const parsedRuns = run.outputs.map((o) => PARSERS[run.tool](o));
  const parsed = parsedRuns.filter((p): p is Extract<TraceParsed, { status: 'parsed' }> => p.status === 'parsed');
  if (parsed.length === 0) {
    const empty = run.outputs.every((o) => o.trim() === '');
    if (interrupted && empty) return { target, targetIp, fields, interrupted, error: run.stoppedBy === 'deadline' ? { code: 'DEADLINE', message: 'the trace did not finish in time' } : null };
    const why = parsedRuns.find((p) => p.status === 'unparseable');
    return { target, targetIp, fields, interrupted, error: { code: 'TRACE_UNPARSEABLE', message: `could not read ${run.tool}'s output: ${why?.status === 'unparseable' ? why.reason : 'no output'}` } };
  }
  const all = mergeRuns(parsed.map((p) => p.hops));
  const reachedIdx = all.findIndex((h) => h.addresses.includes(targetIp) && h.probes.some((p) => p.rttMs !== null));
  const reached = reachedIdx >= 0;
  let hops: TraceHop[];
  if (reached) hops = all.slice(0, reachedIdx + 1);
  else {
    const lastAnswer = findLastIndex(all, (h) => h.probes.some((p) => p.rttMs !== null));
    hops = all.slice(0, Math.min(all.length, lastAnswer + 2));
  }
  if (!reached) markRepeatedEnd(hops);
  const hopSamples: TraceHopSamples[] = hops.map((h) => ({
    hop: h.hop,
    address: h.addresses[0] ?? null,
    note: unreachableOf(h),
    packets: packetsOf(h, run.intervalMs, spec.timeoutMs, spec.count),
  }));

  // Where loss and delay begin is read from these hops after the probe (records/trace.ts).
  fields.trace_hops = reached ? hops.length : null;
  fields.rtt_resolution_ms = parsed[0]!.resolutionMs;

  let error: { code: MeasurementErrorCode; message: string } | null = null;
  let samplesPackets: PacketSample[];
  if (reached) {
    samplesPackets = hopSamples[hopSamples.length - 1]!.packets;
  } else {
    // The target never answered: its record has what was sent to it, all lost, and says where the path ends.
    const n = Math.max(0, ...hopSamples.map((h) => h.packets.length));
    samplesPackets = Array.from({ length: n }, (_, seq) => ({ seq, sentAtMs: seq * run.intervalMs, rttMs: null }));
    const lastAnswering = [...hopSamples].reverse().find((h) => h.packets.some((p) => p.rttMs !== null));
    const unreach = hopSamples.find((h) => h.note !== null && h.note !== 'no_reply' && h.note !== 'icmp_rate_limit_suspected');
    const where = lastAnswering ? `the path ends after hop ${lastAnswering.hop} (${lastAnswering.address ?? '?'})` : 'no hop answered';
    error = unreach
      ? { code: unreach.note === 'net_unreachable' ? 'NETWORK_UNREACHABLE' : 'HOST_UNREACHABLE', message: `hop ${unreach.hop} (${unreach.address ?? '?'}) reported ${unreach.note}; ${where}` }
      : { code: 'ALL_LOST', message: `the target did not answer; ${where}` };
  }
  // Cut short: the target may simply not have had its turn; the record says why it stopped.
  if (!reached && interrupted) error = run.stoppedBy === 'deadline' ? { code: 'DEADLINE', message: 'the trace was stopped before the target answered' } : null;
  return {
    target,
    targetIp,
    fields,
    samples: { type: 'packets', intervalMs: run.intervalMs, packets: samplesPackets },
    hops: hopSamples,
    error,
    interrupted,
  };
}

/** tracert runs several times (three probes per hop each): hop n's probes of every run, in run order. */
function mergeRuns(runs: TraceHop[][]): TraceHop[] {
  if (runs.length === 1) return runs[0]!;
  const max = Math.max(...runs.map((r) => r.length));
  const out: TraceHop[] = [];
  for (let i = 0; i < max; i++) {
    const hs = runs.map((r) => r[i]).filter((h): h is TraceHop => h !== undefined);
    const addrs = [...new Set(hs.flatMap((h) => h.addresses))];
    out.push({ hop: i + 1, probes: hs.flatMap((h) => h.probes), addresses: addrs, unreachable: hs.find((h) => h.unreachable)?.unreachable ?? null });
  }
  return out;
}

function packetsOf(h: TraceHop, intervalMs: number, timeoutMs: number, count: number): PacketSample[] {
  return h.probes.slice(0, count).map((p, seq) => {
    const sentAtMs = seq * intervalMs;
    if (p.rttMs === null) return { seq, sentAtMs, rttMs: null, errorCode: 'TIMEOUT' as const };
    if (p.rttMs > timeoutMs) return { seq, sentAtMs, rttMs: null, late: true, errorCode: 'TIMEOUT' as const };
    return { seq, sentAtMs, rttMs: p.rttMs };
  });
}

/**
 * mtr does not print unreachable notices, but the router that sends one answers the probes of
 * every higher TTL too: the same address at the last two answering hops, short of the target,
 * is that router saying it cannot go on.
 */
function markRepeatedEnd(hops: TraceHop[]): void {
  const answering = hops.filter((h) => h.probes.some((p) => p.rttMs !== null));
  const [a, b] = answering.slice(-2);
  if (a && b && b.hop === a.hop + 1 && b.addresses[0] !== undefined && a.addresses[0] === b.addresses[0] && b.unreachable === null) b.unreachable = 'unreachable';
}

function unreachableOf(h: TraceHop): UnreachableKind | null {
  return h.unreachable ?? h.probes.find((p) => p.unreachable !== null)?.unreachable ?? null;
}

function findLastIndex<T>(xs: readonly T[], f: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (f(xs[i]!)) return i;
  return -1;
}
