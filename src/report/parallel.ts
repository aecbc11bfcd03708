/**
 * Reading a report's input files in worker threads (read-worker.ts), one file at a time per
 * worker, merged on the main thread in input order, so that the result is the one reading them in
 * order would give: counts, sites, issues and their order alike; a distribution's exact values are
 * replayed in order (QuantileAccumulator.merge), so only the sums of groups past the sketch's
 * exact limit may differ in their last bits. Duplicates (duplicates.ts) are decided here: a
 * file that holds a record seen before, in it or in an earlier file, is read again on the main
 * thread through the filter, as if read in order from the start.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AggregateOptions, Aggregator, AggregatorState } from './aggregate.js';
import type { DuplicateFilter } from './duplicates.js';
import type { InputSource } from './inputs.js';
import { mergeReadStats, type ReadOptions, type ReadStats } from './read.js';

export interface FileJob {
  index: number;
  name: string;
  path: string;
}

export interface FileResult {
  index: number;
  agg: AggregatorState;
  stats: ReadStats;
  /** The identity hash of each row in order: (hi, lo) pairs, (0, 0) for a row without identity. */
  hashes: Uint32Array;
}

/** The worker's script: compiled JavaScript beside this module (absent when run from the TypeScript sources, as in unit tests). */
const WORKER = new URL('./read-worker.js', import.meta.url);

/** Read `sources` in worker threads into `target`; false (nothing read) when the worker script is not there. */
export async function readInWorkers(
  sources: readonly (InputSource & { path: string })[],
  threads: number,
  opts: { agg: AggregateOptions; read: ReadOptions },
  target: { agg: Aggregator; stats: ReadStats; dups: DuplicateFilter; readHere(src: InputSource): Promise<void> },
): Promise<boolean> {
  if (!existsSync(fileURLToPath(WORKER))) return false;
  const results = new Map<number, FileResult>();
  let nextJob = 0;
  let nextMerge = 0;
  const workers: Worker[] = [];
  let merging = Promise.resolve();
  try {
    await new Promise<void>((resolve, reject) => {
      const give = (w: Worker): void => {
        if (nextJob >= sources.length) return;
        const src = sources[nextJob] as InputSource & { path: string };
        w.postMessage({ index: nextJob++, name: src.name, path: src.path } satisfies FileJob);
      };
      const mergeReady = async (): Promise<void> => {
        for (let r = results.get(nextMerge); r !== undefined; r = results.get(nextMerge)) {
          results.delete(nextMerge);
          await mergeOne(r, sources[nextMerge] as InputSource, target);
          nextMerge++;
        }
        if (nextMerge === sources.length) resolve();
      };
      const n = Math.min(threads, sources.length);
      for (let i = 0; i < n; i++) {
        // A smaller young generation than V8's default: garbage is collected sooner, and the peak RSS of a month of a fleet stays under 300 MB.
        const w = new Worker(WORKER, { workerData: opts, resourceLimits: { maxYoungGenerationSizeMb: 16 } });
        workers.push(w);
        w.on('message', (m: FileResult | { index: number; error: string }) => {
          if ('error' in m) return reject(new Error(`${sources[m.index]?.name}: ${m.error}`));
          results.set(m.index, m);
          give(w);
          merging = merging.then(mergeReady).catch(reject);
        });
        w.on('error', reject);
        give(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return true;
}

async function mergeOne(r: FileResult, src: InputSource, t: { agg: Aggregator; stats: ReadStats; dups: DuplicateFilter; readHere(src: InputSource): Promise<void> }): Promise<void> {
  const h = r.hashes;
  // Clean when no identity was seen before (in an earlier file, or earlier in this one): one insert
  // per row; at the first identity seen before, the ones this file added are taken out again and the
  // file is read here, through the filter.
  for (let i = 0; i < h.length; i += 2) {
    const lo = h[i + 1] as number;
    if (lo === 0 || t.dups.insert(h[i] as number, lo)) continue;
    for (let k = i - 2; k >= 0; k -= 2) if (h[k + 1] !== 0) t.dups.remove(h[k] as number, h[k + 1] as number);
    return t.readHere(src);
  }
  t.agg.merge(r.agg);
  mergeReadStats(t.stats, r.stats);
}
