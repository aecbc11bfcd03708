#!/usr/bin/env node
/**
 * Writes data/map/indonesia-50m.json, the outline the HTML report's offline map draws: the
 * Indonesia feature (ISO 3166-1 numeric 360) of Natural Earth's 1:50m countries, as packaged
 * in npm's world-atlas (ISC; the data is public domain), converted with topojson-client and
 * rounded to 0.01° (about 1 km, finer than a 1400 px page can show). Both packages are dev
 * dependencies: the report reads only the small JSON file this writes.
 *
 *   node scripts/build-map-outline.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature } from 'topojson-client';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const atlasPath = require.resolve('world-atlas/countries-50m.json');
const atlasVersion = JSON.parse(readFileSync(join(dirname(atlasPath), 'package.json'), 'utf8')).version;
const topo = JSON.parse(readFileSync(atlasPath, 'utf8'));
const geom = topo.objects.countries.geometries.find((g) => g.id === '360');
if (!geom) throw new Error('no Indonesia (360) in world-atlas countries-50m');
const f = feature(topo, geom);
const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
const r = (x) => Math.round(x * 100) / 100;
// Outer rings only (holes are lakes too small to see), consecutive duplicate points dropped after rounding.
const rings = polys
  .map((p) => p[0].map(([lon, lat]) => [r(lon), r(lat)]).filter((pt, i, a) => i === 0 || pt[0] !== a[i - 1][0] || pt[1] !== a[i - 1][1]))
  .filter((ring) => ring.length >= 4);
const out = {
  source: `Natural Earth 1:50m countries (public domain) via world-atlas ${atlasVersion} countries-50m.json, feature 360 (Indonesia); outer rings, 0.01° (scripts/build-map-outline.mjs)`,
  bbox: [95, -11.2, 141.1, 6.1],
  rings,
};
writeFileSync(join(ROOT, 'data/map/indonesia-50m.json'), JSON.stringify(out) + '\n');
console.log(`${rings.length} rings, ${rings.reduce((a, x) => a + x.length, 0)} points`);
