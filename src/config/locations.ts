/**
 * Indonesian region codes (kode wilayah, Kemendagri): format checks and lookups in the bundled
 * table (data/regions-id/regions.tsv, see docs/locations.md).
 *
 * Importing this module reads nothing: the 2 MB table loads on the first lookup, once per process.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { QosError } from '../core/errors.js';
import { editDistance } from '../core/config-reader.js';
import { packageFile } from '../core/package-root.js';
import { say, type Localized } from '../core/messages.js';

/** 1 province, 2 regency/city (kabupaten/kota), 3 district (kecamatan), 4 village (desa/kelurahan). */
export type LocationLevel = 1 | 2 | 3 | 4;

/** A malformed code's `reason` (English) and `text` (every language, for a person: core/messages.ts). */
export type ParsedLocationCode = { ok: true; code: string; level: LocationLevel } | { ok: false; reason: string; text: Localized };

export type LocationLookup =
  | {
      found: true;
      code: string;
      level: LocationLevel;
      /** Names from province down, joined with " / ": "Jawa Barat / Kota Bandung". */
      name: string;
      /** The same names as a list, province first. */
      names: string[];
    }
  | {
      found: false;
      /** Why: a malformed code (as parseLocationCode says) or a well-formed code that is not in the table. */
      reason: string;
      /** Up to 5 known codes near the one asked for, best first; empty when nothing is near. */
      suggestions: { code: string; name: string }[];
    };

/** Lookups over the bundled table, keyed by canonical codes (as parseLocationCode returns them). */
export interface RegionTable {
  /** Number of regions (all levels). */
  readonly size: number;
  has(code: string): boolean;
  /** Full name path, "Jawa Barat / Kota Bandung", or undefined for a code not in the table. */
  get(code: string): string | undefined;
  /** Names from province down, or undefined for a code not in the table. */
  names(code: string): string[] | undefined;
  /** Codes directly under `parent` in code order; the provinces for "". Empty for an unknown parent or a village. */
  children(parent: string): readonly string[];
}

const SHAPE = /^\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?$/;
const SEGMENT_WIDTHS = [2, 2, 2, 4] as const;
const LEVEL_NAMES = { 1: 'province', 2: 'regency/city', 3: 'district', 4: 'village' } as const;
const CODE_LENGTH = { 1: 2, 2: 5, 3: 8, 4: 13 } as const;
const MAX_SUGGESTIONS = 5;

const TABLE_URL = packageFile('data/regions-id/regions.tsv');

/**
 * Pure format check. Surrounding whitespace is dropped; anything else that is not the exact
 * shape is rejected, with the dotted form suggested when it is unambiguous (3273011001 → 32.73.01.1001):
 * the code is copied into every record, so it must be the canonical one.
 */
export function parseLocationCode(code: string): ParsedLocationCode {
  const s = code.trim();
  if (SHAPE.test(s)) return { ok: true, code: s, level: s.split('.').length as LocationLevel };
  const text = s === '' ? say('locationShape', say('anEmptyString'), '') : say('locationShape', JSON.stringify(s), formatHint(s) ?? '');
  return { ok: false, reason: text.en, text };
}

/** The canonical code a near miss most likely meant, when there is exactly one reading of it. */
function dottedCandidate(s: string): { code: string; tps?: string } | undefined {
  // 13 digits: an election commission TPS id, the 10-digit village code plus a 3-digit TPS number.
  if (/^\d{13}$/.test(s)) return { code: dotted(s.slice(0, 10)), tps: s.slice(10) };
  if (/^(?:\d{4}|\d{6}|\d{10})$/.test(s)) return { code: dotted(s) };
  // Other separators (32-73-01, 32 73 01, 32/73) with the right segment widths.
  const parts = s.split(/\s*[-/_,:\s]\s*|\.\s+|\s+\./);
  if (parts.length > 1 && parts.length <= 4 && parts.every((p, i) => /^\d+$/.test(p) && p.length === SEGMENT_WIDTHS[i])) {
    return { code: parts.join('.') };
  }
  return undefined;
}

function dotted(digits: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const w of SEGMENT_WIDTHS) {
    if (at >= digits.length) break;
    parts.push(digits.slice(at, at + w));
    at += w;
  }
  return parts.join('.');
}

function formatHint(s: string): Localized | undefined {
  const c = dottedCandidate(s);
  if (c?.tps !== undefined) return say('tpsId', c.code, String(c.tps));
  if (c) return say('didYouMean', c.code);
  // A YAML number (code: 32.70 unquoted) is refused where the file is read (config/validate.ts), which knows it was one.
  return undefined;
}

let tablePromise: Promise<Table> | undefined;

