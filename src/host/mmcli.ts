/**
 * ModemManager's `mmcli` key-value output (`-K`), as printed by `mmcli -m any -K` and
 * `mmcli -m any --signal-get -K`:
 *
 *   modem.3gpp.operator-name                    : TELKOMSEL
 *   modem.generic.access-technologies.length    : 1
 *   modem.generic.access-technologies.value[1]  : lte
 *   modem.signal.lte.rsrp                       : -93.00
 *
 * `--` means "not known". Pure: the text in, fields out; running mmcli is host-info.ts's job.
 */

/** Keys to values; list keys (`.value[N]` / `.length`) become arrays under the base key. */
export type MmcliValues = Map<string, string | string[]>;

export function parseMmcliKeyValues(text: string): MmcliValues {
  const out: MmcliValues = new Map();
  const lists = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const i = raw.indexOf(':');
    if (i <= 0) continue;
    const key = raw.slice(0, i).trim();
    // Keys are dotted lowercase words; anything else is noise (a warning, a banner).
    if (!/^[a-z0-9][a-z0-9.\-[\]]*$/.test(key)) continue;
    const value = raw.slice(i + 1).trim();
    const item = /^(.*)\.value\[(\d+)\]$/.exec(key);
    if (item) {
      const base = item[1]!;
      const idx = Number(item[2]);
      if (!Number.isSafeInteger(idx) || idx < 1 || idx > 1000) continue;
      const arr = lists.get(base) ?? [];
      arr[idx - 1] = value;
      lists.set(base, arr);
      continue;
    }
    if (key.endsWith('.length')) continue;
    out.set(key, value);
  }
  for (const [k, arr] of lists) out.set(k, arr.filter((v): v is string => v !== undefined && !unknown(v)));
  return out;
}

/** What the record carries about the cellular link (schema v1 cell_* columns); null where unknown. */
export interface CellInfo {
  cell_operator: string | null;
  cell_tech: string | null;
  cell_rsrp_dbm: number | null;
  cell_rsrq_db: number | null;
  cell_sinr_db: number | null;
  /** Network interfaces of the modem (ports marked "(net)"), e.g. wwan0: how we know the default route is cellular. */
  netPorts: string[];
  /** Modem state, e.g. connected, registered. */
  state: string | null;
  /** Network and cell identity, when asked for (host-info.ts does, for a modem that is there). */
  identity?: CellIdentity;
}

/**
 * Combine `mmcli -m any -K` (modem) and `mmcli -m any --signal-get -K` (signal) outputs.
 * 5G values win over LTE ones when the modem reports both (NSA: the NR leg carries the data).
 */
export function cellInfoFromMmcli(modemText: string, signalText: string): CellInfo {
  const m = parseMmcliKeyValues(modemText);
  const s = parseMmcliKeyValues(signalText);
  const techs = list(m.get('modem.generic.access-technologies'));
  const operator = str(m.get('modem.3gpp.operator-name')) ?? str(m.get('modem.3gpp.operator-code'));
  const sig = (k: string) => num(s.get(`modem.signal.5g.${k}`)) ?? num(s.get(`modem.signal.nr5g.${k}`)) ?? num(s.get(`modem.signal.lte.${k}`));
  const netPorts = list(m.get('modem.generic.ports'))
    .filter((p) => /\(net\)\s*$/.test(p))
    .map((p) => p.replace(/\s*\(net\)\s*$/, '').trim())
    .filter((p) => p !== '');
  return {
    cell_operator: operator,
    cell_tech: techs.length ? techs.join('+') : null,
    cell_rsrp_dbm: sig('rsrp'),
    cell_rsrq_db: sig('rsrq'),
    // ModemManager calls it s/n ("snr"); for LTE/NR that is the SINR the modem reports.
    cell_sinr_db: sig('snr') ?? sig('sinr'),
    netPorts,
    state: str(m.get('modem.generic.state')),
  };
}

function unknown(v: string): boolean {
  return v === '' || v === '--' || v.toLowerCase() === 'unknown';
}

