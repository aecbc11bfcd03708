import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION, Detector, type DetectionConfig, type IncidentEvent, type ProbeResult } from '../../src/monitor/detector.js';
import { MonitorCore, type IncidentRecord } from '../../src/monitor/core.js';
import { thresholdsOf } from '../../src/quality/thresholds.js';
import { windowMetrics } from '../../src/stats/window.js';
import { validateProfile, type Profile } from '../../src/quality/profiles.js';
import type { ResultRecord } from '../../src/core/schema.js';
import { readFileSync } from 'node:fs';
// A seeded PRNG (mulberry32): the same scripted network every run.
import { prng as rng } from '../helpers/impairment-relay.js';

const y1541 = validateProfile(JSON.parse(readFileSync(new URL('../../profiles/itu-y1541.json', import.meta.url), 'utf8')), 'y1541') as Profile;
const tiphon = validateProfile(JSON.parse(readFileSync(new URL('../../profiles/tiphon.json', import.meta.url), 'utf8')), 'tiphon') as Profile;


const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);
const res = (seq: number, rttMs: number | null, intervalMs = 1000): ProbeResult => ({ seq, sentMono: seq * intervalMs, sentWall: T0 + seq * intervalMs, rttMs });

function ids() {
  let n = 0;
  return () => `inc-${++n}`;
}

function feed(d: Detector, pattern: string, intervalMs = 1000): IncidentEvent[] {
  // pattern: one character per packet, "." reply (10 ms), "x" lost
  return [...pattern].flatMap((c, seq) => d.observe(res(seq, c === 'x' ? null : 10, intervalMs)));
}

describe('outage detection (consecutive losses, hysteresis)', () => {
  const cfg: DetectionConfig = { ...DEFAULT_DETECTION, lossCount: 3, recoverCount: 3 };

  it('two losses in a row are not an outage; three are, started at the first of them', () => {
    const d = new Detector(cfg, [], ids());
    expect(feed(d, '..xx..x.xx....')).toEqual([]);
    const d2 = new Detector(cfg, [], ids());
    const ev = feed(d2, '..xxx');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.type).toBe('open');
    // first lost packet is seq 2, sent at T0 + 2 s
    expect(ev[0]!.incident.startedWall).toBe(T0 + 2000);
    expect(ev[0]!.incident.samplesLost).toBe(3);
  });

  it('closes only after recoverCount replies in a row; ended at the first of them', () => {
    const d = new Detector(cfg, [], ids());
    // lost 2..9, then a lone reply at 10 (not enough), lost 11, replies from 12
    const ev = feed(d, '..xxxxxxxx.x....');
    expect(ev.map((e) => e.type)).toEqual(['open', 'close']);
    const inc = ev[1]!.incident;
    expect(inc.endedWall).toBe(T0 + 12_000);
    // monotonic duration: 12 s − 2 s
    expect(inc.endedMono! - inc.startedMono).toBe(10_000);
    // worst run: 8 consecutive losses (seq 2..9)
    expect(inc.worstValue).toBe(8);
    expect(inc.samplesLost).toBe(9);
  });

  it('a cut of the link is one outage, not also a degradation afterwards', () => {
    const d = new Detector({ ...cfg, windowMs: 60_000, minSamples: 20, holdDownMs: 60_000 }, thresholdsOf(y1541), ids());
    const ev = feed(d, '.'.repeat(40) + 'x'.repeat(20) + '.'.repeat(200));
    expect(ev.map((e) => `${e.type} ${e.incident.kind}`)).toEqual(['open outage', 'close outage']);
  });
});

describe('profile thresholds', () => {
  it('Y.1541: IPLR 0.1 %, IPTD 1 s one way = 2000 ms mean RTT; IPDV has no upper passing bound', () => {
    expect(thresholdsOf(y1541)).toEqual([
      { id: 'iptd', label: 'IPTD (RTT/2)', metric: 'rtt_mean_ms', threshold: 2000 },
      { id: 'iplr', label: 'IPLR', metric: 'loss_percent', threshold: 0.1 },
    ]);
  });

  it('TIPHON: delay passes up to 300 ms one way (600 ms RTT), jitter up to 75 ms, and loss per its bands', () => {
    const t = thresholdsOf(tiphon);
    expect(t.find((r) => r.id === 'delay')).toMatchObject({ metric: 'rtt_mean_ms', threshold: 600 });
    expect(t.find((r) => r.id === 'jitter')).toMatchObject({ metric: 'jitter_ms', threshold: 75 });
    expect(t.some((r) => r.metric === 'loss_percent')).toBe(true);
  });

  it('window metrics are the record metrics: 1 of 4 lost = 25 %, IPDV over consecutive received pairs', () => {
    // rtts 10, 20, lost, 40 -> pairs (10,20) only -> IPDV 10; mean (10+20+40)/3
    const m = windowMetrics([res(0, 10), res(1, 20), res(2, null), res(3, 40)]);
    expect(m.loss_percent).toBe(25);
    expect(m.jitter_ms).toBe(10);
    expect(m.rtt_mean_ms).toBeCloseTo(70 / 3, 9);
  });
});

