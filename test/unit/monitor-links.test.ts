/**
 * The monitor over each link (issue 22), without a network: which streams a config and --interface give
 * (app/monitor.ts monitoredEndpoints, the same rule as run's link plan), and that a bound stream's windows, incidents
 * and Alertmanager labels carry its own link (monitor/core.ts, monitor/alerts.ts).
 */
import { describe, expect, it } from 'vitest';
import { monitoredEndpoints } from '../../src/app/monitor.js';
import { validateConfig } from '../../src/config/validate.js';
import { MONITOR_DEFAULTS } from '../../src/config/monitor.js';
import { MonitorCore, type IncidentRecord } from '../../src/monitor/core.js';
import { DEFAULT_DETECTION } from '../../src/monitor/detector.js';
import { alertOf } from '../../src/monitor/alerts.js';
import type { ResultRecord } from '../../src/core/schema.js';
import type { RunContext } from '../../src/records/assemble.js';

const config = (doc: Record<string, unknown>) =>
  validateConfig(
    {
      location: { code: '32.73' },
      endpoints: [
        { name: 'srv', host: '10.77.0.1', tests: [{ kind: 'stamp', port: 862 }] },
        { name: 'own', host: '10.77.0.2', interface: 'wwan1', tests: [{ kind: 'icmp' }] },
      ],
      ...doc,
    },
    'qosprobe.yaml',
  );
const streams = (doc: Record<string, unknown>, names: string[] | null = null, override = false) =>
  monitoredEndpoints(config(doc), MONITOR_DEFAULTS, { names, override }).map((e) => `${e.name}/${e.method}/${e.link ?? '-'}`);

describe('monitoredEndpoints: each endpoint × link a stream, as run plans its tests', () => {
  it('no links: each endpoint as configured (its own interface: when it has one)', () => {
    expect(streams({})).toEqual(['srv/stamp/-', 'own/icmp/wwan1']);
  });
  it("the config's interfaces: every endpoint over each, but one with its own interface: over that one only", () => {
    expect(streams({}, ['wlan0', 'wwan0'])).toEqual(['srv/stamp/wlan0', 'srv/stamp/wwan0', 'own/icmp/wwan1']);
  });
  it('--interface overrides: every endpoint over each of its links, whatever interface: said', () => {
    expect(streams({}, ['wlan0', 'wwan0'], true)).toEqual(['srv/stamp/wlan0', 'srv/stamp/wwan0', 'own/icmp/wlan0', 'own/icmp/wwan0']);
  });
});

const T0 = Date.parse('2026-12-07T10:00:00Z');
const ctx: RunContext = {
  runId: 'r',
  probeId: 'kit-1',
  location: { code: '32.73', name: null, site: null, lat: null, lon: null, source: 'config' },
  toolVersion: 'test',
  extra: { net_iface: 'wlan0', net_type: 'wireless', gateway: '192.168.1.1', cell_operator: null, cell_mcc_mnc: null },
};
const linkCtx = (dev: string, mccMnc: string, name: string): RunContext => ({
  ...ctx,
  extra: { ...ctx.extra, net_iface: dev, net_type: 'cellular', gateway: null, cell_operator: name, cell_mcc_mnc: mccMnc },
});

describe('MonitorCore over two links: each stream its own link on its windows, incidents and alerts', () => {
  it('B cut: one outage, labelled B and its operator; A gives windows of A and no incident', () => {
    const incidents: IncidentRecord[] = [];
    const windows: ResultRecord[] = [];
    const core = new MonitorCore({
      ctx,
      linkContexts: new Map([
        ['wwan0', linkCtx('wwan0', '510-10', 'TELKOMSEL')],
        ['wwan1', linkCtx('wwan1', '510-01', 'INDOSAT')],
      ]),
      endpoints: [
        { name: 'srv', method: 'stamp', target: '10.77.0.1:862', link: 'wwan0' },
        { name: 'srv', method: 'stamp', target: '10.77.0.1:862', link: 'wwan1' },
      ],
      intervalMs: 1000,
      timeoutMs: 2000,
      windowMs: 10_000,
      detection: DEFAULT_DETECTION,
      rules: [],
      profile: null,
      newId: () => `id-${incidents.length}`,
      onWindow: (w) => windows.push(w),
      onIncident: (i) => incidents.push(i),
    });
    // 30 packets each; B (wwan1) loses 10..19 (a 10 s cut), A loses nothing.
    for (let seq = 0; seq < 30; seq++) {
      core.onResult(0, { seq, sentMono: seq * 1000, sentWall: T0 + seq * 1000, rttMs: 20 });
      core.onResult(1, { seq, sentMono: seq * 1000, sentWall: T0 + seq * 1000, rttMs: seq >= 10 && seq < 20 ? null : 40 });
    }
    core.finish(30_000, T0 + 30_000);
    expect(incidents.map((i) => [i.state, i.net_iface, i.operator])).toEqual([
      ['open', 'wwan1', '510-01 INDOSAT'],
      ['closed', 'wwan1', '510-01 INDOSAT'],
    ]);
    // Opened after loss_count (3) losses in a row; closed with the whole cut.
    expect(incidents[0]).toMatchObject({ incident_kind: 'outage', endpoint: 'srv', samples_lost: 3, net: { net_iface: 'wwan1', cell_mcc_mnc: '510-01' } });
    expect(incidents[1]).toMatchObject({ samples_lost: 10, end_reason: 'recovered' });
    // Three windows each, each carrying its own link's columns (never the default route's wlan0).
    expect(windows.filter((w) => w.net_iface === 'wwan0')).toHaveLength(3);
    expect(windows.filter((w) => w.net_iface === 'wwan1')).toHaveLength(3);
    expect(windows.filter((w) => w.net_iface === 'wwan1').map((w) => w.cell_operator)).toEqual(['INDOSAT', 'INDOSAT', 'INDOSAT']);
    expect(windows.filter((w) => w.net_iface === 'wwan1').map((w) => w.sent! - w.received!)).toEqual([0, 10, 0]);

    const alert = alertOf(incidents[0]!) as { labels: Record<string, string>; annotations: { summary: string } };
    expect(alert.labels).toMatchObject({ alertname: 'QosprobeOutage', endpoint: 'srv', interface: 'wwan1', operator: '510-01 INDOSAT' });
    expect(alert.annotations.summary).toContain('over wwan1 (510-01 INDOSAT)');
  });

  it('an unbound stream: the default route’s interface and link type; a record of an older version (no fields): no such labels', () => {
    const incidents: IncidentRecord[] = [];
    const core = new MonitorCore({
      ctx,
      endpoints: [{ name: 'srv', method: 'icmp', target: '10.77.0.1' }],
      intervalMs: 1000,
      timeoutMs: 2000,
      windowMs: 10_000,
      detection: DEFAULT_DETECTION,
      rules: [],
      profile: null,
      newId: () => 'x',
      onWindow: () => {},
      onIncident: (i) => incidents.push(i),
    });
    for (let seq = 0; seq < 5; seq++) core.onResult(0, { seq, sentMono: seq * 1000, sentWall: T0 + seq * 1000, rttMs: null });
    expect(incidents[0]).toMatchObject({ net_iface: 'wlan0', operator: 'wireless' });
    const old: Partial<IncidentRecord> = { ...incidents[0]! };
    delete old.net_iface;
    delete old.operator;
    const labels = (alertOf(old as IncidentRecord) as { labels: Record<string, string> }).labels;
    expect(labels).not.toHaveProperty('interface');
    expect(labels).not.toHaveProperty('operator');
  });
});
