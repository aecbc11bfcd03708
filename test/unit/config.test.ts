import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXAMPLE_CONFIG } from '../../src/config/example.js';
import { findConfig, parseDocument, readConfigFile } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { QosError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/temp.js';

const fixture = (name: string) => join(import.meta.dirname, '../..', 'fixtures', 'config', name);

describe('the documented config shape', () => {
  it.each(['full.yaml', 'full.json'])('%s validates into the expected typed config', async (name) => {
    const c = await readConfigFile(fixture(name));
    expect(c.probeId).toBe('bdg-tps-017');
    expect(c.location).toEqual({ code: '32.73', site: 'TPS-017', lat: -6.9147, lon: 107.6098 });
    // a relative path resolves against the config file's directory
    expect(c.output).toEqual({ format: 'csv', path: fixture('results.csv'), append: true });
    expect(c.endpoints).toHaveLength(1);
    const [icmp, tcp] = c.endpoints[0]!.tests;
    // icmp takes every default; tcp overrides count only
    expect(icmp).toMatchObject({ kind: 'icmp', count: 20, intervalMs: 200, timeoutMs: 2000 });
    expect(tcp).toMatchObject({ kind: 'tcp', port: 8080, count: 10, intervalMs: 200, timeoutMs: 2000 });
  });

  it('the example that `init` writes is valid', () => {
    const c = validateConfig(parseYaml(EXAMPLE_CONFIG), 'qosprobe.yaml');
    expect(c.endpoints[0]!.tests.map((t) => t.kind)).toEqual(['icmp', 'tcp']);
  });

  it('defaults the probe id to the hostname and output to csv on stdout', () => {
    const c = validateConfig({ endpoints: [{ host: '127.0.0.1', tests: ['icmp'] }] }, 'f.yaml');
    expect(c.probeId.length).toBeGreaterThan(0);
    expect(c.output).toEqual({ format: 'csv', path: null, append: false });
    expect(c.endpoints[0]!.name).toBe('127.0.0.1'); // name defaults to the host
  });

  it('layers built-in < file defaults < test entry', () => {
    const c = validateConfig(
      { defaults: { interval_ms: 500 }, endpoints: [{ host: 'h', tests: [{ kind: 'tcp', port: 1, timeout_ms: 100 }] }] },
      'f.yaml',
    );
    // count: built-in 20; interval: file 500; timeout: test 100
    expect(c.endpoints[0]!.tests[0]).toMatchObject({ count: 20, intervalMs: 500, timeoutMs: 100 });
  });
});

describe('location.code: a YAML number is refused with the quoted form to write', () => {
  const message = (doc: unknown) => {
    try {
      validateConfig(doc, 'f.yaml');
    } catch (err) {
      return (err as QosError).message;
    }
    return 'accepted';
  };
  it.each([
    ['code: 32.10', '32.1', '"32.10"'],
    ['code: 32.730', '32.73', '"32.73"'],
    ['code: 1.1e1', '11', '"11"'],
    ['code: 32', '32', '"32"'],
  ])('%s (read as %s) is refused, suggesting %s', (yaml, read, meant) => {
    const m = message(parseYaml(`location: { ${yaml} }`));
    expect(m).toBe(
      `f.yaml: location.code: expected a region code in quotes; found the number ${read} (YAML reads an unquoted code as a number and drops trailing zeros): write code: ${meant} if that is the code`,
    );
  });

  it('a quoted malformed code says what is wrong once, with no YAML hint', () => {
    const m = message(parseYaml('location: { code: "32.7" }'));
    expect(m).toBe('f.yaml: location.code: expected a region code: 2 digits, then .2, .2 and .4 digits (32, 32.73, 32.73.01 or 32.73.01.1001); found "32.7"');
    expect(message(parseYaml('location: { code: " 32.73 " }'))).toBe('accepted');
  });
});

describe('YAML syntax errors', () => {
  it('give the position once, then the snippet with its caret', async () => {
    const err = await parseDocument('probe:\n  id: x\nlocation: { code: "32.73"\nendpoints: [\n', 'f.yaml').catch((e: unknown) => e as QosError);
    const lines = (err as QosError).message.split('\n');
    expect(lines[0]).toBe('f.yaml: not valid YAML at line 4, column 1: Flow map in block collection must be sufficiently indented and end with a }');
    expect((err as QosError).message.match(/line \d+, column/g)).toHaveLength(1);
    expect(lines.slice(1)).toEqual(['    location: { code: "32.73"', '    endpoints: [', '    ^']);
  });
});

describe('relative paths in a config resolve against the config file, not the working directory', () => {
  it('output.path and ca_file; absolute paths and "-" are kept', async () => {
    const dir = tempDir('qosprobe-cfg-');
    const file = join(dir, 'qosprobe.yaml');
    writeFileSync(
      file,
      'output: { path: out/results.csv }\nendpoints:\n  - host: 127.0.0.1\n    tests:\n      - { kind: http, url: "https://127.0.0.1/", ca_file: certs/ca.pem }\n      - { kind: download, url: "https://127.0.0.1/", ca_file: /etc/ssl/ca.pem }\n',
    );
    const c = await readConfigFile(file);
    expect(c.output.path).toBe(join(dir, 'out', 'results.csv'));
    expect(c.endpoints[0]!.tests[0]).toMatchObject({ caFile: join(dir, 'certs', 'ca.pem') });
    expect(c.endpoints[0]!.tests[1]).toMatchObject({ caFile: '/etc/ssl/ca.pem' });
    writeFileSync(file, 'output: { path: "-" }\n');
    expect((await readConfigFile(file)).output.path).toBe('-');
  });
});

describe('invalid configs: each message names file, field path, expectation and what was found', () => {
  const ep = (tests: unknown[]) => ({ endpoints: [{ name: 'a', host: '127.0.0.1', tests: ['icmp'] }, { name: 'b', host: '127.0.0.1', tests }] });
  it.each<[string, unknown, RegExp]>([
    ['port out of range', ep([{ kind: 'tcp', port: 70000 }]), /^bad\.yaml: endpoints\[1\]\.tests\[0\]\.port: expected an integer from 1 to 65535, found number 70000$/],
    ['port missing', ep([{ kind: 'tcp' }]), /endpoints\[1\]\.tests\[0\]\.port: expected an integer from 1 to 65535, found nothing \(the field is missing\)/],
    ['port as text', ep([{ kind: 'tcp', port: 'http' }]), /endpoints\[1\]\.tests\[0\]\.port: expected an integer .*, found "http"/],
    ['unknown kind', ep(['smoke']), /endpoints\[1\]\.tests\[0\]: expected one of icmp, tcp.*found "smoke"/],
    ['typo in a field', ep([{ kind: 'tcp', port: 80, interval: 100 }]), /endpoints\[1\]\.tests\[0\]\.interval: unknown field \(did you mean "interval_ms"\?\)/],
    ['field of another kind', ep([{ kind: 'icmp', port: 80 }]), /endpoints\[1\]\.tests\[0\]\.port: unknown field/],
    ['zero count', ep([{ kind: 'tcp', port: 80, count: 0 }]), /endpoints\[1\]\.tests\[0\]\.count: expected an integer from 1 to 100000, found number 0/],
    ['fractional count', { defaults: { count: 2.5 } }, /defaults\.count: expected an integer from 1 to 100000, found number 2\.5/],
    ['negative interval', { defaults: { interval_ms: -1 } }, /defaults\.interval_ms: expected a number from 1 to 3600000, found number -1/],
    ['no tests', { endpoints: [{ host: 'h', tests: [] }] }, /endpoints\[0\]\.tests: expected at least one test, found a list/],
    ['tests not a list', { endpoints: [{ host: 'h', tests: 'icmp' }] }, /endpoints\[0\]\.tests: expected a list, found "icmp"/],
    ['missing host', { endpoints: [{ name: 'x', tests: ['icmp'] }] }, /endpoints\[0\]\.host: expected a string, found nothing/],
    ['duplicate endpoint names', { endpoints: [{ name: 'x', host: 'a', tests: ['icmp'] }, { name: 'x', host: 'b', tests: ['icmp'] }] }, /endpoints\[1\]\.name: expected a name not used by another endpoint, found "x"/],
    ['bad output format', { output: { format: 'xml' } }, /output\.format: expected one of csv, ndjson, json(, [a-z]+)*, found "xml"/],
    ['latitude out of range', { location: { lat: 91 } }, /location\.lat: expected a number from -90 to 90, found number 91/],
    ['malformed location code', { location: { code: '32-73' } }, /location\.code: expected a region code: 2 digits.*found "32-73" \(did you mean "32.73"\?\)$/],
    ['unknown top-level key', { endpoint: [] }, /^bad\.yaml: endpoint: unknown field \(did you mean "endpoints"\?\)/],
    ['top level is a list', [1, 2], /^bad\.yaml: \(top level\): expected a mapping \(key: value\), found a list/],
  ])('%s', (_name, doc, message) => {
    let err: unknown;
    try {
      validateConfig(doc, 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QosError);
    expect((err as QosError).code).toBe('CONFIG_INVALID');
    expect((err as QosError).message).toMatch(message);
  });

  it('reports YAML syntax errors with line and column', async () => {
    await expect(parseDocument('probe:\n  id: [unclosed\n', 'x.yaml')).rejects.toThrow(/x\.yaml: not valid YAML at line \d+, column \d+/);
    await expect(parseDocument('{"a": }', 'x.json')).rejects.toThrow(/x\.json: not valid JSON/);
  });
});

describe('config search order', () => {
  const dir = tempDir('qosprobe-cfg-');
  const home = join(dir, 'home');
  const cwd = join(dir, 'work');
  mkdirSync(join(home, '.config', 'qosprobe'), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  const userCfg = join(home, '.config', 'qosprobe', 'config.yaml');
  writeFileSync(userCfg, 'probe: { id: user }\n');

  it('--config first, then $QOSPROBE_CONFIG, then ./qosprobe.yaml, then the user config dir', () => {
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
    expect(findConfig(undefined, env, cwd)).toBe(userCfg);
    writeFileSync(join(cwd, 'qosprobe.yaml'), 'probe: { id: local }\n');
    expect(findConfig(undefined, env, cwd)).toBe(join(cwd, 'qosprobe.yaml'));
    expect(findConfig(undefined, { ...env, QOSPROBE_CONFIG: '/x/env.yaml' }, cwd)).toBe('/x/env.yaml');
    expect(findConfig('cli.yaml', { ...env, QOSPROBE_CONFIG: '/x/env.yaml' }, cwd)).toBe(join(cwd, 'cli.yaml'));
  });

  it('a missing explicit file is CONFIG_NOT_FOUND', async () => {
    await expect(readConfigFile(join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
  });
});
