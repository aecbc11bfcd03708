/**
 * Quality profiles are a registry (src/quality/registry.ts): every profiles/<name>.json is a
 * bundled profile, so adding one is that one file. Each loads and validates through the config's
 * reader, and the --help lists are generated from the directory, never typed by hand.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { thresholdsOf } from '../../src/quality/thresholds.js';
import { DEFAULT_PROFILE, bundledProfileNames, bundledProfileUrl } from '../../src/quality/registry.js';
import { loadProfile, validateProfile } from '../../src/quality/profiles.js';
import { BIN, ROOT, builtCliAvailable } from '../helpers/cli.js';

const files = readdirSync(join(ROOT, 'profiles'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

describe('profile registry', () => {
  it('is the profiles/ directory: every file is a bundled profile, the default first', () => {
    expect([...bundledProfileNames()].sort()).toEqual([...files].sort());
    expect(bundledProfileNames()[0]).toBe(DEFAULT_PROFILE);
    expect(bundledProfileUrl('nosuch')).toBeNull();
    expect(bundledProfileUrl('../package')).toBeNull(); // a name, never a path out of the directory
  });

  it.each(files)('%s loads, validates, is named by its file, and gives the monitor its thresholds', async (name) => {
    const p = await loadProfile(name, '/nonexistent');
    expect(p.name).toBe(name);
    expect(p.metrics.some((m) => m.metric === 'availability_percent')).toBe(true);
    expect(() => thresholdsOf(p)).not.toThrow();
  });

  it.each([
    [{ name: 'x', title: 'x', metrics: [], overall: { method: 'all-pass' } }, /x\.json: metrics: expected a non-empty list, found a list/],
    [{ name: 'x', title: 'x', metrics: [{ id: 'a', label: 'a', metric: 'latency_ms', statistic: 'p10', bands: [{ label: 'l', pass: true }] }], overall: { method: 'all-pass' } }, /metrics\[0\]\.statistic: expected one of mean, median, min, max, p95, found "p10"/],
    [{ name: 'x', title: 'x', metrics: [{ id: 'a', label: 'a', metric: 'jitter_ms', statistic: 'mean', bands: [{ label: 'l', pass: 'yes' }] }], overall: { method: 'all-pass' } }, /metrics\[0\]\.bands\[0\]\.pass: expected true or false, found "yes"/],
    [{ name: 'x', title: 'x', metrics: [{ id: 'a', label: 'a', metric: 'jitter_ms', statistic: 'mean', bands: [{ label: 'l', pass: true }] }], overall: { method: 'best' } }, /overall\.method: expected one of mean-index, all-pass, first-class, found "best"/],
    [{ name: 'x', title: 'x', min_samples: 0.5, metrics: [{ id: 'a', label: 'a', metric: 'jitter_ms', statistic: 'mean', bands: [{ label: 'l', pass: true }] }], overall: { method: 'all-pass' } }, /min_samples: expected an integer ≥ 1, found number 0\.5/],
    [{ name: 'x', title: 'x', metrics: [{ id: 'a', label: 'a', metric: 'jitter_ms', statistic: 'mean', bands: [{ label: 'l', pass: true }] }], overall: { method: 'first-class', classes: [{ label: 'c', pass: true, bounds: { b: {} } }] } }, /overall\.classes\[0\]\.bounds\.b: expected the id of one of the profile's metrics \(a, availability\)/],
    ['nope', /x\.json: \(top level\): expected a mapping/],
  ])('a broken profile is refused by the config reader, naming the path: %#', (data, message) => {
    expect(() => validateProfile(data, 'x.json')).toThrow(message);
  });

  it.skipIf(!builtCliAvailable())('report --help and rules --help list every bundled profile with its title, from the registry', () => {
    for (const cmd of ['report', 'rules']) {
      const r = spawnSync(process.execPath, [BIN, cmd, '--help'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      const listed = r.stdout
        .slice(r.stdout.indexOf('Bundled profiles'))
        .split('\n')
        .slice(1)
        .filter((l) => /^ {2}\S/.test(l))
        .map((l) => l.trim().split(/\s+/)[0]);
      expect(listed, cmd).toEqual([...bundledProfileNames()]);
    }
  });
});
