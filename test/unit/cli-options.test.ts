import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoFlags } from '../../src/cli/commands/demo.js';
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
