/** NDJSON: a JSON object per record per line. Pushed as the spool batch's lines, byte for byte. */
import type { PushBody, StreamingWriter } from '../formats.js';

export const serialiser: StreamingWriter & PushBody = {
  header: () => '',
  record: (r) => JSON.stringify(r) + '\n',
  firstLineOk: (line) => line.startsWith('{'),
  looksLike: 'a JSON object per line',
  body: (batch) => batch.lines.map((l) => l + '\n').join(''),
};
