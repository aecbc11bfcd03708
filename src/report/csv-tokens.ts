/**
 * The CSV tokeniser of `qosprobe report` (RFC 4180): text in chunks to records (a quoted cell may
 * span lines), a record to its cells. No knowledge of the schema: read.ts maps cells to fields.
 */

/** A line, or a record over several lines, longer than this (characters) is malformed: time and memory stay linear in the input. */
export const MAX_RECORD_CHARS = 1 << 20;
/** A quoted cell may span at most this many lines; schema v1 text fields hold a line or two. */
export const MAX_RECORD_LINES = 64;

/**
 * Split text into lines across chunk boundaries, in time linear in the input whatever the line
 * lengths (a newline is searched for in each chunk once). A line longer than MAX_RECORD_CHARS is
 * reported to `onBroken` and skipped to its end, never held. With `csvQuotes`, a record may span
 * lines when a quoted cell holds a newline: a quote opens a quoted cell only at a cell's start
 * (RFC 4180; a quote inside an unquoted cell is text here, and parseCsvRecord says it is
 * malformed), lines are joined until the cell closes (the record keeps the number of its first
 * line), and a CR before a newline inside the quotes belongs to the cell. A record whose quoted
 * cell is still open after MAX_RECORD_LINES lines or MAX_RECORD_CHARS characters, or at the end
 * of the input, is broken: its first line goes to `onBroken` and the lines after it are read
 * again as lines of their own, so one stray quote costs one row, never the rest of the file.
 * Without `csvQuotes` (NDJSON) a line is a record.
 *
 * `fast`, when given, is offered each line that starts and ends within one chunk while no record
 * is pending: it reads the line in place (no string made of it) and returns where the next line
 * starts, or -1 to leave the line to `handle`. It must take only a line that `handle` would read
 * the same way and that ends with a newline, which it consumes.
 */
export async function readLines(
  head: string,
  it: AsyncIterator<string>,
  handle: (line: string, lineNo: number) => void,
  csvQuotes: boolean,
  onBroken: (lineNo: number, reason: string) => void,
  fast?: (text: string, at: number, lineNo: number) => number,
): Promise<void> {
  let rest = '';
  let skipping = false;
  let lineNo = 0;
  // The raw lines (CR kept) of a record whose quoted cell is open, and the number of the first.
  let pending: string[] = [];
  let pendingChars = 0;
  let pendingLine = 0;

  const breakPending = (reason: string): void => {
    const lines = pending;
    const first = pendingLine;
    pending = [];
    pendingChars = 0;
    onBroken(first, reason);
    for (let k = 1; k < lines.length; k++) one(lines[k] as string, first + k);
  };
  const one = (raw: string, no: number): void => {
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (pending.length > 0) {
      if (!endsInQuotes(raw, true)) {
        const rec = pending.join('\n') + '\n' + line;
        pending = [];
        pendingChars = 0;
        handle(rec, pendingLine);
        return;
      }
      pending.push(raw);
      pendingChars += raw.length + 1;
      if (pending.length > MAX_RECORD_LINES || pendingChars > MAX_RECORD_CHARS)
        breakPending(`a quoted cell opened on this line is not closed within ${MAX_RECORD_LINES} lines or ${MAX_RECORD_CHARS} characters`);
      return;
    }
    if (csvQuotes && line.indexOf('"') !== -1 && endsInQuotes(line, false)) {
      pending = [raw];
      pendingChars = raw.length;
      pendingLine = no;
      return;
    }
    handle(line, no);
  };
  const tooLong = (no: number): void => {
    while (pending.length > 0) breakPending(`a quoted cell opened on this line is not closed before line ${no}, which is too long`);
    onBroken(no, `line longer than ${MAX_RECORD_CHARS} characters: skipped`);
  };
  const push = (chunk: string): void => {
    let start = 0;
    for (;;) {
      if (fast !== undefined && rest === '' && !skipping && pending.length === 0) {
        const next = fast(chunk, start, lineNo + 1);
        if (next !== -1) {
          lineNo++;
          start = next;
          continue;
        }
      }
      const nl = chunk.indexOf('\n', start);
      if (nl === -1) break;
      if (skipping) skipping = false; // the end of a line already reported as too long
      else {
        const raw = rest === '' ? chunk.slice(start, nl) : rest + chunk.slice(start, nl);
        rest = '';
        lineNo++;
        if (raw.length > MAX_RECORD_CHARS + 1) tooLong(lineNo);
        else one(raw, lineNo);
      }
      start = nl + 1;
    }
    if (skipping || start === chunk.length) return;
    if (rest.length + chunk.length - start > MAX_RECORD_CHARS + 1) {
      rest = '';
      skipping = true;
      tooLong(++lineNo);
    } else rest += chunk.slice(start);
  };
  push(head);
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    push(r.value);
  }
  if (rest !== '') one(rest, ++lineNo);
  while (pending.length > 0) breakPending('unterminated quoted cell: not closed before the end of the file');
}

