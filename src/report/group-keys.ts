/**
 * The keys a report can group by (--by), owned here: the aggregator and the CLI's --by parser and
 * help read them. No imports, so `qosprobe report --help` stays cheap.
 */
export const GROUP_KEYS = ['location', 'province', 'regency', 'district', 'village', 'endpoint', 'test', 'probe', 'hop', 'operator', 'interface'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

/** Region levels of --by: the location code's prefix of this many characters (32 / 32.73 / 32.73.01 / 32.73.01.1001). */
export const REGION_PREFIX = { province: 2, regency: 5, district: 8, village: 13 } as const;
export type RegionLevel = keyof typeof REGION_PREFIX;
export const isRegionKey = (k: GroupKey): k is RegionLevel | 'location' => k === 'location' || k in REGION_PREFIX;

/**
 * The operator of a record's link (issue 22), what `--by operator` groups on: a cellular link by its network, MCC-MNC
 * then the name the modem gave (`510-10 TELKOMSEL`; either alone when only one is known); any other link by its type
 * (`wireless`, `wired`, `other`); null when the record says nothing of its link.
 */
export function operatorOf(r: { net_type: string | null; cell_mcc_mnc: string | null; cell_operator: string | null }): string | null {
  const cell = [r.cell_mcc_mnc, r.cell_operator].filter((x): x is string => x !== null && x !== '').join(' ');
  if (cell !== '' && (r.net_type === 'cellular' || r.net_type === null)) return cell;
  return r.net_type === null || r.net_type === '' ? (cell === '' ? null : cell) : r.net_type;
}
