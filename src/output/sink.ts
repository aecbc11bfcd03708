/**
 * Where records go: stdout or a file. Files are never left half-written:
 * - streaming formats (the registry's, src/core/format-names.ts) append whole records, one write() each, O_APPEND;
 *   a write the disk cannot take whole (ENOSPC) is cut back off the file (ftruncate to the size
 *   before that record), so a full disk leaves the last whole record, never part of one;
 * - a document (json, openmetrics) is written to a temp file, fsynced, then renamed over the target;
 * - a lock file keeps two overlapping runs from interleaving in one file;
 * - `-` is stdout; a device, pipe or /dev/stdout is written straight through: no lock, no
 *   temp file, no fsync (fsync on a pipe fails EINVAL), since no other run shares it.
 * Each is a RecordSink (record-sink.ts), as are the spool and the textfile (textfileSink).
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { QosError, ioError } from '../core/errors.js';
import { openExclusiveTemp, writeAll, type WriteFn } from './write-all.js';
import type { ResultRecord } from '../core/schema.js';
import { APPENDABLE_FORMATS, formatList } from '../core/format-names.js';
import { formats, type FormatName, type StreamingFormat, type StreamingWriter } from './formats.js';
import { acquireLock, acquireLockWaiting, type Lock } from './lock.js';
import type { RecordSink } from './record-sink.js';

export interface SinkOptions {
  format: FormatName;
  /** File path, or null (or `-`) for stdout. */
  path: string | null;
  append: boolean;
  /** Where stdout data goes (injectable for tests). */
  stdout?: NodeJS.WritableStream;
  /** The write(2) used for file records (injectable: tests simulate a full disk with it). */
  writeFn?: WriteFn;
  /** Told what an append leaves out (an older layout of the format); a human message, for stderr. */
  onNote?: (message: string) => void;
  /**
   * After a failed write that was cut back cleanly (the file ends with a whole record), try the
   * next record again instead of refusing every later one: the monitor runs for months, and a
   * transient full disk must cost the windows it hit, not all later ones.
   */
  resumeAfterFailure?: boolean;
}

export type { RecordSink };

