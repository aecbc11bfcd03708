/**
 * Where records go (issue 15 item 4): `-o -` is stdout whatever the config says; devices and
 * pipes (`--out /dev/stdout | mlr`) are written straight through, never fsynced or locked; on a
 * terminal the run says where its records went and for which location.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { applyFlags } from '../../src/app/run.js';
import { execute, whereWritten } from '../../src/cli/execute.js';
import type { CliIo } from '../../src/cli/io.js';
import { isDevice, isStdout, openSink } from '../../src/output/sink.js';
import { FIELD_NAMES } from '../../src/core/schema.js';
import { BIN, builtCliAvailable, ndjson, runCli } from '../helpers/cli.js';
import { runInfo, sampleRecords } from '../helpers/records.js';
import { startTcpListener } from '../helpers/servers.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('qosprobe-dest-');
const run = runInfo;
/** The output section `qosprobe init` writes. */
const initOutput = { format: 'csv', path: 'results.csv', append: true };

describe('where records go (units)', () => {
  const config = validateConfig({ location: { code: '32.73' }, endpoints: [{ host: '127.0.0.1', tests: [{ kind: 'tcp', port: 9 }] }], output: initOutput }, 'q.yaml');

  it.each([
    [{}, 'results.csv', true], // the config's output.path
    [{ out: '-' }, null, false], // `-o -`: stdout, whatever the config says
    [{ out: '-', append: true }, null, false],
    [{ out: 'x.csv' }, 'x.csv', false],
    [{ format: 'ndjson' as const }, null, false], // another format than the config's file: stdout
  ])('flags %o → path %s, append %s', (flags, path, append) => {
    expect(applyFlags(config, flags).output).toMatchObject({ path, append });
  });

  it('a sink on `-` writes to stdout and creates no file named "-"', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const sink = openSink({ format: 'ndjson', path: '-', append: true, stdout: out });
    sink.write(sampleRecords()[0]!);
    sink.close(run);
    expect(ndjson(text)).toHaveLength(1);
    expect(existsSync('-')).toBe(false); // relative to this process's directory, where a file sink would have put it
  });

  it.each(['-', '/dev/stdout', '/dev/fd/1', '/proc/self/fd/1'])('%s is stdout', (p) => expect(isStdout(p)).toBe(true));

  it('devices: /dev paths, FIFOs and character devices; regular files and new paths are not', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'f.csv'), '');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect([isDevice('/dev/null'), isDevice('/dev/stdout'), isDevice('/proc/self/fd/1'), isDevice(join(dir, 'fifo'))]).toEqual([true, true, true, true]);
    expect([isDevice(join(dir, 'f.csv')), isDevice(join(dir, 'new.csv')), isDevice(dir)]).toEqual([false, false, false]);
  });

  it('every format to /dev/null: no lock file, no temp file, no fsync error', () => {
    for (const format of ['csv', 'ndjson', 'influx', 'json', 'openmetrics'] as const) {
      const sink = openSink({ format, path: '/dev/null', append: format !== 'json' && format !== 'openmetrics' });
      for (const r of sampleRecords()) sink.write(r);
      expect(() => sink.close(run)).not.toThrow();
      expect(existsSync('/dev/null.lock')).toBe(false);
    }
  });

  it.each([
    [3, { format: 'csv', path: 'results.csv', append: true }, { code: '32.73', name: 'Jawa Barat / Kota Bandung' }, 'qosprobe: 3 records appended to /w/results.csv (csv); location 32.73 Jawa Barat / Kota Bandung'],
    [1, { format: 'ndjson', path: null, append: false }, { code: null, name: null }, 'qosprobe: 1 record written to stdout (ndjson); no location code'],
    [2, { format: 'json', path: '/abs/r.json', append: false }, { code: '99.01', name: null }, 'qosprobe: 2 records written to /abs/r.json (json); location 99.01 (not in the region table)'],
  ] as const)('whereWritten(%i, %o)', (count, output, location, line) => {
    expect(whereWritten(count, output, location, '/w')).toBe(line);
  });

  describe('on a terminal, run says where the records went; not in a pipe or with --quiet', () => {
    let listener: Awaited<ReturnType<typeof startTcpListener>>;
    beforeAll(async () => {
      listener = await startTcpListener();
    });
    afterAll(async () => {
      await listener?.close();
    });

    async function runWith(isTTY: boolean, quiet: boolean): Promise<{ stderr: string; stdout: string; dir: string }> {
      const dir = tmp();
      const cfg = validateConfig(
        { location: { code: '32.73' }, defaults: { count: 1 }, endpoints: [{ name: 'up', host: '127.0.0.1', tests: [{ kind: 'tcp', port: listener.port }] }], output: initOutput },
        join(dir, 'qosprobe.yaml'),
      );
      let stderr = '';
      let stdout = '';
      const err = Object.assign(new PassThrough(), { isTTY, columns: 0 });
      err.on('data', (d: Buffer) => (stderr += d.toString()));
      const out = new PassThrough();
      out.on('data', (d: Buffer) => (stdout += d.toString()));
      const io: CliIo = { stdout: out, stderr: err, env: {}, cwd: dir, signal: new AbortController().signal, setExitCode() {} };
      await execute({ config: { ...cfg, output: { ...cfg.output, path: join(dir, 'results.csv') } }, flags: { quiet, hostInfo: false }, io, requireLocation: true });
      return { stderr, stdout, dir };
    }

    it('TTY', async () => {
      const { stderr, stdout, dir } = await runWith(true, false);
      expect(stdout).toBe('');
      expect(stderr).toContain(`qosprobe: 1 record appended to ${join(dir, 'results.csv')} (csv); location 32.73 Jawa Barat / Kota Bandung\n`);
    });
    it('pipe, or --quiet: nothing', async () => {
      expect((await runWith(false, false)).stderr).toBe('');
      expect((await runWith(true, true)).stderr).toBe('');
    });
  });
});

