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
