/** CSV: schema v1's columns in order, a header once; text cells safe to open in a spreadsheet (csv-cell.ts). */
import { stringify } from 'csv-stringify/sync';
import { FIELD_NAMES } from '../../core/schema.js';
import { csvSafeText } from '../csv-cell.js';
import type { StreamingWriter } from '../formats.js';

// Text cells: neutralised against spreadsheet formulas, reversibly (csv-cell.ts); numbers stay numbers.
// A cell holding a CR is quoted, so a reader splitting lines can never take it for a line end.
const csvOptions = { eof: true, record_delimiter: 'unix', quoted_match: /\r/, cast: { number: (n: number) => String(n), string: csvSafeText } } as const;

const header = stringify([FIELD_NAMES as string[]], csvOptions);

export const serialiser: StreamingWriter = {
  header: () => header,
  record: (r) => stringify([FIELD_NAMES.map((n) => r[n])], csvOptions),
  // The exact header: a CSV with other columns would take our records in the wrong columns.
  firstLineOk: (line) => line + '\n' === header,
  looksLike: "qosprobe's schema v1 CSV header",
};
