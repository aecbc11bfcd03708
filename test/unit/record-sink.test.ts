/**
 * The output file, the spool and the textfile are RecordSinks, and the measuring path writes to
 * a list of them (issue 11). The list's rule: a sink that fails gets no more records (its file
 * must stay whole records), the others keep theirs, and a failed sink is aborted, not closed.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../../src/core/schema.js';
import { formats } from '../../src/output/formats.js';
import { sinkList, type RecordSink } from '../../src/output/record-sink.js';
import { openSink, textfileSink } from '../../src/output/sink.js';
import { listSpool, openSpoolWriter, readBatch } from '../../src/spool/spool.js';
import { runInfo, sampleRecords } from '../helpers/records.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('qosprobe-sinks-');

/** A sink that records what was done to it, and fails where told. */
function fakeSink(failWriteAt: number | null = null, failClose = false) {
  const log: string[] = [];
  let count = 0;
  const sink: RecordSink = {
    get count() {
      return count;
    },
    write(r) {
      if (failWriteAt !== null && log.filter((l) => l.startsWith('write')).length + 1 === failWriteAt) {
        log.push('write-failed');
        throw new Error('disk full');
      }
      log.push(`write ${r.test}`);
      count++;
    },
    close() {
      log.push('close');
      if (failClose) throw new Error('cannot fsync');
    },
    abort() {
      log.push('abort');
    },
  };
  return { sink, log };
}

describe('sinkList', () => {
  it('a sink whose write fails gets no more records and is aborted, not closed; the others get every record', () => {
    const records = [...sampleRecords(), ...sampleRecords()];
    expect(records.length).toBeGreaterThanOrEqual(3);
    const a = fakeSink(2);
    const b = fakeSink();
    const errors: [string, string][] = [];
    const list = sinkList([
      { sink: a.sink, onError: (e, during) => errors.push([(e as Error).message, during]) },
      { sink: b.sink, onError: (e, during) => errors.push([(e as Error).message, during]) },
    ]);
    for (const r of records) list.write(r);
    list.close(runInfo);
    expect(a.log).toEqual([`write ${records[0]!.test}`, 'write-failed', 'abort']);
    expect(b.log).toEqual([...records.map((r) => `write ${r.test}`), 'close']);
    expect(errors).toEqual([['disk full', 'write']]);
  });

  it('a sink whose close fails is reported once, and the sinks after it still close', () => {
    const a = fakeSink(null, true);
    const b = fakeSink();
    const errors: string[] = [];
    const list = sinkList([
      { sink: a.sink, onError: (_e, during) => errors.push(`a ${during}`) },
      { sink: b.sink, onError: (_e, during) => errors.push(`b ${during}`) },
    ]);
    list.write(sampleRecords()[0]!);
    list.close(runInfo);
    expect(errors).toEqual(['a close']);
    expect(b.log.at(-1)).toBe('close');
  });

  it('the spool, the textfile and the output file in one list: each holds every record, in its own form', () => {
    const dir = tmp();
    const records = sampleRecords();
    const spool = openSpoolWriter(join(dir, 'spool'), 'run-1');
    const textfile = textfileSink(join(dir));
    const out = openSink({ format: 'csv', path: join(dir, 'r.csv'), append: false });
    const errors: unknown[] = [];
    const list = sinkList([spool, textfile, out].map((sink) => ({ sink, onError: (e: unknown) => errors.push(e) })));
    for (const r of records) list.write(r);
    list.close(runInfo);
    expect(errors).toEqual([]);
    const pending = listSpool(join(dir, 'spool')).pending;
    expect(pending).toHaveLength(1);
    expect(readBatch(pending[0]!.path)).toEqual(records);
    expect(readFileSync(join(dir, 'qosprobe.prom'), 'utf8')).toBe(formats.openmetrics.document(runInfo, records));
    expect(readFileSync(join(dir, 'r.csv'), 'utf8')).toBe(formats.csv.header() + records.map((r: ResultRecord) => formats.csv.record(r)).join(''));
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'))).toEqual([]);
  });

  it('a textfile that cannot be written fails on its own: the spool batch and the output file are whole', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'not-a-dir'), '');
    const spool = openSpoolWriter(join(dir, 'spool'), 'run-2');
    const out = openSink({ format: 'ndjson', path: join(dir, 'r.ndjson'), append: false });
    const failed: string[] = [];
    const list = sinkList([
      { sink: spool, onError: () => failed.push('spool') },
      { sink: textfileSink(join(dir, 'not-a-dir')), onError: (e) => failed.push(`textfile: ${(e as Error).message}`) },
      { sink: out, onError: () => failed.push('out') },
    ]);
    for (const r of sampleRecords()) list.write(r);
    list.close(runInfo);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^textfile: cannot write .*not-a-dir\/qosprobe\.prom/);
    expect(listSpool(join(dir, 'spool')).pending).toHaveLength(1);
    expect(readFileSync(join(dir, 'r.ndjson'), 'utf8').trimEnd().split('\n')).toHaveLength(sampleRecords().length);
  });

  it('abort leaves nothing behind: no spool temp file, no output lock, no document', () => {
    const dir = tmp();
    const spool = openSpoolWriter(join(dir, 'spool'), 'run-3');
    const doc = openSink({ format: 'json', path: join(dir, 'r.json'), append: false });
    const list = sinkList([spool, doc].map((sink) => ({ sink, onError: () => {} })));
    list.write(sampleRecords()[0]!);
    list.abort();
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
    expect(existsSync(join(dir, 'r.json'))).toBe(false);
    expect(existsSync(join(dir, 'r.json.lock'))).toBe(false);
  });
});
