/** parseStartedAt (read.ts): the fast path for qosprobe's own started_at gives exactly what Date.parse gives, for any text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStartedAt } from '../../src/report/read.js';

const pad = (v: number, n: number): string => String(v).padStart(n, '0');

describe('parseStartedAt', () => {
  it('reads what qosprobe writes, and rolls a day past the month over as Date.parse does', () => {
    expect(parseStartedAt('2026-11-01T00:00:08.000Z')).toBe(Date.UTC(2026, 10, 1, 0, 0, 8));
    expect(parseStartedAt('2026-02-31T00:00:00Z')).toBe(Date.parse('2026-02-31T00:00:00Z'));
    expect(parseStartedAt('0050-01-01T00:00:00.000Z')).toBe(Date.parse('0050-01-01T00:00:00.000Z'));
    expect(parseStartedAt('2026-13-01T00:00:00.000Z')).toBeNaN();
    expect(parseStartedAt('2026-11-01T24:00:00.000Z')).toBe(Date.parse('2026-11-01T24:00:00.000Z'));
  });
  it('property: the same as Date.parse for dates in and out of range and for near-misses of the shape', () => {
    const iso = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 33 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: -1, max: 999 }))
      .map(([y, mo, d, h, mi, s, ms]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${ms === -1 ? '' : '.' + pad(ms, 3)}Z`);
    const mangled = fc.tuple(iso, fc.nat(), fc.constantFrom('x', ' ', '.', '-', ':', 'Z', '9', '')).map(([t, at, c]) => t.slice(0, at % (t.length + 1)) + c + t.slice((at % (t.length + 1)) + 1));
    fc.assert(
      fc.property(fc.oneof(iso, mangled), (t) => {
        expect(Object.is(parseStartedAt(t), Date.parse(t))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
  it('property: the same as Date.parse for runs of times over a few days, as a file holds them (the day is kept between calls)', () => {
    const day = fc.constantFrom('2026-11-01', '2026-11-02', '2024-02-29', '2026-02-31', '1999-12-31');
    const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: -1, max: 999 }));
    const stamp = fc.tuple(day, time).map(([d, [h, mi, s, ms]]) => `${d}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${ms === -1 ? '' : '.' + pad(ms, 3)}Z`);
    fc.assert(
      fc.property(fc.array(stamp, { minLength: 1, maxLength: 40 }), (ts) => {
        for (const t of ts) expect(parseStartedAt(t)).toBe(Date.parse(t));
      }),
      { numRuns: 300 },
    );
  });
});
