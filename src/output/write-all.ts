import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** write(2) as writeSync has it: returns how many bytes the kernel took. Injectable so tests can simulate a full disk. */
export type WriteFn = (fd: number, buf: Buffer, offset: number, length: number) => number;

/** One record, one write: loop only if the kernel took part of it (a full disk does, once, before ENOSPC). */
export function writeAll(fd: number, data: string | Buffer, write: WriteFn = writeSync): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) off += write(fd, buf, off, buf.length - off);
}

/** A new temp file beside `path`, created by us (O_EXCL: never through a symlink, never a file someone else made). */
export function openExclusiveTemp(path: string): { fd: number; tmp: string } {
  for (let attempt = 0; ; attempt++) {
    const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      return { fd: openSync(tmp, 'wx', 0o644), tmp };
    } catch (err) {
      // EEXIST: a name taken (planted or a 1 in 2^48 clash): another random one; anything else is the real error.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 8) throw err;
    }
  }
}

/**
 * Append whole lines or nothing (O_APPEND, one write): on a short write or an error (a full
 * disk) the file is cut back to its size before, so it never ends with part of a line. For a
 * file one process appends to (the monitor's incidents file); throws the write's error.
 */
export function appendWhole(path: string, text: string, write: WriteFn = writeSync): void {
  const fd = openSync(path, 'a');
  try {
    const before = fstatSync(fd).size;
    try {
      writeAll(fd, text, write);
    } catch (err) {
      try {
        ftruncateSync(fd, before);
      } catch {
        // cannot cut back: the error below is what is reported
      }
      throw err;
    }
  } finally {
    closeSync(fd);
  }
}
