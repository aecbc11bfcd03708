/**
 * Incident delivery: to a Prometheus Alertmanager (`POST /api/v2/alerts`, firing and resolved)
 * and to a plain JSON webhook, at least once, never blocking measurement.
 *
 * Every incident event is first written to an outbox directory per receiver (one fsynced file
 * per event), then sent oldest first; a file is deleted only when the receiver answered 2xx.
 * An event the receiver refuses for good (a 4xx other than 408/429) is moved to `rejected/`
 * with the reason beside it (`<name>.why`), like push's rejected batches, so it never blocks the
 * events behind it; in a batch, the refused events are found by sending them one by one. The
 * outbox is bounded: a new event replaces a waiting one of the same incident and state (the
 * re-sends of an open incident while the receiver is down keep only the newest).
 * A monitor that loses its uplink keeps the events and delivers them, with their original
 * times, when the link comes back; one that crashes delivers them after its restart.
 * The webhook gets an `Idempotency-Key` (incident id + state), so a receiver that honours it
 * stores each event once; Alertmanager merges repeated alerts by their labels by itself.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
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
  const over = i.net_iface ? ` over ${i.net_iface}${i.operator ? ` (${i.operator})` : ''}` : '';
  const what =
    i.incident_kind === 'outage'
      ? `${i.endpoint} (${i.target})${over} unreachable: ${i.samples_lost} of ${i.samples_sent} packets lost${i.cause ? ` (${i.cause})` : ''}`
      : `${i.endpoint} (${i.target})${over} degraded: ${i.rule ?? i.metric} ${i.worst_value} above ${i.threshold}${i.profile ? ` (${i.profile})` : ''}`;
  const labels: Record<string, string> = {
    alertname: i.incident_kind === 'outage' ? 'QosprobeOutage' : 'QosprobeDegradation',
    severity: i.incident_kind === 'outage' ? 'critical' : 'warning',
    incident_id: i.incident_id,
    probe_id: i.probe_id,
    endpoint: i.endpoint,
    test: i.test,
  };
  // The link and who carries it (issue 22): an outage of one operator is that operator's ticket. Older records lack them.
  if (i.net_iface) labels.interface = i.net_iface;
  if (i.operator) labels.operator = i.operator;
  if (i.location_code) labels.location_code = i.location_code;
  if (i.site) labels.site = i.site;
  if (i.incident_kind === 'degradation') labels.metric = i.metric;
  const alert: Record<string, unknown> = {
    labels,
    annotations: { summary: `${where ? where + ': ' : ''}${what}`, started_at: i.started_at, ...(i.location_name ? { location_name: i.location_name } : {}) },
    startsAt: i.started_at,
  };
  // An alert without endsAt stays firing until Alertmanager's resolve_timeout: open incidents are re-sent well within it.
  // Alertmanager refuses endsAt before startsAt (HTTP 400): an event written by an older version after a clock step is mended here.
  if (i.state === 'closed' && i.ended_at) alert.endsAt = Date.parse(i.ended_at) < Date.parse(i.started_at) ? i.started_at : i.ended_at;
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
  /** Events the receiver refused for good, moved to rejected/ this time. */
  rejected: number;
  lastError: string | null;
}

/** A refusal that sending again cannot change: 4xx, except timeouts and rate limits. */
function refusedForGood(status: number | null): boolean {
  return status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** The outbox of one receiver: files named so that a listing sorts oldest first. */
export class Outbox {
  private seq = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  put(e: IncidentRecord): void {
    // Time, a per-process counter and the event: unique and sortable.
    const tail = `-${e.incident_id}-${e.state}.json`;
    const name = `${Date.now().toString().padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}${tail}`;
    writeFileAtomic(join(this.dir, name), JSON.stringify(e));
    // The newest state of an incident supersedes a waiting older copy of it (a re-send, or a re-put after a restart).
    for (const n of this.pending()) if (n !== name && n.endsWith(tail)) this.remove(n);
  }

  /** Events refused for good, each with its reason (rejected/<name>.why). */
  rejected(): { name: string; why: string }[] {
    const dir = join(this.dir, 'rejected');
    try {
      return readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .sort()
        .map((name) => {
          let why = '';
          try {
            why = readFileSync(join(dir, name.replace(/\.json$/, '.why')), 'utf8').trim();
          } catch {
            // no reason written (a crash in between)
          }
          return { name, why };
        });
    } catch {
      return [];
    }
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

  /**
   * Send what is waiting, oldest first; stop at the first failure that may pass (order matters:
   * open before close). A refusal for good sets the refused events aside and goes on.
   */
  async deliver(r: AlertReceiver, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<DeliveryResult> {
    const names = this.pending();
    let sent = 0;
    let rejected = 0;
    for (let i = 0; i < names.length; i += r.batch) {
      const chunk = names.slice(i, i + r.batch);
      const events: { name: string; e: IncidentRecord }[] = [];
      for (const n of chunk) {
        try {
          events.push({ name: n, e: JSON.parse(readFileSync(join(this.dir, n), 'utf8')) as IncidentRecord });
        } catch (err) {
          // Superseded meanwhile (gone), or not JSON: the latter is set aside, never sent.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.reject(n, `not a readable event: ${(err as Error).message}`);
        }
      }
      if (events.length === 0) continue;
      const res = await this.post(r, events, opts);
      if (res.ok) {
        for (const x of events) this.remove(x.name);
        sent += events.length;
        continue;
      }
      if (!refusedForGood(res.status)) return { sent, pending: names.length - i, rejected, lastError: `${r.name} ${r.url.href}: ${res.why}` };
      // Refused: one by one, to set aside only the events refused on their own.
      for (const x of events) {
        const one = events.length === 1 ? res : await this.post(r, [x], opts);
        if (one.ok) {
          this.remove(x.name);
          sent++;
        } else if (refusedForGood(one.status)) {
          this.reject(x.name, `${r.name} ${r.url.href}: ${one.why}`);
          rejected++;
        } else {
          return { sent, pending: names.length - i, rejected, lastError: `${r.name} ${r.url.href}: ${one.why}` };
        }
      }
    }
    return { sent, pending: 0, rejected, lastError: null };
  }

  private async post(r: AlertReceiver, events: { e: IncidentRecord }[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<{ ok: boolean; status: number | null; why: string }> {
    const list = events.map((x) => x.e);
    const res = await postOnce(r.url, r.body(list), r.headers(list), { timeoutMs: opts.timeoutMs, signal: opts.signal });
    const ok = res.status !== null && res.status >= 200 && res.status < 300;
    const why = res.status === null ? (res.errorCode ?? 'no response') : `HTTP ${res.status} ${res.bodySnippet.slice(0, 200).trim()}`;
    return { ok, status: res.status, why };
  }

  /** Move an event to rejected/ with its reason; kept for a person to read (and resend by hand), never retried. */
  private reject(n: string, why: string): void {
    const dir = join(this.dir, 'rejected');
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, n.replace(/\.json$/, '.why')), why.replace(/\s+/g, ' ') + '\n');
      renameSync(join(this.dir, n), join(dir, n));
    } catch {
      this.remove(n); // cannot set it aside (full disk): it must still not block the others
    }
  }

  private remove(n: string): void {
    try {
      unlinkSync(join(this.dir, n));
    } catch {
      // already gone
    }
  }
}
