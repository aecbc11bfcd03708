/**
 * A report group's name: decided here and nowhere else (the location's own name will come
 * from one location value, issue 11). The group's first region key (location, province, regency,
 * district, village) names it: the region table's name for that value; failing that, the
 * location_name its records carried, but only when location is the first --by key (the records'
 * name is a location's, not a province's); else no name.
 */
import { isRegionKey, type GroupKey } from './aggregate.js';

export function groupName(by: readonly GroupKey[], key: readonly string[], recordName: string | null, regionName?: (code: string) => string | undefined): string | null {
  const i = by.findIndex(isRegionKey);
  if (i === -1) return null;
  return regionName?.(key[i] as string) ?? (by[0] === 'location' ? recordName : null);
}
