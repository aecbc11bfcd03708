/**
 * The spool: one NDJSON file per run, so sites without signal can send later.
 *
 * Layout of a spool directory:
 *   <name>.ndjson          pending batch (one run's records, schema v1, one per line)
 *   sent/<name>.ndjson     sent (a 2xx was received); mtime = when it was sent; pruned by keep-days
 *   rejected/<name>.ndjson refused by a receiver that accepts other batches (4xx), or lines of a
 *                          batch that are not records: kept for a human; `spool requeue` puts them back
 *   rejected/<name>.why    why it was set aside, one line
 *   .<name>.<random>.tmp   being written; never a batch (a crash leaves only these behind)
 * <name> is `<UTC time>-<batch id>`, so name order is creation order and the batch id
 * (the run id) doubles as the Idempotency-Key.
 *
 * Durability: write the temp file, fsync it, rename it into place, fsync the directory.
 * After a crash or power cut there is either a whole batch or none.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { QosError, ioError } from '../core/errors.js';
import { openExclusiveTemp, writeAll } from '../output/write-all.js';
import { writeFileAtomic } from '../output/sink.js';
import type { ResultRecord } from '../core/schema.js';
import type { RecordSink } from '../output/record-sink.js';

export type BatchState = 'pending' | 'sent' | 'rejected';

export interface BatchInfo {
  /** Batch id (the run id): the Idempotency-Key of every push of this batch. */
  id: string;
  /** File name, e.g. 20261124T080000.000Z-<id>.ndjson. */
  name: string;
  path: string;
  state: BatchState;
  /** When the batch was created, from its name. */
  createdAt: Date;
  sizeBytes: number;
  /** Modification time: for sent batches, when they were sent. */
  mtime: Date;
  /** Rejected batches: why they were set aside (rejected/<name>.why), when known. */
  reason?: string;
}

export interface SpoolListing {
  pending: BatchInfo[];
  sent: BatchInfo[];
  rejected: BatchInfo[];
  /** Leftover temp files of crashed writers (not batches). */
  temps: string[];
}

/** rejected/<name>.why: one line saying why the batch was set aside (not a batch: NAME_RE ignores it). */
const WHY = '.why';

const NAME_RE = /^(\d{8}T\d{6}\.\d{3}Z)-([A-Za-z0-9_-]{1,128})\.ndjson$/;

export function batchName(id: string, createdAt: Date): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new Error(`batch id must be [A-Za-z0-9_-]{1,128}, got ${JSON.stringify(id)}`);
  return `${createdAt.toISOString().replace(/[-:]/g, '')}-${id}.ndjson`;
}

