/**
 * Property-based tests (fast-check): thousands of generated inputs for every parser and
 * decoder that reads the outside world. No crash, only the documented outcomes.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { QosError } from '../../src/core/errors.js';
import { cellInfoFromMmcli, parseMmcliKeyValues } from '../../src/host/mmcli.js';
import { influxLine } from '../../src/monitoring/influx.js';
import { openMetricsText } from '../../src/monitoring/openmetrics.js';
import { parsePingOutput } from '../../src/net/ping-parse.js';
import { formats } from '../../src/output/formats.js';
import { openSink } from '../../src/output/sink.js';
import { emptyRecord, type ResultRecord } from '../../src/core/schema.js';
import { STAMP_MIN_BYTES, decodeReflectorPacket, decodeSenderPacket } from '../../src/stamp/packet.js';
import { monitoringRecord } from '../helpers/field-records.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = join(import.meta.dirname, '../..');

/** Only the documented failure: a QosError with this code. Anything else fails the property. */
function onlyQosError(code: string, f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof QosError) || err.code !== code) throw err;
  }
}
async function onlyQosErrorAsync(code: string, f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (err) {
    if (!(err instanceof QosError) || err.code !== code) throw err;
  }
}

// ---- config ---------------------------------------------------------------------------------

const scalar = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('32.73', '32', '32.73.01.1001', '99.99', 'x', '', '127.0.0.1', '-1', '1e9', 'NaN'),
);
const value = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }) });
const kind = fc.constantFrom('icmp', 'tcp', 'stamp', 'http', 'dns', 'download', 'upload', 'bogus', '');
const testEntry = fc.oneof(
  kind,
  fc.record(
    {
      kind,
      count: value,
      interval_ms: value,
      timeout_ms: value,
      port: value,
      url: value,
      size_bytes: value,
      duration_ms: value,
      streams: value,
      name: value,
      query: value,
      extra: value,
    },
    { requiredKeys: [] },
  ),
  value,
);
const configShaped = fc.record(
  {
    probe: fc.oneof(fc.record({ id: value }, { requiredKeys: [] }), value),
    location: fc.oneof(fc.record({ code: value, site: value, lat: value, lon: value }, { requiredKeys: [] }), value),
    defaults: fc.oneof(fc.record({ count: value, interval_ms: value, timeout_ms: value }, { requiredKeys: [] }), value),
    endpoints: fc.oneof(fc.array(fc.oneof(fc.record({ name: value, host: value, tests: fc.oneof(fc.array(testEntry, { maxLength: 4 }), value) }, { requiredKeys: [] }), value), { maxLength: 4 }), value),
    output: fc.oneof(fc.record({ format: fc.oneof(fc.constantFrom('csv', 'json', 'ndjson', 'influx', 'openmetrics', 'xml'), value), path: value, append: value }, { requiredKeys: [] }), value),
    typo: value,
  },
  { requiredKeys: [] },
);

/** Near-valid configs, so the property also covers the accepting path (mutations of a known-good shape). */
const nearValid = fc.record({
  probe: fc.record({ id: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), value) }),
  location: fc.record({ code: fc.oneof(fc.constantFrom('32.73', '31', '32.73.01.1001'), value) }, { requiredKeys: [] }),
  defaults: fc.record({ count: fc.oneof(fc.integer({ min: 1, max: 50 }), value), interval_ms: fc.oneof(fc.integer({ min: 1, max: 1000 }), value) }, { requiredKeys: [] }),
  endpoints: fc.array(
    fc.record({ name: fc.string({ minLength: 1, maxLength: 6 }), host: fc.constantFrom('127.0.0.1', '::1', 'localhost'), tests: fc.array(fc.oneof(fc.constantFrom('icmp', 'dns'), testEntry), { minLength: 1, maxLength: 3 }) }),
    { minLength: 1, maxLength: 3 },
  ),
});