function str(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || unknown(s) ? null : s;
}

/** Older mmcli prints lists as one comma-separated value; newer ones as value[N]. */
function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  const arr = Array.isArray(v) ? v : v.split(',');
  return arr.map((x) => x.trim()).filter((x) => !unknown(x));
}

/** A finite number in a plausible radio range, else null (a garbled value is worse than none). */
function num(v: string | string[] | undefined): number | null {
  const s = str(v);
  if (s === null || !/^[-+]?\d+(\.\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) && Math.abs(n) <= 500 ? n : null;
}

/**
 * Which network and cell the modem is on (schema v1 cell_* identity columns), next to the radio
 * figures of CellInfo. Sources:
 * - `mmcli -m any -K`: `modem.3gpp.operator-code` (MCC and MNC run together, e.g. 51010);
 * - `mmcli -m any --location-get -K`: `modem.location.3gpp.mcc/.mnc/.lac/.tac/.cid` (hex),
 *   filled only once 3GPP location gathering is enabled (`--location-enable-3gpp`, an admin choice);
 * - `mmcli -m any --get-cell-info -K` (ModemManager ≥ 1.20): one `modem.cell-info.value[N]` per
 *   cell, each a list of `key: value` pairs (`cell type: lte, serving: yes, ci: ..., tac: ...,
 *   earfcn: 1850`); the serving cell's channel gives the band.
 * Anything unknown is null.
 */
export interface CellIdentity {
  /** `510-10`: MCC, a hyphen, MNC as the network gave it (2 or 3 digits). */
  cell_mcc_mnc: string | null;
  /** `B3` (LTE, from the EARFCN), `n1` (NR, from the NR-ARFCN when only one band holds it). */
  cell_band: string | null;
  /** EARFCN, NR-ARFCN or UARFCN of the serving cell. */
  cell_channel: number | null;
  /** Cell identity, upper-case hex without leading zeros (28-bit E-UTRAN CI, 36-bit NR CI). */
  cell_id: string | null;
  /** Tracking area code (LTE/NR), hex. */
  cell_tac: string | null;
  /** Location area code (2G/3G), hex. */
  cell_lac: string | null;
}

export function cellIdentityFromMmcli(modemText: string, locationText: string, cellInfoText: string): CellIdentity {
  const m = parseMmcliKeyValues(modemText);
  const l = parseMmcliKeyValues(locationText);
  const serving = servingCell(parseMmcliKeyValues(cellInfoText));
  const mcc = str(l.get('modem.location.3gpp.mcc'));
  const mnc = str(l.get('modem.location.3gpp.mnc'));
  const code = str(m.get('modem.3gpp.operator-code')) ?? serving.get('operator id') ?? null;
  let mccMnc: string | null = null;
  if (mcc && mnc && /^\d{3}$/.test(mcc) && /^\d{2,3}$/.test(mnc) && mcc !== '000') mccMnc = `${mcc}-${mnc}`;
  else if (code && /^\d{5,6}$/.test(code)) mccMnc = `${code.slice(0, 3)}-${code.slice(3)}`;
  const type = serving.get('cell type') ?? null;
  const earfcn = channel(serving.get('earfcn'));
  const nrarfcn = channel(serving.get('nrarfcn'));
  const uarfcn = channel(serving.get('uarfcn'));
  const ch = type === '5gnr' || type === 'nr5g' ? nrarfcn : type === 'umts' ? uarfcn : (earfcn ?? nrarfcn ?? uarfcn ?? channel(serving.get('arfcn')));
  const band = earfcn !== null && ch === earfcn ? lteBand(earfcn) : nrarfcn !== null && ch === nrarfcn ? nrBand(nrarfcn) : null;
  return {
    cell_mcc_mnc: mccMnc,
    cell_band: band,
    cell_channel: ch,
    cell_id: hex(str(l.get('modem.location.3gpp.cid'))) ?? hex(serving.get('ci') ?? null),
    cell_tac: hex(str(l.get('modem.location.3gpp.tac'))) ?? hex(serving.get('tac') ?? null),
    cell_lac: hex(str(l.get('modem.location.3gpp.lac'))) ?? hex(serving.get('lac') ?? null),
  };
}

/** The serving cell's `key: value` pairs (the NR one in EN-DC); a lone cell that does not say is taken as the serving one. */
function servingCell(v: MmcliValues): Map<string, string> {
  const cells: Map<string, string>[] = [];
  for (const [k, val] of v) {
    if (!k.startsWith('modem.cell-info')) continue;
    for (const item of Array.isArray(val) ? val : [val]) {
      const pairs = new Map<string, string>();
      for (const part of item.split(/,|\n/)) {
        const i = part.indexOf(':');
        if (i <= 0) continue;
        const key = part.slice(0, i).trim().toLowerCase();
        const value = part.slice(i + 1).trim();
        if (!unknown(value)) pairs.set(key, value);
      }
      if (pairs.size > 0) cells.push(pairs);
    }
  }
  const serving = cells.filter((c) => c.get('serving') === 'yes');
  // EN-DC (5G NSA): the NR leg carries the data, as for the signal figures.
  return serving.find((c) => /^(5gnr|nr5g)$/.test(c.get('cell type') ?? '')) ?? serving[0] ?? (cells.length === 1 ? cells[0]! : new Map());
}

function channel(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,7}$/.test(v)) return null;
  return Number(v);
}

