/**
 * The location as one value (issue 11): one resolver (flag > env > file, format, region table,
 * --location-unchecked) and one mapping to record columns, read back by the report into its group names.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveLocation, type LocationRequest } from '../../src/config/resolve-location.js';
import { QosError } from '../../src/core/errors.js';
import { locationColumns, locationOfColumns, type Location } from '../../src/core/location.js';
import { loadRegionTable } from '../../src/config/locations.js';
import { formats } from '../../src/output/formats.js';
import { buildRecord, identityOf, type RunContext } from '../../src/records/assemble.js';
import { buildReport } from '../../src/report/pipeline.js';
import { validateConfig } from '../../src/config/validate.js';

const FILE = { file: 'site.yaml', location: { code: '32.73', site: 'TPS-017', lat: -6.9147, lon: 107.6098 } };
const req = (over: Partial<LocationRequest> = {}): LocationRequest => ({ flag: undefined, unchecked: false, env: {}, config: FILE, ...over });

async function failure(r: LocationRequest): Promise<QosError> {
  const err: unknown = await resolveLocation(r).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof QosError)) throw new Error(`expected a QosError, got ${String(err)}`);
  return err;
}

describe('resolveLocation: which layer sets the code', () => {
  it.each([
    ['the file alone', {}, '32.73', 'Jawa Barat / Kota Bandung', 'config'],
    ['$QOSPROBE_LOCATION over the file', { env: { QOSPROBE_LOCATION: '32' } }, '32', 'Jawa Barat', 'env'],
    ['an empty $QOSPROBE_LOCATION is unset', { env: { QOSPROBE_LOCATION: '' } }, '32.73', 'Jawa Barat / Kota Bandung', 'config'],
    ['--location over both', { flag: '31', env: { QOSPROBE_LOCATION: '32' } }, '31', 'Daerah Khusus Ibukota Jakarta', 'flag'],
    ['--location is trimmed', { flag: ' 32.73.01 ' }, '32.73.01', 'Jawa Barat / Kota Bandung / Sukasari', 'flag'],
    ['a blank --location means no code, even over the file', { flag: '  ' }, null, null, 'flag'],
    ['no layer sets one', { config: { file: null, location: { ...FILE.location, code: null } } }, null, null, 'none'],
  ] as const)('%s', async (_what, over, code, name, source) => {
    const got = await resolveLocation(req(over));
    // The site, lat and lon are the file's whichever layer set the code.
    expect(got).toEqual({ code, name, site: 'TPS-017', lat: -6.9147, lon: 107.6098, source });
  });

  it('the file code as validateConfig keeps it (quoted, trimmed) resolves unchanged', async () => {
    const config = validateConfig({ location: { code: ' 32.73 ' } }, 'f.yaml');
    expect(await resolveLocation(req({ config }))).toMatchObject({ code: '32.73', name: 'Jawa Barat / Kota Bandung', source: 'config', site: null });
  });
});

describe('resolveLocation: errors name where the code came from', () => {
  it('an unknown code is refused with the nearest known codes; --location-unchecked accepts it without a name', async () => {
    for (const [over, label] of [
      [{ flag: '32.99' }, '--location'],
      [{ env: { QOSPROBE_LOCATION: '32.99' } }, '$QOSPROBE_LOCATION'],
      [{ config: { ...FILE, location: { ...FILE.location, code: '32.99' } } }, 'site.yaml'],
    ] as const) {
      const err = await failure(req(over));
      expect(err.code).toBe('LOCATION_UNKNOWN');
      expect(err.message).toMatch(new RegExp(`^${label.replace('$', '\\$')}: location code "32\\.99" is not in the region table \\(Kepmendagri 2025\\); nearest known: 32\\.\\d\\d \\(Jawa Barat / .*\\)\\. Use --location-unchecked to accept it anyway\\.$`));
      expect(await resolveLocation(req({ ...over, unchecked: true }))).toMatchObject({ code: '32.99', name: null });
    }
  });

  it('a malformed --location is a usage error (exit 2); from the environment it is a config error; unchecked does not excuse it', async () => {
    const flag = await failure(req({ flag: '32.7', unchecked: true }));
    expect([flag.code, flag.message]).toEqual(['USAGE', expect.stringMatching(/^--location: location code "32\.7" is malformed: expected a region code/)]);
    const env = await failure(req({ env: { QOSPROBE_LOCATION: '3273' } }));
    expect([env.code, env.message]).toEqual(['LOCATION_UNKNOWN', expect.stringMatching(/^\$QOSPROBE_LOCATION: location code "3273" is malformed: .*did you mean "32\.73"\?/)]);
  });
});

describe('resolveLocation: hostile input', () => {
  it('any --location or $QOSPROBE_LOCATION text gives a canonical code, no code, or a QosError of the source\'s kind', async () => {
    const codeLike = fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^\s?\d{2}([.\-/ ]\d{1,4}){0,3}\s?$/));
    await fc.assert(
      fc.asyncProperty(codeLike, fc.boolean(), fc.boolean(), async (text, asFlag, unchecked) => {
        const r = req(asFlag ? { flag: text, unchecked } : { env: { QOSPROBE_LOCATION: text }, unchecked });
        const got = await resolveLocation(r).catch((e: unknown) => e);
        if (got instanceof QosError) {
          if (/is malformed/.test(got.message)) expect(got.code).toBe(asFlag ? 'USAGE' : 'LOCATION_UNKNOWN');
          else expect([got.code, /is not in the region table/.test(got.message), unchecked]).toEqual(['LOCATION_UNKNOWN', true, false]);
          return;
        }
        const l = got as Location;
        if (text === '' && !asFlag) expect(l.source).toBe('config'); // an empty variable is unset
        else if (text.trim() === '') expect(l.code).toBeNull();
        else {
          expect(l.code).toBe(text.trim());
          expect(l.code).toMatch(/^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$/);
          if (!unchecked) expect(l.name).not.toBeNull();
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('one value from the flag to the record and back into the report', () => {
  it('location → record columns → report group name and key, at the location and the province level', async () => {
    const location = await resolveLocation(req({ flag: '32.73.01' }));
    const ctx: RunContext = { runId: 'r', probeId: 'p', location, toolVersion: 'test' };
    const record = buildRecord(
      ctx,
      { endpoint: 'e', test: 'tcp', startedAt: new Date('2026-11-24T08:00:00Z'), durationMs: 1, intervalMs: 200, timeoutMs: 2000 },
      { target: '127.0.0.1:9', samples: { type: 'packets', intervalMs: 200, packets: [{ seq: 0, sentAtMs: 0, rttMs: 1 }] } },
    );
    expect(record).toMatchObject(locationColumns(location));
    expect(identityOf(ctx)).toMatchObject({ location_code: '32.73.01', location_name: location.name, site: 'TPS-017', lat: -6.9147, lon: 107.6098 });
    // Back from the record's columns: the same value, minus where the code first came from.
    expect(locationOfColumns(record as Parameters<typeof locationOfColumns>[0])).toEqual({ ...location, source: 'record' } satisfies Location);

    const csv = formats.csv;
    if (!csv.streaming) throw new Error('csv streams');
    const text = csv.header() + csv.record(record);
    const table = await loadRegionTable();
    for (const [by, key, name, regionName] of [
      ['location', '32.73.01', location.name, (c: string) => table.get(c)],
      ['province', '32', 'Jawa Barat', (c: string) => table.get(c)],
      // Without the table, the name the record carried, read back from its columns into the location value.
      ['location', '32.73.01', location.name, () => undefined],
    ] as const) {
      const d = await buildReport([{ name: 'r.csv', open: () => Readable.from([text]) }], { by: [by], profile: null, regionName });
      expect(d.groups.map((g) => [g.key, g.name])).toEqual([[[key], name]]);
    }
  });
});