/**
 * Whether a quoted cell is still open at the end of `line`, given whether one was open at its
 * start. A quote opens a cell only at the cell's start; a doubled quote inside is a quote.
 */
export function endsInQuotes(line: string, open: boolean): boolean {
  if (line.indexOf('"') === -1) return open;
  let i = 0;
  for (;;) {
    if (open) {
      const q = line.indexOf('"', i);
      if (q === -1) return true;
      if (line.charCodeAt(q + 1) === 34) {
        i = q + 2;
        continue;
      }
      open = false;
      i = q + 1;
    } else if (line.charCodeAt(i) === 34 /* " at a cell's start */) {
      open = true;
      i++;
      continue;
    }
    // Not in quotes: the rest of this cell is text, up to the next comma.
    const c = line.indexOf(',', i);
    if (c === -1) return false;
    i = c + 1;
  }
}

/**
 * One CSV record (RFC 4180: cells separated by commas; a cell in double quotes may hold commas,
 * newlines and doubled quotes). Returns the cells, or a reason when the quoting is broken.
 * Unquoted empty cells and quoted empty cells both read as ''.
 */
export function parseCsvRecord(text: string): string[] | string {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(i) === 34 /* " */) {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return `unterminated quoted cell ${out.length + 1}`;
        cell += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          cell += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(cell);
      if (i === n) return out;
      if (text.charCodeAt(i) !== 44 /* , */) return `text after the closing quote of cell ${out.length}`;
      i++;
    } else {
      const c = text.indexOf(',', i);
      const end = c === -1 ? n : c;
      const cell = text.slice(i, end);
      if (cell.indexOf('"') !== -1) return `a quote inside unquoted cell ${out.length + 1}`;
      out.push(cell);
      if (c === -1) return out;
      i = c + 1;
    }
  }
}

/**
 * Where each cell of a CSV record is, without making its strings (the report reads a few of ~100
 * cells, and every record of a fleet has a quoted site name): cell k is text.slice(start[k],
 * end[k]), with doubled quotes to undo where esc[k] is 1. True only for a record of exactly
 * `ncols` cells that parseCsvRecord reads without complaint, the cells then the same as its;
 * false for anything else (broken quoting, another count), which the caller hands to
 * parseCsvRecord for its reason.
 */
export function csvCellBounds(text: string, ncols: number, start: Int32Array, end: Int32Array, esc: Uint8Array): boolean {
  const n = text.length;
  let i = 0;
  for (let k = 0; k < ncols; k++) {
    if (text.charCodeAt(i) === 34 /* " */) {
      let j = i + 1;
      let doubled = 0;
      let q: number;
      for (;;) {
        q = text.indexOf('"', j);
        if (q === -1) return false;
        if (text.charCodeAt(q + 1) !== 34) break;
        doubled = 1;
        j = q + 2;
      }
      start[k] = i + 1;
      end[k] = q;
      esc[k] = doubled;
      i = q + 1;
      if (i === n) return k === ncols - 1;
      if (text.charCodeAt(i) !== 44 /* , */) return false;
      i++;
    } else {
      let j = i;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === 44) break;
        if (c === 34) return false;
      }
      start[k] = i;
      end[k] = j;
      esc[k] = 0;
      if (j === n) return k === ncols - 1;
      i = j + 1;
    }
  }
  return false; // more than ncols cells
}
