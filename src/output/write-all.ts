import { writeSync } from 'node:fs';

/** write(2) as writeSync has it: returns how many bytes the kernel took. Injectable so tests can simulate a full disk. */
export type WriteFn = (fd: number, buf: Buffer, offset: number, length: number) => number;

/** One record, one write: loop only if the kernel took part of it (a full disk does, once, before ENOSPC). */
export function writeAll(fd: number, data: string | Buffer, write: WriteFn = writeSync): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) off += write(fd, buf, off, buf.length - off);
}
