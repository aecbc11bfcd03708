/**
 * The report's set of record identities (duplicates.ts): open addressing with linear probing, and
 * remove() by backward shift, which parallel.ts uses to take a file's identities out again when it
 * holds one seen before. Against a Set, with hashes squeezed into a few slots so runs collide and wrap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateFilter } from '../../src/report/duplicates.js';

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
});