describe('config: validateConfig and parseDocument', () => {
  it('config-shaped documents with arbitrary values: a Config or CONFIG_INVALID, nothing else', () => {
    let valid = 0;
    fc.assert(
      fc.property(fc.oneof(configShaped, nearValid), (doc) => {
        onlyQosError('CONFIG_INVALID', () => {
          const c = validateConfig(doc, 'gen.yaml');
          valid++;
          // A Config that validated is usable: every test has a kind and positive count/interval/timeout.
          for (const e of c.endpoints) for (const t of e.tests) expect(t.count >= 1 && t.intervalMs > 0 && t.timeoutMs > 0).toBe(true);
        });
      }),
      { numRuns: 2000 },
    );
    expect(valid).toBeGreaterThan(0); // the generator reaches valid configs too, not only rejections
  });

  it('any JSON value at all', () => {
    fc.assert(fc.property(fc.jsonValue(), (doc) => onlyQosError('CONFIG_INVALID', () => validateConfig(doc, 'gen.json'))), { numRuns: 1000 });
  });

  const fixtureYaml = readFileSync(join(ROOT, 'fixtures/config/full.yaml'), 'utf8');
  const mutatedYaml = fc
    .tuple(fc.nat({ max: fixtureYaml.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 8, unit: fc.constantFrom(':', '-', ' ', '\n', '{', '[', '"', "'", '&', '*', '!', '#', '|', '>', 'a', '1', '\t', '%', '@', '`') }))
    .map(([at, del, ins]) => fixtureYaml.slice(0, at) + ins + fixtureYaml.slice(at + del));

  it('YAML text: the real example config mutated, and arbitrary text: parse + validate throw CONFIG_INVALID only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedYaml, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 })), async (text) => {
        await onlyQosErrorAsync('CONFIG_INVALID', async () => validateConfig(await parseDocument(text, 'gen.yaml'), 'gen.yaml'));
      }),
      { numRuns: 1500 },
    );
  });

  it('JSON text (config.json): CONFIG_INVALID only', async () => {
    const json = JSON.stringify(await parseDocument(fixtureYaml, 'full.yaml'));
    const mutated = fc.tuple(fc.nat({ max: json.length }), fc.nat({ max: 10 }), fc.string({ maxLength: 4 })).map(([at, del, ins]) => json.slice(0, at) + ins + json.slice(at + del));
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.string({ maxLength: 100 })), async (text) => {
        await onlyQosErrorAsync('CONFIG_INVALID', async () => validateConfig(await parseDocument(text, 'gen.json'), 'gen.json'));
      }),
      { numRuns: 1000 },
    );
  });
});

// ---- ping output ----------------------------------------------------------------------------

