/**
 * The link in the centre's series and rules (issue 22): two links' windows of one endpoint are two series (the push's
 * net_iface and operator labels, monitoring/metrics.ts), and `qosprobe rules --by operator|interface` groups the alerts
 * by them, an outage left out of its own stream's windows only (monitor/rules.ts).
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { influxLine } from '../../src/monitoring/influx.js';
import { openMetricsText } from '../../src/monitoring/openmetrics.js';
import { vmImportLines } from '../../src/monitoring/vmimport.js';
import { seriesLabels } from '../../src/monitoring/metrics.js';
import { alertingRules } from '../../src/monitor/rules.js';
import { loadProfile } from '../../src/quality/profiles.js';
import { rulesBy } from '../../src/cli/commands/monitor.js';
import { monitoringRecord } from '../helpers/field-records.js';

const overB = { net_iface: 'wwan1', net_type: 'cellular', cell_mcc_mnc: '510-11', cell_operator: 'XL Axiata' } as const;

describe('series labels: the link when the record names it', () => {
  it('a record over a modem: net_iface and operator labels in every push format', () => {
    const r = monitoringRecord(0, overB);
    expect(seriesLabels(r).slice(4)).toEqual([
      ['net_iface', 'wwan1'],
      ['operator', '510-11 XL Axiata'],
    ]);
    expect(influxLine(r)).toMatch(/,net_iface=wwan1,operator=510-11\\ XL\\ Axiata /);
    expect(openMetricsText([r])).toContain('net_iface="wwan1",operator="510-11 XL Axiata"}');
    expect(JSON.parse(vmImportLines([r]).split('\n')[0]!).metric).toMatchObject({ net_iface: 'wwan1', operator: '510-11 XL Axiata' });
  });
  it('two links of one endpoint are two series, not one', () => {
    const a = monitoringRecord(0, { net_iface: 'wlan0', net_type: 'wireless' });
    const b = monitoringRecord(0, overB);
    const series = vmImportLines([a, b])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: Record<string, string> })
      .filter((s) => s.metric.__name__ === 'qosprobe_sent');
    expect(series.map((s) => `${s.metric.net_iface}/${s.metric.operator}`)).toEqual(['wlan0/wireless', 'wwan1/510-11 XL Axiata']);
  });
  it('a record without its link keeps the series it had (no link labels)', () => {
    const r = monitoringRecord(0, { net_iface: null, net_type: null, cell_mcc_mnc: null, cell_operator: null });
    expect(seriesLabels(r).map(([k]) => k)).toEqual(['probe_id', 'location_code', 'endpoint', 'test']);
    expect(influxLine(r)).not.toContain('net_iface');
  });
});

describe('rules --by operator|interface', async () => {
  const profile = await loadProfile('itu-y1541', process.cwd());
  const base = { silentAfterMin: 30, forMin: 10, overMin: 15, windowS: 60, intervalMs: 1000, lossCount: 3 };
  const exprs = (text: string) => [...text.matchAll(/expr: (".*")/g)].map((m) => JSON.parse(m[1]!) as string).filter((e) => !e.includes('tlast_over_time'));

  it('default: per endpoint; every outage left out of its own stream only (on net_iface too)', () => {
    const es = exprs(alertingRules(profile, base));
    expect(es.length).toBeGreaterThan(1);
    for (const e of es) {
      expect(e).toContain('by (probe_id, location_code, endpoint)');
      expect(e).not.toContain('operator');
      expect(e).toContain('unless on (probe_id, location_code, endpoint, test, net_iface)');
    }
  });
  it('--by operator: every quality rule sums and compares per operator, and says which', () => {
    const text = alertingRules(profile, { ...base, by: ['operator'] });
    for (const e of exprs(text)) {
      expect(e).not.toContain('by (probe_id, location_code, endpoint)');
      expect(e).toContain('by (probe_id, location_code, endpoint, operator)');
    }
    expect(text).toContain('{{ $labels.operator }}');
    expect(text).toContain('# One alert per operator (rules --by)');
  });
  it('--by operator,interface: both labels', () => {
    for (const e of exprs(alertingRules(profile, { ...base, by: ['operator', 'interface'] }))) expect(e).toContain('by (probe_id, location_code, endpoint, operator, net_iface)');
  });
  it.each([
    ['operator', ['operator']],
    ['interface,operator', ['interface', 'operator']],
    ['operator, operator', ['operator']],
  ])('--by %s parses', (v, want) => expect(rulesBy(v)).toEqual(want));
  it.each(['', 'site', 'toString', 'operator,', '__proto__'])('--by %j is refused', (v) => expect(() => rulesBy(v)).toThrow(InvalidArgumentError));
});