export function openSink(opts: SinkOptions, held?: Lock): RecordSink {
  const fmt = formats[opts.format];
  if (!fmt.streaming && opts.append) {
    throw new QosError('USAGE', `--append works with ${formatList(APPENDABLE_FORMATS, 'and')}; ${opts.format} is one document per run (use ndjson to accumulate records)`);
  }
  if (opts.path === null || isStdout(opts.path)) return stdoutSink(opts);
  const device = isDevice(opts.path);
  let lock: Lock;
  try {
    lock = held ?? (device ? { path: '', release() {} } : acquireLock(opts.path + '.lock'));
  } catch (err) {
    throw lockError(opts.path, err);
  }
  try {
    if (fmt.streaming) return streamingFileSink(opts.path, opts.format, opts.append, lock, opts.writeFn, device, opts.onNote, opts.resumeAfterFailure);
    return device ? deviceDocumentSink(opts.path, opts.format) : documentFileSink(opts.path, opts.format, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * openSink, but when another run writes the same file, wait up to `waitMs` for it (--wait-lock):
 * cron runs that overlap by a few seconds queue behind each other instead of losing their
 * measurements with exit 5.
 */
export async function openSinkWaiting(opts: SinkOptions, wait: { waitMs: number; signal?: AbortSignal; pollMs?: number }): Promise<RecordSink> {
  if (opts.path === null || wait.waitMs <= 0 || isStdout(opts.path) || isDevice(opts.path)) return openSink(opts);
  const path = opts.path;
  // Refuse a bad combination before waiting for anything.
  if (!formats[opts.format].streaming && opts.append) return openSink(opts);
  const lock = await acquireLockWaiting(path + '.lock', wait).catch((err: unknown) => {
    throw lockError(path, err);
  });
  return openSink(opts, lock);
}

/**
 * `-`, and the names of our own stdout: written through the process's stdout stream, which
 * works whatever fd 1 is (opening /dev/stdout fails with ENXIO when it is a socket, as under
 * a Node parent, systemd or some CI runners).
 */
export function isStdout(path: string): boolean {
  return path === '-' || path === '/dev/stdout' || path === '/dev/fd/1' || path === '/proc/self/fd/1';
}

/**
 * Not a file other runs append to: a terminal, a pipe (`--out /dev/stdout | mlr`), a FIFO,
 * /dev/null. Paths under /dev and /proc/self/fd count even when they lead to a regular file
 * (`--out /dev/stdout > x.csv`): no lock or temp file can be made beside them.
 */
export function isDevice(path: string): boolean {
  if (/^\/(dev|proc\/self\/fd)\//.test(path)) return true;
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false; // not there yet: a new regular file
  }
}

/** Name the file the user asked for: the lock beside it is ours, not theirs. */
function lockError(path: string, err: unknown): unknown {
  return err instanceof QosError && err.code === 'OUTPUT_FAILED' ? ioError(`cannot open ${path} for writing`, err.cause) : err;
}

function stdoutSink(opts: SinkOptions): RecordSink {
  const out = opts.stdout ?? process.stdout;
  const fmt = formats[opts.format];
  const records: ResultRecord[] = [];
  let count = 0;
  if (fmt.streaming) {
    const h = fmt.header();
    if (h) out.write(h);
  }
  return {
    get count() {
      return count;
    },
    write(r) {
      count++;
      if (fmt.streaming) out.write(fmt.record(r));
      else records.push(r);
    },
    close(run) {
      if (!fmt.streaming) out.write(fmt.document(run, records));
    },
    abort() {},
  };
}

function streamingFileSink(
  path: string,
  format: FormatName,
  append: boolean,
  lock: Lock,
  write: WriteFn = writeSync,
  device = false,
  onNote?: (m: string) => void,
  resume = false,
): RecordSink {
  const fmt = formats[format];
  if (!fmt.streaming) throw new Error('unreachable');
  let layout: Pick<StreamingWriter, 'record'> = fmt;
  let fd: number;
  let regular: boolean;
  try {
    // A device is opened write-only and appending: a pipe cannot be read back or truncated.
    fd = openSync(path, device ? 'a' : append ? 'a+' : 'w');
    regular = fstatSync(fd).isFile();
  } catch (err) {
    throw ioError(`cannot open ${path} for writing`, err);
  }
  let count = 0;
  let failed: QosError | null = null;
  /**
   * Append one whole piece or nothing: on a short write or an error (a full disk), cut the file
   * back to its size before this piece. Without that, the part that fit stays, the next
   * --append starts a new line after it, and the file keeps a malformed row for good.
   */
  const writeWhole = (text: string): void => {
    if (failed) throw failed; // nothing after a failed record: the file must stay a prefix of whole records
    const before = regular ? fstatSync(fd).size : 0; // O_APPEND under our lock: this piece starts at the end
    try {
      writeAll(fd, text, write);
    } catch (err) {
      let cut = regular;
      try {
        if (regular) ftruncateSync(fd, before);
      } catch {
        cut = false;
      }
      const e = ioError(`cannot write to ${path}`, err);
      if (regular) {
        e.message += cut
          ? `; the file ends with its last whole record (${count} record(s) of this run written)`
          : `; the file could not be cut back and may end with a partial record`;
      }
      // Resumable only when the file is known to end with a whole record.
      if (!(resume && cut && regular)) failed = e;
      throw e;
    }
  };
  try {
    const size = regular ? fstatSync(fd).size : 0;
    if (size === 0) {
      const h = fmt.header();
      if (h) writeWhole(h);
    } else if (!device) {
      const older = checkExisting(fd, size, path, fmt);
      if (older) {
        layout = older.writer;
        onNote?.(`${path}: ${older.note}`);
      }
    } // else: `--out /dev/stdout >> x.csv`, appending to what the shell opened (it cannot be read back here)
  } catch (err) {
    closeSync(fd);
    // The header write can hit a full disk too: that is an output error (exit 4), not a bug.
    throw err instanceof QosError ? err : ioError(`cannot write to ${path}`, err);
  }
  return {
    get count() {
      return count;
    },
    write(r) {
      writeWhole(layout.record(r));
      count++;
    },
    close() {
      try {
        if (regular) fsyncSync(fd);
        closeSync(fd);
      } catch (err) {
        throw ioError(`cannot finish writing ${path}`, err);
      } finally {
        lock.release();
      }
    },
    abort() {
      // The whole records before a failure stay, durably (fsync), as at a normal close; the failure itself is reported already.
      try {
        if (regular) fsyncSync(fd);
      } catch {
        // best effort: the write that failed is the error reported
      }
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
      lock.release();
    },
  };
}

/** An existing file we append to must carry our header (or an older layout's: its writer), and end with a whole line. */
function checkExisting(fd: number, size: number, path: string, fmt: StreamingFormat): ReturnType<NonNullable<StreamingWriter['olderLayout']>> {
  const headLen = Math.min(size, 64 * 1024);
  const buf = Buffer.alloc(headLen);
  readSync(fd, buf, 0, headLen, 0);
  // A BOM is no part of the header: Excel's "CSV UTF-8" starts the file with one (issue 24).
  const firstLine = (buf.toString('utf8').split('\n')[0] ?? '').replace(/^\uFEFF/, '').replace(/\r$/, '');
  const older = fmt.firstLineOk(firstLine) ? null : (fmt.olderLayout?.(firstLine) ?? null);
  if (!fmt.firstLineOk(firstLine) && !older) {
    throw new QosError(
      'OUTPUT_HEADER_MISMATCH',
      `${path}: its header is not ${fmt.looksLike}, so records appended to it would land in the wrong columns or mix formats. ` +
        `Write to a new file (or move this one aside). Found: ${firstLine.slice(0, 120)}${firstLine.length > 120 ? '...' : ''}`,
    );
  }
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  // A crash of some other writer left a partial last line: start ours on a fresh line.
  if (last[0] !== 0x0a) writeSync(fd, '\n');
  return older;
}

function documentFileSink(path: string, format: FormatName, lock: Lock): RecordSink {
  // Fail before measuring, not after, when the directory is not writable (an exclusive probe: nothing planted is touched).
  try {
    const { fd, tmp } = openExclusiveTemp(path);
    closeSync(fd);
    unlinkSync(tmp);
  } catch (err) {
    lock.release();
    throw ioError(`cannot write in ${dirname(path)}`, err);
  }
  return documentSink(
    format,
    (text) => {
      try {
        writeFileAtomic(path, text);
      } finally {
        lock.release();
      }
    },
    () => lock.release(),
  );
}

/**
 * node_exporter's textfile collector (--textfile-dir): DIR/qosprobe.prom, the run's records as
 * OpenMetrics, written whole at the end. It reads *.prom only, so the temp file beside it
 * (".qosprobe.prom.<random>.tmp") is never half-read. No lock: each run replaces the file.
 */
export function textfileSink(dir: string): RecordSink {
  return documentSink('openmetrics', (text) => writeFileAtomic(join(dir, 'qosprobe.prom'), text), () => {});
}

/** A document to a device (`--out /dev/stdout --format json | jq`): one write at the end, no temp file beside it. */
function deviceDocumentSink(path: string, format: FormatName): RecordSink {
  let fd: number;
  try {
    fd = openSync(path, 'a'); // opened now: a device that cannot be written fails before measuring
  } catch (err) {
    throw ioError(`cannot open ${path} for writing`, err);
  }
  return documentSink(
    format,
    (text) => {
      try {
        writeAll(fd, text);
      } catch (err) {
        throw ioError(`cannot write to ${path}`, err);
      } finally {
        closeSync(fd);
      }
    },
    () => {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    },
  );
}

/** Keeps the records; at close the whole document goes to `put` (a document format is written at once); abort puts nothing. */
function documentSink(format: FormatName, put: (text: string) => void, drop: () => void): RecordSink {
  const fmt = formats[format];
  if (fmt.streaming) throw new Error('unreachable');
  const records: ResultRecord[] = [];
  return {
    get count() {
      return records.length;
    },
    write(r) {
      records.push(r);
    },
    close(run) {
      put(fmt.document(run, records));
    },
    abort: drop,
  };
}

/**
 * Temp file in the same directory, fsync, rename: readers see the old file or the new one, never half.
 * The temp name is random and opened O_CREAT|O_EXCL ('wx'): in a directory others can write to
 * (/tmp, a shared textfile dir), a planted symlink or file under a guessable name is never
 * followed or overwritten; the open fails instead and another name is tried.
 */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  let tmp = '';
  try {
    let fd: number;
    ({ fd, tmp } = openExclusiveTemp(path));
    try {
      writeAll(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    if (tmp) {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to clean
      }
    }
    throw ioError(`cannot write ${path}`, err);
  }
}