/** Upper-case hex without leading zeros (mmcli pads location values, not cell-info ones); all zeros (the network's "none", e.g. LAC on LTE) is unknown. */
function hex(v: string | null): string | null {
  if (v === null || !/^(0x)?[0-9a-fA-F]{1,10}$/.test(v)) return null;
  const h = v.replace(/^0x/, '').replace(/^0+/, '').toUpperCase();
  return h === '' ? null : h;
}

/** E-UTRA downlink EARFCN ranges per band (3GPP TS 36.101, table 5.7.3-1). */
const LTE_BANDS: readonly [band: number, first: number, last: number][] = [
  [1, 0, 599], [2, 600, 1199], [3, 1200, 1949], [4, 1950, 2399], [5, 2400, 2649], [7, 2750, 3449], [8, 3450, 3799],
  [11, 4750, 4949], [12, 5010, 5179], [13, 5180, 5279], [14, 5280, 5379], [17, 5730, 5849], [18, 5850, 5999],
  [19, 6000, 6149], [20, 6150, 6449], [21, 6450, 6599], [25, 8040, 8689], [26, 8690, 9039], [28, 9210, 9659],
  [29, 9660, 9769], [30, 9770, 9869], [32, 9920, 10359], [34, 36200, 36349], [38, 37750, 38249], [39, 38250, 38649],
  [40, 38650, 39649], [41, 39650, 41589], [42, 41590, 43589], [43, 43590, 45589], [46, 46790, 54539],
  [48, 55240, 56739], [66, 66436, 67335], [71, 68586, 68935],
];

/** NR downlink NR-ARFCN ranges of common bands (3GPP TS 38.104); several overlap (n77 holds n78). */
const NR_BANDS: readonly [band: number, first: number, last: number][] = [
  [1, 422000, 434000], [3, 361000, 376000], [5, 173800, 178800], [7, 524000, 538000], [8, 185000, 192000],
  [20, 158200, 164200], [28, 151600, 160600], [40, 460000, 480000], [41, 499200, 537999], [77, 620000, 680000],
  [78, 620000, 653333], [79, 693334, 733333], [257, 2054166, 2104165], [258, 2016667, 2070832],
];

export function lteBand(earfcn: number): string | null {
  const b = LTE_BANDS.find(([, a, z]) => earfcn >= a && earfcn <= z);
  return b ? `B${b[0]}` : null;
}

/** Only when exactly one band holds the channel: a guess between n77 and n78 would be a wrong value. */
export function nrBand(arfcn: number): string | null {
  const bs = NR_BANDS.filter(([, a, z]) => arfcn >= a && arfcn <= z);
  return bs.length === 1 ? `n${bs[0]![0]}` : null;
}