describe('degradation detection (sliding window, hold-down)', () => {
  const cfg: DetectionConfig = { lossCount: 3, recoverCount: 3, windowMs: 120_000, minSamples: 60, holdDownMs: 300_000 };

  it('2 % random loss for 10 minutes against Y.1541 opens one degradation, closed once after the hold-down', () => {
    const r = rng(7);
    const d = new Detector(cfg, thresholdsOf(y1541), ids());
    const events: IncidentEvent[] = [];
    let seq = 0;
    for (let i = 0; i < 300; i++) events.push(...d.observe(res(seq++, 20))); // 5 min clean
    for (let i = 0; i < 600; i++) events.push(...d.observe(res(seq++, r() < 0.02 ? null : 20))); // 10 min at 2 %
    const badEnd = seq;
    for (let i = 0; i < 900; i++) events.push(...d.observe(res(seq++, 20))); // 15 min clean
    expect(events.map((e) => `${e.type} ${e.incident.kind}`)).toEqual(['open degradation', 'close degradation']);
    const inc = events[1]!.incident;
    expect(inc.metric).toBe('loss_percent');
    expect(inc.worstValue).toBeGreaterThan(0.1);
    // Closed when the window held again (the last loss left the 120 s window), not before the bad period ended.
    expect(inc.endedMono!).toBeGreaterThanOrEqual((badEnd - 120) * 1000);
    expect(inc.endedMono!).toBeLessThanOrEqual((badEnd + 125) * 1000);
    expect(inc.startedMono).toBeGreaterThanOrEqual(300_000);
  });

  it('a single lost packet never opens a loss degradation, however small the threshold', () => {
    const d = new Detector({ ...cfg, minSamples: 60 }, thresholdsOf(y1541), ids());
    // one loss in every 150 packets: each 120-packet window holds at most one
    expect(feed(d, ('.'.repeat(149) + 'x').repeat(6))).toEqual([]);
  });

  it('no verdict on too few samples: fewer than minSamples in the window opens nothing', () => {
    const d = new Detector({ ...cfg, minSamples: 60 }, thresholdsOf(y1541), ids());
    // 50 packets, 10 % isolated loss
    expect(feed(d, '.........x'.repeat(5))).toEqual([]);
  });
});

describe('a simulated week on a scripted network (deterministic clock, no sleeping)', () => {
  it('every outage found once, every incident closed exactly once, state bounded', () => {
    const intervalMs = 5000;
    const weekMs = 7 * 24 * 3600 * 1000;
    const r = rng(42);
    // Script: outages of 30 s .. 1 h, and lossy periods (8 % loss) of 10 min .. 2 h, far apart.
    type Period = { from: number; to: number; kind: 'cut' | 'lossy' };
    const periods: Period[] = [];
    for (let t = 3600_000; t < weekMs - 4 * 3600_000; ) {
      const kind = r() < 0.6 ? 'cut' : 'lossy';
      const len = kind === 'cut' ? 30_000 + r() * 3_570_000 : 600_000 + r() * 6_600_000;
      periods.push({ from: t, to: t + len, kind });
      t += len + 1800_000 + r() * 8 * 3600_000;
    }
    const cuts = periods.filter((p) => p.kind === 'cut');
    const records: IncidentRecord[] = [];
    const windows: ResultRecord[] = [];
    const core = new MonitorCore({
      ctx: { runId: 'sim', probeId: 'sim', location: { code: '32.73', name: null, site: null, lat: null, lon: null, source: 'config' }, toolVersion: 'test' },
      endpoints: [{ name: 'srv', method: 'stamp', target: '10.77.0.1:862' }],
      intervalMs,
      timeoutMs: 2000,
      windowMs: 60_000,
      detection: { lossCount: 3, recoverCount: 3, windowMs: 600_000, minSamples: 60, holdDownMs: 600_000 },
      rules: thresholdsOf(y1541),
      profile: 'itu-y1541',
      newId: ids(),
      onWindow: (w) => windows.push(w),
      onIncident: (i) => records.push(i),
    });
    let p = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    for (let seq = 0; seq * intervalMs < weekMs; seq++) {
      const t = seq * intervalMs;
      while (p < periods.length && periods[p]!.to <= t) p++;
      const cur = periods[p] && periods[p]!.from <= t ? periods[p]! : null;
      const lost = cur?.kind === 'cut' ? true : cur?.kind === 'lossy' ? r() < 0.05 : false;
      core.onResult(0, { seq, sentMono: t, sentWall: T0 + t, rttMs: lost ? null : 20 + r() });
    }
    core.finish(weekMs, T0 + weekMs);
    const heapAfter = process.memoryUsage().heapUsed;

    // Every incident opened once and closed once, with the same id.
    const opened = records.filter((x) => x.state === 'open').map((x) => x.incident_id);
    const closed = records.filter((x) => x.state === 'closed').map((x) => x.incident_id);
    expect(new Set(opened).size).toBe(opened.length);
    expect([...closed].sort()).toEqual([...opened].sort());

    // Each scripted cut is exactly one outage, starting within one interval of the cut and ending within one interval of its end.
    const outages = records.filter((x) => x.state === 'closed' && x.incident_kind === 'outage');
    const longCuts = cuts.filter((c) => c.to - c.from >= 3 * intervalMs);
    const overlaps = (o: IncidentRecord, c: { from: number; to: number }) => Date.parse(o.started_at) < T0 + c.to && Date.parse(o.ended_at!) > T0 + c.from;
    // Outside the cuts, only a lossy period's chance run of 3 losses (5 % loss: 1 in 8,000) may read as a short outage.
    for (const o of outages.filter((o) => !cuts.some((c) => overlaps(o, c)))) {
      expect(periods.some((x) => x.kind === 'lossy' && overlaps(o, x))).toBe(true);
      expect(o.duration_ms!).toBeLessThan(60_000);
    }
    for (const c of longCuts) {
      const found = outages.filter((o) => overlaps(o, c));
      expect(found).toHaveLength(1);
      const o = found[0]!;
      expect(Date.parse(o.started_at) - (T0 + c.from)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(o.started_at) - (T0 + c.from)).toBeLessThanOrEqual(intervalMs);
      expect(Date.parse(o.ended_at!) - (T0 + c.to)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(o.ended_at!) - (T0 + c.to)).toBeLessThanOrEqual(intervalMs);
    }
    // Lossy periods: at most one degradation each (hold-down: no flapping), and none elsewhere.
    const degradations = records.filter((x) => x.state === 'open' && x.incident_kind === 'degradation');
    const lossy = periods.filter((x) => x.kind === 'lossy');
    expect(degradations.length).toBeGreaterThan(0);
    expect(degradations.length).toBeLessThanOrEqual(lossy.length);
    for (const dg of degradations) expect(lossy.some((x) => Date.parse(dg.started_at) >= T0 + x.from && Date.parse(dg.started_at) <= T0 + x.to)).toBe(true);
    // A window record a minute, all week.
    expect(windows.length).toBe(weekMs / 60_000);
    // Memory flat: a week of results leaves no more than a few MB behind (the records kept by this test aside).
    expect(heapAfter - heapBefore).toBeLessThan(64 * 1024 * 1024);
  }, 240_000); // a hang guard: the week is 3-6 s of CPU on an idle host, and hit 60 s under two suites at once
});

