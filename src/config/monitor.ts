/**
 * The `monitor:` section of the config (docs/monitor.md): how `qosprobe monitor` probes,
 * when it opens and closes incidents, and where it sends them. Every key is optional; the
 * defaults are a regulator fleet's (one small packet a second, lost after 2 s).
 */
import type { ConfigReader } from '../core/config-reader.js';

export type MonitorMethodSetting = 'auto' | 'stamp' | 'tcp' | 'icmp';

export interface MonitorConfig {
  /** auto: STAMP where the endpoint has a stamp test (its port), else TCP (its tcp test's port), else ICMP. */
  method: MonitorMethodSetting;
  intervalMs: number;
  timeoutMs: number;
  /** One window record per endpoint every windowS seconds. */
  windowS: number;
  lossCount: number;
  recoverCount: number;
  /** Quality profile for degradations (bundled name or file); null: outages only. */
  profile: string | null;
  degradationWindowS: number;
  minSamples: number;
  holdDownS: number;
  alertmanager: string | null;
  webhook: string | null;
  /** NDJSON file of incident records; null: <state dir>/monitor/incidents.ndjson. */
  incidentsPath: string | null;
  /** How often open incidents are re-sent to Alertmanager (it resolves alerts not re-sent within its resolve_timeout, 5 min by default). */
  resendS: number;
}

export const MONITOR_DEFAULTS: MonitorConfig = {
  method: 'auto',
  intervalMs: 1000,
  timeoutMs: 2000,
  windowS: 60,
  lossCount: 3,
  recoverCount: 3,
  profile: null,
  degradationWindowS: 120,
  minSamples: 60,
  holdDownS: 300,
  alertmanager: null,
  webhook: null,
  incidentsPath: null,
  resendS: 60,
};

const KEYS = ['method', 'interval_ms', 'timeout_ms', 'window_s', 'outage', 'degradation', 'alertmanager', 'webhook', 'incidents', 'resend_s'] as const;

export function readMonitorConfig(r: ConfigReader, raw: unknown): MonitorConfig {
  if (raw === undefined || raw === null) return { ...MONITOR_DEFAULTS };
  const o = r.obj(raw, 'monitor');
  r.onlyKeys(o, 'monitor', KEYS);
  const outage = r.optObj(o.outage, 'monitor.outage') ?? {};
  r.onlyKeys(outage, 'monitor.outage', ['loss_count', 'recover_count']);
  const deg = r.optObj(o.degradation, 'monitor.degradation') ?? {};
  r.onlyKeys(deg, 'monitor.degradation', ['profile', 'window_s', 'min_samples', 'hold_down_s']);
  const d = MONITOR_DEFAULTS;
  const method = o.method === undefined ? d.method : (r.str(o.method, 'monitor.method') as MonitorMethodSetting);
  if (!['auto', 'stamp', 'tcp', 'icmp'].includes(method)) r.fail('monitor.method', 'one of auto, stamp, tcp, icmp', o.method);
  const intervalMs = r.optNum(o.interval_ms, 'monitor.interval_ms', { min: 100, max: 3_600_000 }) ?? d.intervalMs;
  const url = (v: unknown, path: string) => {
    const s = r.optStr(v, path);
    if (s === undefined) return null;
    if (!/^https?:\/\/[^\s/]+/.test(s)) r.fail(path, 'an http(s):// URL', v);
    return s;
  };
  return {
    method,
    intervalMs,
    timeoutMs: r.optNum(o.timeout_ms, 'monitor.timeout_ms', { min: 10, max: 600_000 }) ?? d.timeoutMs,
    windowS: r.optNum(o.window_s, 'monitor.window_s', { min: 1, max: 86_400 }) ?? d.windowS,
    lossCount: r.optNum(outage.loss_count, 'monitor.outage.loss_count', { integer: true, min: 1, max: 10_000 }) ?? d.lossCount,
    recoverCount: r.optNum(outage.recover_count, 'monitor.outage.recover_count', { integer: true, min: 1, max: 10_000 }) ?? d.recoverCount,
    profile: r.optStr(deg.profile, 'monitor.degradation.profile') ?? d.profile,
    degradationWindowS: r.optNum(deg.window_s, 'monitor.degradation.window_s', { min: 1, max: 86_400 }) ?? d.degradationWindowS,
    minSamples: r.optNum(deg.min_samples, 'monitor.degradation.min_samples', { integer: true, min: 1, max: 1_000_000 }) ?? d.minSamples,
    holdDownS: r.optNum(deg.hold_down_s, 'monitor.degradation.hold_down_s', { min: 0, max: 86_400 }) ?? d.holdDownS,
    alertmanager: url(o.alertmanager, 'monitor.alertmanager'),
    webhook: url(o.webhook, 'monitor.webhook'),
    incidentsPath: r.optStr(o.incidents, 'monitor.incidents') ?? null,
    resendS: r.optNum(o.resend_s, 'monitor.resend_s', { min: 1, max: 3600 }) ?? d.resendS,
  };
}
