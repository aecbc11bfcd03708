/**
 * End to end: spawn bin/qosprobe.js on the built dist/ against real loopback listeners, as
 * a technician or a cron job would, and check exit codes and output.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_NAMES } from '../../src/core/schema.js';
import { BIN, builtCliAvailable, e2eDir, ndjson, runCli, writeConfig } from '../helpers/cli.js';
import { refusedPort, startBlackholeListener, startTcpListener } from '../helpers/servers.js';

const hasBuild = builtCliAvailable();
const tmp = e2eDir;

describe.skipIf(!hasBuild)('qosprobe CLI (built)', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  let closed: number;
  let blackhole: Awaited<ReturnType<typeof startBlackholeListener>>;
  beforeAll(async () => {
    listener = await startTcpListener();
    closed = await refusedPort();
    blackhole = await startBlackholeListener();
  });
  afterAll(async () => {
    await listener.close();
    await blackhole?.close();
  });

  const suite = () => `
probe: { id: e2e-probe }
location: { code: "32.73", site: TPS-017 }
defaults: { count: 4, interval_ms: 50, timeout_ms: 400 }
endpoints:
  - name: up
    host: 127.0.0.1
    tests:
      - { kind: tcp, port: ${listener.port} }
  - name: refused
    host: 127.0.0.1
    tests:
      - { kind: tcp, port: ${closed} }
${blackhole ? `  - name: silent\n    host: 127.0.0.1\n    tests:\n      - { kind: tcp, port: ${blackhole.port}, count: 2 }\n` : ''}`;

  it('run --format ndjson: one record per (endpoint, test), failures as data, location on every record', async () => {
    const dir = tmp();
    writeConfig(dir, suite());
    const res = await runCli(['run', '--format', 'ndjson'], { cwd: dir });
    expect(res.stderr).toBe(''); // not a TTY: nothing for humans
    expect(res.code).toBe(0); // failed tests are data, not a failed run
    const recs = ndjson(res.stdout);
    expect(recs.map((r) => [r.endpoint, r.status, r.error_code])).toEqual([
      ['up', 'ok', null],
      ['refused', 'error', 'CONNECT_REFUSED'],
      ...(blackhole ? [['silent', 'error', 'TIMEOUT']] : []),
    ]);
    for (const r of recs) {
      expect(r).toMatchObject({ location_code: '32.73', location_name: 'Jawa Barat / Kota Bandung', probe_id: 'e2e-probe', site: 'TPS-017', schema_version: 1 });
      expect(Object.keys(r)).toEqual(FIELD_NAMES);
    }
    expect(new Set(recs.map((r) => r.run_id)).size).toBe(1);
  });

  it('pipes into jq', async (t) => {
    let jq = true;
    try {
      execFileSync('jq', ['--version']);
    } catch {
      jq = false;
    }
    if (!jq) return t.skip('jq not installed');
    const dir = tmp();
    writeConfig(dir, suite());
    const out = execFileSync('sh', ['-c', `node ${BIN} run --format ndjson | jq -c '{e: .endpoint, l: .location_code}'`], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(out.trim().split('\n')[0]).toBe('{"e":"up","l":"32.73"}');
  });

  it('--fail-on-error exits 1 when a test failed', async () => {
    const dir = tmp();
    writeConfig(dir, suite());
    const res = await runCli(['run', '--fail-on-error', '-q'], { cwd: dir });
    expect(res.code).toBe(1);
  });

  it('--append twice writes one header; flags override the file', async () => {
    const dir = tmp();
    writeConfig(dir, suite().replace(/- name: refused[\s\S]*/, ''));
    for (let i = 0; i < 2; i++) {
      const res = await runCli(['run', '--out', 'r.csv', '--append', '--location', '32.73.01'], { cwd: dir });
      expect(res.code).toBe(0);
    }
    const lines = readFileSync(join(dir, 'r.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(FIELD_NAMES.join(','));
    expect(lines.filter((l) => l.startsWith('schema_version,'))).toHaveLength(1);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(',32.73.01,'); // --location beat the file's 32.73
  });

  it('--format other than the config\'s, without --out, goes to stdout; the config\'s file is left alone', async () => {
    const dir = tmp();
    writeConfig(dir, suite().replace(/\s*- name: refused[\s\S]*/, '\n') + 'output: { format: csv, path: results.csv, append: true }\n');
    const res = await runCli(['run', '--format', 'ndjson'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(ndjson(res.stdout)).toHaveLength(1);
    expect(existsSync(join(dir, 'results.csv'))).toBe(false);
    await runCli(['run'], { cwd: dir }); // the config's own format still goes to its file
    expect(readFileSync(join(dir, 'results.csv'), 'utf8').split('\n')[0]).toBe(FIELD_NAMES.join(','));
  });

  it('QOSPROBE_LOCATION overrides the file, --location overrides both', async () => {
    const dir = tmp();
    writeConfig(dir, suite().replace(/- name: refused[\s\S]*/, ''));
    const env = await runCli(['run', '-f', 'ndjson'], { cwd: dir, env: { QOSPROBE_LOCATION: '32' } });
    expect(ndjson(env.stdout)[0]).toMatchObject({ location_code: '32', location_name: 'Jawa Barat' });
    const flag = await runCli(['run', '-f', 'ndjson', '-l', '31'], { cwd: dir, env: { QOSPROBE_LOCATION: '32' } });
    expect(ndjson(flag.stdout)[0]).toMatchObject({ location_code: '31' });
  });

  it('config errors exit 3 naming file, field, expectation and what was found; no stack trace', async () => {
    const dir = tmp();
    const path = writeConfig(dir, 'location: { code: "32.73" }\nendpoints:\n  - host: 127.0.0.1\n    tests:\n      - { kind: tcp, port: 99999 }\n');
    const res = await runCli(['run'], { cwd: dir });
    expect(res.code).toBe(3);
    expect(res.stderr).toBe(`qosprobe: ${path}: endpoints[0].tests[0].port: expected an integer from 1 to 65535, found number 99999\n`);
  });

  it('an unknown location code exits 3 and suggests the nearest known ones; --location-unchecked accepts it', async () => {
    const dir = tmp();
    writeConfig(dir, suite().replace(/- name: refused[\s\S]*/, ''));
    const res = await runCli(['run', '-l', '32.99'], { cwd: dir });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/location code "32\.99" is not in the region table.*nearest known: 32\.\d\d \(Jawa Barat \/ /);
    const ok = await runCli(['run', '-l', '32.99', '--location-unchecked', '-f', 'ndjson'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ndjson(ok.stdout)[0]).toMatchObject({ location_code: '32.99', location_name: null });
  });

  it('no config anywhere exits 3 and says where it looked', async () => {
    const res = await runCli(['run'], { cwd: tmp() });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/no config file found; looked in: .*qosprobe\.yaml.*qosprobe init/);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['run', '--format', 'xml'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['tcp', '127.0.0.1'])).code).toBe(2); // no port
    expect((await runCli(['ping', '127.0.0.1', '--count', 'zero'])).code).toBe(2);
  });

  it('every error reads "qosprobe: ...", commander\'s too; a malformed --location is a usage error with no YAML hint', async () => {
    for (const args of [['frobnicate'], ['ping', '127.0.0.1', '--count', 'zero'], ['run', '--format', 'xml']]) {
      const res = await runCli(args);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/^qosprobe: /);
      expect(res.stderr).not.toMatch(/^error:/m);
    }
    const loc = await runCli(['tcp', `127.0.0.1:${listener.port}`, '-l', '32.7', '-c', '1']);
    expect(loc.code).toBe(2);
    expect(loc.stderr).toMatch(/^qosprobe: --location: location code "32.7" is malformed/);
    expect(loc.stderr).not.toMatch(/YAML/);
  });

  it('-s is the packet size (ping, stamp); download and upload take --streams only; --help lists exit code 70', async () => {
    expect((await runCli(['download', 'http://127.0.0.1:1/', '-s', '3'])).stderr).toMatch(/unknown option '-s'/);
    const h = await runCli(['download', '--help']);
    expect(h.stdout).toMatch(/^\s+--streams <n>/m);
    expect((await runCli(['stamp', '--help'])).stdout).toMatch(/-s, --size <bytes>/);
    expect((await runCli(['--help'])).stdout).toMatch(/70 internal error/);
  });

  it('a relative output.path lands next to the config, whatever the working directory (cron runs in $HOME)', async () => {
    const [confDir, cwd] = [tmp(), tmp()];
    writeConfig(confDir, suite().replace('probe: { id: e2e-probe }', 'probe: { id: e2e-probe }\noutput: { format: ndjson, path: results.ndjson }'));
    const res = await runCli(['run', '-C', join(confDir, 'qosprobe.yaml'), '--no-host-info'], { cwd });
    expect(res.code).toBe(0);
    expect(existsSync(join(cwd, 'results.ndjson'))).toBe(false);
    expect(ndjson(readFileSync(join(confDir, 'results.ndjson'), 'utf8')).length).toBeGreaterThan(0);
  });

  it('a flag out of the config field\'s bounds exits 2 naming the flag, before measuring (no TimeoutOverflowWarning)', async () => {
    const res = await runCli(['tcp', `127.0.0.1:${listener.port}`, '-c', '100000000', '-f', 'ndjson']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/--count: expected an integer from 1 to 100000, found number 100000000/);
    expect(res.stderr).not.toMatch(/TimeoutOverflowWarning|option\./);
    // Flags without a config field are bounded by what a timer can wait (2^31 ms), not silently fired at once.
    const dl = await runCli(['run', '--deadline', '1e10']);
    expect(dl.code).toBe(2);
    expect(dl.stderr).toMatch(/--deadline <seconds>' argument '1e10' is invalid\. expected a number of seconds > 0 and ≤ 2147483/);
  });

  it('the same config gives the same test through run and through the ad hoc command (defaults: above the kind\'s own)', async () => {
    const dir = tmp();
    // stamp's own timeout is 3000 ms; the file's defaults block sets 1000 and must win both ways.
    writeConfig(dir, `location: { code: "32.73" }\ndefaults: { count: 1, interval_ms: 10, timeout_ms: 1000 }\nendpoints:\n  - { name: r, host: 127.0.0.1, tests: [{ kind: stamp, port: ${closed} }] }\n`);
    const [viaRun, viaAdhoc] = await Promise.all([
      runCli(['run', '-f', 'ndjson', '--no-host-info'], { cwd: dir }),
      runCli(['stamp', `127.0.0.1:${closed}`, '-C', 'qosprobe.yaml', '-f', 'ndjson', '--no-host-info'], { cwd: dir }),
    ]);
    const pick = (r: Record<string, unknown>) => ({ test: r.test, target: r.target, interval_ms: r.interval_ms, timeout_ms: r.timeout_ms });
    const [a, b] = [ndjson(viaRun.stdout)[0]!, ndjson(viaAdhoc.stdout)[0]!];
    expect(pick(b)).toEqual(pick(a));
    expect(a).toMatchObject({ test: 'stamp', timeout_ms: 1000, interval_ms: 10 });
  });

  it('an unwritable --out exits 4 before measuring', async () => {
    const dir = tmp();
    writeConfig(dir, suite());
    const res = await runCli(['run', '--out', '/proc/nope/r.csv'], { cwd: dir });
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/cannot open \/proc\/nope\/r\.csv for writing/);
  });

  it('appending to a CSV with another header exits 4 and leaves it untouched', async () => {
    const dir = tmp();
    writeConfig(dir, suite());
    writeFileSync(join(dir, 'old.csv'), 'time,rtt\n1,2\n');
    const res = await runCli(['run', '--out', 'old.csv', '--append'], { cwd: dir });
    expect(res.code).toBe(4);
    expect(readFileSync(join(dir, 'old.csv'), 'utf8')).toBe('time,rtt\n1,2\n');
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('appending to a CSV saved with a UTF-8 BOM (Excel\'s "CSV UTF-8", %s) appends after its header (issue 24 item 20)', async (_name, eol) => {
    const dir = tmp();
    writeConfig(dir, suite());
    const first = await runCli(['run', '--out', 'r.csv'], { cwd: dir });
    expect(first.code).toBe(0);
    const lines = readFileSync(join(dir, 'r.csv'), 'utf8').trimEnd().split('\n');
    // As Excel writes it back: a BOM before the header, its own line ends.
    writeFileSync(join(dir, 'r.csv'), '\ufeff' + lines.join(eol) + eol);
    const res = await runCli(['run', '--out', 'r.csv', '--append'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    const after = readFileSync(join(dir, 'r.csv'), 'utf8');
    expect(after.startsWith('\ufeff' + lines[0] + eol)).toBe(true);
    const rows = after.split(/\r?\n/).filter((l) => l !== '');
    expect(rows.filter((l) => l.replace(/^\ufeff/, '') === lines[0])).toHaveLength(1); // one header
    expect(rows).toHaveLength(1 + 2 * (lines.length - 1));
  });

  it('ad hoc tcp HOST:PORT with the output options of run', async () => {
    const res = await runCli(['tcp', `127.0.0.1:${listener.port}`, '-c', '3', '-i', '20', '-f', 'ndjson', '-l', '32.73']);
    expect(res.code).toBe(0);
    expect(ndjson(res.stdout)).toEqual([expect.objectContaining({ test: 'tcp', status: 'ok', sent: 3, received: 3, endpoint: `127.0.0.1:${listener.port}`, location_code: '32.73' })]);
  });

  it('ad hoc records carry the network context too (the same as gatherHostInfo sees); --no-host-info empties it', async () => {
    const { gatherHostInfo } = await import('../../src/host/host-info.js');
    // Both sides get time enough on a loaded host: the 3 s bound ran out there and left one side empty.
    const here = (await gatherHostInfo({ timeoutMs: 30_000 })) as Record<string, unknown>;
    const on = ndjson((await runCli(['tcp', `127.0.0.1:${listener.port}`, '-c', '1', '-f', 'ndjson'], { env: { QOSPROBE_HOST_INFO_TIMEOUT_MS: '30000' } })).stdout)[0]!;
    const off = ndjson((await runCli(['tcp', `127.0.0.1:${listener.port}`, '-c', '1', '-f', 'ndjson', '--no-host-info'])).stdout)[0]!;
    for (const f of ['net_iface', 'net_type', 'net_ip', 'gateway', 'wifi_ssid', 'cell_operator']) {
      expect(on[f], f).toEqual(here[f] ?? null);
      expect(off[f], f).toBeNull();
    }
  });

  it('ad hoc ping 127.0.0.1 through the system ping', async () => {
    const res = await runCli(['ping', '127.0.0.1', '-c', '3', '-i', '200', '-f', 'ndjson']);
    expect(res.code).toBe(0);
    const [r] = ndjson(res.stdout);
    if (r!.error_code === 'PING_UNAVAILABLE') return; // no system ping on this machine: the record says so
    expect(r).toMatchObject({ test: 'icmp', status: 'ok', sent: 3, received: 3, loss_percent: 0 });
  });

  it('init writes a valid commented config and refuses to overwrite it', async () => {
    const dir = tmp();
    const first = await runCli(['init'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(readFileSync(join(dir, 'qosprobe.yaml'), 'utf8')).toMatch(/^# qosprobe configuration/);
    const again = await runCli(['init'], { cwd: dir });
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/already exists; not overwriting/);
  });

  // The demo is run by test/e2e/readme.e2e.test.ts, as the README's quick start says.

  it('--version and --help', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe((JSON.parse(readFileSync(join(import.meta.dirname, '../..', 'package.json'), 'utf8')) as { version: string }).version);
    for (const cmd of ['run', 'ping', 'tcp', 'init', 'demo']) {
      const h = await runCli([cmd, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).toContain('Examples:');
    }
  });
});
