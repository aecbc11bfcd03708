/**
 * The report's set of record identities (duplicates.ts): open addressing with linear probing, and
 * remove() by backward shift, which parallel.ts uses to take a file's identities out again when it
 * holds one seen before. Against a Set, with hashes squeezed into a few slots so runs collide and wrap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateFilter, identify, identityHi, identityLo } from '../../src/report/duplicates.js';
import type { ReportRow } from '../../src/report/read.js';

describe('DuplicateFilter', () => {
  it('property: any sequence of inserts and removes answers as a Set does', () => {
    // Home slots (hi ^ lo) in the last 16 of the first table's 4,096: runs collide and wrap past its end.
    const key = fc.tuple(fc.integer({ min: 4088, max: 4095 }), fc.integer({ min: 1, max: 40 }));
    const op = fc.tuple(fc.constantFrom('insert', 'remove', 'insert'), key);
    fc.assert(
      fc.property(fc.array(op, { minLength: 150, maxLength: 600 }), (ops) => {
        const f = new DuplicateFilter();
        const model = new Set<string>();
        for (const [what, [hi, lo]] of ops) {
          const k = `${hi}:${lo}`;
          if (what === 'insert') expect(f.insert(hi, lo)).toBe(!model.has(k));
          else if (model.has(k)) f.remove(hi, lo);
          if (what === 'insert') model.add(k);
          else model.delete(k);
        }
        for (let hi = 4088; hi <= 4095; hi++) for (let lo = 1; lo <= 40; lo++) expect(f.has(hi, lo)).toBe(model.has(`${hi}:${lo}`));
      }),
      { numRuns: 100 },
    );
  });

  it('a file taken out again after growth leaves exactly the earlier identities', () => {
    const f = new DuplicateFilter();
    for (let i = 1; i <= 5000; i++) f.insert(Math.imul(i, 2654435761) >>> 0, i);
    for (let i = 5001; i <= 20000; i++) f.insert(Math.imul(i, 2654435761) >>> 0, i); // grows the table twice
    for (let i = 20000; i > 5000; i--) f.remove(Math.imul(i, 2654435761) >>> 0, i);
    let held = 0;
    for (let i = 1; i <= 20000; i++) if (f.has(Math.imul(i, 2654435761) >>> 0, i)) held++;
    expect(held).toBe(5000);
    expect(f.has(Math.imul(1, 2654435761) >>> 0, 1) && f.has(Math.imul(5000, 2654435761) >>> 0, 5000)).toBe(true);
  });

  it('property: a record\'s identity hash is the same whatever was hashed before it, and differs where a field differs', () => {
    // identify() takes up the hash of the previous row's text fields when they are the same: that must not leak.
    const text = (xs: string[]) => fc.constantFrom<string | null>(...xs, null);
    const id = fc.record({
      runId: fc.constantFrom('r1', 'r2', 'run-0123456789abcdef'),
      probeId: text(['p1', 'probe-long-name-01']),
      endpoint: text(['a', 'ab']),
      test: text(['stamp', 'tcp']),
      startedAtMs: fc.constantFrom(0, 1, 2 ** 32, 1796687183628),
      hop: fc.constantFrom<number | null>(null, 0, 1),
    });
    const hash = (r: typeof id extends fc.Arbitrary<infer T> ? T : never): string => {
      expect(identify(r as unknown as ReportRow)).toBe(true);
      return `${identityHi()}:${identityLo()}`;
    };
    fc.assert(
      fc.property(fc.array(id, { minLength: 2, maxLength: 30 }), (rows) => {
        const seen = new Map<string, string>();
        for (const r of rows) {
          const k = JSON.stringify([r.runId, r.probeId, r.endpoint, r.test, r.startedAtMs, r.hop]);
          const h = hash(r);
          expect(seen.get(k) ?? h).toBe(h);
          seen.set(k, h);
        }
        // Different identities, different hashes (64 bits: a collision here would be the cache's doing).
        expect(new Set(seen.values()).size).toBe(seen.size);
      }),
      { numRuns: 300 },
    );
  });
});
