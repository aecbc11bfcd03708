/**
 * Incident delivery: to a Prometheus Alertmanager (`POST /api/v2/alerts`, firing and resolved)
 * and to a plain JSON webhook, at least once, never blocking measurement.
 *
 * Every incident event is first written to an outbox directory per receiver (one fsynced file
 * per event), then sent oldest first; a file is deleted only when the receiver answered 2xx.
 * A monitor that loses its uplink keeps the events and delivers them, with their original
 * times, when the link comes back; one that crashes delivers them after its restart.
 * The webhook gets an `Idempotency-Key` (incident id + state), so a receiver that honours it
 * stores each event once; Alertmanager merges repeated alerts by their labels by itself.
 */
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../output/sink.js';
import { postOnce } from '../spool/http-post.js';
import type { IncidentRecord } from './core.js';

export interface AlertReceiver {
  /** Folder name in the outbox, and the name in messages. */
  name: 'alertmanager' | 'webhook';
  url: URL;
  body(events: IncidentRecord[]): Buffer;
  /** Events per request (Alertmanager takes a list; the webhook one event a request). */
  batch: number;
  headers(events: IncidentRecord[]): Record<string, string>;
}

/** Alertmanager's alert for an incident: labels identify it, endsAt resolves it. */
export function alertOf(i: IncidentRecord, generatorUrl?: string): Record<string, unknown> {
  const where = [i.location_code, i.site].filter(Boolean).join(' ');
  const what =
    i.incident_kind === 'outage'
      ? `${i.endpoint} (${i.target}) unreachable: ${i.samples_lost} of ${i.samples_sent} packets lost${i.cause ? ` (${i.cause})` : ''}`
      : `${i.endpoint} (${i.target}) degraded: ${i.rule ?? i.metric} ${i.worst_value} above ${i.threshold}${i.profile ? ` (${i.profile})` : ''}`;
  const labels: Record<string, string> = {
    alertname: i.incident_kind === 'outage' ? 'QosprobeOutage' : 'QosprobeDegradation',
    severity: i.incident_kind === 'outage' ? 'critical' : 'warning',
    incident_id: i.incident_id,
    probe_id: i.probe_id,
    endpoint: i.endpoint,
    test: i.test,
  };
  if (i.location_code) labels.location_code = i.location_code;
  if (i.site) labels.site = i.site;
  if (i.incident_kind === 'degradation') labels.metric = i.metric;
  const alert: Record<string, unknown> = {
    labels,
    annotations: { summary: `${where ? where + ': ' : ''}${what}`, started_at: i.started_at, ...(i.location_name ? { location_name: i.location_name } : {}) },
    startsAt: i.started_at,
  };
  // An alert without endsAt stays firing until Alertmanager's resolve_timeout: open incidents are re-sent well within it.
  if (i.state === 'closed' && i.ended_at) alert.endsAt = i.ended_at;
  if (generatorUrl) alert.generatorURL = generatorUrl;
  return alert;
}

export function alertmanagerReceiver(base: string): AlertReceiver {
  const url = new URL(base.replace(/\/+$/, '') + '/api/v2/alerts');
  return {
    name: 'alertmanager',
    url,
    batch: 50,
    body: (events) => Buffer.from(JSON.stringify(events.map((e) => alertOf(e)))),
    headers: () => ({ 'content-type': 'application/json' }),
  };
}

export function webhookReceiver(url: string, token: string | null): AlertReceiver {
  return {
    name: 'webhook',
    url: new URL(url),
    batch: 1,
    body: (events) => Buffer.from(JSON.stringify(events[0])),
    headers: (events) => ({
      'content-type': 'application/json',
      'idempotency-key': `${events[0]?.incident_id}:${events[0]?.state}`,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    }),
  };
}

export interface DeliveryResult {
  sent: number;
  pending: number;
  lastError: string | null;
}

/** The outbox of one receiver: files named so that a listing sorts oldest first. */
export class Outbox {
  private seq = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  put(e: IncidentRecord): void {
    // Time, a per-process counter and the event: unique, sortable, and a re-put of the same event replaces itself.
    const name = `${Date.now().toString().padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}-${e.incident_id}-${e.state}.json`;
    writeFileAtomic(join(this.dir, name), JSON.stringify(e));
  }

  pending(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
        .sort();
    } catch {
      return [];
    }
  }

  /** Send what is waiting, oldest first; stop at the first failure (order matters: open before close). */
  async deliver(r: AlertReceiver, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<DeliveryResult> {
    const names = this.pending();
    let sent = 0;
    for (let i = 0; i < names.length; i += r.batch) {
      const chunk = names.slice(i, i + r.batch);
      const events: IncidentRecord[] = [];
      const bad: string[] = [];
      for (const n of chunk) {
        try {
          events.push(JSON.parse(readFileSync(join(this.dir, n), 'utf8')) as IncidentRecord);
        } catch {
          bad.push(n); // torn by a crash before the rename cannot happen; anything else unreadable is set aside
        }
      }
      for (const n of bad) this.remove(n);
      if (events.length === 0) continue;
      const res = await postOnce(r.url, r.body(events), r.headers(events), { timeoutMs: opts.timeoutMs, signal: opts.signal });
      if (res.status === null || res.status < 200 || res.status >= 300) {
        const why = res.status === null ? (res.errorCode ?? 'no response') : `HTTP ${res.status} ${res.bodySnippet.slice(0, 120)}`;
        return { sent, pending: names.length - i, lastError: `${r.name} ${r.url.href}: ${why}` };
      }
      for (const n of chunk) if (!bad.includes(n)) this.remove(n);
      sent += events.length;
    }
    return { sent, pending: 0, lastError: null };
  }

  private remove(n: string): void {
    try {
      unlinkSync(join(this.dir, n));
    } catch {
      // already gone
    }
  }
}