describe('MonitorCore: times a receiver accepts, durations that are true (issue 24 item 8, issue 25 item 6)', () => {
  const coreOf = (records: IncidentRecord[], windows: ResultRecord[]) =>
    new MonitorCore({
      ctx: { runId: 'c', probeId: 'c', location: { code: '32.73', name: null, site: null, lat: null, lon: null, source: 'config' }, toolVersion: 'test' },
      endpoints: [{ name: 'srv', method: 'stamp', target: '10.77.0.1:862' }],
      intervalMs: 1000,
      timeoutMs: 2000,
      windowMs: 60_000,
      detection: DEFAULT_DETECTION,
      rules: [],
      profile: null,
      newId: ids(),
      onWindow: (w) => windows.push(w),
      onIncident: (i) => records.push(i),
    });

  it('the wall clock steps back an hour during an outage: ended_at is still after started_at, by the monotonic duration', () => {
    const records: IncidentRecord[] = [];
    const core = coreOf(records, []);
    const stepMs = 3_600_000;
    // 10 replies, 20 lost, then replies: the clock steps back an hour at packet 15.
    for (let seq = 0; seq < 40; seq++) {
      const wall = T0 + seq * 1000 - (seq >= 15 ? stepMs : 0);
      core.onResult(0, { seq, sentMono: seq * 1000, sentWall: wall, rttMs: seq >= 10 && seq < 30 ? null : 10 });
    }
    const closed = records.find((r) => r.state === 'closed')!;
    expect(closed).toBeDefined();
    expect(Date.parse(closed.ended_at!)).toBeGreaterThanOrEqual(Date.parse(closed.started_at));
    // started at packet 10 (T0 + 10 s), ended at packet 30: 20 s later on the monotonic clock.
    expect(Date.parse(closed.ended_at!) - Date.parse(closed.started_at)).toBe(20_000);
    expect(closed.duration_ms).toBe(20_000);
  });

  it('the last window of a monitor stopped 7 s into it says 7 s, not window_s', () => {
    const windows: ResultRecord[] = [];
    const core = coreOf([], windows);
    for (let seq = 0; seq < 67; seq++) core.onResult(0, { seq, sentMono: seq * 1000, sentWall: T0 + seq * 1000, rttMs: 10 });
    core.finish(67_000, T0 + 67_000);
    expect(windows.map((w) => w.duration_ms)).toEqual([60_000, 7000]);
  });
});
