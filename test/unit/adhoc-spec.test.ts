/**
 * One owner for the per-test rules: `run` reads a config's test entries and an ad hoc command reads its flags with the
 * same function, so the same config gives the same spec both ways (issue 11), and flags have the config's bounds (issue 15).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { adhocDefOf, makeAdhocCommand } from '../../src/cli/adhoc.js';
import { adhocSpec, flagFor } from '../../src/cli/adhoc-spec.js';
import { loadRequiredConfig } from '../../src/cli/context.js';
import { createProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import type { Config } from '../../src/config/types.js';
import { probes } from '../../src/probes/index.js';
import { PROBE_INFO, PROBE_KINDS, type ProbeInfo } from '../../src/probes/kinds.js';
import { validateConfig } from '../../src/config/validate.js';
import { QosError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/temp.js';

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

describe('the same config through `qosprobe run` and through each ad hoc command (argv, flags, --config) gives the same spec', () => {
  // Per kind: a config test entry and the ad hoc command line that says the same. Every kind must be here.
  const CASES: Record<string, { entry: Record<string, unknown>; argv: string[] }> = {
    icmp: { entry: { size: 100, family: 6 }, argv: ['localhost', '-s', '100', '-6'] },
    tcp: { entry: { port: 8080, family: 4 }, argv: ['localhost:8080', '-4'] },
    http: { entry: { url: 'http://localhost:8080/ping', expect_status: '204', max_redirects: 2, insecure: true }, argv: ['http://localhost:8080/ping', '--expect-status', '204', '--max-redirects', '2', '-k'] },
    dns: { entry: { name: 'localhost', server: '127.0.0.1:5353', record: 'AAAA', nocache: true }, argv: ['localhost', '--server', '127.0.0.1:5353', '--record', 'AAAA', '--nocache'] },
    download: {
      entry: { url: 'http://localhost:8080/down?bytes={bytes}', duration_s: 3, streams: 2, warmup_s: 1, bytes: 1000 },
      argv: ['http://localhost:8080/down?bytes={bytes}', '-d', '3', '--streams', '2', '-w', '1', '--bytes', '1000'],
    },
    upload: { entry: { url: 'http://localhost:8080/up', duration_s: 2, ca_file: 'ca.pem', ping_url: '/ping' }, argv: ['http://localhost:8080/up', '-d', '2', '--ca-file', 'ca.pem', '--ping-url', '/ping'] },
    stamp: { entry: { port: 8862, size: 100, stateful: true, family: 6 }, argv: ['localhost:8862', '--size', '100', '--stateful', '-6'] },
    trace: { entry: { protocol: 'udp', port: 33434, max_hops: 12, tool: 'mtr', family: 4 }, argv: ['localhost', '--protocol', 'udp', '--port', '33434', '--max-hops', '12', '--tool', 'mtr', '-4'] },
  };

  const dir = tempDir('qosprobe-adhoc-');
  const io = (): CliIo => ({ stdout: new PassThrough(), stderr: new PassThrough(), env: {}, cwd: dir, signal: new AbortController().signal, setExitCode: () => {} });
  /** A config file with `defaults: { timeout_ms: 1000 }` (below stamp's own 3000 ms) and this test; YAML is a superset of JSON. */
  const configFile = (kind: string, entry: Record<string, unknown>) => {
    const file = join(dir, `${kind}.yaml`);
    writeFileSync(file, JSON.stringify({ defaults: { timeout_ms: 1000 }, endpoints: [{ host: 'localhost', tests: [{ kind, count: 3, ...entry }] }] }));
    return file;
  };
  /** The config the ad hoc command would measure, captured instead of measured. */
  const viaAdhoc = async (kind: string, argv: string[]): Promise<Config> => {
    let got: Config | null = null;
    const cmd = makeAdhocCommand(kind, io(), async (c) => void (got = c)).exitOverride();
    await cmd.parseAsync(argv, { from: 'user' });
    return got as unknown as Config;
  };

  it('covers every probe kind', () => {
    expect(Object.keys(CASES).sort()).toEqual([...PROBE_KINDS].sort());
  });

  it.each(Object.entries(CASES))('%s', async (kind, { entry, argv }) => {
    const file = configFile(kind, entry);
    const run = (await loadRequiredConfig(file, io())).endpoints[0]!;
    const adhoc = (await viaAdhoc(kind, [...argv, '--count', '3', '--config', file])).endpoints[0]!;
    expect(adhoc.tests).toEqual(run.tests);
    expect(adhoc.host).toBe(run.host);
    // The file's defaults block wins over the kind's own defaults, both ways (README).
    expect(run.tests[0]).toMatchObject({ count: 3, timeoutMs: 1000 });
  });

  it.each(PROBE_KINDS.filter((k) => probes[k].configKeys.includes('family')))('%s: family 5 is refused both ways by the one reader', async (kind) => {
    const file = configFile(kind, { ...CASES[kind]!.entry, family: 5 });
    await expect(loadRequiredConfig(file, io())).rejects.toThrow(/tests\[0\]\.family: expected 4 or 6, found number 5$/);
    const err = caught(() => adhocSpec(adhocDefOf(kind), { ...CASES[kind]!.entry, family: 5 }, {}, {}));
    expect([err.code, err.message]).toEqual(['USAGE', '-4/-6: expected 4 or 6, found number 5']);
  });

  it('a command has -4/-6 exactly when its kind takes family, and each flag sets a config key of its kind', () => {
    for (const kind of PROBE_KINDS) {
      const { command } = PROBE_INFO[kind] as ProbeInfo;
      expect(Boolean(command.family), kind).toBe(probes[kind].configKeys.includes('family'));
      for (const f of command.flags) expect(probes[kind].configKeys, `${kind} ${f.flags}`).toContain(f.key);
    }
  });

  it('tcp without a port is a usage error naming the form', async () => {
    await expect(viaAdhoc('tcp', ['localhost'])).rejects.toThrow('tcp: expected HOST:PORT (e.g. 127.0.0.1:80 or [::1]:443), got "localhost"');
  });
});

describe('--help lists the probe kinds from the registry', () => {
  const help = async (argv: string[]): Promise<string> => {
    let out = '';
    const stdout = new PassThrough().on('data', (c: Buffer) => void (out += c.toString()));
    const io: CliIo = { stdout, stderr: new PassThrough(), env: {}, cwd: tmpdir(), signal: new AbortController().signal, setExitCode: () => {} };
    await expect(createProgram(io).parseAsync(argv, { from: 'user' })).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
    return out;
  };

  it('`run --help`: every kind with its summary; `--help`: every kind and its ad hoc command', async () => {
    const run = await help(['run', '--help']);
    const main = await help(['--help']);
    for (const kind of PROBE_KINDS) {
      const { summary, command } = PROBE_INFO[kind] as ProbeInfo;
      expect(run).toMatch(new RegExp(`^  ${kind} +${summary.replace(/[()/]/g, '\\$&')}`, 'm'));
      expect(main).toMatch(new RegExp(`^  ${command.name} \\[options\\] <`, 'm'));
    }
    expect(main).toContain(`Probe kinds (a config test's kind; \`qosprobe run --help\` describes each): ${PROBE_KINDS.join(', ')}`);
  });
});
