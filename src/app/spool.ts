/**
 * `qosprobe spool` and `spool requeue` (and a library user's look at a spool): which spool, pruning the sent
 * batches older than the kept days, the listing, putting rejected batches back in the queue. cli/ renders the
 * listing (text or JSON) and what was requeued.
 */
import { resolve } from 'node:path';
import { defaultSpoolDir } from '../spool/paths.js';
import type { SpoolListing } from '../spool/spool.js';
import type { AppIo } from './io.js';

/** A spool named on the command line is relative to the working directory; none named is the user state dir's. */
export function spoolDirOf(io: Pick<AppIo, 'cwd' | 'env'>, spool: string | undefined): string {
  return spool ? resolve(io.cwd, spool) : defaultSpoolDir(io.env);
}

/** How long sent batches are kept when no --keep-days is given. */
export const KEEP_SENT_DAYS = 14;

export interface SpoolStatus {
  dir: string;
  /** After pruning. */
  listing: SpoolListing;
  /** Sent batches deleted for being older than keepDays. */
  prunedSent: string[];
  keepDays: number;
}

/** Prune the sent batches older than keepDays, then list what is left. */
export async function spoolStatus(io: Pick<AppIo, 'cwd' | 'env'>, flags: { spool?: string; keepDays?: number }): Promise<SpoolStatus> {
  const { listSpool, pruneSpool } = await import('../spool/spool.js');
  const dir = spoolDirOf(io, flags.spool);
  const keepDays = flags.keepDays ?? KEEP_SENT_DAYS;
  const pruned = pruneSpool(dir, keepDays);
  return { dir, listing: listSpool(dir), prunedSent: pruned.removedSent, keepDays };
}

/** Move rejected batches (all, or those named) back to pending; the next push sends them. */
export async function requeue(io: Pick<AppIo, 'cwd' | 'env'>, flags: { spool?: string; which: { all: true } | { names: readonly string[] } }): Promise<{ dir: string; moved: string[] }> {
  const { requeueBatches } = await import('../spool/spool.js');
  const dir = spoolDirOf(io, flags.spool);
  return { dir, moved: requeueBatches(dir, flags.which) };
}
