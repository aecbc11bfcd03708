/**
 * Push the spool: each pending batch, oldest first, as one gzipped POST carrying
 * `Idempotency-Key: <batch id>`. A batch moves to sent/ only after a 2xx, so a crash or a
 * lost response means a resend with the same key, never a loss. Order is kept: when a batch
 * cannot be sent, the ones after it wait too.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { errorMessage } from '../errors.js';
import { influxLines } from '../monitoring/influx.js';
import { openMetricsText, PROMETHEUS_TEXT_CONTENT_TYPE } from '../monitoring/openmetrics.js';
import { postOnce, type PostResult } from './http-post.js';
import { listSpool, moveBatch, readBatch, type BatchInfo } from './spool.js';

import type { PushFormat } from './push-formats.js';
export { PUSH_FORMATS, type PushFormat } from './push-formats.js';

export interface PushOptions {
  dir: string;
  url: URL;
  format: PushFormat;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | null;
  /** Total time for the whole push, retries included. */
  deadlineMs: number;
  /** gzip the body (Content-Encoding: gzip). Default true. */
  gzip?: boolean;
  signal?: AbortSignal;
  /** Per-request bound (default 30 s, never past the deadline). */
  requestTimeoutMs?: number;
  /** First retry delay (default 500 ms), doubled per attempt up to maxBackoffMs (default 30 s), with jitter. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Progress for humans (stderr on a TTY) and tests. */
  onEvent?(e: PushEvent): void;
  /** Injectable for tests. */
  now?(): number;
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export type PushEvent =
  | { type: 'sent'; batch: BatchInfo; status: number; attempts: number }
  | { type: 'retry'; batch: BatchInfo; attempt: number; delayMs: number; reason: string }
  | { type: 'rejected'; batch: BatchInfo; status: number; reason: string }
  | { type: 'gave-up'; batch: BatchInfo; reason: string };

export interface PushResult {
  sent: string[];
  rejected: string[];
  /** Batch names still waiting, oldest first. */
  pending: string[];
  /** Why the push stopped early, or null when nothing is pending. */
  lastError: string | null;
}

/** Statuses that say "this body is bad": resending it unchanged can never succeed. */
const REJECTED = new Set([400, 413, 415, 422]);

export function contentTypeFor(format: PushFormat): string {
  switch (format) {
    case 'ndjson':
      return 'application/x-ndjson';
    case 'influx':
      return 'text/plain; charset=utf-8';
    case 'openmetrics':
      return PROMETHEUS_TEXT_CONTENT_TYPE;
  }
}

/** The request body of a batch in a push format. ndjson is the spool file as stored. */
export function bodyFor(b: BatchInfo, format: PushFormat): Buffer {
  switch (format) {
    case 'ndjson':
      readBatch(b.path); // refuse a corrupt batch here rather than at the receiver
      return readFileSync(b.path);
    case 'influx':
      return Buffer.from(influxLines(readBatch(b.path)));
    case 'openmetrics':
      return Buffer.from(openMetricsText(readBatch(b.path)));
  }
}

export async function pushSpool(opts: PushOptions): Promise<PushResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const until = now() + opts.deadlineMs;
  const gzip = opts.gzip ?? true;
  const res: PushResult = { sent: [], rejected: [], pending: [], lastError: null };
  const batches = listSpool(opts.dir).pending;

  for (let i = 0; i < batches.length; i++) {
    const b = batches[i]!;
    let body: Buffer;
    try {
      body = bodyFor(b, opts.format);
    } catch (err) {
      try {
        moveBatch(opts.dir, b, 'rejected');
        res.rejected.push(b.name);
      } catch {
        // cannot even move it aside: leave it, the next batches still go
      }
      opts.onEvent?.({ type: 'rejected', batch: b, status: 0, reason: `unreadable batch: ${errorMessage(err)}` });
      continue;
    }
    const headers: Record<string, string> = {
      'content-type': contentTypeFor(opts.format),
      // A header, not a query parameter: the receiver can dedupe on it without parsing the body.
      'idempotency-key': b.id,
      'user-agent': 'qosprobe',
    };
    if (gzip) headers['content-encoding'] = 'gzip';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const payload = gzip ? gzipSync(body) : body;

    let attempt = 0;
    let outcome: 'sent' | 'rejected' | 'stop' = 'stop';
    let reason = '';
    for (;;) {
      attempt++;
      const left = until - now();
      if (left <= 0 || opts.signal?.aborted) {
        reason ||= opts.signal?.aborted ? 'interrupted' : 'the push deadline passed';
        break;
      }
      const r: PostResult = await postOnce(opts.url, payload, headers, {
        timeoutMs: Math.max(1, Math.min(opts.requestTimeoutMs ?? 30_000, left)),
        signal: opts.signal,
      });
      if (r.status !== null && r.status >= 200 && r.status < 300) {
        outcome = 'sent';
        opts.onEvent?.({ type: 'sent', batch: b, status: r.status, attempts: attempt });
        break;
      }
      reason = r.status === null ? `no response (${r.errorCode})` : `HTTP ${r.status}${r.bodySnippet ? `: ${r.bodySnippet.trim().split('\n')[0]}` : ''}`;
      if (r.status !== null && REJECTED.has(r.status)) {
        outcome = 'rejected';
        opts.onEvent?.({ type: 'rejected', batch: b, status: r.status, reason });
        break;
      }
      // Anything else (network, timeout, 5xx, 429, and 401/403/404 which an operator may fix) is worth retrying.
      const base = Math.min(opts.maxBackoffMs ?? 30_000, (opts.initialBackoffMs ?? 500) * 2 ** (attempt - 1));
      const delay = Math.max(r.retryAfterMs ?? 0, base * (0.5 + Math.random() * 0.5));
      if (now() + delay >= until) break;
      opts.onEvent?.({ type: 'retry', batch: b, attempt, delayMs: delay, reason });
      await sleep(delay, opts.signal);
    }
    if (outcome !== 'stop') {
      try {
        moveBatch(opts.dir, b, outcome);
        (outcome === 'sent' ? res.sent : res.rejected).push(b.name);
        continue;
      } catch (err) {
        // The receiver has it but we cannot record that: it stays pending and is resent under the same key.
        reason = `received by the server, but the spool could not be updated: ${errorMessage(err)}`;
      }
    }
    opts.onEvent?.({ type: 'gave-up', batch: b, reason });
    res.lastError = `${b.name}: ${reason}`;
    res.pending = batches.slice(i).map((x) => x.name);
    break;
  }
  return res;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