describe.skipIf(!builtCliAvailable())('where records go (built CLI)', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  let dir: string;
  beforeAll(async () => {
    listener = await startTcpListener();
    dir = tmp();
    // The config `qosprobe init` writes sends records to results.csv.
    writeFileSync(
      join(dir, 'qosprobe.yaml'),
      `location: { code: "32.73" }\ndefaults: { count: 2, interval_ms: 20, timeout_ms: 500 }\nendpoints:\n  - name: up\n    host: 127.0.0.1\n    tests:\n      - { kind: tcp, port: ${listener.port} }\noutput: { format: csv, path: results.csv, append: true }\n`,
    );
  });
  afterAll(async () => {
    await listener?.close();
  });
  const base = ['run', '--no-host-info', '--no-spool'];
  const csvRows = (text: string) => text.trimEnd().split('\n');

  it('`run -o -` with the config init writes: CSV on stdout, no file named "-", results.csv untouched', async () => {
    const res = await runCli([...base, '-o', '-'], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(csvRows(res.stdout)[0]).toBe(FIELD_NAMES.join(','));
    expect(csvRows(res.stdout)).toHaveLength(2);
    expect(existsSync(join(dir, '-'))).toBe(false);
    expect(existsSync(join(dir, 'results.csv'))).toBe(false);
  });

  it('without -o, records go to the config output.path (as the README says), stdout stays empty', async () => {
    const res = await runCli(base, { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('');
    expect(csvRows(readFileSync(join(dir, 'results.csv'), 'utf8'))).toHaveLength(2);
  });

  it.each(['csv', 'ndjson', 'json', 'influx'])('--out /dev/stdout into a pipe, --format %s: exit 0, the records on the pipe', async (format) => {
    const res = await runCli([...base, '--format', format, '--out', '/dev/stdout', ...(format === 'json' ? [] : ['--append'])], { cwd: dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toBe('');
    if (format === 'csv') expect(csvRows(res.stdout)[0]).toBe(FIELD_NAMES.join(','));
    if (format === 'ndjson') expect(ndjson(res.stdout)).toHaveLength(1);
    if (format === 'json') expect(JSON.parse(res.stdout)).toMatchObject({ results: [{ status: 'ok' }] });
    if (format === 'influx') expect(res.stdout).toMatch(/^qosprobe,/);
    expect(existsSync('/dev/stdout.lock')).toBe(false);
  });

  it('--out /dev/stdout and --out FIFO in a shell pipe (a real pipe, not a socket): exit 0, every record', () => {
    const sh = (cmd: string) => spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    const cli = `"${process.execPath}" "${BIN}" ${base.join(' ')} --format ndjson`;
    const piped = sh(`${cli} --out /dev/stdout | cat`);
    expect(piped.status, piped.stderr).toBe(0);
    expect(ndjson(piped.stdout)).toHaveLength(1);
    // A FIFO goes through the device path: opened, written, closed, never fsynced (EINVAL) nor locked.
    // The reader is waited for (not slept on): it has written all it read once the CLI closed the FIFO and it ended.
    const fifo = sh(`rm -f f && mkfifo f && { cat f > got & reader=$!; } && ${cli} --out f; code=$?; wait $reader; cat got; exit $code`);
    expect(fifo.status, fifo.stderr).toBe(0);
    expect(ndjson(fifo.stdout)).toHaveLength(1);
    expect(existsSync(join(dir, 'f.lock'))).toBe(false);
  });

  it('`run -o - | mlr` reads every record', (ctx) => {
    if (spawnSync('mlr', ['--version']).status !== 0) return ctx.skip();
    const res = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" run --no-host-info --no-spool -o - | mlr --icsv --ojson cut -f test,status`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual([{ test: 'tcp', status: 'ok' }]);
  });
});
