/**
 * One owner for the per-test rules: `run` reads a config's test entries and an ad hoc command reads its flags with the
 * same function, so the same config gives the same spec both ways (issue 11), and flags have the config's bounds (issue 15).
 */
import { describe, expect, it } from 'vitest';
import { adhocSpec, flagFor } from '../src/cli/adhoc-spec.js';
import { validateConfig } from '../src/config/validate.js';
import { QosError } from '../src/core/errors.js';

const caught = (f: () => unknown): QosError => {
  try {
    f();
  } catch (err) {
    if (err instanceof QosError) return err;
    throw err;
  }
  throw new Error('expected a QosError');
};

// A test entry of each kind, as it would appear in a config and as an ad hoc command's fields.
const ENTRIES: Record<string, Record<string, unknown>> = {
  icmp: { size: 100 },
  tcp: { port: 8080 },
  stamp: { port: 8862 },
  http: { url: 'http://127.0.0.1:8080/ping' },
  dns: { name: 'example.test' },
  download: { url: 'http://127.0.0.1:8080/down?bytes={bytes}', duration_s: 3 },
  upload: { url: 'http://127.0.0.1:8080/up', streams: 2 },
};

describe('the same config through run and through the ad hoc command gives the same spec', () => {
  const fileDefaults = { count: 7, timeout_ms: 1000 };
  it.each(Object.entries(ENTRIES))('%s with defaults: { count: 7, timeout_ms: 1000 }', (kind, fields) => {
    const c = validateConfig({ defaults: fileDefaults, endpoints: [{ host: '127.0.0.1', tests: [{ kind, ...fields }] }] }, 'f.yaml');
    const viaRun = c.endpoints[0]!.tests[0];
    const viaAdhoc = adhocSpec({ kind, argument: '<arg>' }, fields, {}, c.defaults);
    expect(viaAdhoc).toEqual(viaRun);
    // The file's defaults block wins over the kind's own defaults (stamp's 3000 ms), as the README documents.
    expect(viaRun).toMatchObject({ count: 7, timeoutMs: 1000 });
  });

  it.each(Object.entries(ENTRIES))('%s: flags are the entry, above defaults:', (kind, fields) => {
    const c = validateConfig(
      { defaults: fileDefaults, endpoints: [{ host: '127.0.0.1', tests: [{ kind, ...fields, interval_ms: 50, timeout_ms: 500 }] }] },
      'f.yaml',
    );
    const viaAdhoc = adhocSpec({ kind, argument: '<arg>' }, fields, { interval: 50, timeout: 500 }, c.defaults);
    expect(viaAdhoc).toEqual(c.endpoints[0]!.tests[0]);
  });

  it("stamp without a defaults: block keeps the kind's own 3000 ms both ways", () => {
    const c = validateConfig({ endpoints: [{ host: 'h', tests: [{ kind: 'stamp' }] }] }, 'f.yaml');
    expect(c.endpoints[0]!.tests[0]).toMatchObject({ timeoutMs: 3000, count: 20 });
    expect(adhocSpec({ kind: 'stamp', argument: '<host>' }, {}, {}, c.defaults)).toEqual(c.endpoints[0]!.tests[0]);
  });
});

describe('family is read one way by icmp, tcp and stamp', () => {
  const extra: Record<string, Record<string, unknown>> = { icmp: {}, tcp: { port: 80 }, stamp: {} };
  it.each(['icmp', 'tcp', 'stamp'])('%s: 4 and 6 accepted, 5 and "6" refused', (kind) => {
    const test = (family: unknown) => validateConfig({ endpoints: [{ host: 'h', tests: [{ kind, ...extra[kind], family }] }] }, 'f.yaml');
    expect(test(4).endpoints[0]!.tests[0]).toMatchObject({ family: 4 });
    expect(test(6).endpoints[0]!.tests[0]).toMatchObject({ family: 6 });
    expect(caught(() => test(5)).message).toBe('f.yaml: endpoints[0].tests[0].family: expected 4 or 6, found number 5');
    expect(caught(() => test('6')).message).toMatch(/family: expected 4 or 6, found "6"/);
  });
});

describe('flags have the bounds of the config fields, and a bad one is a usage error naming the flag', () => {
  it.each<[string, Record<string, unknown>, Record<string, number>, RegExp]>([
    ['tcp', { port: 80 }, { count: 100_000_000 }, /^--count: expected an integer from 1 to 100000, found number 100000000$/],
    ['tcp', { port: 80 }, { interval: 1e10 }, /^--interval: expected a number from 1 to 3600000/],
    ['icmp', {}, { timeout: 1e9 }, /^--timeout: expected a number from 1 to 600000/],
    ['download', { url: 'http://127.0.0.1/', duration_s: 1e9 }, {}, /^--duration: expected /],
    ['stamp', { size: 10 }, {}, /^--size: expected an integer from 44 to 65507, found number 10$/],
    ['http', { url: 'ftp://x/' }, {}, /^<url>: expected an http:\/\/ or https:\/\/ URL/],
    ['http', { url: 'http://127.0.0.1/', max_redirects: 'x' }, {}, /^--max-redirects: expected an integer from 0 to 20, found "x"$/],
  ])('%s %j %j', (kind, fields, opts, message) => {
    const err = caught(() => adhocSpec({ kind, argument: '<url>' }, fields, opts, {}));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/option\.|command line:/);
  });

  it('flag names follow the config fields', () => {
    const def = { argument: '<url>' };
    expect(['count', 'interval_ms', 'duration_s', 'warmup_s', 'ca_file', 'max_redirects', 'family', 'url'].map((f) => flagFor(def, f))).toEqual([
      '--count',
      '--interval',
      '--duration',
      '--warmup',
      '--ca-file',
      '--max-redirects',
      '-4/-6',
      '<url>',
    ]);
  });
});