export function parseBatchName(name: string): { id: string; createdAt: Date } | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  const t = m[1]!;
  const iso = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13)}`;
  const createdAt = new Date(iso);
  return Number.isNaN(createdAt.getTime()) ? null : { id: m[2]!, createdAt };
}

/**
 * Writes one batch incrementally to a temp file; commit() makes it a batch atomically. A
 * RecordSink (output/record-sink.ts): the measuring path writes to it beside the output, and
 * its close is the commit.
 */
export interface SpoolWriter extends RecordSink {
  readonly id: string;
  /** fsync, rename into place, fsync the directory. Returns null (and leaves nothing) when no record was written. */
  commit(): BatchInfo | null;
  /** Drop the temp file. */
  abort(): void;
}

export function openSpoolWriter(dir: string, id: string, createdAt: Date = new Date()): SpoolWriter {
  const name = batchName(id, createdAt);
  let fd: number;
  let tmp: string;
  try {
    mkdirSync(dir, { recursive: true });
    ({ fd, tmp } = openExclusiveTemp(join(dir, name)));
  } catch (err) {
    throw ioError(`cannot write to the spool ${dir}`, trueCause(err, dir));
  }
  let count = 0;
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
  const writer: SpoolWriter = {
    id,
    get count() {
      return count;
    },
    write(r) {
      try {
        writeAll(fd, JSON.stringify(r) + '\n');
        count++;
      } catch (err) {
        throw ioError(`cannot write to the spool ${dir}`, err);
      }
    },
    close() {
      writer.commit();
    },
    commit() {
      try {
        if (count === 0) {
          close();
          unlinkSync(tmp);
          return null;
        }
        fsyncSync(fd);
        close();
        const path = join(dir, name);
        renameSync(tmp, path);
        fsyncDir(dir);
        const st = statSync(path);
        return { id, name, path, state: 'pending', createdAt, sizeBytes: st.size, mtime: st.mtime };
      } catch (err) {
        try {
          close();
          unlinkSync(tmp);
        } catch {
          // nothing left to clean
        }
        throw ioError(`cannot write to the spool ${dir}`, err);
      }
    },
    abort() {
      try {
        close();
        unlinkSync(tmp);
      } catch {
        // already gone
      }
    },
  };
  return writer;
}

/** Write a whole batch at once (library use, tests). */
export function writeBatch(dir: string, id: string, records: readonly ResultRecord[], createdAt: Date = new Date()): BatchInfo | null {
  const w = openSpoolWriter(dir, id, createdAt);
  try {
    for (const r of records) w.write(r);
    return w.commit();
  } catch (err) {
    w.abort();
    throw err;
  }
}

/** Batches by state, oldest first (push order). A missing spool directory is an empty spool. */
export function listSpool(dir: string): SpoolListing {
  const out: SpoolListing = { pending: [], sent: [], rejected: [], temps: [] };
  const scan = (sub: string, state: BatchState) => {
    const d = sub ? join(dir, sub) : dir;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (state === 'pending' && name.startsWith('.') && name.endsWith('.tmp')) {
        out.temps.push(join(d, name));
        continue;
      }
      const parsed = parseBatchName(name);
      if (!parsed) continue;
      let st;
      try {
        st = statSync(join(d, name));
      } catch {
        continue; // pruned or moved meanwhile
      }
      if (!st.isFile()) continue;
      const info: BatchInfo = { id: parsed.id, name, path: join(d, name), state, createdAt: parsed.createdAt, sizeBytes: st.size, mtime: st.mtime };
      if (state === 'rejected') {
        try {
          info.reason = readFileSync(join(d, name + WHY), 'utf8').trim();
        } catch {
          // no reason kept (set aside by an older version, or by hand)
        }
      }
      (state === 'pending' ? out.pending : state === 'sent' ? out.sent : out.rejected).push(info);
    }
  };
  scan('', 'pending');
  scan('sent', 'sent');
  scan('rejected', 'rejected');
  return out;
}

/** A batch split into its records (with their lines as written) and the lines that are not records. */
export interface ParsedBatch {
  records: ResultRecord[];
  /** The lines of `records`, byte for byte, for an NDJSON body. */
  goodLines: string[];
  bad: { line: number; text: string; reason: string }[];
}

export function parseBatchText(text: string): ParsedBatch {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out: ParsedBatch = { records: [], goodLines: [], bad: [] };
  lines.forEach((l, i) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      out.bad.push({ line: i + 1, text: l, reason: 'is not JSON' });
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      out.bad.push({ line: i + 1, text: l, reason: 'is not a record (a JSON object)' });
      return;
    }
    out.records.push(v as ResultRecord);
    out.goodLines.push(l);
  });
  return out;
}

/** The records of a batch. Throws QosError OUTPUT_FAILED on a line that is not a JSON object. */
export function readBatch(path: string): ResultRecord[] {
  const p = parseBatchText(readFileSync(path, 'utf8'));
  const first = p.bad[0];
  if (first) throw new QosError('OUTPUT_FAILED', `${path}: line ${first.line} ${first.reason}`);
  return p.records;
}

/**
 * Split the lines that are not records out of a pending batch, so one bad line does not hold
 * back (or set aside) the good records: the bad lines go to rejected/<time>-<id>-unreadable.ndjson
 * (fsynced), then the batch is rewritten with its good lines only (temp file, rename). A crash
 * between the two leaves the bad lines in both places; the next push splits them again.
 * Returns the name of the rejected file.
 */
export function setAsideLines(dir: string, b: BatchInfo, parsed: ParsedBatch): string {
  const name = batchName(`${b.id.slice(0, 128 - '-unreadable'.length)}-unreadable`, b.createdAt);
  try {
    const rej = join(dir, 'rejected');
    mkdirSync(rej, { recursive: true });
    writeFileSync(join(rej, name + WHY), `${parsed.bad.map((x) => `line ${x.line} ${x.reason}`).join('; ')} (from ${b.name})\n`);
    writeFileDurable(rej, name, parsed.bad.map((x) => x.text + '\n').join(''));
    writeFileDurable(dir, b.name, parsed.goodLines.map((l) => l + '\n').join(''));
  } catch (err) {
    throw ioError(`cannot set aside the unreadable lines of ${b.name} in ${dir}`, trueCause(err, dir));
  }
  return name;
}

/** Atomically replace `name` (output/sink.ts writeFileAtomic: temp file, fsync, rename), then make the rename durable. */
function writeFileDurable(dir: string, name: string, text: string): void {
  writeFileAtomic(join(dir, name), text);
  fsyncDir(dir);
}

/**
 * Put rejected batches back in the queue (`qosprobe spool requeue`): `names` are batch names
 * or ids; `all` takes every rejected batch. A name that is also pending is refused (the
 * pending one would be overwritten). Returns the names moved.
 */
export function requeueBatches(dir: string, which: { all: true } | { names: readonly string[] }): string[] {
  const l = listSpool(dir);
  let chosen: BatchInfo[];
  if ('all' in which) chosen = l.rejected;
  else {
    chosen = which.names.map((n) => {
      const b = l.rejected.find((x) => x.name === n || x.id === n);
      if (!b) throw new QosError('USAGE', `no rejected batch ${JSON.stringify(n)} in ${join(dir, 'rejected')} (see: qosprobe spool)`);
      return b;
    });
  }
  const moved: string[] = [];
  for (const b of chosen) {
    if (l.pending.some((p) => p.name === b.name)) throw new QosError('USAGE', `${b.name} is also pending in ${dir}: not overwriting it`);
    try {
      renameSync(b.path, join(dir, b.name));
      rmSync(b.path + WHY, { force: true });
    } catch (err) {
      throw ioError(`cannot move ${b.name} back from ${join(dir, 'rejected')}`, err);
    }
    moved.push(b.name);
  }
  if (moved.length) fsyncDir(dir);
  return moved;
}

/** Move a batch into sent/ (or rejected/); its mtime becomes the time of the move, for pruning. */
export function moveBatch(dir: string, b: BatchInfo, to: 'sent' | 'rejected', now: Date = new Date(), reason?: string): BatchInfo {
  const d = join(dir, to);
  const path = join(d, b.name);
  try {
    mkdirSync(d, { recursive: true });
    // The reason first: a batch in rejected/ without it is only less explained, never lost.
    if (to === 'rejected' && reason) writeFileSync(join(d, b.name + WHY), reason + '\n');
    renameSync(b.path, path);
    utimesSync(path, now, now);
  } catch (err) {
    throw ioError(`cannot move ${b.name} to ${d}`, trueCause(err, dir));
  }
  fsyncDir(dir);
  fsyncDir(d);
  return { ...b, path, state: to, mtime: now };
}

export interface PruneResult {
  removedSent: string[];
  removedTemps: string[];
}

/**
 * Delete sent batches sent more than keepDays ago, and temp files of crashed writers older
 * than a day (a live writer's temp is never that old). Pending and rejected batches are never pruned.
 */
export function pruneSpool(dir: string, keepDays: number, now: Date = new Date()): PruneResult {
  const l = listSpool(dir);
  const res: PruneResult = { removedSent: [], removedTemps: [] };
  const cutoff = now.getTime() - keepDays * 86_400_000;
  for (const b of l.sent) {
    if (b.mtime.getTime() < cutoff) {
      try {
        unlinkSync(b.path);
        res.removedSent.push(b.name);
      } catch {
        // gone already
      }
    }
  }
  for (const t of l.temps) {
    try {
      if (statSync(t).mtime.getTime() < now.getTime() - 86_400_000) {
        unlinkSync(t);
        res.removedTemps.push(t);
      }
    } catch {
      // gone already
    }
  }
  return res;
}

/**
 * Node's recursive mkdir reports ENOENT where a directory cannot be created because its
 * nearest existing ancestor is not writable (a read-only file system): ask that ancestor what
 * is wrong, so the message is true.
 */
function trueCause(err: unknown, dir: string): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err;
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(d)) {
      try {
        accessSync(d, constants.W_OK);
      } catch (e) {
        return e;
      }
      return err;
    }
    if (dirname(d) === d) return err;
  }
}

/** Make a rename durable: the directory entry itself must reach the disk. Not possible on Windows (EISDIR/EPERM): skipped there. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory for fsync; NTFS journals the rename itself.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
