import { describe, expect, it } from 'vitest';
import { binArrivals, extendWarmupPastBurst, loadedRtts, rpm, summarizeThroughput, summarizeTransfer } from '../../src/stats/throughput.js';
import { keptIntervals } from '../../src/core/intervals.js';
import { defaultWarmupS } from '../../src/probes/transfer.js';

describe('binArrivals', () => {
  it.each([
    // 0 and 99.9 → interval 0; 100 → 1; 250 → 2; two streams at 50 ms add up
    { arrivals: [{ atMs: 0, bytes: 10 }, { atMs: 99.9, bytes: 5 }, { atMs: 100, bytes: 7 }, { atMs: 250, bytes: 1 }], want: [15, 7, 1] },
    { arrivals: [{ atMs: 50, bytes: 3 }, { atMs: 50, bytes: 4 }], want: [7] },
    // nothing in interval 1: a real zero, not a gap
    { arrivals: [{ atMs: 10, bytes: 1 }, { atMs: 210, bytes: 2 }], want: [1, 0, 2] },
    { arrivals: [], want: [] },
  ])('bins $arrivals.length arrivals', ({ arrivals, want }) => {
    expect(binArrivals(arrivals, 100)).toEqual(want);
  });
});

describe('warm-up rule', () => {
  it.each([
    // min(20% × 10 s, 2 s) = 2 s; min(20% × 5, 2) = 1; min(20% × 3, 2) = 0.6
    { durationS: 10, want: 2 },
    { durationS: 5, want: 1 },
    { durationS: 3, want: 0.6 },
    { durationS: 60, want: 2 },
  ])('default warm-up of a $durationS s test is $want s', ({ durationS, want }) => {
    expect(defaultWarmupS(durationS)).toBeCloseTo(want, 12);
  });

  it.each([
    // warm-up 2000 ms / 100 = 20 → first kept 20; elapsed 10000 / 100 = 100 → end 100 (all full)
    { warmupMs: 2000, elapsedMs: 10000, first: 20, end: 100 },
    // elapsed 10050: interval 100 is partial → dropped, end stays 100
    { warmupMs: 2000, elapsedMs: 10050, first: 20, end: 100 },
    // warm-up 250 ms: interval 2 starts at 200 < 250 → dropped too, first = ceil(2.5) = 3
    { warmupMs: 250, elapsedMs: 1000, first: 3, end: 10 },
    // interrupted inside the warm-up: nothing kept
    { warmupMs: 2000, elapsedMs: 1500, first: 20, end: 20 },
    // 0.6 s warm-up (3 s test): 600/100 must be 6, not 7 from float noise
    { warmupMs: 0.2 * 3 * 1000, elapsedMs: 3000, first: 6, end: 30 },
  ])('warm-up $warmupMs ms, elapsed $elapsedMs ms → intervals [$first, $end)', ({ warmupMs, elapsedMs, first, end }) => {
    expect(keptIntervals(100, elapsedMs, warmupMs)).toEqual({ first, end });
  });
});

describe('summarizeThroughput', () => {
  it('excludes warm-up and the trailing partial interval', () => {
    // 10 intervals of 100 ms; warm-up 300 ms drops 0..2; elapsed 950 ms drops the partial interval 9.
    // kept 3..8: 6 intervals × 1250 bytes = 7500 bytes over 600 ms → 8 × 7500 / 0.6 s = 100 000 bit/s
    const bytes = [10, 500, 900, 1250, 1250, 1250, 1250, 1250, 1250, 40];
    const t = summarizeThroughput({ intervalBytes: bytes, intervalMs: 100, elapsedMs: 950, warmupMs: 300 });
    expect(t.throughputBps).toBe(100_000);
    expect(t.measuredMs).toBe(600);
    // every kept interval: 8 × 1250 / 0.1 s = 100 000 bit/s
    expect([t.p10Bps, t.p50Bps, t.p90Bps]).toEqual([100_000, 100_000, 100_000]);
    // total counts everything: 10+500+900+6×1250+40 = 8950
    expect(t.totalBytes).toBe(8950);
  });

  it('percentiles are type 7 over interval rates', () => {
    // kept rates (bit/s) = 8 × b / 0.1: b = 100..500 → 8000, 16000, 24000, 32000, 40000
    // p10: h = 4 × 0.1 = 0.4 → 8000 + 0.4 × 8000 = 11200; p50 = 24000; p90: h = 3.6 → 32000 + 0.6 × 8000 = 36800
    // mean: 8 × 1500 / 0.5 s = 24000
    const t = summarizeThroughput({ intervalBytes: [300, 100, 200, 300, 400, 500], intervalMs: 100, elapsedMs: 600, warmupMs: 100 });
    expect(t).toMatchObject({ throughputBps: 24000, p10Bps: 11200, p50Bps: 24000, p90Bps: 36800, measuredMs: 500 });
  });

  it('missing trailing intervals count as zero (a stall is measured, not skipped)', () => {
    // intervals 0..3 full; kept 1..3 = [100, 0, 0] → 8 × 100 / 0.3 s = 2666.67 → 2667
    const t = summarizeThroughput({ intervalBytes: [50, 100], intervalMs: 100, elapsedMs: 400, warmupMs: 100 });
    expect(t.throughputBps).toBe(2667);
    expect(t.p10Bps).toBe(0);
  });

  it('nothing after warm-up → null, not 0', () => {
    const t = summarizeThroughput({ intervalBytes: [100, 100], intervalMs: 100, elapsedMs: 200, warmupMs: 2000 });
    expect(t).toMatchObject({ throughputBps: null, p50Bps: null, measuredMs: null, totalBytes: 200 });
  });
});

