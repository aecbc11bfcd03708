/**
 * The monitor's core, without sockets or clocks: results in (from the continuous schedule, or
 * from a scripted network in tests), window records and incident records out. One instance
 * serves every endpoint of a config.
 */
import type { Metrics, ResultRecord } from '../core/schema.js';
import { SCHEMA_VERSION } from '../core/schema.js';
import { locationColumns, type LocationColumns } from '../core/location.js';
import { buildRecord, identityOf, type RunContext } from '../records/assemble.js';
import { dominantError } from '../probes/common.js';
import type { PacketSample } from '../core/samples.js';
import { Detector, type DetectionConfig, type Incident, type IncidentEvent, type ProbeResult } from './detector.js';
import { timingOf } from '../probes/session.js';
import { operatorOf } from '../core/link-operator.js';
import type { ThresholdRule } from '../quality/thresholds.js';

/** The kinds a monitor measures with (each has a measuring session, probes/session.ts). */
export type MonitorMethod = 'stamp' | 'tcp' | 'icmp';

export interface MonitoredEndpoint {
  name: string;
  method: MonitorMethod;
  target: string;
  /** The link this stream measures over (issue 22: each endpoint × link is its own stream); absent: the default route. */
  link?: string;
}

export interface CoreOptions {
  ctx: RunContext;
  /** Each link's own context (app/links.ts linkContexts): a bound stream's windows and incidents carry its link's columns. */
  linkContexts?: ReadonlyMap<string, RunContext>;
  endpoints: readonly MonitoredEndpoint[];
  intervalMs: number;
  timeoutMs: number;
  /** Length of a window record, ms. */
  windowMs: number;
  detection: DetectionConfig;
  rules: readonly ThresholdRule[];
  /** The profile the rules come from, named in degradation records. */
  profile: string | null;
  newId: () => string;
  onWindow(r: ResultRecord): void;
  onIncident(r: IncidentRecord): void;
}

/** An incident as written (NDJSON) and delivered (alerts): flat, one state per line. Fields in docs/monitor.md. */
export interface IncidentRecord extends LocationColumns {
  schema_version: number;
  record_type: 'incident';
  incident_id: string;
  incident_kind: 'outage' | 'degradation';
  state: 'open' | 'closed';
  probe_id: string;
  endpoint: string;
  target: string;
  target_ip: string | null;
  test: MonitorMethod;
  started_at: string;
  ended_at: string | null;
  /** ended − started on the monotonic clock, ms; while open, up to the latest evidence. */
  duration_ms: number | null;
  metric: string;
  threshold: number;
  worst_value: number;
  profile: string | null;
  rule: string | null;
  cause: string | null;
  samples_sent: number;
  samples_lost: number;
  first_seq: number;
  last_seq: number;
  /** recovered | monitor_stopped (closed because the monitor stopped or restarted, not because the network recovered). */
  end_reason: 'recovered' | 'monitor_stopped' | null;
  tool_version: string;
  /** The link the stream measured over (its own when bound, else the default route's), null when unknown. */
  net_iface: string | null;
  /** Who carries that link (core/link-operator.ts: MCC-MNC and name for a modem, else the link type), null when unknown. */
  operator: string | null;
  /** Network context at the time (interface, gateway, Wi-Fi, cellular), as on result records. */
  net: Metrics;
}

interface EndpointState {
  ep: MonitoredEndpoint;
  detector: Detector;
  window: ProbeResult[];
  windowStartMono: number | null;
  targetIp: string | null;
}

export class MonitorCore {
  private readonly eps: EndpointState[];

  constructor(private readonly o: CoreOptions) {
    this.eps = o.endpoints.map((ep) => ({ ep, detector: new Detector(o.detection, o.rules, o.newId), window: [], windowStartMono: null, targetIp: null }));
  }

  /** One result of endpoint `i`, in send order. */
  onResult(i: number, r: ProbeResult, targetIp: string | null = null): void {
    const s = this.eps[i] as EndpointState;
    if (targetIp) s.targetIp = targetIp;
    if (s.windowStartMono === null) s.windowStartMono = r.sentMono;
    // Windows are contiguous on the monotonic clock: a window closes when the first result of a later one arrives.
    while (r.sentMono >= s.windowStartMono + this.o.windowMs) {
      this.flushWindow(s);
      s.windowStartMono += this.o.windowMs;
    }
    s.window.push(r);
    for (const e of s.detector.observe(r)) this.emit(s, e, 'recovered');
  }

  /** Open incidents of every endpoint, as records (for the state file). */
  openIncidents(): IncidentRecord[] {
    return this.eps.flatMap((s) => s.detector.open().map((i) => this.record(s, i, 'open', null)));
  }