const pingLines = readdirSync(join(ROOT, 'fixtures/ping')).flatMap((f) => readFileSync(join(ROOT, 'fixtures/ping', f), 'utf8').split(/\r?\n/));
const pingLine = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...pingLines) },
  { weight: 2, arbitrary: fc.constantFrom(...pingLines).chain((l) => fc.tuple(fc.nat({ max: l.length }), fc.string({ maxLength: 6, unit: fc.constantFrom('0', '9', '.', ',', '=', ' ', 'm', 's', '<', '-', '%', '/') })).map(([at, ins]) => l.slice(0, at) + ins + l.slice(at))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

describe('ping output: parsePingOutput', () => {
  it('recorded lines shuffled, mutated and mixed with noise: parsed or unparseable, never a throw or a bad number', () => {
    fc.assert(
      fc.property(fc.array(pingLine, { maxLength: 25 }), fc.constantFrom<NodeJS.Platform | undefined>('linux', 'darwin', 'win32', undefined), fc.constantFrom('\n', '\r\n'), (lines, platform, eol) => {
        const r = parsePingOutput(lines.join(eol), platform ? { platform } : {});
        if (r.status === 'unparseable') {
          expect(['empty', 'no-data', 'inconsistent', 'ambiguous']).toContain(r.code);
          expect(r.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(r.status).toBe('parsed');
        for (const rep of r.replies) {
          expect(Number.isFinite(rep.rttMs) && rep.rttMs >= 0).toBe(true);
          expect(Number.isInteger(rep.seq) && rep.seq >= 0).toBe(true);
        }
        expect(new Set(r.replies.map((x) => x.seq)).size).toBe(r.replies.length); // first copy only
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- mmcli ----------------------------------------------------------------------------------

const mmcliFixtures = readdirSync(join(ROOT, 'fixtures/mmcli')).filter((f) => f.endsWith('.txt')).map((f) => readFileSync(join(ROOT, 'fixtures/mmcli', f), 'utf8'));
const mmcliLine = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...mmcliFixtures.flatMap((t) => t.split('\n'))) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('modem.signal.lte.rsrp', 'modem.signal.5g.snr', 'modem.generic.access-technologies.value[1]', 'modem.generic.access-technologies.value[999999]', 'modem.generic.ports.value[2]', 'modem.3gpp.operator-name', 'modem.generic.access-technologies'),
        fc.oneof(fc.constantFrom('--', '', '-93.00', '1e400', '-0', 'lte', 'wwan0 (net)', 'NaN', '999', 'lte, 5gnr'), fc.string({ maxLength: 10 }), fc.double().map(String)),
        fc.constantFrom(' : ', ':', '   :   '),
      )
      .map(([k, v, sep]) => k + sep + v),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

describe('mmcli output: parseMmcliKeyValues / cellInfoFromMmcli', () => {
  it('never throws; radio numbers are finite and plausible or null; tech/operator never "--"', () => {
    fc.assert(
      fc.property(fc.array(mmcliLine, { maxLength: 30 }), fc.array(mmcliLine, { maxLength: 30 }), (a, b) => {
        parseMmcliKeyValues(a.join('\n'));
        const c = cellInfoFromMmcli(a.join('\n'), b.join('\r\n'));
        for (const v of [c.cell_rsrp_dbm, c.cell_rsrq_db, c.cell_sinr_db]) expect(v === null || (Number.isFinite(v) && Math.abs(v) <= 500)).toBe(true);
        for (const v of [c.cell_tech, c.cell_operator]) expect(v === null || (v !== '--' && v.trim() !== '')).toBe(true);
        for (const p of c.netPorts) expect(p).not.toMatch(/\(net\)/);
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- CSV append header check ----------------------------------------------------------------

describe('CSV append: openSink on an existing file with arbitrary contents', () => {
  const header = formats.csv.header();
  const existing = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ maxLength: 100 }).map((s) => header + s),
    fc.tuple(fc.nat({ max: header.length }), fc.string({ maxLength: 5 })).map(([at, s]) => header.slice(0, at) + s + header.slice(at)),
    fc.constant(header.replace(/\n$/, '\r\n')),
    fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u).toString('latin1')),
  );

  it('appends after a matching header (on a fresh line) or refuses with OUTPUT_HEADER_MISMATCH; nothing else', () => {
    const dir = tempDir('qosprobe-prop-');
    let n = 0;
    let appended = 0;
    const rec = monitoringRecord(1);
    fc.assert(
      fc.property(existing, (content) => {
        const path = join(dir, `f${n++}.csv`);
        writeFileSync(path, content, 'latin1');
        const before = readFileSync(path);
        try {
          const sink = openSink({ format: 'csv', path, append: true });
          sink.write(rec);
          sink.close({ run_id: 'r', probe_id: 'p', location_code: null, location_name: null, site: null, lat: null, lon: null, started_at: '', finished_at: null, status: 'completed', tool_version: 't' });
          appended++;
          const after = readFileSync(path);
          expect(after.subarray(0, before.length).equals(before)).toBe(true); // nothing existing was rewritten
          const text = after.toString('latin1');
          if (content.length === 0) expect(text.startsWith(header)).toBe(true);
          expect(text.endsWith(formats.csv.record(rec))).toBe(true);
          const rest = text.slice(before.length);
          expect(before.length === 0 || before.at(-1) === 0x0a || rest.startsWith('\n')).toBe(true); // the record starts a line
        } catch (err) {
          if (!(err instanceof QosError) || err.code !== 'OUTPUT_HEADER_MISMATCH') throw err;
          expect(readFileSync(path).equals(before)).toBe(true); // a refused file is left untouched
        }
      }),
      { numRuns: 1000 },
    );
    expect(appended).toBeGreaterThan(0);
  });
});

// ---- STAMP decoder --------------------------------------------------------------------------

describe('STAMP packet decoders', () => {
  it('any datagram: decoded or { ok: false, reason }, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (u) => {
        const buf = Buffer.from(u);
        for (const r of [decodeSenderPacket(buf), decodeReflectorPacket(buf)]) {
          if (r.ok) {
            expect(buf.length).toBeGreaterThanOrEqual(STAMP_MIN_BYTES);
            expect(r.packet.sizeBytes).toBe(buf.length);
          } else {
            expect(r.reason.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- monitoring serialisers -----------------------------------------------------------------

describe('monitoring formats with hostile label values', () => {
  const label = fc.string({ maxLength: 20, unit: fc.oneof(fc.constantFrom(',', '=', ' ', '"', '\\', '\n', '\r', '\t', '{', '}', '#'), fc.string({ minLength: 1, maxLength: 1 })) });
  const recordWith = fc.record({ probe_id: label, endpoint: label, test: label, location_code: fc.option(label, { nil: null }) }).map((o) => monitoringRecord(3, o as Partial<ResultRecord>));

  it('influx: one line, no unescaped separator inside a tag', () => {
    fc.assert(
      fc.property(recordWith, (r) => {
        const line = influxLine(r);
        expect(line).not.toMatch(/[\n\r]/);
        // measurement+tags, fields, timestamp: exactly two unescaped spaces.
        expect(line.split(/(?<!\\) /)).toHaveLength(3);
        const tagPart = line.split(/(?<!\\) /)[0]!;
        for (const kv of tagPart.split(/(?<!\\),/).slice(1)) expect(kv.split(/(?<!\\)=/)).toHaveLength(2);
      }),
      { numRuns: 1000 },
    );
  });

  it('openmetrics: every sample line is name{labels} value with properly escaped label values', () => {
    const sample = /^qosprobe_[a-z0-9_]+\{(probe_id|location_code|endpoint|test)="(?:[^"\\\n]|\\["\\n])*"(,(probe_id|location_code|endpoint|test)="(?:[^"\\\n]|\\["\\n])*"){3}\} -?[0-9.e+-]+$/;
    fc.assert(
      fc.property(fc.array(recordWith, { minLength: 1, maxLength: 3 }), (rs) => {
        const text = openMetricsText(rs);
        expect(text.endsWith('# EOF\n')).toBe(true);
        for (const l of text.split('\n').slice(0, -2)) {
          if (l.startsWith('#')) continue;
          expect(l).toMatch(sample);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a record with every number null still yields a valid influx line (status_ok is always there)', () => {
    const r = { ...emptyRecord(), probe_id: 'p', endpoint: 'e', test: 't', status: 'error' } as ResultRecord;
    expect(influxLine(r)).toBe('qosprobe,probe_id=p,endpoint=e,test=t status_ok=0i');
  });
});
