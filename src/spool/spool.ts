/**
 * The spool: one NDJSON file per run, so sites without signal can send later.
 *
 * Layout of a spool directory:
 *   <name>.ndjson          pending batch (one run's records, schema v1, one per line)
 *   sent/<name>.ndjson     sent (a 2xx was received); mtime = when it was sent; pruned by keep-days
 *   rejected/<name>.ndjson the receiver refused it as malformed (4xx): kept for a human, never retried
 *   .<name>.<pid>.tmp      being written; never a batch (a crash leaves only these behind)
 * <name> is `<UTC time>-<batch id>`, so name order is creation order and the batch id
 * (the run id) doubles as the Idempotency-Key.
 *
 * Durability: write the temp file, fsync it, rename it into place, fsync the directory.
 * After a crash or power cut there is either a whole batch or none.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { QosError, ioError } from '../errors.js';
import { writeAll } from '../output/write-all.js';
import type { ResultRecord } from '../records/schema.js';

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
}

export interface SpoolListing {
  pending: BatchInfo[];
  sent: BatchInfo[];
  rejected: BatchInfo[];
  /** Leftover temp files of crashed writers (not batches). */
  temps: string[];
}

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

/** Writes one batch incrementally to a temp file; commit() makes it a batch atomically. */
export interface SpoolWriter {
  readonly id: string;
  readonly count: number;
  write(r: ResultRecord): void;
  /** fsync, rename into place, fsync the directory. Returns null (and leaves nothing) when no record was written. */
  commit(): BatchInfo | null;
  /** Drop the temp file. */
  abort(): void;
}

export function openSpoolWriter(dir: string, id: string, createdAt: Date = new Date()): SpoolWriter {
  const name = batchName(id, createdAt);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  let fd: number;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'w');
  } catch (err) {
    throw ioError(`cannot write to the spool ${dir}`, err);
  }
  let count = 0;
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
  return {
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
      (state === 'pending' ? out.pending : state === 'sent' ? out.sent : out.rejected).push(info);
    }
  };
  scan('', 'pending');
  scan('sent', 'sent');
  scan('rejected', 'rejected');
  return out;
}

/** The records of a batch. Throws QosError OUTPUT_FAILED on a line that is not a JSON object. */
export function readBatch(path: string): ResultRecord[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l, i) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (err) {
      throw new QosError('OUTPUT_FAILED', `${path}: line ${i + 1} is not JSON`, { cause: err });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new QosError('OUTPUT_FAILED', `${path}: line ${i + 1} is not a record`);
    return v as ResultRecord;
  });
}

/** Move a batch into sent/ (or rejected/); its mtime becomes the time of the move, for pruning. */
export function moveBatch(dir: string, b: BatchInfo, to: 'sent' | 'rejected', now: Date = new Date()): BatchInfo {
  const d = join(dir, to);
  mkdirSync(d, { recursive: true });
  const path = join(d, b.name);
  renameSync(b.path, path);
  utimesSync(path, now, now);
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
