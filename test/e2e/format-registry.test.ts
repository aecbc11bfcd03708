/**
 * One format registry (issue 11): src/core/format-names.ts describes every format, its
 * serialiser in src/output/formats/ writes it, and output, the spool's push and the help texts
 * all read the same entry. Every registered format goes through what it is registered for:
 * written to a file by the output sink, spooled and pushed to a loopback receiver, which must
 * see the registry's content type and the text a file of that format holds.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_FORMAT_NAMES, APPENDABLE_FORMATS, FORMATS, FORMAT_NAMES, PUSH_FORMATS, type AnyFormatName } from '../../src/core/format-names.js';
import { FIELD_NAMES, type ResultRecord } from '../../src/core/schema.js';
import { formats } from '../../src/output/formats.js';
import { openSink } from '../../src/output/sink.js';
import { pushSpool } from '../../src/spool/push.js';
import { RECOGNISED_PATHS } from '../../src/spool/receiver.js';
import { writeBatch } from '../../src/spool/spool.js';
import { builtCliAvailable, runCli } from '../helpers/cli.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { runInfo, sampleRecords } from '../helpers/records.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('qosprobe-fmt-');
const run = runInfo;

/** What a file of this output format holds for these records, from its serialiser alone. */
function expectedFile(name: AnyFormatName, records: readonly ResultRecord[]): string {
  const f = formats[name] as Partial<{ header(): string; record(r: ResultRecord): string; document(r: typeof run, rs: readonly ResultRecord[]): string }>;
  return f.document ? f.document(run, records) : f.header!() + records.map((r) => f.record!(r)).join('');
}

describe('the format registry', () => {
  it('every serialiser provides exactly what its entry promises (output writer, push body)', () => {
    for (const name of ALL_FORMAT_NAMES) {
      const f = formats[name] as unknown as Record<string, unknown>;
      const info = FORMATS[name];
      expect(typeof f.body === 'function', `${name}: push body`).toBe(info.pushable);
      if (info.output) expect(typeof (info.streaming ? f.record : f.document), `${name}: writer`).toBe('function');
      expect(f.contentType).toBe(info.contentType);
    }
    expect(FORMAT_NAMES).toEqual(ALL_FORMAT_NAMES.filter((n) => FORMATS[n].output));
    expect(PUSH_FORMATS).toEqual(ALL_FORMAT_NAMES.filter((n) => FORMATS[n].pushable));
    expect(APPENDABLE_FORMATS).toEqual(FORMAT_NAMES.filter((n) => FORMATS[n].streaming));
    // The names the CLI and config accepted before the registry: behaviour unchanged.
    expect(FORMAT_NAMES).toEqual(['csv', 'ndjson', 'json', 'influx', 'openmetrics']);
    expect(PUSH_FORMATS).toEqual(['ndjson', 'influx', 'openmetrics', 'vmimport']);
  });

  describe('every output format: written by the output sink, read back', () => {
    for (const name of FORMAT_NAMES) {
      it(name, () => {
        const records = sampleRecords();
        const path = join(tmp(), `r.${FORMATS[name].extension}`);
        const sink = openSink({ format: name, path, append: false });
        for (const r of records) sink.write(r);
        sink.close(run);
        const text = readFileSync(path, 'utf8');
        expect(text).toBe(expectedFile(name, records));
        expect(sink.count).toBe(records.length);
        // The record formats give the records back.
        if (name === 'ndjson') expect(text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(records);
        if (name === 'json') expect((JSON.parse(text) as { results: unknown }).results).toEqual(records);
        if (name === 'csv') {
          const rows = JSON.parse(execFileSync('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="")))))', path], { encoding: 'utf8' })) as string[][];
          expect(rows[0]).toEqual(FIELD_NAMES);
          expect(rows.slice(1).map((row) => row[FIELD_NAMES.indexOf('run_id')])).toEqual(records.map((r) => r.run_id));
          expect(rows.slice(1).map((row) => Number(row[FIELD_NAMES.indexOf('lat')]))).toEqual(records.map((r) => r.lat));
        }
        // A streaming file takes more records with --append, and no second header.
        if (FORMATS[name].streaming) {
          const more = openSink({ format: name, path, append: true });
          more.write(records[0]!);
          more.close(run);
          expect(readFileSync(path, 'utf8')).toBe(expectedFile(name, [...records, records[0]!]));
        }
      });
    }
  });

  describe('every pushable format: spooled, pushed, received with its content type', () => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await startReceiver();
    });
    afterAll(() => rx.close());
    for (const name of PUSH_FORMATS) {
      it(name, async () => {
        const records = sampleRecords();
        const dir = tmp();
        writeBatch(dir, `fmt-${name}`, records);
        const before = rx.requests.length;
        const res = await pushSpool({ dir, url: new URL(`${rx.url}/ingest`), format: name, deadlineMs: 10_000 });
        expect(res.sent).toHaveLength(1);
        const got = rx.requests.slice(before);
        expect(got).toHaveLength(1);
        expect(got[0]!.headers['content-type']).toBe(FORMATS[name].contentType);
        expect(got[0]!.headers['content-encoding']).toBe('gzip');
        const body = got[0]!.body;
        // What a file of the format holds is what goes (openmetrics without timestamps, as to a Pushgateway).
        if (name === 'ndjson') expect(body.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(records);
        else if (FORMATS[name].output) expect(body).toBe(expectedFile(name, records));
        else {
          // vmimport, push only: one JSON line per series, every sample at its record's started_at.
          const lines = body.trimEnd().split('\n').map((l) => JSON.parse(l) as { metric: { __name__: string }; timestamps: number[] });
          expect(lines.length).toBeGreaterThan(0);
          expect(lines.every((l) => l.metric.__name__.startsWith('qosprobe_'))).toBe(true);
          expect(new Set(lines.flatMap((l) => l.timestamps))).toEqual(new Set(records.filter((r) => r.hop === null).map((r) => Date.parse(r.started_at!))));
        }
      });
    }
  });
});

