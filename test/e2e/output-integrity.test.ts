/**
 * Record integrity of csv / ndjson / influx output: a full disk must leave whole records only
 * (issue 10 item 4), and the next --append must produce a valid file.
 * Unit tests simulate the disk with an injected write(2); the root-only block fills a real
 * 64 KiB tmpfs and runs the built CLI.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formats } from '../../src/output/formats.js';
import { openSink } from '../../src/output/sink.js';
import type { WriteFn } from '../../src/output/write-all.js';
import { FIELD_NAMES } from '../../src/core/schema.js';
import { builtCliAvailable, runCli, stopCliChildren } from '../helpers/cli.js';
import { unmount } from '../helpers/resources.js';
import { runInfo, sampleRecords } from '../helpers/records.js';
import { startTcpListener } from '../helpers/servers.js';
import { tempDir } from '../helpers/temp.js';

const tmp = () => tempDir('qosprobe-integrity-');
const run = runInfo;

/** A disk with `capacity` bytes left: the write that crosses it is short, the next one fails ENOSPC (as Linux does). */
function diskOf(capacity: number): WriteFn {
  let left = capacity;
  return (fd, buf, off, len) => {
    if (left <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const n = writeSync(fd, buf, off, Math.min(len, left));
    left -= n;
    return n;
  };
}

const streaming = ['csv', 'ndjson', 'influx'] as const;
type Streaming = (typeof streaming)[number];
const headerOf = (f: Streaming) => formats[f].header();
const recordOf = (f: Streaming, i: number) => formats[f].record(sampleRecords()[i % 2]!);

describe('a full disk never leaves a torn record (injected write)', () => {
  it.each(streaming)('%s: the record that does not fit is cut off; the file ends with the last whole one', (format) => {
    const path = join(tmp(), `r.${format}`);
    const whole = headerOf(format) + recordOf(format, 0);
    // Room for the header, one record and half of the next.
    const sink = openSink({ format, path, append: true, writeFn: diskOf(Buffer.byteLength(whole) + Math.floor(recordOf(format, 1).length / 2)) });
    sink.write(sampleRecords()[0]!);
    let err: unknown;
    try {
      sink.write(sampleRecords()[1]!);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'OUTPUT_FAILED', message: expect.stringMatching(/r\.\w+: the disk is full; the file ends with its last whole record \(1 record/) });
    expect(readFileSync(path, 'utf8')).toBe(whole);
    // Nothing more goes in after a failure, even if space came back (no record after a gap).
    expect(() => sink.write(sampleRecords()[0]!)).toThrow(/disk is full/);
    expect(readFileSync(path, 'utf8')).toBe(whole);
    sink.close(run);

    // Space again: the next --append continues a valid file, one header.
    const again = openSink({ format, path, append: true });
    again.write(sampleRecords()[1]!);
    again.close(run);
    expect(readFileSync(path, 'utf8')).toBe(whole + recordOf(format, 1));
  });

  it('a header that does not fit leaves an empty file, which the next run starts afresh', () => {
    const path = join(tmp(), 'r.csv');
    expect(() => openSink({ format: 'csv', path, append: true, writeFn: diskOf(100) })).toThrow(/disk is full/);
    expect(readFileSync(path, 'utf8')).toBe('');
    const again = openSink({ format: 'csv', path, append: true });
    again.write(sampleRecords()[0]!);
    again.close(run);
    expect(readFileSync(path, 'utf8')).toBe(headerOf('csv') + recordOf('csv', 0));
  });

  it('property: whatever space is left, the file is the header plus k whole records', () => {
    const recs = sampleRecords();
    fc.assert(
      fc.property(fc.constantFrom(...streaming), fc.nat({ max: 8000 }), fc.boolean(), (format, capacity, fresh) => {
        const path = join(tmp(), `p.${format}`);
        const prefix = fresh ? '' : headerOf(format) + recordOf(format, 1);
        if (!fresh) writeFileSync(path, prefix);
        let written = 0;
        let opened = false;
        try {
          const sink = openSink({ format, path, append: true, writeFn: diskOf(capacity) });
          opened = true;
          try {
            for (let i = 0; i < 6; i++) {
              sink.write(recs[i % 2]!);
              written++;
            }
          } catch {
            // the disk filled up: checked below
          }
          sink.close(run);
        } catch {
          // the header did not fit
        }
        // A fresh file whose header did not fit is empty; otherwise exactly the whole records that went in.
        const start = fresh ? (opened ? headerOf(format) : '') : prefix;
        return readFileSync(path, 'utf8') === start + Array.from({ length: written }, (_, i) => recordOf(format, i)).join('');
      }),
      { numRuns: 150 },
    );
  });
});

const isRoot = process.getuid?.() === 0;
const canMount = isRoot && process.platform === 'linux' && builtCliAvailable();
describe.skipIf(!canMount)(`full disk, real tmpfs, built CLI${canMount ? '' : ': SKIPPED, needs root on Linux (mount a tmpfs) and a built dist/'}`, () => {
  let mnt: string;
  let cwd: string;
  let mounted = false;
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  const TESTS = 20; // more records than one 4 KiB page holds in any format (a tcp record: CSV and influx ~0.3 KiB, ndjson ~2 KiB)
  beforeAll(async () => {
    mnt = tmp();
    cwd = tmp();
    listener = await startTcpListener();
    const tests = Array.from({ length: TESTS }, () => `      - { kind: tcp, port: ${listener.port} }`).join('\n');
    writeFileSync(
      join(cwd, 'qosprobe.yaml'),
      `probe: { id: disk-full }\nlocation: { code: "32.73", site: 'Dish 5" antenna, north' }\ndefaults: { count: 1, interval_ms: 10, timeout_ms: 500 }\nendpoints:\n  - name: up\n    host: 127.0.0.1\n    tests:\n${tests}\n`,
    );
    try {
      // Room for a run of TESTS records after the filler is gone (an ndjson record is about 2 KiB).
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
      mounted = true;
    } catch {
      mounted = false; // no CAP_SYS_ADMIN in this container: the tests check it and skip
    }
  });
  afterAll(async () => {
    // A run a failed case left behind holds the mount busy: stop it first, then unmount (lazily if still busy).
    await stopCliChildren();
    if (mounted) unmount(mnt);
    await listener?.close();
  });

  /** Fill the tmpfs to the last page, then free two: one for the lock file, one for a few records. */
  function fill(): void {
    for (const n of readdirSync(mnt)) rmSync(join(mnt, n), { recursive: true, force: true });
    const filler = join(mnt, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: full, as intended
    }
    truncateSync(filler, Math.max(0, statSync(filler).size - 2 * 4096));
  }

  /** Every row of the file, checked by an independent parser (python's csv / JSON.parse / a line shape). */
  function rowsOf(format: Streaming, path: string): number {
    const text = readFileSync(path, 'utf8');
    if (text !== '') expect(text.endsWith('\n')).toBe(true);
    if (format === 'csv') {
      const widths = JSON.parse(
        execFileSync('python3', ['-c', 'import csv,json,sys; print(json.dumps([len(r) for r in csv.reader(open(sys.argv[1], newline=""))]))', path], { encoding: 'utf8' }),
      ) as number[];
      for (const w of widths) expect(w).toBe(FIELD_NAMES.length);
      expect(text.split('\n').filter((l) => l.startsWith('schema_version,'))).toHaveLength(1);
      return widths.length - 1;
    }
    const lines = text.split('\n').filter((l) => l !== '');
    for (const l of lines) {
      if (format === 'ndjson') expect(Object.keys(JSON.parse(l) as object)).toEqual(FIELD_NAMES);
      // line protocol: measurement,tags fields timestamp (the timestamp is the last, whole, token)
      else expect(l).toMatch(/^qosprobe,\S+ \S+ \d{19}$/);
    }
    return lines.length;
  }

  for (const format of streaming) {
    it(`--format ${format}: exit 4 with the reason, whole records only; --append after freeing space gives a valid file`, async (ctx) => {
      if (!mounted) ctx.skip();
      fill();
      const out = join(mnt, `out.${format}`);
      const args = ['run', '--no-host-info', '--no-spool', '-q', '--format', format, '--out', out, '--append'];
      const res = await runCli(args, { cwd, timeoutMs: 100_000 });
      expect(res.code, res.stderr).toBe(4);
      const first = rowsOf(format, out);
      expect(res.stderr).toMatch(/cannot write to .*out\.\w+: the disk is full; the file ends with its last whole record/);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(TESTS);

      rmSync(join(mnt, 'filler'));
      const again = await runCli(args, { cwd, timeoutMs: 100_000 });
      expect(again.code, again.stderr).toBe(0);
      expect(rowsOf(format, out)).toBe(first + TESTS);
    }, 240_000); // a hang guard: two runs of 20 tests take seconds idle, tens of seconds on a loaded host
  }
});

describe.skipIf(!builtCliAvailable())('--wait-lock waits for the output file lock too (issue 10 item 10)', () => {
  let listener: Awaited<ReturnType<typeof startTcpListener>>;
  beforeAll(async () => {
    listener = await startTcpListener();
  });
  afterAll(async () => {
    await listener?.close();
  });

  it('6 concurrent `run --append --wait-lock 300` on one output: all exit 0, every record once, one header', async () => {
    const dir = tmp();
    const out = join(dir, 'shared.csv');
    // Two configs, three runs each: runs of one config queue on the run lock, the others only on the output's.
    const configs = ['a', 'b'].map((name) => {
      const p = join(dir, `${name}.yaml`);
      writeFileSync(
        p,
        `probe: { id: probe-${name} }\nlocation: { code: "32.73" }\ndefaults: { count: 2, interval_ms: 20, timeout_ms: 500 }\n` +
          `endpoints:\n  - name: up\n    host: 127.0.0.1\n    tests:\n      - { kind: tcp, port: ${listener.port} }\n      - { kind: tcp, port: ${listener.port} }\n`,
      );
      return p;
    });
    // The wait is long enough for six runs queued one after another on a loaded host (each takes seconds there);
    // exit 0 from all six says none gave up waiting.
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        runCli(['run', '--config', configs[i % 2]!, '--no-host-info', '--no-spool', '-q', '--format', 'csv', '--out', out, '--append', '--wait-lock', '300'], {
          cwd: dir,
          timeoutMs: 280_000,
        }),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(
      execFileSync('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="")))))', out], { encoding: 'utf8' }),
    ) as string[][];
    expect(rows[0]).toEqual(FIELD_NAMES);
    const body = rows.slice(1);
    expect(body.filter((r) => r[0] === 'schema_version')).toHaveLength(0);
    for (const r of body) expect(r).toHaveLength(FIELD_NAMES.length);
    // Each run wrote its 2 records exactly once.
    const runIds = body.map((r) => r[FIELD_NAMES.indexOf('run_id')]);
    expect(body).toHaveLength(12);
    expect(new Set(runIds).size).toBe(6);
    for (const id of new Set(runIds)) expect(runIds.filter((x) => x === id)).toHaveLength(2);
  }, 300_000);
});
