#!/usr/bin/env node
/**
 * Builds data/regions-id/regions.tsv from the Kemendagri region list (regions.csv,
 * `code,name,level`). Run by hand when the source data changes; the output is committed,
 * so neither the build nor the CLI needs the source directory.
 *
 *   node scripts/build-regions.mjs <dir with regions.csv>          write the table
 *   node scripts/build-regions.mjs --check <dir with regions.csv>  exit 1 if the committed table differs
 *
 * Output: UTF-8, LF, header `code<TAB>name`, one region per line in code order. The level
 * column is dropped: it is the number of dot-separated segments. TSV rather than CSV because
 * no name contains a tab, so loading is a split per line with no quote handling.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = fileURLToPath(new URL('../data/regions-id/regions.tsv', import.meta.url));
const CODE = /^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$/;

const args = process.argv.slice(2);
const check = args.includes('--check');
const dir = args.find((a) => a !== '--check');
if (!dir) {
  console.error('usage: node scripts/build-regions.mjs [--check] <dir containing regions.csv>');
  process.exit(2);
}

const srcFile = join(dir, 'regions.csv');
const src = readFileSync(srcFile);
const rows = parseCsv(src.toString('utf8'));

const fail = (msg) => {
  console.error(`${srcFile}: ${msg}`);
  process.exit(1);
};

const header = rows.shift();
if (header?.join(',') !== 'code,name,level') fail(`expected header code,name,level, found ${JSON.stringify(header)}`);

const names = new Map();
const perLevel = [0, 0, 0, 0, 0];
const trimmed = [];
for (const [i, row] of rows.entries()) {
  const line = i + 2;
  if (row.length !== 3) fail(`line ${line}: expected 3 fields, found ${row.length}`);
  const [code, rawName, level] = row;
  if (!CODE.test(code)) fail(`line ${line}: malformed code ${JSON.stringify(code)}`);
  const depth = code.split('.').length;
  if (String(depth) !== level) fail(`line ${line}: code ${code} has ${depth} segments but level ${level}`);
  if (names.has(code)) fail(`line ${line}: duplicate code ${code}`);
  // Source names carry stray trailing spaces ("Kota Administrasi Jakarta Utara "); they would
  // leak into every record's location_name. Curly apostrophes (Regapu’u) are the official spelling: kept.
  const name = rawName.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (name !== rawName) trimmed.push(code);
  if (name === '') fail(`line ${line}: empty name for ${code}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) fail(`line ${line}: control character in name of ${code}`);
  names.set(code, name);
  perLevel[depth]++;
}
for (const code of names.keys()) {
  const parent = code.slice(0, code.lastIndexOf('.'));
  if (code.includes('.') && !names.has(parent)) fail(`${code} has no parent ${parent} in the file`);
}

// Fixed-width segments: string order is numeric order.
const codes = [...names.keys()].sort();
const out = ['code\tname', ...codes.map((c) => `${c}\t${names.get(c)}`), ''].join('\n');

const sha = (b) => createHash('sha256').update(b).digest('hex');
const summary = [
  `source ${srcFile}: ${src.length} bytes, sha256 ${sha(src)}`,
  `regions: ${perLevel[1]} provinces, ${perLevel[2]} regencies/cities, ${perLevel[3]} districts, ${perLevel[4]} villages (${names.size} in all)`,
  `names whitespace-normalised: ${trimmed.length}${trimmed.length ? ` (${trimmed.join(', ')})` : ''}`,
  `output ${OUT}: ${Buffer.byteLength(out)} bytes, sha256 ${sha(out)}`,
].join('\n');

if (check) {
  let current = '';
  try {
    current = readFileSync(OUT, 'utf8');
  } catch {
    // missing counts as different
  }
  if (current !== out) {
    console.error(`${OUT} is out of date; run: node scripts/build-regions.mjs ${dir}`);
    process.exit(1);
  }
  console.log(`${summary}\nup to date`);
} else {
  writeFileSync(OUT, out);
  console.log(summary);
}

/** RFC 4180: quoted fields may hold commas ("Lubuk Pakam I,II") and doubled quotes; CRLF or LF rows. */
function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field.replace(/\r$/, ''));
      out.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field at end of file');
  if (field !== '' || row.length > 0) {
    row.push(field.replace(/\r$/, ''));
    out.push(row);
  }
  return out;
}
