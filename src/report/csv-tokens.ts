/**
 * The CSV tokeniser of `qosprobe report` (RFC 4180): text in chunks to records (a quoted cell may
 * span lines), a record to its cells. No knowledge of the schema: read.ts maps cells to fields.
 */

/**
 * Split text into lines across chunk boundaries. With `csvQuotes`, a record may span lines when
 * a quoted cell holds a newline: a line with an odd number of quotes is joined with the next ones
 * until the quotes balance (the record keeps the number of its first line), and a CR before a
 * newline inside the quotes belongs to the cell. Without it (NDJSON) a line is a record.
 * `onUnterminated` gets the first line of a quoted cell still open at the end of the input.
 */
export async function readLines(
  head: string,
  it: AsyncIterator<string>,
  handle: (line: string, lineNo: number) => void,
  csvQuotes: boolean,
  onUnterminated: (lineNo: number) => void,
): Promise<void> {
  let rest = '';
  let lineNo = 0;
  let pending: string | null = null;
  let pendingLine = 0;
  let pendingQuotes = 0;
  const feed = (text: string, final: boolean): void => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const cr = nl > start && text.charCodeAt(nl - 1) === 13;
      one(text.slice(start, cr ? nl - 1 : nl), cr);
      start = nl + 1;
    }
    rest = text.slice(start);
    if (final) {
      if (rest !== '') one(rest.endsWith('\r') ? rest.slice(0, -1) : rest, rest.endsWith('\r'));
      rest = '';
      if (pending !== null) onUnterminated(pendingLine);
    }
  };
  const one = (line: string, cr: boolean): void => {
    lineNo++;
    if (pending !== null) {
      pendingQuotes += countQuotes(line);
      if (pendingQuotes % 2 === 0) {
        const rec = pending + '\n' + line;
        pending = null;
        handle(rec, pendingLine);
      } else pending += '\n' + line + (cr ? '\r' : ''); // still inside the quotes: the CR is the cell's
      return;
    }
    if (csvQuotes && line.indexOf('"') !== -1) {
      const q = countQuotes(line);
      if (q % 2 === 1) {
        pending = line + (cr ? '\r' : '');
        pendingLine = lineNo;
        pendingQuotes = q;
        return;
      }
    }
    handle(line, lineNo);
  };
  feed(head, false);
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    feed(rest + r.value, false);
  }
  feed(rest, true);
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
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
