/**
 * `report --format geojson`, read back by a real GeoJSON validator (@placemarkio/check-geojson):
 * one Point per site with coordinates ([lon, lat]), the group's statistics and rating as properties.
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { check, getIssues } from '@placemarkio/check-geojson';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = join(import.meta.dirname, '../..');

async function run(args: string[]) {
  let out = '';
  const w = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const cli: CliIo = { stdout: w((s) => (out += s)), stderr: w(() => {}), env: {}, cwd: ROOT, signal: new AbortController().signal, setExitCode: () => {} };
  await createProgram(cli).parseAsync(['node', 'qosprobe', 'report', ...args]);
  return out;
}

describe('report --format geojson', () => {
  it('validates; one Point per site with coordinates; the rating rule of docs/report.md in the properties', async () => {
    const text = await run(['fixtures/report-honesty/sites.ndjson', '--format', 'geojson']);
    expect(getIssues(text)).toEqual([]);
    const fc = check(text) as unknown as { type: string; features: { geometry: { type: string; coordinates: number[] }; properties: Record<string, unknown> }[]; sites_without_coordinates: number };
    expect(fc.type).toBe('FeatureCollection');
    // 6 sites; 96.71 (never reached) has no coordinates: counted, not drawn
    expect([fc.features.length, fc.sites_without_coordinates]).toEqual([5, 1]);
    for (const f of fc.features) expect(f.geometry.type).toBe('Point');
    const jayapura = fc.features.find((f) => f.properties.location === '91.71')!;
    expect(jayapura.geometry.coordinates).toEqual([140.7181, -2.5337]); // [lon, lat] (RFC 7946)
    expect(jayapura.properties).toMatchObject({
      site: 'TPS 7 Jayapura',
      location_code: '91.71',
      records: 3,
      availability_percent: 33.333,
      loss_mean_percent: 66.667,
      rating: 'fail: Availability < 80 %',
      rating_pass: false,
      failing: 'Packet loss; Availability',
    });
    expect(fc.features.find((f) => f.properties.location === '32.73')!.properties).toMatchObject({ rating_pass: true, latency_median_ms: 40 });
  });

  it('an expected site that sent nothing appears as a silent feature', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = tempDir('qp-geojson-');
    writeFileSync(join(dir, 'sites.csv'), 'location_code,site,lat,lon\n32.73,TPS 1 Bandung,-6.9147,107.6098\n32.73,TPS 8 Bandung,-6.95,107.62\n');
    const fc = check(await run(['fixtures/report-honesty/sites.ndjson', '--format', 'geojson', '--expect', join(dir, 'sites.csv')])) as unknown as {
      features: { geometry: { coordinates: number[] }; properties: Record<string, unknown> }[];
    };
    const silent = fc.features.filter((f) => f.properties.silent === true);
    expect(silent.map((f) => [f.properties.site, f.geometry.coordinates])).toEqual([['TPS 8 Bandung', [107.62, -6.95]]]);
    expect(silent[0]!.properties).toMatchObject({ completeness_percent: 50, rating_pass: false });
  });
});