  /** Stop: write the last (partial) windows and close open incidents as monitor_stopped. */
  finish(nowMono: number, nowWall: number): void {
    for (const s of this.eps) {
      // The last window covers what it really did: from its start to the stop, not window_s.
      this.flushWindow(s, s.windowStartMono === null ? undefined : Math.min(this.o.windowMs, Math.max(0, nowMono - s.windowStartMono)));
      for (const e of s.detector.closeAll(nowMono, nowWall)) this.emit(s, e, 'monitor_stopped');
    }
  }

  private emit(s: EndpointState, e: IncidentEvent, reason: 'recovered' | 'monitor_stopped'): void {
    this.o.onIncident(this.record(s, e.incident, e.type === 'open' ? 'open' : 'closed', e.type === 'close' ? reason : null));
  }

  /** The stream's context: its link's when it is bound to one, else the monitor's (the default route's). */
  private ctxOf(s: EndpointState): RunContext {
    return (s.ep.link ? this.o.linkContexts?.get(s.ep.link) : undefined) ?? this.o.ctx;
  }

  private record(s: EndpointState, i: Incident, state: 'open' | 'closed', endReason: IncidentRecord['end_reason']): IncidentRecord {
    const ctx = this.ctxOf(s);
    const id = identityOf(ctx);
    const net = ctx.extra ?? {};
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
    return {
      schema_version: SCHEMA_VERSION,
      record_type: 'incident',
      incident_id: i.id,
      incident_kind: i.kind,
      state,
      probe_id: id.probe_id,
      ...locationColumns(ctx.location),
      endpoint: s.ep.name,
      target: s.ep.target,
      target_ip: s.targetIp,
      test: s.ep.method,
      started_at: new Date(i.startedWall).toISOString(),
      ended_at: i.endedWall === null ? null : new Date(endedWall(i)).toISOString(),
      duration_ms: i.endedMono === null ? null : round3(i.endedMono - i.startedMono),
      metric: i.metric,
      threshold: round3(i.threshold),
      worst_value: round3(i.worstValue),
      profile: i.kind === 'degradation' ? this.o.profile : null,
      rule: i.rule,
      cause: i.cause,
      samples_sent: i.samplesSent,
      samples_lost: i.samplesLost,
      first_seq: i.firstSeq,
      last_seq: i.lastSeq,
      end_reason: endReason,
      tool_version: id.tool_version,
      net_iface: text(net.net_iface) ?? s.ep.link ?? null,
      operator: operatorOf({ net_type: text(net.net_type), cell_mcc_mnc: text(net.cell_mcc_mnc), cell_operator: text(net.cell_operator) }),
      net,
    };
  }

  private flushWindow(s: EndpointState, durationMs = this.o.windowMs): void {
    if (s.window.length === 0 || s.windowStartMono === null) return;
    const results = s.window;
    s.window = [];
    const first = results[0] as ProbeResult;
    const startMono = s.windowStartMono;
    const packets: PacketSample[] = results.map((r) => ({
      seq: r.seq,
      sentAtMs: r.sentMono - startMono,
      rttMs: r.rttMs,
      ...(r.rttMs === null ? { errorCode: r.errorCode ?? 'TIMEOUT', errorMessage: r.errorCode && r.errorCode !== 'TIMEOUT' ? r.errorCode : `no reply within ${this.o.timeoutMs} ms` } : {}),
    }));
    this.o.onWindow(
      buildRecord(
        this.ctxOf(s),
        {
          endpoint: s.ep.name,
          test: s.ep.method,
          // The window's wall-clock start, from the first packet's wall time and its offset into the window.
          startedAt: new Date(first.sentWall - (first.sentMono - startMono)),
          durationMs: round3(durationMs),
          intervalMs: this.o.intervalMs,
          timeoutMs: this.o.timeoutMs,
        },
        {
          target: s.ep.target,
          targetIp: s.targetIp,
          samples: { type: 'packets', intervalMs: this.o.intervalMs, packets },
          // Like every record: who timed the window's round trips (kernel_rx with the native STAMP socket).
          fields: { rtt_timestamping: timingOf(results.map((r) => ({ rttMs: r.rttMs, timing: r.timing ?? null }))) },
          error: dominantError(packets),
        },
      ),
    );
  }
}

/**
 * The wall end of an incident, never before its start: after the wall clock steps back during an
 * incident, the end is the start plus the monotonic duration (Alertmanager refuses endsAt < startsAt).
 */
function endedWall(i: Incident): number {
  const ended = i.endedWall as number;
  return ended >= i.startedWall ? ended : i.startedWall + Math.max(0, (i.endedMono ?? i.startedMono) - i.startedMono);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
