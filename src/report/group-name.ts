/**
 * A report group's name: decided here and nowhere else. The group's first region key (location,
 * province, regency, district, village) names it: the region table's name for that value; failing
 * that, the name of the location its records carried (read back from their columns into the one
 * location value, core/location.ts), but only when location is the first --by key (a record's name
 * is its location's, not a province's); else no name.
 */
import type { Location } from '../core/location.js';
import { isRegionKey, type GroupKey } from './group-keys.js';

export function groupName(by: readonly GroupKey[], key: readonly string[], recorded: Location | null, regionName?: (code: string) => string | undefined): string | null {
  const i = by.findIndex(isRegionKey);
  if (i === -1) return null;
  return regionName?.(key[i] as string) ?? (by[0] === 'location' ? (recorded?.name ?? null) : null);
}
