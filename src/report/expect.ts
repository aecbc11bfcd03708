/**
 * `report --expect SITES.csv`: the sites that should send records. One site per line:
 * `location_code,site[,lat,lon]`, an optional header line naming those columns, RFC 4180
 * quoting (a site name may hold commas). Codes are checked against the region table; a line
 * with a malformed or unknown code is kept and reported, never silently dropped.
 */
import { readFile } from 'node:fs/promises';
import { parseLocationCode } from '../config/locations.js';
import { QosError } from '../core/errors.js';
import { parseCsvRecord } from './csv-tokens.js';

export interface ExpectedSite {
  /** 1-based line in the file. */
  line: number;
  code: string;
  site: string;
  lat: number | null;
  lon: number | null;
  /** Why the code is not usable (malformed, or not in the region table); null when it is known. */
  unknown: string | null;
}

/**
 * Parse the text of a sites file. `known(code)`: is the code in the region table. Errors name the
 * file and line. A site listed again (same code and site) is one site: the first line is kept
 * (its coordinates, or the first given later) and `warn` names the repeat.
 */
export function parseExpected(text: string, file: string, known: (code: string) => boolean, warn: (message: string) => void = () => {}): ExpectedSite[] {
  const out: ExpectedSite[] = [];
  const byId = new Map<string, ExpectedSite>();
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const cells = parseCsvRecord(raw);
    const bad = (why: string): never => {
      throw new QosError('USAGE', `--expect ${file}:${line}: ${why}; expected location_code,site[,lat,lon]`);
    };
    if (typeof cells === 'string') return bad(cells);
    const [code = '', site = '', lat = '', lon = ''] = cells.map((c) => c.trim());
    if (out.length === 0 && line === lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#')) + 1 && /^location_code$/i.test(code)) return; // header
    if (cells.length < 2 || cells.length > 4) bad(`${cells.length} cell(s)`);
    if (site === '') bad('the site is empty');
    const deg = (s: string, limit: number, name: string): number | null => {
      if (s === '') return null;
      const v = Number(s);
      return Math.abs(v) <= limit ? v : bad(`${name} is not a number of degrees within ±${limit}: ${JSON.stringify(s)}`);
    };
    const la = deg(lat, 90, 'lat');
    const lo = deg(lon, 180, 'lon');
    if ((la === null) !== (lo === null)) bad('give both lat and lon, or neither');
    const p = parseLocationCode(code);
    const unknown = !p.ok ? p.reason : known(p.code) ? null : `${p.code} is not in the region table`;
    const entry: ExpectedSite = { line, code: p.ok ? p.code : code, site, lat: la, lon: lo, unknown };
    const id = `${entry.code}\u0001${site}`;
    const first = byId.get(id);
    if (first !== undefined) {
      warn(`--expect ${file}:${line}: ${entry.code} ${JSON.stringify(site)} is listed already on line ${first.line}: counted once`);
      if (first.lat === null && la !== null) [first.lat, first.lon] = [la, lo];
      return;
    }
    byId.set(id, entry);
    out.push(entry);
  });
  return out;
}

export async function readExpected(path: string, shownAs: string, known: (code: string) => boolean, warn?: (message: string) => void): Promise<ExpectedSite[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new QosError('USAGE', `--expect ${shownAs}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  return parseExpected(text, shownAs, known, warn);
}
