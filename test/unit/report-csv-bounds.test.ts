/**
 * csvCellBounds (csv-tokens.ts), the report's fast path for CSV records with quoted cells (issue 23:
 * every record of a fleet quotes its site name): where it says yes, its cells are exactly
 * parseCsvRecord's; where it says no, the record is broken or has another count of cells.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCellBounds, parseCsvRecord } from '../../src/report/csv-tokens.js';

function cellsOf(text: string, ncols: number): string[] | null {
  const start = new Int32Array(ncols);
  const end = new Int32Array(ncols);
  const esc = new Uint8Array(ncols);
  if (!csvCellBounds(text, ncols, start, end, esc)) return null;
  return Array.from({ length: ncols }, (_, k) => {
    const s = text.slice(start[k], end[k]);
    return esc[k] === 1 ? s.replaceAll('""', '"') : s;
  });
}

describe('csvCellBounds', () => {
  it('reads quoted cells with commas, doubled quotes, empty cells', () => {
    expect(cellsOf('1,"TPS 0001, ""Keuniree""",,x,""', 5)).toEqual(['1', 'TPS 0001, "Keuniree"', '', 'x', '']);
    expect(cellsOf('a,', 2)).toEqual(['a', '']);
  });
  it('says no to broken quoting and to another count of cells', () => {
    for (const [text, n] of [
      ['"a"b,c', 2],
      ['a"b,c', 2],
      ['"open,c', 2],
      ['a,b,c', 2],
      ['a,b', 3],
      ['"a",', 1],
    ] as const)
      expect(cellsOf(text, n), text).toBeNull();
  });
  it('property: where it reads a record, it reads what parseCsvRecord reads; a well-formed record it always reads', () => {
    const cell = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', ',', '"', ' ', 'é'), maxLength: 6 }).map((s) => `"${s.replace(/"/g, '""')}"`),
      fc.string({ unit: fc.constantFrom('a', 'b', '1', ' '), maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 8 }), (cells) => {
        const text = cells.join(',');
        const ref = parseCsvRecord(text) as string[];
        expect(cellsOf(text, ref.length)).toEqual(ref);
      }),
    );
    // Anything at all: never a different reading.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', '"', '\r', 'é'), maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (text, n) => {
        const got = cellsOf(text, n);
        const ref = parseCsvRecord(text);
        if (got !== null) expect(got).toEqual(ref);
        else if (Array.isArray(ref)) expect(ref.length).not.toBe(n);
      }),
    );
  });
});