/** The lists in --help and in error messages come from the registry: none typed by hand to drift. */
describe.skipIf(!builtCliAvailable())('help texts and messages list the registry', () => {
  /** The help of one option: from its flag to the next option line. */
  const optionHelp = (help: string, flag: string) => {
    const at = help.indexOf(flag);
    expect(at, `${flag} in help`).toBeGreaterThanOrEqual(0);
    const rest = help.slice(at);
    const next = rest.slice(1).search(/\n\s+-/);
    return (next < 0 ? rest : rest.slice(0, next + 1)).replace(/\s+/g, ' ');
  };
  const choices = (names: readonly string[]) => `(choices: ${names.map((n) => `"${n}"`).join(', ')})`;

  it('run --help: --format offers the output formats, --append names the streaming ones, --push-format the pushable ones', async () => {
    const { stdout, code } = await runCli(['run', '--help']);
    expect(code).toBe(0);
    expect(optionHelp(stdout, '--format <format>')).toContain(choices(FORMAT_NAMES));
    expect(optionHelp(stdout, '--append')).toContain(`(${APPENDABLE_FORMATS.join(', ')})`);
    expect(optionHelp(stdout, '--push-format <format>')).toContain(choices(PUSH_FORMATS));
  });

  it("push --help names the receiver paths receiver.ts recognises, with each one's format", async () => {
    const { stdout } = await runCli(['push', '--help']);
    expect(optionHelp(stdout, '--to <url>')).toContain(`its path picks the format: ${RECOGNISED_PATHS}`);
  });

  it('push --help and schedule --help offer the pushable formats', async () => {
    for (const cmd of ['push', 'schedule']) {
      const { stdout, code } = await runCli([cmd, '--help']);
      expect(code).toBe(0);
      expect(optionHelp(stdout, cmd === 'push' ? '--format <format>' : '--push-format <format>')).toContain(choices(PUSH_FORMATS));
    }
  });

  it('a wrong --format, and a push URL that does not say its format, are refused naming the registry formats', async () => {
    const bad = await runCli(['run', '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`Allowed choices are ${FORMAT_NAMES.join(', ')}`);
    const push = await runCli(['push', '--to', 'http://127.0.0.1:9/ingest', '--spool', tmp()]);
    expect(push.code).toBe(2);
    expect(push.stderr).toContain(PUSH_FORMATS.join(' | '));
  });
});
