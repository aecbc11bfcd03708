/** CSV: schema v1's columns in order, a header once; text cells safe to open in a spreadsheet (csv-cell.ts). */
import { stringify } from 'csv-stringify/sync';
import { FIELD_NAMES } from '../../core/schema.js';
import { csvSafeText } from '../csv-cell.js';
import type { StreamingWriter } from '../formats.js';

// Text cells: neutralised against spreadsheet formulas, reversibly (csv-cell.ts); numbers stay numbers.
// A cell holding a CR is quoted, so a reader splitting lines can never take it for a line end.
const csvOptions = { eof: true, record_delimiter: 'unix', quoted_match: /\r/, cast: { number: (n: number) => String(n), string: csvSafeText } } as const;

const header = stringify([FIELD_NAMES as string[]], csvOptions);
/** The first schema v1 release wrote 77 columns; no v1 file has fewer. */
const MIN_V1_COLUMNS = 77;

export const serialiser: StreamingWriter = {
  header: () => header,
  record: (r) => stringify([FIELD_NAMES.map((n) => r[n])], csvOptions),
  // The exact header: a CSV with other columns would take our records in the wrong columns.
  firstLineOk: (line) => line + '\n' === header,
  looksLike: "qosprobe's schema v1 CSV header",
  // Schema v1 only ever appends columns (docs/schema.md), so a header that is a prefix of ours is an older v1 file:
  // a field laptop's results.csv from before an upgrade. Its columns keep their meaning; records appended to it
  // carry exactly those columns, and the newer ones are left out of that file (said once, on stderr).
  olderLayout: (line) => {
    const cols = line.split(',');
    const known = cols.length >= MIN_V1_COLUMNS && cols.length < FIELD_NAMES.length && cols.every((c, i) => c === FIELD_NAMES[i]);
    if (!known) return null;
    const names = FIELD_NAMES.slice(0, cols.length);
    return {
      writer: { record: (r) => stringify([names.map((n) => r[n])], csvOptions) },
      note: `its header is an older schema v1 layout (${cols.length} of ${FIELD_NAMES.length} columns): records are appended with its columns; the ${FIELD_NAMES.length - cols.length} newer ones (${FIELD_NAMES.slice(cols.length, cols.length + 3).join(', ')}${FIELD_NAMES.length - cols.length > 3 ? ', ...' : ''}) are left out of this file (write to a new file to keep them)`,
    };
  },
};