/** The bundled region table, read on the first call and shared by every later one. */
export function loadRegionTable(): Promise<RegionTable> {
  return loadTable();
}

function loadTable(): Promise<Table> {
  tablePromise ??= readTable().catch((err: unknown) => {
    tablePromise = undefined; // let a later call retry rather than cache the failure
    throw err;
  });
  return tablePromise;
}

async function readTable(): Promise<Table> {
  return parseTable((await readTableText()).toString('utf8'));
}

function parseTable(text: string): Table {
  // \r?: a Windows checkout with core.autocrlf may have turned the committed LF into CRLF.
  const lines = text.split(/\r?\n/);
  if (lines[0] !== 'code\tname') {
    throw new QosError('INTERNAL', `region table ${fileURLToPath(TABLE_URL)}: unexpected header ${JSON.stringify(lines[0])}`);
  }
  const own = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const tab = line.indexOf('\t');
    if (tab > 0) own.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return new Table(own);
}

class Table implements RegionTable {
  #own: Map<string, string>;
  #children: Map<string, string[]> | undefined;

  constructor(own: Map<string, string>) {
    this.#own = own;
  }

  get size(): number {
    return this.#own.size;
  }

  has(code: string): boolean {
    return this.#own.has(code);
  }

  names(code: string): string[] | undefined {
    if (!this.#own.has(code)) return undefined;
    // Every ancestor of a code is in the table: the build script checks it.
    const out: string[] = [];
    let prefix = '';
    for (const segment of code.split('.')) {
      prefix = prefix === '' ? segment : `${prefix}.${segment}`;
      out.push(this.#own.get(prefix) as string);
    }
    return out;
  }

  get(code: string): string | undefined {
    return this.names(code)?.join(' / ');
  }

  children(parent: string): readonly string[] {
    // Built on first use: only suggestions need it, and they are the unhappy path.
    if (!this.#children) {
      this.#children = new Map();
      for (const code of this.#own.keys()) {
        const p = parentOf(code);
        let list = this.#children.get(p);
        if (!list) this.#children.set(p, (list = []));
        list.push(code);
      }
    }
    return this.#children.get(parent) ?? [];
  }

  /** Every known code at `level`, in code order. */
  atLevel(level: LocationLevel): string[] {
    const out: string[] = [];
    const length = CODE_LENGTH[level];
    for (const code of this.#own.keys()) if (code.length === length) out.push(code);
    return out;
  }
}

function parentOf(code: string): string {
  const dot = code.lastIndexOf('.');
  return dot === -1 ? '' : code.slice(0, dot);
}

function lastSegment(code: string): number {
  return Number(code.slice(code.lastIndexOf('.') + 1));
}

/** Look a code up in the bundled table; loads the table on first use. */
export async function lookupLocation(code: string): Promise<LocationLookup> {
  const parsed = parseLocationCode(code);
  if (!parsed.ok) {
    // An unambiguous near miss (3273011001): suggest the code it most likely meant, or codes near it.
    const candidate = dottedCandidate(code.trim())?.code;
    if (candidate === undefined || !SHAPE.test(candidate)) return { found: false, reason: parsed.reason, suggestions: [] };
    const table = await loadTable();
    const name = table.get(candidate);
    const suggestions = name !== undefined ? [{ code: candidate, name }] : suggest(table, candidate);
    return { found: false, reason: parsed.reason, suggestions };
  }
  return lookupParsedCode(parsed);
}

/**
 * lookupLocation for a code parseLocationCode has accepted (the location resolver parses it once, itself).
 * A known code (every run's path) is found by binary search in the table's text, which is sorted bytewise:
 * no 91,600-entry map is built (that took ~90 ms and ~25 MB at every start). Only a code that is not there
 * loads the whole table, for the suggestions.
 */
export async function lookupParsedCode(parsed: { code: string; level: LocationLevel }): Promise<LocationLookup> {
  const names = namesIn(await readTableText(), parsed.code);
  if (names) return { found: true, code: parsed.code, level: parsed.level, name: names.join(' / '), names };
  const table = await loadTable();
  return { found: false, reason: notFoundReason(table, parsed.code, parsed.level), suggestions: suggest(table, parsed.code) };
}

/** The names of a code and its ancestors, province first, from the table's sorted text; undefined when it is not there. */
export function namesIn(text: Buffer, code: string): string[] | undefined {
  const out: string[] = [];
  let prefix = '';
  for (const segment of code.split('.')) {
    prefix = prefix === '' ? segment : `${prefix}.${segment}`;
    const name = findSorted(text, prefix);
    if (name === undefined) return undefined;
    out.push(name);
  }
  return out;
}

const TAB = 0x09;
const LF = 0x0a;

/**
 * The name on the line `code<TAB>name` of a table whose lines after the header are sorted bytewise by code
 * (scripts/build-regions.mjs writes it so; test/unit/locations.test.ts checks it): a binary search over byte
 * offsets, each probe moved to the start of its line.
 */
function findSorted(text: Buffer, code: string): string | undefined {
  const key = Buffer.from(code + '\t');
  let lo = text.indexOf(LF) + 1; // after the header
  let hi = text.length;
  while (lo < hi) {
    let mid = (lo + hi) >>> 1;
    // The start of the line that holds mid (never before lo).
    while (mid > lo && text[mid - 1] !== LF) mid--;
    const tab = text.indexOf(TAB, mid);
    if (tab < 0) return undefined;
    const cmp = Buffer.compare(text.subarray(mid, tab + 1), key);
    const eol = text.indexOf(LF, tab);
    const end = eol < 0 ? text.length : eol;
    if (cmp === 0) return text.toString('utf8', tab + 1, end > tab + 1 && text[end - 1] === 0x0d ? end - 1 : end);
    if (cmp < 0) lo = end + 1;
    else hi = mid;
  }
  return undefined;
}

let textPromise: Promise<Buffer> | undefined;

function readTableText(): Promise<Buffer> {
  // One read of the file for both the search and the map, whoever asks first.
  textPromise ??= readFile(TABLE_URL).then(
    (b) => (Buffer.isBuffer(b) ? b : Buffer.from(b)),
    (err: unknown) => {
      textPromise = undefined; // let a later call retry rather than cache the failure
      throw new QosError('INTERNAL', `cannot read the region table ${fileURLToPath(TABLE_URL)}: the installation is incomplete`, { cause: err });
    },
  );
  return textPromise;
}

function notFoundReason(table: RegionTable, code: string, level: LocationLevel): string {
  const what = `no ${LEVEL_NAMES[level]} ${code} in the region table (Kepmendagri 300.2.2-2138/2025 as amended)`;
  // Name the closest ancestor that exists: "no district 32.73.99 ...; 32.73 is Jawa Barat / Kota Bandung".
  for (let p = parentOf(code); p !== ''; p = parentOf(p)) {
    const name = table.get(p);
    if (name !== undefined) return `${what}; ${p} is ${name}`;
  }
  return what;
}

/**
 * Nearest known codes at the same level: siblings under the same parent first, numerically
 * closest to the last segment; then, to fill up, codes at most two edits away, ties broken by
 * the longest shared prefix and then numeric closeness.
 */
function suggest(table: Table, code: string): { code: string; name: string }[] {
  const level = code.split('.').length as LocationLevel;
  const want = lastSegment(code);
  const parent = parentOf(code);
  const picked = [...table.children(parent)]
    .filter((c) => c !== code)
    .sort((a, b) => Math.abs(lastSegment(a) - want) - Math.abs(lastSegment(b) - want) || (a < b ? -1 : 1))
    .slice(0, MAX_SUGGESTIONS);

  if (picked.length < MAX_SUGGESTIONS) {
    const taken = new Set(picked);
    const wantDigits = Number(code.replaceAll('.', ''));
    const ranked: { c: string; d: number; prefix: number; gap: number }[] = [];
    for (const c of table.atLevel(level)) {
      if (taken.has(c) || c === code) continue;
      const d = isTransposition(code, c) ? 1 : editDistance(code, c);
      if (d > 2) continue; // further than two digits off is not a typo
      ranked.push({ c, d, prefix: sharedPrefix(code, c), gap: Math.abs(Number(c.replaceAll('.', '')) - wantDigits) });
    }
    ranked.sort((a, b) => a.d - b.d || b.prefix - a.prefix || a.gap - b.gap);
    for (const r of ranked.slice(0, MAX_SUGGESTIONS - picked.length)) picked.push(r.c);
  }
  return picked.map((c) => ({ code: c, name: table.get(c) as string }));
}

/** Two adjacent digits swapped (32.37 for 32.73): one slip of the fingers, though Levenshtein counts two. */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i + 1 < a.length && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

/** The province code (first two digits) of a well-formed code, or null when the code is malformed. */
export function provinceOf(code: string): string | null {
  const parsed = parseLocationCode(code);
  return parsed.ok ? parsed.code.slice(0, 2) : null;
}

/**
 * Drop the cached table (about 25 MB of heap): a long-running process (`monitor`) that looked
 * its code up once at start has no further use for it.
 */
export function releaseRegionTable(): void {
  tablePromise = undefined;
  textPromise = undefined;
}
