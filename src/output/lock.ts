import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { QosError, ioError } from '../core/errors.js';

export interface Lock {
  readonly path: string;
  release(): void;
}

/**
 * An exclusive lock file (O_CREAT|O_EXCL) holding "pid host time". Overlapping cron runs
 * writing the same file must not interleave: the second one fails with LOCK_HELD. A lock
 * left by a process that no longer exists on this host is stale and taken over.
 */
export function acquireLock(path: string): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid} ${hostname()} ${new Date().toISOString()}\n`);
      } catch (err) {
        // A full disk: an empty lock file would read as "unknown holder" and block every later run.
        closeSync(fd);
        unlinkSync(path);
        throw err;
      }
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          try {
            unlinkSync(path);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw ioError(`cannot create the lock file ${path}`, err);
      }
      const holder = readHolder(path);
      if (holder && isStale(holder)) {
        try {
          unlinkSync(path);
        } catch {
          // someone else removed it first; retry the create
        }
        continue;
      }
      throw new QosError(
        'LOCK_HELD',
        `another qosprobe run (${holder ? `pid ${holder.pid} on ${holder.host} since ${holder.since}` : 'unknown holder'}) is writing to the same output; lock file ${path}`,
      );
    }
  }
  throw new QosError('LOCK_HELD', `could not take the lock ${path}`);
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

function readHolder(path: string): Holder | null {
  try {
    const [pid, host, since] = readFileSync(path, 'utf8').trim().split(' ');
    const n = Number(pid);
    return Number.isInteger(n) && n > 0 ? { pid: n, host: host ?? '', since: since ?? '' } : null;
  } catch {
    return null;
  }
}

function isStale(h: Holder): boolean {
  if (h.host !== hostname()) return false; // can't see other hosts' processes (shared drive): be safe
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * acquireLock, but wait up to `waitMs` for a live holder to finish (cron runs that overlap
 * by a few seconds should queue, not fail). Polls because lock files have no wake-up; a
 * signal ends the wait early with the holder's LOCK_HELD error.
 */
export async function acquireLockWaiting(path: string, opts: { waitMs: number; signal?: AbortSignal; pollMs?: number }): Promise<Lock> {
  const until = Date.now() + Math.max(0, opts.waitMs);
  const pollMs = opts.pollMs ?? 250;
  for (;;) {
    try {
      return acquireLock(path);
    } catch (err) {
      if (!(err instanceof QosError) || err.code !== 'LOCK_HELD') throw err;
      const left = until - Date.now();
      if (left <= 0 || opts.signal?.aborted) {
        throw opts.waitMs > 0 ? new QosError('LOCK_HELD', `${err.message} (waited ${Math.round(opts.waitMs / 1000)} s)`) : err;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(pollMs, left));
        function done() {
          clearTimeout(t);
          opts.signal?.removeEventListener('abort', done);
          resolve();
        }
        opts.signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}
