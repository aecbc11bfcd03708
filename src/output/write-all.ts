import { writeSync } from 'node:fs';

/** One record, one write: loop only if the kernel took part of it (it does not for regular files in practice). */
export function writeAll(fd: number, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
