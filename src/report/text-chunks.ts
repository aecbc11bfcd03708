/**
 * A source's bytes as text in chunks that end at a line's end, for the report's readers (read.ts).
 *
 * Why not a stream with setEncoding('utf8'): decoding was a sixth of the reading time, and a new
 * buffer per chunk cost page faults and garbage. Here a regular file is read synchronously into one
 * buffer that is reused (a worker thread has nothing else to do meanwhile; the main thread only
 * reads when nothing else runs), a chunk that is all ASCII (nearly every result file) is decoded as
 * Latin-1, which is a copy, and any other chunk as UTF-8. A chunk ends after its last newline, so
 * no UTF-8 sequence is ever cut (none holds the byte 0x0A) and the reader's fast paths see whole
 * lines. A line longer than the buffer is handed on in parts cut at a UTF-8 sequence's start; the
 * line splitter (csv-tokens.ts) joins them and enforces its own limit.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import type { InputSource } from './inputs.js';

/** The buffer of the main thread; worker threads pass a smaller one (read-worker.ts). */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** The text of buf[0, end): Latin-1 is UTF-8 when every byte is ASCII, and a plain copy. */
function decode(buf: Buffer, end: number): string {
  const b = end === buf.length ? buf : buf.subarray(0, end);
  return b.toString(isAscii(b) ? 'latin1' : 'utf8');
}

/**
 * V8 keeps a string of over 128 KiB apart, in pages of its own: decoding 256 KiB chunks ran at a
 * tenth of the speed of 64 KiB ones (page faults, unmapping at each collection). So a buffer's
 * text is handed on in pieces of at most this many bytes, each ending after a newline, except a
 * piece that holds one longer line.
 */
const PIECE_BYTES = 64 * 1024;

/** buf[0, end) as text in pieces of at most PIECE_BYTES, each ending after a newline where there is one. */
function* pieces(buf: Buffer, end: number): Generator<string, void, undefined> {
  let at = 0;
  while (end - at > PIECE_BYTES) {
    let cut = buf.lastIndexOf(10, at + PIECE_BYTES - 1) + 1;
    if (cut <= at) {
      const nl = buf.indexOf(10, at + PIECE_BYTES);
      cut = nl === -1 || nl >= end ? end : nl + 1;
    }
    yield decode(buf.subarray(at, cut), cut - at);
    at = cut;
  }
  if (at < end) yield decode(buf.subarray(at, end), end - at);
}

/** Where to cut buf[0, end) for a chunk: after the last newline, or else before a UTF-8 sequence that may be incomplete. */
function cutAt(buf: Buffer, end: number): number {
  const nl = buf.lastIndexOf(10, end - 1);
  if (nl !== -1) return nl + 1;
  let i = end;
  // Back over continuation bytes (10xxxxxx) to the sequence's lead byte, which starts the next chunk.
  while (i > 0 && end - i < 4 && ((buf[i - 1] as number) & 0xc0) === 0x80) i--;
  return i > 0 && (buf[i - 1] as number) >= 0xc0 ? i - 1 : end;
}

/** The source's text in chunks, each ending after a newline except where a line outgrows `chunkBytes` and at the end. */
export async function* textChunks(src: InputSource, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<string, void, undefined> {
  const fd = src.path === undefined ? null : openRegular(src.path);
  if (fd === null) return yield* streamChunks(src, chunkBytes);
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let have = 0;
    for (;;) {
      const n = readSync(fd, buf, have, buf.length - have, null);
      const end = have + n;
      if (n === 0) {
        if (end > 0) yield* pieces(buf, end);
        return;
      }
      if (end < buf.length) {
        // Fill the buffer before cutting: fewer, larger chunks (a short read is not the end of a file).
        have = end;
        continue;
      }
      const cut = cutAt(buf, end);
      yield* pieces(buf, cut);
      buf.copyWithin(0, cut, end);
      have = end - cut;
    }
  } finally {
    closeSync(fd);
  }
}

/** A descriptor for a regular file, or null (a FIFO, a device, a file that went away: read as a stream, which reports what fails). */
function openRegular(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    if (fstatSync(fd).isFile()) return fd;
  } catch {
    // fall through
  }
  closeSync(fd);
  return null;
}

async function* streamChunks(src: InputSource, chunkBytes: number): AsyncGenerator<string, void, undefined> {
  let carry: Buffer | null = null;
  for await (const chunk of src.open() as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const data: Buffer = carry === null ? bytes : Buffer.concat([carry, bytes]);
    carry = null;
    const nl = data.lastIndexOf(10);
    if (nl === -1 && data.length < chunkBytes) {
      carry = data;
      continue;
    }
    const cut = cutAt(data, data.length);
    yield* pieces(data, cut);
    if (cut < data.length) carry = data.subarray(cut);
  }
  if (carry !== null && carry.length > 0) yield* pieces(carry, carry.length);
}
