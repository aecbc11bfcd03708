/**
 * Start-up cost: `qosprobe --version` and `--help` must not load the heavy modules (undici,
 * systeminformation, yaml, ora, chalk) nor the region table. A loader hook logs every module
 * the child loads; the positive controls prove the hook sees what it should.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, builtCliAvailable } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const HOOK = join(ROOT, 'test', 'helpers', 'load-tracker.mjs');

/** Module URLs the CLI loaded for these arguments. */
function loadedBy(args: string[], cwd = ROOT): { urls: string[]; status: number | null; stdout: string } {
  const log = join(tempDir('qosprobe-load-'), 'loaded.txt');
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    cwd,
    env: { ...process.env, QOSPROBE_LOAD_LOG: log, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { urls: readFileSync(log, 'utf8').split('\n').filter(Boolean), status: r.status, stdout: r.stdout };
}

const HEAVY: [string, RegExp][] = [
  ['undici', /\/node_modules\/undici\//],
  ['systeminformation', /\/node_modules\/systeminformation\//],
  ['yaml', /\/node_modules\/yaml\//],
  ['ora', /\/node_modules\/ora\//],
  ['chalk', /\/node_modules\/chalk\//],
  ['the region table (config/locations.js reads it)', /\/dist\/config\/locations\.js$/],
  ['the pusher', /\/dist\/spool\/push\.js$/],
  ['host info', /\/dist\/host\//],
];

describe.skipIf(!builtCliAvailable())('start-up: no heavy module for --version and --help', () => {
  for (const args of [['--version'], ['--help'], ['run', '--help'], ['push', '--help'], ['schedule', '--help']]) {
    it(`qosprobe ${args.join(' ')}`, () => {
      const { urls, status, stdout } = loadedBy(args);
      expect(status).toBe(0);
      expect(stdout.length).toBeGreaterThan(0);
      expect(urls.some((u) => u.includes('/node_modules/commander/'))).toBe(true); // the hook does see packages
      const loaded = HEAVY.filter(([, re]) => urls.some((u) => re.test(u))).map(([name]) => name);
      expect(loaded).toEqual([]);
    });
  }

  it('positive control: a run that reads a YAML config does load yaml (the hook would catch it)', () => {
    const dir = tempDir('qosprobe-load-');
    writeFileSync(join(dir, 'qosprobe.yaml'), 'probe: *nope\n');
    const { urls, status } = loadedBy(['run'], dir);
    expect(status).toBe(3);
    expect(urls.some((u) => /\/node_modules\/yaml\//.test(u))).toBe(true);
  });
});
