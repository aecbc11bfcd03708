import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoFlags } from '../../src/cli/commands/demo.js';
import { selfCommand } from '../../src/cli/io.js';
import { APPENDABLE_FORMATS } from '../../src/cli/options.js';
import { formats } from '../../src/output/formats.js';
import { FORMAT_NAMES } from '../../src/core/format-names.js';

describe('--append help', () => {
  it('names exactly the streaming formats of the registry (influx was missing)', () => {
    expect([...APPENDABLE_FORMATS].sort()).toEqual(FORMAT_NAMES.filter((f) => formats[f].streaming).sort());
  });
});

describe('demo output', () => {
  it('on a terminal, records go to a file in the temp dir (not a wall of CSV between the spinner lines)', () => {
    expect(demoFlags({}, true, '/tmp/x')).toEqual({ format: 'csv', out: join('/tmp/x', 'qosprobe-demo.csv'), append: false });
    expect(demoFlags({ format: 'ndjson' }, true, '/tmp/x')).toMatchObject({ out: join('/tmp/x', 'qosprobe-demo.ndjson') });
  });
  it('piped, or with --out, as asked', () => {
    expect(demoFlags({ format: 'ndjson' }, false, '/tmp/x')).toEqual({ format: 'ndjson' });
    expect(demoFlags({ out: 'r.csv' }, true, '/tmp/x')).toEqual({ out: 'r.csv' });
  });
});

describe('monitor --format', () => {
  it('offers only the streaming formats it accepts (it offered json and openmetrics, then refused them)', async () => {
    const { makeMonitorCommand } = await import('../../src/cli/commands/monitor.js');
    const opt = makeMonitorCommand({} as never).options.find((o) => o.long === '--format');
    expect(opt?.argChoices).toEqual([...APPENDABLE_FORMATS]);
  });
  it('the demo names its file with the format registry extension', () => {
    expect(demoFlags({ format: 'influx' }, true, '/tmp/x')).toMatchObject({ out: join('/tmp/x', 'qosprobe-demo.lp') });
  });
});

describe('selfCommand: the command a hint shows (issue 25)', () => {
  it.each([
    ['/work/q/bin/qosprobe.js', '/work/q', 'node bin/qosprobe.js'], // the quick start, in the clone
    ['/work/q/bin/qosprobe.js', '/home/t', 'node /work/q/bin/qosprobe.js'], // elsewhere: the absolute path
    ['/usr/local/bin/qosprobe', '/home/t', 'qosprobe'], // npm link / npm install -g: on PATH
    ['/work/my q/bin/qosprobe.js', '/home/t', 'node "/work/my q/bin/qosprobe.js"'],
    [undefined, '/home/t', 'qosprobe'],
  ])('%s from %s → %s', (script, cwd, expected) => {
    expect(selfCommand(script, cwd, posix.relative)).toBe(expected);
  });
});
