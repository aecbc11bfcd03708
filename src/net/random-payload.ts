/**
 * The bytes of throughput tests (the server's /down bodies, the upload probe's POST bodies): random bytes generated
 * once and sent in slices from a random offset. Incompressible (a compressor finds nothing to squeeze in random data,
 * and 8 MiB is beyond gzip's and most brotli windows, so repeats across slices don't help it), and no per-request
 * generation cost, which is what lets a transfer run at several Gbit/s. One pool per process, made on first use.
 */
import { randomBytes } from 'node:crypto';

export const RANDOM_POOL_BYTES = 8 * 1024 * 1024;
/** The largest slice: the pool is this much longer than RANDOM_POOL_BYTES, so a slice never wraps. */
export const MAX_SLICE_BYTES = 256 * 1024;

let pool: Buffer | null = null;

function randomPool(): Buffer {
  pool ??= randomBytes(RANDOM_POOL_BYTES + MAX_SLICE_BYTES);
  return pool;
}

/** A cursor over the pool from a random offset: each call returns the next `len` bytes (views, not copies). */
export function randomSlices(): (len: number) => Buffer {
  const data = randomPool();
  let offset = Math.floor(Math.random() * RANDOM_POOL_BYTES);
  return (len) => {
    if (!(len >= 0 && len <= MAX_SLICE_BYTES)) throw new RangeError(`a random slice is 0 to ${MAX_SLICE_BYTES} bytes, not ${len}`);
    const slice = data.subarray(offset, offset + len);
    offset = (offset + len) % RANDOM_POOL_BYTES;
    return slice;
  };
}