describe('latency under load', () => {
  it('keeps answered RTTs sent after the warm-up', () => {
    const s = [
      { atMs: 50, rttMs: 100 }, // warm-up: out
      { atMs: 200, rttMs: 10 },
      { atMs: 300, rttMs: null }, // unanswered: out
      { atMs: 400, rttMs: 20 },
      { atMs: 1200, rttMs: 30 }, // after the end: out
    ];
    expect(loadedRtts(s, 200, 1000)).toEqual([10, 20]);
  });

  it.each([
    // mean of [10, 20, 30] (n = 3: floor(3 × 0.05 / 2) = 0 trimmed) = 20 → 60000 / 20 = 3000
    { rtts: [10, 20, 30], want: 3000 },
    // 40 values: floor(40 × 0.025) = 1 cut at each end: drop 1 and 1000, mean of 38 × 50 = 50 → 1200
    { rtts: [1, 1000, ...Array<number>(38).fill(50)], want: 1200 },
    { rtts: [], want: null },
  ])('rpm of $rtts.length RTTs = $want', ({ rtts, want }) => {
    expect(rpm(rtts)).toBe(want);
  });

  it('summarizeTransfer: idle, loaded and increase', () => {
    // idle median of [1, 2, 3] = 2; loaded after warm-up 100 ms: [5, 7, 9] → median 7, increase 5
    // p95: h = 2 × 0.95 = 1.9 → 7 + 0.9 × 2 = 8.8; rpm = 60000 / 7 = 8571.4 → 8571
    const m = summarizeTransfer({
      type: 'transfer',
      direction: 'download',
      intervalMs: 100,
      intervalBytes: [0, 1000, 1000],
      elapsedMs: 300,
      warmupMs: 100,
      streams: 2,
      idleRttMs: [1, null, 3, 2],
      loadedRtt: [
        { atMs: 0, rttMs: 50 },
        { atMs: 100, rttMs: 5 },
        { atMs: 150, rttMs: 7 },
        { atMs: 250, rttMs: 9 },
      ],
    });
    // throughput: 2000 bytes over 200 ms → 8 × 2000 / 0.2 = 80 000 bit/s
    expect(m).toMatchObject({ throughput_bps: 80_000, bytes: 2000, streams: 2, measured_ms: 200, idle_rtt_ms: 2, loaded_rtt_median_ms: 7, loaded_rtt_increase_ms: 5, rpm: 8571 });
    expect(m.loaded_rtt_p95_ms).toBeCloseTo(8.8, 9);
  });
});

describe('a loss-recovery burst just after the warm-up stays in the warm-up', () => {
  // 100 ms intervals, warm-up 2 intervals (0, 1), 20 intervals: steady 100 bytes each.
  const steady = (n: number) => Array.from({ length: n }, () => 100);
  it.each<[string, number[], number]>([
    // no burst: the warm-up rule alone, first kept = 2
    ['none', [50, 50, ...steady(18)], 2],
    // a 500-byte release at index 3 (bytes held back since index 2): warm-up extends to index 4
    ['release at 3', [50, 50, 20, 500, ...steady(16)], 4],
    // exactly 2× the median (200) is not a burst: the factor is strict
    ['2× is not a burst', [50, 50, 200, ...steady(17)], 2],
    // a burst later than 1 s after the warm-up is steady-state behaviour and stays counted
    ['late burst kept', [50, 50, ...steady(11), 500, ...steady(6)], 2],
  ])('%s', (_name, bins, first) => {
    expect(extendWarmupPastBurst(bins, 100, 2, bins.length)).toBe(first);
  });

  it('throughput is then the steady rate, not inflated by the held-back bytes', () => {
    // warm-up 200 ms; intervals 2..19 kept without the rule: (20 + 500 + 16 × 100) = 2120 bytes over 1.8 s
    // → 9422 bit/s; with the rule, 4..19: 1600 bytes over 1.6 s → 8000 bit/s, the steady rate.
    const s = summarizeThroughput({ intervalBytes: [50, 50, 20, 500, ...steady(16)], intervalMs: 100, elapsedMs: 2000, warmupMs: 200 });
    expect(s).toMatchObject({ throughputBps: 8000, measuredMs: 1600, firstKept: 4 });
  });
});
