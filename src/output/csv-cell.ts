/**
 * CSV cells that are safe to open in a spreadsheet and still round-trip (docs/schema.md, CSV).
 *
 * A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
 * Excel, LibreOffice and Google Sheets as a formula (OWASP "CSV injection"); site names and
 * Wi-Fi SSIDs are chosen by whoever sets them up. Such a cell gets a leading `'`, which
 * spreadsheets show as text. To stay reversible, a cell that already starts with `'`s before
 * one of those characters gets one more: the reader removes exactly one `'` from any cell
 * matching /^'+[=+\-@\t\r]/, and from no other. Numbers are never touched (a latitude of -6.9
 * stays a number); the rule applies to text fields only.
 */

const NEEDS_PREFIX = /^'*[=+\-@\t\r]/;
const PREFIXED = /^'+[=+\-@\t\r]/;

/** The cell text for a text field: prefixed with `'` when a spreadsheet would take it as a formula. */
export function csvSafeText(s: string): string {
  return NEEDS_PREFIX.test(s) ? "'" + s : s;
}

/** Undo csvSafeText: the original text of a text cell read from one of our CSV files. */
export function csvOriginalText(cell: string): string {
  // charCode check first: the reader calls this for every text cell of every row.
  return cell.charCodeAt(0) === 39 /* ' */ && PREFIXED.test(cell) ? cell.slice(1) : cell;
}
