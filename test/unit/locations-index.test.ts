/**
 * The run path's region lookup (issue 20, fast start): a known code is found by binary search in the bundled
 * table's text, without building the 91,600-entry map. It must agree with the map for every code, and find
 * nothing for a code that is not there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRegionTable, namesIn } from '../../src/config/locations.js';

const text = readFileSync(join(import.meta.dirname, '../../data/regions-id/regions.tsv'));
const codes = text.toString('utf8').split('\n').slice(1).filter((l) => l !== '').map((l) => l.slice(0, l.indexOf('\t')));

describe('namesIn: binary search in the sorted table text', () => {
  it('the table is sorted bytewise by code (what the search relies on)', () => {
    for (let i = 1; i < codes.length; i++) expect(Buffer.compare(Buffer.from(codes[i - 1] + '\t'), Buffer.from(codes[i] + '\t'))).toBe(-1);
  });

  it('every code of the table: the same names as the map, province first', async () => {
    const table = await loadRegionTable();
    for (const code of codes) expect(namesIn(text, code)).toEqual(table.names(code));
  });

  it('codes that are not in the table (any shape): undefined, never a neighbour', async () => {
    const table = await loadRegionTable();
    const segment = (w: number) => fc.integer({ min: 0, max: 10 ** w - 1 }).map((n) => String(n).padStart(w, '0'));
    const code = fc.tuple(segment(2), segment(2), segment(2), segment(4), fc.integer({ min: 1, max: 4 })).map(([a, b, c, d, n]) => [a, b, c, d].slice(0, n).join('.'));
    fc.assert(
      fc.property(code, (c) => {
        expect(namesIn(text, c)).toEqual(table.names(c));
      }),
      { numRuns: 2000 },
    );
    expect(namesIn(text, '')).toBeUndefined();
    expect(namesIn(text, 'code')).toBeUndefined();
  });

  it('a CRLF checkout (core.autocrlf) reads the same names', () => {
    const crlf = Buffer.from(text.toString('utf8').replaceAll('\n', '\r\n'));
    expect(namesIn(crlf, '32.73')).toEqual(namesIn(text, '32.73'));
    expect(namesIn(crlf, codes.at(-1) as string)).toEqual(namesIn(text, codes.at(-1) as string));
  });
});
