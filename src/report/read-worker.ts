/**
 * A worker thread of `qosprobe report` (parallel.ts): reads each file it is sent into an
 * Aggregator of its own and posts back the aggregator's state, the file's read statistics and
 * the identity hashes of its rows in order (duplicates.ts), for the main thread to merge in input
 * order. Nothing here touches the process: the main thread owns stdout, stderr and exit codes.
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Aggregator, type AggregateOptions } from './aggregate.js';
import { identify, identityHi, identityLo } from './duplicates.js';
import { newReadStats, readSource, type ReadOptions } from './read.js';
import type { FileJob, FileResult } from './parallel.js';

/** A smaller read buffer than the main thread's 1 MiB: with a worker per CPU, fewer bytes in flight keep the peak RSS under 300 MB. */
const WORKER_CHUNK_BYTES = 256 * 1024;
const { agg: aggOpts, read: readOpts } = workerData as { agg: AggregateOptions; read: ReadOptions };
const port = parentPort!;

port.on('message', (job: FileJob) => {
  void readFile(job).then(
    (r) => port.postMessage(r, [r.hashes.buffer as ArrayBuffer]),
    (err: unknown) => port.postMessage({ index: job.index, error: err instanceof Error ? err.message : String(err) }),
  );
});

async function readFile(job: FileJob): Promise<FileResult> {
  const agg = new Aggregator(aggOpts);
  const stats = newReadStats();
  let hashes = new Uint32Array(1 << 13);
  let n = 0;
  await readSource(
    { name: job.name, path: job.path, open: () => createReadStream(job.path, { highWaterMark: WORKER_CHUNK_BYTES }) },
    (row) => {
      if (2 * n + 2 > hashes.length) {
        const grown = new Uint32Array(hashes.length * 2);
        grown.set(hashes);
        hashes = grown;
      }
      // (0, 0): a row without identity (no run_id); counted, never a duplicate.
      if (identify(row)) {
        hashes[2 * n] = identityHi();
        hashes[2 * n + 1] = identityLo();
      }
      n++;
      agg.add(row);
    },
    stats,
    { ...readOpts, chunkBytes: WORKER_CHUNK_BYTES },
  );
  return { index: job.index, agg: agg.state(), stats, hashes: hashes.slice(0, 2 * n) };
}
