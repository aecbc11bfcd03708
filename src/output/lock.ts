import { closeSync, fsyncSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { QosError, ioError } from '../core/errors.js';

export interface Lock {
  readonly path: string;
  release(): void;
}

/**
 * An exclusive lock file (O_CREAT|O_EXCL) holding "pid host time", fsynced so a power cut
 * cannot leave it empty. Overlapping cron runs writing the same file must not interleave: the
 * second one fails with LOCK_HELD. A lock is stale, and taken over, when (isStale):
 * - it is empty or unreadable and older than EMPTY_LOCK_GRACE_MS (a holder writes its line
 *   right after creating the file: an empty one that old is a crash in between, or not ours);
 * - its process no longer exists on this host;
 * - it was taken before this host's last boot (its PID may now be another, live process):
 *   Linux's boot id is written in the lock and compared; without one, the lock's time against
 *   the boot time (now − uptime).
 */
export function acquireLock(path: string): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid} ${hostname()} ${new Date().toISOString()}${BOOT_ID ? ` ${BOOT_ID}` : ''}\n`);
        fsyncSync(fd);
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
      if (isStale(path, holder)) {
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
  bootId: string | null;
}

/** This boot's id (Linux): exact where the clock is not (a Raspberry Pi boots with a stale clock). */
const BOOT_ID: string | null = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
})();

function readHolder(path: string): Holder | null {
  try {
    const [pid, host, since, bootId] = readFileSync(path, 'utf8').trim().split(' ');
    const n = Number(pid);
    return /^[0-9]+$/.test(pid ?? '') && n > 0 && host ? { pid: n, host, since: since ?? '', bootId: bootId ?? null } : null;
  } catch {
    return null;
  }
}

/** An empty or unparseable lock younger than this may be a holder between create and write. */
export const EMPTY_LOCK_GRACE_MS = 5000;
/** Boot time is known to about a second (uptime); a lock this close to it is not called old. */
const BOOT_SLACK_MS = 2000;

function isStale(path: string, h: Holder | null, nowMs = Date.now()): boolean {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return true; // gone already: the create is retried
  }
  if (!h) return nowMs - mtimeMs > EMPTY_LOCK_GRACE_MS;
  if (h.host !== hostname()) return false; // can't see other hosts' processes (shared drive): be safe
  if (h.pid === process.pid) return false;
  // Taken before this host booted: its PID, if alive, is another process now.
  if (h.bootId && BOOT_ID) return h.bootId !== BOOT_ID ? true : pidGone(h.pid);
  const sinceMs = Date.parse(h.since);
  const bootMs = nowMs - uptime() * 1000;
  if (Math.min(Number.isFinite(sinceMs) ? sinceMs : mtimeMs, mtimeMs) < bootMs - BOOT_SLACK_MS) return true;
  return pidGone(h.pid);
}

function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
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
