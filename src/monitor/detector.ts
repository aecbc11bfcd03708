/**
 * Incident detection for `qosprobe monitor`: pure, clock-free state machines fed with one
 * probe result at a time, in send order. Nothing here reads a clock or touches a socket, so
 * a simulated week runs in milliseconds and gives the same incidents as the real thing.
 *
 * Outage (hysteresis on consecutive results, as SmokePing's loss patterns):
 *   opens after `lossCount` consecutive losses; started_at = send time of the first of them
 *   (the link failed between the last reply and that packet: the error is at most one interval);
 *   closes after `recoverCount` consecutive replies; ended_at = send time of the first of them.
 * Degradation (a quality profile's thresholds over a sliding window, with hold-down):
 *   evaluated only while no outage is open, over results of the last `windowMs` that are not
 *   part of an outage; opens when a metric breaks its threshold with at least `minSamples` in
 *   the window; closes only after every metric has held for `holdDownMs` without a break
 *   (anti-flapping); ended_at = when they started holding again. A loss threshold needs at
 *   least MIN_LOST_FOR_LOSS_RULE lost packets in the window (a single loss never opens one).
 */
import type { MeasurementErrorCode } from '../core/errors.js';
import type { RttTiming } from '../probes/session.js';
import type { ThresholdRule } from '../quality/thresholds.js';
import { windowMetrics, type WindowMetrics } from '../stats/window.js';

/** One test packet's fate, as the continuous schedule reports it (in send order). */
export interface ProbeResult {
  seq: number;
  /** Send time, monotonic ms (durations are computed from these only: clock-step safe). */
  sentMono: number;
  /** Send time, wall clock ms since the epoch (for started_at / ended_at). */
  sentWall: number;
  /** Round trip, ms; null = lost (no reply within the timeout, or the send failed). */
  rttMs: number | null;
  /** Why it was lost, when it was (TIMEOUT, NETWORK_UNREACHABLE, DNS_FAILED...). */
  errorCode?: MeasurementErrorCode | null;
  /** How the round trip was timed (the window record's rtt_timestamping); null or absent when lost. */
  timing?: RttTiming | null;
}

export interface DetectionConfig {
  /** Consecutive losses that open an outage (default 3). */
  lossCount: number;
  /** Consecutive replies that close it (default 3). */
  recoverCount: number;
  /** Sliding window the degradation rules are evaluated over, ms (default 120 s). */
  windowMs: number;
  /** Fewest results in the window before a degradation may open (default 60). */
  minSamples: number;
  /** How long every metric must hold before a degradation closes, ms (default 300 s). */
  holdDownMs: number;
}

/** Fewest lost packets in the window before a loss threshold can be broken. */
export const MIN_LOST_FOR_LOSS_RULE = 2;

export const DEFAULT_DETECTION: DetectionConfig = { lossCount: 3, recoverCount: 3, windowMs: 120_000, minSamples: 60, holdDownMs: 300_000 };

export type IncidentKind = 'outage' | 'degradation';

export interface Incident {
  id: string;
  kind: IncidentKind;
  /** The metric that opened it: `loss_percent` for outages, the profile rule's metric otherwise. */
  metric: string;
  /** The threshold broken (outage: the consecutive-loss count). */
  threshold: number;
  /** Worst value seen while open (outage: the longest run of consecutive losses). */
  worstValue: number;
  startedWall: number;
  startedMono: number;
  endedWall: number | null;
  endedMono: number | null;
  /** Results observed while open (evidence). */
  samplesSent: number;
  samplesLost: number;
  /** First and last sequence numbers of the evidence. */
  firstSeq: number;
  lastSeq: number;
  /** Label of the profile rule broken (degradation), e.g. "IPLR". */
  rule: string | null;
  /** Error code of the losses that opened an outage (what the network said), when any. */
  cause: string | null;
}

export type IncidentEvent = { type: 'open' | 'close'; incident: Incident };

/**
 * Detector state for one endpoint. `newId` names incidents (random in production, a counter
 * in tests).
 */
export class Detector {
  private lostRun: ProbeResult[] = [];
  private replyRun: ProbeResult[] = [];
  private outage: Incident | null = null;
  private degradation: Incident | null = null;
  /** Start of the current run of windows that hold (degradation open), monotonic + wall. */
  private holdingSince: { mono: number; wall: number } | null = null;
  private window: ProbeResult[] = [];

  constructor(
    private readonly cfg: DetectionConfig,
    private readonly rules: readonly ThresholdRule[],
    private readonly newId: () => string,
  ) {}

  /** Incidents open now (for the state file and for a clean shutdown). */
  open(): Incident[] {
    return [this.outage, this.degradation].filter((i): i is Incident => i !== null);
  }

