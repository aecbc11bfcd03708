/**
 * The keys a report can group by (--by), owned here: the aggregator and the CLI's --by parser and
 * help read them. Only core's import-free link-operator.ts, so `qosprobe report --help` stays cheap.
 */
export const GROUP_KEYS = ['location', 'province', 'regency', 'district', 'village', 'endpoint', 'test', 'probe', 'hop', 'operator', 'interface'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

/** Region levels of --by: the location code's prefix of this many characters (32 / 32.73 / 32.73.01 / 32.73.01.1001). */
export const REGION_PREFIX = { province: 2, regency: 5, district: 8, village: 13 } as const;
export type RegionLevel = keyof typeof REGION_PREFIX;
export const isRegionKey = (k: GroupKey): k is RegionLevel | 'location' => k === 'location' || k in REGION_PREFIX;

/** The operator of a record's link (issue 22), what `--by operator` groups on: core/link-operator.ts (the monitor's rule too). */
export { operatorOf } from '../core/link-operator.js';
