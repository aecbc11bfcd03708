/**
 * Each site's own truth, accumulated beside its group (issue 23): a polling station that never
 * answered must not borrow its province's availability or verdict on the map or in GeoJSON.
 * Memory grows with sites, never with rows.
 */
import type { Location } from '../core/location.js';
import type { RowStatus } from './read.js';

/** One site (location code + site label) seen in the records of a group, for the map, GeoJSON and --expect. */
export interface SiteSeen {
  code: string | null;
  site: string | null;
  /** The last coordinates the site's records gave; null when none had any. */
  lat: number | null;
  lon: number | null;
  records: number;
  /** The site's own records by status (records = ok + partial + error). */
  ok: number;
  partial: number;
  error: number;
  /** The cellular operator its last record named (cell_operator); null when none did. */
  operator: string | null;
}

/** The key of a site in a group's map and in --expect matching. */
export const siteId = (code: string | null, site: string | null): string => `${code ?? ''}\u0001${site ?? ''}`;

/** Count one record against its site. */
export function addSite(sites: Map<string, SiteSeen>, l: Location, status: RowStatus, operator: string | null = null): void {
  const sid = siteId(l.code, l.site);
  let s = sites.get(sid);
  if (s === undefined) sites.set(sid, (s = { code: l.code, site: l.site, lat: null, lon: null, records: 0, ok: 0, partial: 0, error: 0, operator: null }));
  s.records++;
  s[status]++;
  if (operator !== null) s.operator = operator;
  if (l.lat !== null && l.lon !== null) {
    s.lat = l.lat;
    s.lon = l.lon;
  }
}

/** 100 × ok / records, as for a group; null for a site with no record (silent). */
export function siteAvailabilityPercent(s: Pick<SiteSeen, 'records' | 'ok'>): number | null {
  return s.records === 0 ? null : (100 * s.ok) / s.records;
}

/**
 * A site that never answered: every record an error (or none at all, a silent expected site).
 * A partial record answered, so it keeps a site off this list.
 */
export function siteDead(s: Pick<SiteSeen, 'ok' | 'partial'>): boolean {
  return s.ok === 0 && s.partial === 0;
}
