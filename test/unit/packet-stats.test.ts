import { describe, expect, it } from 'vitest';
import type { PacketSample } from '../../src/core/samples.js';
import { summarizePackets } from '../../src/stats/packets.js';

const pkt = (seq: number, rttMs: number | null, extra: Partial<PacketSample> = {}): PacketSample => ({ seq, sentAtMs: seq * 100, rttMs, ...extra });

describe('summarizePackets', () => {
  it('computes loss, delay, jitter and outage from per-packet samples', () => {
    // seq:  0   1    2    3     4    5
    // rtt: 10  12  lost  lost  20   18
    const m = summarizePackets([pkt(0, 10), pkt(1, 12), pkt(2, null), pkt(3, null), pkt(4, 20), pkt(5, 18)], { intervalMs: 100 });
    expect(m.sent).toBe(6);
    expect(m.received).toBe(4);
    expect(m.loss_percent).toBeCloseTo((100 * 2) / 6, 12);
    expect(m.rtt_min_ms).toBe(10);
    expect(m.rtt_max_ms).toBe(20);
    expect(m.rtt_mean_ms).toBe(15); // (10+12+20+18)/4
    expect(m.rtt_median_ms).toBe(15); // sorted 10,12,18,20: h=1.5 → 12 + 0.5*6
    // IPDV pairs: (0,1) |12-10| = 2; (4,5) |18-20| = 2; pairs touching a loss are skipped → 2
    expect(m.jitter_ms).toBe(2);
    // RFC 3550 over arrival order 10,12,20,18: J=2; D=8 → 2+6/16 = 2.375; D=2 → 2.375 + (2-2.375)/16
    expect(m.jitter_rfc3550_ms).toBeCloseTo(2.375 + (2 - 2.375) / 16, 12);
    expect(m.outage_ms).toBe(200); // two consecutive losses × 100 ms
    expect(m.reordered).toBe(0);
    expect(m.duplicates).toBe(0);
    expect(m.late).toBe(0);
    expect(m.jitter_up_ms).toBeUndefined(); // no one-way delays: not a STAMP test
  });

  it('counts reordering from arrival times and ignores duplicates for received', () => {
    // seq 1 arrives before seq 0 (0 took 50 ms, 1 took 5 ms after being sent 10 ms later)
    const m = summarizePackets(
      [
        { seq: 0, sentAtMs: 0, rttMs: 50, receivedAtMs: 50, duplicates: 2 },
        { seq: 1, sentAtMs: 10, rttMs: 5, receivedAtMs: 15 },
        { seq: 2, sentAtMs: 20, rttMs: 5, receivedAtMs: 25 },
      ],
      { intervalMs: 10 },
    );
    // arrival order: 1 (15), 2 (25), 0 (50): 0 is below the highest (2) → 1 reordered
    expect(m.reordered).toBe(1);
    expect(m.duplicates).toBe(2);
    expect(m.received).toBe(3);
  });

  it('treats late packets as lost and counts them', () => {
    const m = summarizePackets([pkt(0, 10), pkt(1, null, { late: true }), pkt(2, 10)], { intervalMs: 100 });
    expect(m.received).toBe(2);
    expect(m.late).toBe(1);
    expect(m.loss_percent).toBeCloseTo(100 / 3, 12);
  });

  it('computes one-way jitter and the up/down loss split when the reflector reports', () => {
    // up delays 5, 7, 6 → |7-5| = 2, |6-7| = 1 → 1.5; down 5, 5, 9 → 0, 4 → 2
    const m = summarizePackets(
      [pkt(0, 10, { upMs: 5, downMs: 5 }), pkt(1, 12, { upMs: 7, downMs: 5 }), pkt(2, 15, { upMs: 6, downMs: 9 }), pkt(3, null), pkt(4, null)],
      { intervalMs: 100, reflectorReceived: 4 },
    );
    expect(m.jitter_up_ms).toBe(1.5);
    expect(m.jitter_down_ms).toBe(2);
    // 5 sent, 4 reached the reflector: up loss 1/5 = 20%; 4 reflected, 3 back: down loss 1/4 = 25%
    expect(m.loss_up_percent).toBe(20);
    expect(m.loss_down_percent).toBe(25);
  });

  it('gives nulls, not zeros, when nothing came back', () => {
    const m = summarizePackets([pkt(0, null), pkt(1, null)], { intervalMs: 100 });
    expect(m).toMatchObject({ sent: 2, received: 0, loss_percent: 100, rtt_median_ms: null, jitter_ms: null, pdv_ms: null, rtt_stddev_ms: null, outage_ms: 200 });
  });
});
