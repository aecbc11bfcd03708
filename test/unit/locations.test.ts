import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostLoad, skipIfBusy } from '../helpers/host-load.js';
import { loadRegionTable, lookupLocation, parseLocationCode, provinceOf } from '../../src/config/locations.js';
import type * as FsPromises from 'node:fs/promises';

const SHAPE = '(32, 32.73, 32.73.01 or 32.73.01.1001)';

describe('parseLocationCode', () => {
  it.each([
    ['32', '32', 1],
    ['32.73', '32.73', 2],
    ['32.73.01', '32.73.01', 3],
    ['32.73.01.1001', '32.73.01.1001', 4],
    ['99', '99', 1], // format only: the table decides whether it exists
    ['  32.73\n', '32.73', 2], // surrounding whitespace (a pasted line) is dropped
    ['\t32.73.01.1001 ', '32.73.01.1001', 4],
  ])('accepts %j as %s (level %i)', (input, code, level) => {
    expect(parseLocationCode(input)).toEqual({ ok: true, code, level });
  });

  it.each([
    ['', 'found an empty string'],
    ['   ', 'found an empty string'],
    ['3273011001', 'found "3273011001" (did you mean "32.73.01.1001"?)'], // 10 digits: the village, dots lost
    ['327301', 'did you mean "32.73.01"?'],
    ['3273', 'did you mean "32.73"?'],
    ['3101011001001', 'a 13-digit TPS id? its village is 31.01.01.1001, TPS 001; use the region code'],
    ['32-73-01', 'did you mean "32.73.01"?'],
    ['32 73 01 1001', 'did you mean "32.73.01.1001"?'],
    ['32/73', 'did you mean "32.73"?'],
    ['32,73', 'did you mean "32.73"?'], // a spreadsheet's decimal comma
    ['32.7', 'found "32.7"'], // no YAML hint here: a quoted "32.7" or -l 32.7 was not a YAML number (config/validate.ts refuses those)
    ['32.73.', 'found "32.73."'],
    ['32..73', 'found "32..73"'],
    ['3.273', 'found "3.273"'],
    ['32.73.1', 'found "32.73.1"'], // 01 or 10? ambiguous: no suggestion
    ['32.73.01.101', 'found "32.73.01.101"'],
    ['32.73.01.10011', 'found "32.73.01.10011"'],
    ['32.73.01.1001.001', 'found "32.73.01.1001.001"'],
    ['32.73.01.10O1', 'found "32.73.01.10O1"'], // letter O
    ['٣٢', 'found "٣٢"'], // Arabic-Indic digits are not ASCII digits
    ['Bandung', 'found "Bandung"'],
  ])('rejects %j: %s', (input, detail) => {
    const r = parseLocationCode(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toContain(`expected a region code: 2 digits, then .2, .2 and .4 digits ${SHAPE}`);
    expect(r.reason).toContain(detail);
  });

  it('suggests nothing for codes with no single reading', () => {
    for (const s of ['32.73.1', '3.273', '12345']) {
      const r = parseLocationCode(s);
      expect(r.ok ? '' : r.reason).not.toContain('did you mean');
    }
  });
});

describe('provinceOf', () => {
  it.each([
    ['32.73.01.1001', '32'],
    ['32', '32'],
    [' 91.01 ', '91'],
    ['3273011001', null], // malformed codes have no province: don't guess from the first two characters
    ['3.27', null],
  ])('%j → %j', (code, province) => {
    expect(provinceOf(code)).toBe(province);
  });
});

describe('lookupLocation', () => {
  // Real rows of data/regions-id/regions.tsv (Kepmendagri 300.2.2-2138/2025 as amended).
  it.each([
    ['32', 1, ['Jawa Barat']],
    ['32.73', 2, ['Jawa Barat', 'Kota Bandung']],
    ['32.73.01', 3, ['Jawa Barat', 'Kota Bandung', 'Sukasari']],
    ['32.73.01.1001', 4, ['Jawa Barat', 'Kota Bandung', 'Sukasari', 'Sukarasa']],
    ['32.73.30', 3, ['Jawa Barat', 'Kota Bandung', 'Mandalajati']],
    // Source quirks the build script handles: a quoted comma, a trailing space, a curly apostrophe.
    ['12.07.28.1007', 4, ['Sumatera Utara', 'Kabupaten Deli Serdang', 'Lubuk Pakam', 'Lubuk Pakam I,II']],
    ['31.72', 2, ['Daerah Khusus Ibukota Jakarta', 'Kota Administrasi Jakarta Utara']],
    ['53.07.01.2021', 4, ['Nusa Tenggara Timur', 'Kabupaten Sikka', 'Paga', 'Regapu’u']],
  ] as const)('%s (level %i)', async (code, level, names) => {
    expect(await lookupLocation(code)).toEqual({ found: true, code, level, name: names.join(' / '), names });
  });

  it('normalises before looking up', async () => {
    expect(await lookupLocation(' 32.73 ')).toMatchObject({ found: true, code: '32.73', name: 'Jawa Barat / Kota Bandung' });
  });

  it('32.99: siblings under Jawa Barat nearest to 99', async () => {
    const r = await lookupLocation('32.99');
    expect(r).toEqual({
      found: false,
      reason: 'no regency/city 32.99 in the region table (Kepmendagri 300.2.2-2138/2025 as amended); 32 is Jawa Barat',
      suggestions: [
        { code: '32.79', name: 'Jawa Barat / Kota Banjar' },
        { code: '32.78', name: 'Jawa Barat / Kota Tasikmalaya' },
        { code: '32.77', name: 'Jawa Barat / Kota Cimahi' },
        { code: '32.76', name: 'Jawa Barat / Kota Depok' },
        { code: '32.75', name: 'Jawa Barat / Kota Bekasi' },
      ],
    });
  });

  it('99: the nearest provinces', async () => {
    const r = await lookupLocation('99');
    expect(r.found).toBe(false);
    if (r.found) return;
    expect(r.reason).toBe('no province 99 in the region table (Kepmendagri 300.2.2-2138/2025 as amended)');
    expect(r.suggestions).toEqual([
      { code: '96', name: 'Papua Barat Daya' },
      { code: '95', name: 'Papua Pegunungan' },
      { code: '94', name: 'Papua Tengah' },
      { code: '93', name: 'Papua Selatan' },
      { code: '92', name: 'Papua Barat' },
    ]);
  });

  it('few siblings: all of them nearest first, then codes one digit off', async () => {
    // Sukasari (32.73.01) has villages 1001–1004 only; the fifth place goes to the 1005 of the
    // numerically nearest district with one (edit distance 1, longest shared prefix).
    const r = await lookupLocation('32.73.01.1005');
    expect(r).toEqual({
      found: false,
      reason:
        'no village 32.73.01.1005 in the region table (Kepmendagri 300.2.2-2138/2025 as amended); 32.73.01 is Jawa Barat / Kota Bandung / Sukasari',
      suggestions: [
        { code: '32.73.01.1004', name: 'Jawa Barat / Kota Bandung / Sukasari / Sarijadi' },
        { code: '32.73.01.1003', name: 'Jawa Barat / Kota Bandung / Sukasari / Isola' },
        { code: '32.73.01.1002', name: 'Jawa Barat / Kota Bandung / Sukasari / Gegerkalong' },
        { code: '32.73.01.1001', name: 'Jawa Barat / Kota Bandung / Sukasari / Sukarasa' },
        { code: '32.73.02.1005', name: 'Jawa Barat / Kota Bandung / Coblong / Sekeloa' },
      ],
    });
  });

  it('siblings on both sides: nearer first, the lower code on a tie', async () => {
    // Province 20 is absent: |19-20| = |21-20| = 1 => 19, 21; then 18 (2), 17 (3), 16 (4); 22 does not exist.
    const r = await lookupLocation('20');
    expect(r.found ? [] : r.suggestions.map((s) => s.code)).toEqual(['19', '21', '18', '17', '16']);
  });

  it('an unknown parent: codes one typo away, a swapped digit pair counting as one', async () => {
    const r = await lookupLocation('32.37.01'); // 73 typed as 37
    expect(r.found).toBe(false);
    if (r.found) return;
    expect(r.reason).toContain('no district 32.37.01 in the region table');
    expect(r.suggestions.map((s) => s.code)).toContain('32.73.01');
    expect(r.suggestions.length).toBeLessThanOrEqual(5);
    for (const s of r.suggestions) expect(s.code).toMatch(/^\d{2}\.\d{2}\.\d{2}$/);
  });

  it('a malformed code: the reason, and the code it most likely meant', async () => {
    expect(await lookupLocation('3273011001')).toEqual({
      found: false,
      reason: expect.stringContaining('did you mean "32.73.01.1001"?'),
      suggestions: [{ code: '32.73.01.1001', name: 'Jawa Barat / Kota Bandung / Sukasari / Sukarasa' }],
    });
    expect(await lookupLocation('3101011001001')).toMatchObject({ found: false, suggestions: [{ code: '31.01.01.1001' }] });
    expect(await lookupLocation('Bandung')).toEqual({ found: false, reason: expect.stringContaining('found "Bandung"'), suggestions: [] });
  });
});

describe('loadRegionTable', () => {
  it('holds every level of the decree: 38 + 514 + 7,285 + 83,762 regions', async () => {
    const table = await loadRegionTable();
    expect(table.size).toBe(91_599);
    expect(table.children('')).toHaveLength(38);
    expect(table.children('32.73')).toHaveLength(30); // Kota Bandung's kecamatan
    expect(table.children('32.73.01')).toEqual(['32.73.01.1001', '32.73.01.1002', '32.73.01.1003', '32.73.01.1004']);
    expect(table.children('32.73.01.1001')).toEqual([]);
    expect(table.get('32.73')).toBe('Jawa Barat / Kota Bandung');
    expect(table.names('32.73.01')).toEqual(['Jawa Barat', 'Kota Bandung', 'Sukasari']);
    expect(table.has('32.99')).toBe(false);
    expect(table.get('32.99')).toBeUndefined();
    expect(table.get(' 32.73')).toBeUndefined(); // keys are canonical codes
  });
});

describe('loading', () => {
  afterEach(() => {
    vi.doUnmock('node:fs/promises');
    vi.resetModules();
  });

  it('reads nothing at import time, then the file once however many callers', async () => {
    vi.resetModules();
    const reads: string[] = [];
    vi.doMock('node:fs/promises', async (importOriginal) => {
      const actual = await importOriginal<typeof FsPromises>();
      return {
        ...actual,
        readFile: (...args: Parameters<typeof actual.readFile>) => {
          reads.push(String(args[0]));
          return actual.readFile(...args);
        },
      };
    });
    const fresh = await import('../../src/config/locations.js');
    expect(fresh.parseLocationCode('32').ok).toBe(true);
    expect(reads).toEqual([]);
    await Promise.all([fresh.lookupLocation('32'), fresh.lookupLocation('99'), fresh.loadRegionTable()]);
    await fresh.lookupLocation('32.73');
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/data\/regions-id\/regions\.tsv$/);
  });

  it('a missing table is an INTERNAL error, and the next call tries again', async () => {
    vi.resetModules();
    let failNext = true;
    vi.doMock('node:fs/promises', async (importOriginal) => {
      const actual = await importOriginal<typeof FsPromises>();
      return {
        ...actual,
        readFile: (...args: Parameters<typeof actual.readFile>) => {
          if (!failNext) return actual.readFile(...args);
          failNext = false;
          return Promise.reject(Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' }));
        },
      };
    });
    const fresh = await import('../../src/config/locations.js');
    const freshErrors = await import('../../src/core/errors.js'); // the module instance locations.js sees after resetModules
    const err: unknown = await fresh.lookupLocation('32').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(freshErrors.QosError);
    expect(err).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/cannot read the region table .*regions\.tsv/) });
    expect((err as Error).cause).toMatchObject({ code: 'ENOENT' });
    expect(await fresh.lookupLocation('32')).toMatchObject({ found: true, name: 'Jawa Barat' });
  });

  it('reads a CRLF checkout of the table (git core.autocrlf on Windows) the same way', async () => {
    vi.resetModules();
    vi.doMock('node:fs/promises', async (importOriginal) => {
      const actual = await importOriginal<typeof FsPromises>();
      return {
        ...actual,
        readFile: async (...args: Parameters<typeof actual.readFile>) => String(await actual.readFile(...args)).replaceAll('\n', '\r\n'),
      };
    });
    const fresh = await import('../../src/config/locations.js');
    expect(await fresh.lookupLocation('32.73')).toMatchObject({ found: true, name: 'Jawa Barat / Kota Bandung' });
    expect((await fresh.loadRegionTable()).size).toBe(91_599);
  });

  it('loads the table in under 500 ms', async (ctx) => {
    // A speed bar: it means something only on a host with CPU to spare (measured just before, helpers/host-load.ts).
    skipIfBusy(ctx, hostLoad(), 'the 500 ms load bar');
    vi.resetModules();
    const fresh = await import('../../src/config/locations.js');
    const t0 = performance.now();
    const table = await fresh.loadRegionTable();
    const ms = performance.now() - t0;
    console.log(`region table: ${table.size} regions loaded in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(500);
  });
});
