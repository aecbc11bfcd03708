/**
 * Start-up cost: `qosprobe --version` and `--help` must not load the heavy modules (undici,
 * systeminformation, yaml, ora, chalk) nor the region table. A loader hook logs every module
 * the child loads and every file it reads; the positive controls prove the hook sees what it should.
 * The CLI runs as one bundled module (scripts/bundle-cli.mjs), so the project's own lazily imported
 * parts show by what they read or the packages they load, not by their module URLs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, builtCliAvailable } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const HOOK = join(ROOT, 'test', 'helpers', 'load-tracker.mjs');

/** Module URLs the CLI loaded for these arguments. */
function loadedBy(args: string[], cwd = ROOT, env: Record<string, string> = {}): { urls: string[]; reads: string[]; status: number | null; stdout: string } {
  const log = join(tempDir('qosprobe-load-'), 'loaded.txt');
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    cwd,
    env: { ...process.env, ...env, QOSPROBE_LOAD_LOG: log, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { urls: lines.filter((l) => !l.startsWith('read ')), reads: lines.filter((l) => l.startsWith('read ')).map((l) => l.slice(5)), status: r.status, stdout: r.stdout };
}

const HEAVY: [string, RegExp][] = [
  ['undici', /\/node_modules\/undici\//],
  ['systeminformation', /\/node_modules\/systeminformation\//],
  ['yaml', /\/node_modules\/yaml\//],
  ['ora', /\/node_modules\/ora\//],
  ['chalk', /\/node_modules\/chalk\//],
  ['the region table (config/locations.js reads it)', /\/dist\/config\/locations\.js$|\/data\/regions-id\/regions\.tsv$/],
  ['the pusher', /\/dist\/spool\/push\.js$/],
  ['host info', /\/dist\/host\//],
];

describe.skipIf(!builtCliAvailable())('start-up: no heavy module for --version and --help', () => {
  it('qosprobe --version loads nothing but bin/qosprobe.js and reads only package.json', () => {
    const { urls, reads, status, stdout } = loadedBy(['--version']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(urls.filter((u) => u.startsWith('file:')).map((u) => u.slice(u.lastIndexOf('/') + 1))).toEqual(['qosprobe.js']);
    expect(reads.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['package.json']);
  });

  for (const args of [['-V'], ['--help'], ['run', '--help'], ['push', '--help'], ['schedule', '--help']]) {
    it(`qosprobe ${args.join(' ')}`, () => {
      const { urls, reads, status, stdout } = loadedBy(args);
      expect(status).toBe(0);
      expect(stdout.length).toBeGreaterThan(0);
      if (args[0] !== '-V') {
        expect(urls.some((u) => u.includes('/node_modules/commander/'))).toBe(true); // the hook does see packages
        expect(urls.some((u) => u.endsWith('/dist/bundle/cli.js'))).toBe(true); // the bundle, built by npm run build
      }
      const loaded = HEAVY.filter(([, re]) => [...urls, ...reads].some((u) => re.test(u))).map(([name]) => name);
      expect(loaded).toEqual([]);
    });
  }

  it('positive control: a test with a location reads the region table (the hook would catch it), once', () => {
    const { reads, status } = loadedBy(['tcp', '127.0.0.1:1', '-c', '1', '-t', '200', '--no-host-info', '-l', '32.73']);
    expect(status).toBe(0);
    expect(reads.filter((f) => f.endsWith('/data/regions-id/regions.tsv'))).toHaveLength(1);
  });

  it('positive control: a run that reads a YAML config does load yaml (the hook would catch it)', () => {
    const dir = tempDir('qosprobe-load-');
    writeFileSync(join(dir, 'qosprobe.yaml'), 'probe: *nope\n');
    const { urls, status } = loadedBy(['run'], dir);
    expect(status).toBe(3);
    expect(urls.some((u) => /\/node_modules\/yaml\//.test(u))).toBe(true);
  });
});
