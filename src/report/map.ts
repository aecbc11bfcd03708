/**
 * Sites on a map: an offline SVG for the HTML report (the country outline is inlined, no tiles,
 * no network at view time) and a GeoJSON FeatureCollection for GIS tools (QGIS, kepler.gl).
 *
 * A site is a (location_code, site) pair seen in the records, at the last coordinates its
 * records gave; each carries its own record counts and availability (site-acc.ts) besides its
 * group's statistics and rating, so a site that never answered is shown dead at every --by
 * (issue 23). Sites without coordinates are counted, not drawn. Expected sites that sent
 * nothing (--expect) are silent, and dead too.
 */
import { readFile } from 'node:fs/promises';
import type { ReportData, ReportGroup } from './pipeline.js';
import type { Labels } from './labels.js';
import { idParts, shown, statsOf } from './metrics.js';
import { packageFile } from '../core/package-root.js';
import { siteAvailabilityPercent, siteDead } from './site-acc.js';

/** data/map/indonesia-50m.json: outer rings of [lon, lat] (scripts/build-map-outline.mjs). */
export interface Outline {
  source: string;
  bbox: [number, number, number, number];
  rings: [number, number][][];
}

const OUTLINE_URL = packageFile('data/map/indonesia-50m.json');

export async function loadOutline(): Promise<Outline> {
  return JSON.parse(await readFile(OUTLINE_URL, 'utf8')) as Outline;
}

export interface MapSite {
  group: ReportGroup;
  code: string | null;
  site: string | null;
  lat: number;
  lon: number;
  /** The site's own records by status. */
  records: number;
  ok: number;
  partial: number;
  error: number;
  operator: string | null;
  /** An expected site that sent no record. */
  silent: boolean;
}

/** Every site with coordinates, and how many sites have none. */
export function mapSites(data: ReportData): { sites: MapSite[]; withoutCoordinates: number } {
  const sites: MapSite[] = [];
  let without = 0;
  for (const g of data.groups) {
    for (const s of g.sites) {
      if (s.lat === null || s.lon === null) without++;
      else sites.push({ group: g, code: s.code, site: s.site, lat: s.lat, lon: s.lon, records: s.records, ok: s.ok, partial: s.partial, error: s.error, operator: s.operator, silent: false });
    }
    for (const s of g.expected?.silent ?? []) {
      if (s.lat === null || s.lon === null) without++;
      else sites.push({ group: g, code: s.code, site: s.site, lat: s.lat, lon: s.lon, records: 0, ok: 0, partial: 0, error: 0, operator: null, silent: true });
    }
  }
  return { sites, withoutCoordinates: without };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Degrees to SVG units: x = (lon − west) × k, y = (north − lat) × k. */
export interface MapProjection {
  west: number;
  north: number;
  k: number;
}

/**
 * The map's outline as inline SVG, equirectangular (Indonesia straddles the equator, where it
 * is close to true shape), fitted to the outline and every site. The points are drawn by the
 * page's script from its data (thousands of sites, each with its own truth), in `#qp-sites`.
 */
export function mapSvg(data: ReportData, outline: Outline, t: Labels, widthPx = 960): { svg: string; points: number; withoutCoordinates: number; projection: MapProjection } {
  const { sites, withoutCoordinates } = mapSites(data);
  let [w, s, e, n] = outline.bbox;
  for (const p of sites) {
    w = Math.min(w, p.lon - 0.5);
    e = Math.max(e, p.lon + 0.5);
    s = Math.min(s, p.lat - 0.5);
    n = Math.max(n, p.lat + 0.5);
  }
  const k = widthPx / (e - w);
  const h = Math.ceil((n - s) * k);
  const x = (lon: number) => ((lon - w) * k).toFixed(1);
  const y = (lat: number) => ((n - lat) * k).toFixed(1);
  const d = outline.rings.map((r) => 'M' + r.map(([lon, lat]) => `${x(lon)},${y(lat)}`).join('L') + 'Z').join('');
  const svg = `<svg id="qp-map" viewBox="0 0 ${widthPx} ${h}" data-w="${widthPx}" data-h="${h}" role="img" aria-label="${esc(t.map)}"><path id="qp-outline" class="land" d="${d}"/><g id="qp-sites"></g></svg>`;
  return { svg, points: sites.length, withoutCoordinates, projection: { west: w, north: n, k } };
}

const round = (v: number | null, digits = 3): number | null => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

/**
 * GeoJSON (RFC 7946): one Point feature per site with coordinates, [lon, lat]; properties are the
 * site with its own counts (site_records, site_ok, site_partial, site_error,
 * site_availability_percent, site_dead, site_operator), then its group's key, statistics and rating. Sites without coordinates are left out (counted
 * in the collection's `sites_without_coordinates`, a foreign member GIS tools ignore).
 */
export function renderGeoJson(data: ReportData): string {
  const { sites, withoutCoordinates } = mapSites(data);
  const features = sites.map((p) => {
    const g = p.group;
    return {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: {
        site: p.site,
        location_code: p.code,
        site_records: p.records,
        site_ok: p.ok,
        site_partial: p.partial,
        site_error: p.error,
        site_availability_percent: round(siteAvailabilityPercent(p)),
        // Never answered (or silent): whatever the group's rating says, this site is down.
        site_dead: siteDead(p),
        site_operator: p.operator,
        silent: p.silent,
        ...Object.fromEntries(data.by.map((k, i) => [k, g.key[i]])),
        name: g.name,
        records: g.records,
        ok: g.ok,
        error: g.error,
        availability_percent: round(g.availabilityPercent),
        ...Object.fromEntries(
          data.metrics.flatMap((m) => {
            const { name, unit } = idParts(m.id);
            return m.geojson.stats.map((st) => [`${name}_${st === 'tail' ? m.tail : st}_${unit}`, round(shown(statsOf(g.metrics, m), st), m.geojson.digits)]);
          }),
        ),
        completeness_percent: round(g.expected?.completenessPercent ?? null),
        rating: g.rating?.overall.label ?? null,
        rating_pass: g.rating?.overall.pass ?? null,
        failing: g.rating ? g.rating.failing.join('; ') : null,
      },
    };
  });
  return JSON.stringify({ type: 'FeatureCollection', sites_without_coordinates: withoutCoordinates, features }, null, 1) + '\n';
}
