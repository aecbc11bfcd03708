/**
 * Where a probe measured: the one value the location travels as, from the flag, environment or
 * config file (config/resolve-location.ts resolves it once per run) to the record's columns and,
 * read back from a record file, into the report's group names.
 */
import type { ResultRecord } from './schema.js';

/**
 * Where the code came from: --location, $QOSPROBE_LOCATION, the config file, a record read back
 * (report), or nowhere (no layer set one).
 */
export type LocationSource = 'flag' | 'env' | 'config' | 'record' | 'none';

export interface Location {
  /** Canonical Kemendagri region code (32.73, 32.73.01.1001); null when no layer set one. */
  code: string | null;
  /** Region names from the province down ("Jawa Barat / Kota Bandung"); null without a code, or for a code accepted with --location-unchecked. */
  name: string | null;
  /** Free text site label (polling station, tower); null when not configured. */
  site: string | null;
  /** WGS 84 degrees; null when not configured. */
  lat: number | null;
  lon: number | null;
  source: LocationSource;
}

/** The record columns a location fills, in schema order. */
export type LocationColumns = Pick<ResultRecord, 'location_code' | 'location_name' | 'site' | 'lat' | 'lon'>;

/** The one mapping of a location to record columns (records, the JSON document's run, incident records). */
export function locationColumns(l: Location): LocationColumns {
  return { location_code: l.code, location_name: l.name, site: l.site, lat: l.lat, lon: l.lon };
}

/** A record's columns read back into the value (the report): the inverse of locationColumns. */
export function locationOfColumns(c: LocationColumns): Location {
  return { code: c.location_code, name: c.location_name, site: c.site, lat: c.lat, lon: c.lon, source: 'record' };
}