  observe(r: ProbeResult): IncidentEvent[] {
    const events: IncidentEvent[] = [];
    if (this.degradation) this.count(this.degradation, r);
    if (r.rttMs === null) this.onLoss(r, events);
    else if (this.outage) this.onRecovering(r, events);
    else {
      // Fewer than lossCount losses, then a reply: isolated losses, real quality data.
      this.window.push(...this.lostRun, r);
      this.lostRun = [];
      this.evaluateQuality(r, events);
    }
    return events;
  }

  /** Close whatever is open (monitor stopping): ended at the last observation. */
  closeAll(atMono: number, atWall: number): IncidentEvent[] {
    return this.open().map((i) => {
      i.endedMono = atMono;
      i.endedWall = atWall;
      if (i === this.outage) this.outage = null;
      else this.degradation = null;
      return { type: 'close' as const, incident: i };
    });
  }

  private onLoss(r: ProbeResult, events: IncidentEvent[]): void {
    this.lostRun.push(r);
    this.replyRun = [];
    if (this.outage) {
      this.count(this.outage, r);
      this.outage.worstValue = Math.max(this.outage.worstValue, this.lostRun.length);
      return;
    }
    if (this.lostRun.length < this.cfg.lossCount) return;
    const first = this.lostRun[0] as ProbeResult;
    const inc = this.incident('outage', 'loss_percent', this.cfg.lossCount, first, null);
    inc.cause = first.errorCode ?? null;
    for (const x of this.lostRun) this.count(inc, x);
    inc.worstValue = this.lostRun.length;
    this.outage = inc;
    events.push({ type: 'open', incident: inc });
  }

  private onRecovering(r: ProbeResult, events: IncidentEvent[]): void {
    const inc = this.outage as Incident;
    this.lostRun = [];
    this.replyRun.push(r);
    this.count(inc, r);
    if (this.replyRun.length < this.cfg.recoverCount) return;
    const first = this.replyRun[0] as ProbeResult;
    inc.endedMono = first.sentMono;
    inc.endedWall = first.sentWall;
    this.outage = null;
    events.push({ type: 'close', incident: inc });
    // The recovering replies are good samples of the working link again; the outage's losses
    // never entered the window, so a cut does not also read as a degradation afterwards.
    this.window.push(...this.replyRun);
    this.replyRun = [];
  }

  private evaluateQuality(r: ProbeResult, events: IncidentEvent[]): void {
    const from = r.sentMono - this.cfg.windowMs;
    let drop = 0;
    while (drop < this.window.length && (this.window[drop] as ProbeResult).sentMono < from) drop++;
    if (drop > 0) this.window.splice(0, drop);
    if (this.window.length < this.cfg.minSamples) return;
    let lost = 0;
    for (const w of this.window) if (w.rttMs === null) lost++;
    const broken = this.firstBroken(windowMetrics(this.window), lost);
    if (broken) {
      this.holdingSince = null;
      if (this.degradation) {
        this.degradation.worstValue = Math.max(this.degradation.worstValue, broken.value);
        return;
      }
      const inc = this.incident('degradation', broken.rule.metric, broken.rule.threshold, r, broken.rule.label);
      inc.worstValue = broken.value;
      for (const x of this.window) this.count(inc, x);
      inc.firstSeq = (this.window[0] as ProbeResult).seq;
      this.degradation = inc;
      events.push({ type: 'open', incident: inc });
      return;
    }
    if (!this.degradation) return;
    this.holdingSince ??= { mono: r.sentMono, wall: r.sentWall };
    if (r.sentMono - this.holdingSince.mono < this.cfg.holdDownMs) return;
    const inc = this.degradation;
    inc.endedMono = this.holdingSince.mono;
    inc.endedWall = this.holdingSince.wall;
    this.degradation = null;
    this.holdingSince = null;
    events.push({ type: 'close', incident: inc });
  }

  private firstBroken(m: WindowMetrics, lost: number): { rule: ThresholdRule; value: number } | null {
    for (const rule of this.rules) {
      // One lost packet is no more a degradation than it is an outage: in a window of 120
      // packets it alone is 0.8 %, eight times Y.1541's IPLR bound.
      if (rule.metric === 'loss_percent' && lost < MIN_LOST_FOR_LOSS_RULE) continue;
      const v = m[rule.metric];
      if (v !== null && v > rule.threshold) return { rule, value: v };
    }
    return null;
  }

  private incident(kind: IncidentKind, metric: string, threshold: number, at: ProbeResult, rule: string | null): Incident {
    return {
      id: this.newId(),
      kind,
      metric,
      threshold,
      worstValue: 0,
      startedWall: at.sentWall,
      startedMono: at.sentMono,
      endedWall: null,
      endedMono: null,
      samplesSent: 0,
      samplesLost: 0,
      firstSeq: at.seq,
      lastSeq: at.seq,
      rule,
      cause: null,
    };
  }

  private count(inc: Incident, r: ProbeResult): void {
    inc.samplesSent++;
    if (r.rttMs === null) inc.samplesLost++;
    inc.lastSeq = Math.max(inc.lastSeq, r.seq);
  }
}
