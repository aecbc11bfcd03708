/**
 * Push the spool: each pending batch, oldest first, as one gzipped POST carrying
 * `Idempotency-Key: <batch id>`. A batch moves to sent/ only after a 2xx that says nothing
 * went wrong, so a crash or a lost response means a resend with the same key, never a loss.
 *
 * What a response means (docs/field-operations.md):
 * - 2xx: sent, unless its body reports errors (then as 400 below). Where the receiver counts
 *   the rows it drops (VictoriaMetrics, verify.ts), the batches of a push after which the count
 *   rose are moved from sent/ to rejected/.
 * - 401, 403, 404, 405, 410, 501: the receiver or the URL is wrong, not the batch: stop at once,
 *   keep everything pending (the next push, after a fix, sends it).
 * - 400, 413, 415, 422: "this body is bad", or, just as often, a URL typo (VictoriaMetrics
 *   answers 400 to an unknown path). A batch is set aside in rejected/ only once the same
 *   receiver has accepted another batch in this push, which proves URL and format right;
 *   until then it is kept pending and the next batch is tried. Two refusals and no
 *   acceptance: stop, nothing set aside.
 * - anything else (no response, timeout, 5xx, 429): retried with backoff until the deadline;
 *   later batches wait behind it, so order is kept.
 * Lines of a batch that are not records are split out to rejected/ before sending; the good
 * records go. A spool that cannot be updated (read-only file system) does not stop the push:
 * every batch is sent, reported as unmarked, and sent again by the next push under the same key.
 */
import { sleep as coreSleep } from '../core/sleep.js';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { errorMessage } from '../core/errors.js';
import { FORMATS, type PushFormat } from '../core/format-names.js';
import { formats } from '../output/formats.js';
import type { ResultRecord } from '../core/schema.js';
import { postOnce, type PostResult } from './http-post.js';
import { listSpool, moveBatch, parseBatchText, setAsideLines, type BatchInfo, type ParsedBatch } from './spool.js';
import type { RowCheck } from './verify.js';

export { PUSH_FORMATS, type PushFormat } from '../core/format-names.js';

export interface PushOptions {
  dir: string;
  url: URL;
  format: PushFormat;
  /** openmetrics only: add each record's started_at (ms) to its samples. Default false (Pushgateway refuses timestamps). */
  timestamps?: boolean;
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
  /** After each 2xx, ask the receiver whether it dropped rows (verify.ts). */
  rowCheck?: RowCheck | null;
  /** Progress for humans (stderr on a TTY) and tests. */
  onEvent?(e: PushEvent): void;
  /** Injectable for tests. */
  now?(): number;
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export type PushEvent =
  | { type: 'sent'; batch: BatchInfo; status: number; attempts: number; records: number }
  | { type: 'retry'; batch: BatchInfo; attempt: number; delayMs: number; reason: string }
  /** The batch (or, with `lines`, its unreadable lines) was moved to rejected/. */
  | { type: 'rejected'; batch: BatchInfo; reason: string; lines?: number }
  /** Refused, but nothing proves the batch bad yet (a wrong URL looks the same): kept pending. */
  | { type: 'held'; batch: BatchInfo; reason: string }
  /** Received, but the spool could not record it: it will be sent again. */
  | { type: 'unmarked'; batch: BatchInfo; reason: string }
  | { type: 'gave-up'; batch: BatchInfo; reason: string };

export interface PushResult {
  sent: string[];
  /** Records in the sent batches. */
  sentRecords: number;
  /** Batches (or unreadable parts of batches) this push set aside in rejected/. */
  rejected: string[];
  /** Batch names still waiting, not delivered, oldest first. */
  pending: string[];
  /** Delivered, but still listed as pending because the spool could not be updated. */
  unmarked: string[];
  /** Why something did not go, or null when everything did. */
  lastError: string | null;
  /** Whether the row check ran (the receiver exposes its counter). */
  verified: boolean;
}

/** Statuses that say "this body is bad" (or a URL typo, at some receivers: see above). */
const REFUSED = new Set([400, 413, 415, 422]);
/** Statuses that say "wrong receiver, URL or credentials": no batch can fix them. */
const WRONG_RECEIVER = new Set([401, 403, 404, 405, 410, 501]);

/** A JSON 2xx body that reports errors (Elasticsearch-style `"errors": true`, or an `error` message). */
function errorInBody(body: string): string | null {
  const t = body.trim();
  if (!t.startsWith('{')) return null;
  try {
    const v = JSON.parse(t) as Record<string, unknown>;
    if (v.errors === true || (Array.isArray(v.errors) && v.errors.length > 0)) return 'the response lists errors';
    if (typeof v.error === 'string' && v.error !== '') return v.error;
  } catch {
    // not JSON: nothing to read in it
  }
  return null;
}

type Outcome =
  | { kind: 'sent'; status: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'wrong-receiver'; reason: string }
  | { kind: 'stop'; reason: string };

export async function pushSpool(opts: PushOptions): Promise<PushResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? coreSleep;
  const until = now() + opts.deadlineMs;
  const gzip = opts.gzip ?? true;
  const res: PushResult = { sent: [], sentRecords: 0, rejected: [], pending: [], unmarked: [], lastError: null, verified: false };
  const batches = listSpool(opts.dir).pending;
  const done = new Set<string>();
  /** Refused before any acceptance: set aside only once another batch is accepted. */
  const held: { b: BatchInfo; reason: string }[] = [];
  /** Whether this receiver took a body from us in this push (a 2xx): proves the URL and format right. */
  let accepted = false;
  const fail = (b: BatchInfo, reason: string) => {
    res.lastError = `${b.name}: ${reason}`;
  };
  const reject = (b: BatchInfo, reason: string) => {
    try {
      moveBatch(opts.dir, b, 'rejected', new Date(), reason);
      res.rejected.push(b.name);
      done.add(b.name);
      opts.onEvent?.({ type: 'rejected', batch: b, reason });
    } catch (err) {
      fail(b, `${reason}; it stays pending: ${errorMessage(err)}`);
    }
  };
  const authHeaders: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const baseline: number | null = opts.rowCheck && batches.length > 0 ? await opts.rowCheck.read(opts.signal) : null;
  const sentNow: BatchInfo[] = [];

  for (const b of batches) {
    let parsed: ParsedBatch;
    try {
      parsed = parseBatchText(readFileSync(b.path, 'utf8'));
    } catch (err) {
      fail(b, `cannot read it: ${errorMessage(err)}`);
      continue; // it stays pending; later batches are not held back by an unreadable file
    }
    if (parsed.bad.length > 0) {
      const what = `line${parsed.bad.length > 1 ? 's' : ''} ${parsed.bad.map((x) => x.line).join(', ')} ${parsed.bad.length > 1 ? 'are not records' : parsed.bad[0]!.reason}; nothing was sent`;
      if (parsed.records.length === 0) {
        reject(b, `no line is a record (${what})`);
        continue;
      }
      try {
        const name = setAsideLines(opts.dir, b, parsed);
        res.rejected.push(name);
        opts.onEvent?.({ type: 'rejected', batch: b, reason: `${what}: moved to rejected/${name}, the other ${parsed.records.length} records go`, lines: parsed.bad.length });
      } catch (err) {
        // Read-only spool: the good records still go; the bad lines stay where they are.
        fail(b, `${what}: ${errorMessage(err)}; its ${parsed.records.length} good records are sent anyway`);
      }
    }
    const headers: Record<string, string> = {
      'content-type': FORMATS[opts.format].contentType,
      // A header, not a query parameter: the receiver can dedupe on it without parsing the body.
      'idempotency-key': b.id,
      'user-agent': 'qosprobe',
      ...authHeaders,
    };
    if (gzip) headers['content-encoding'] = 'gzip';
    // The registry's serialiser: the same text a file of this format holds (ndjson: the batch's lines as stored).
    const body = Buffer.from(formats[opts.format].body({ records: parsed.records, lines: parsed.goodLines }, { timestamps: opts.timestamps ?? false, nowMs: now() }));
    const payload = gzip ? gzipSync(body) : body;

    let attempt = 0;
    let outcome: Outcome = { kind: 'stop', reason: '' };
    for (;;) {
      attempt++;
      const left = until - now();
      if (left <= 0 || opts.signal?.aborted) {
        outcome = { kind: 'stop', reason: outcome.reason || (opts.signal?.aborted ? 'interrupted' : 'the push deadline passed') };
        break;
      }
      const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
      const r: PostResult = await postOnce(opts.url, payload, headers, {
        timeoutMs: Math.max(1, Math.min(requestTimeoutMs, left)),
        signal: opts.signal,
      });
      let said = r.status === null ? `no response (${r.errorCode})` : `HTTP ${r.status}${r.bodySnippet ? `: ${r.bodySnippet.trim().split('\n')[0]}` : ''}`;
      // An attempt the push deadline cut short says nothing of the receiver: what it answered before is the reason.
      if (r.status === null && r.errorCode === 'TIMEOUT' && left < requestTimeoutMs && outcome.reason !== '') said = `${outcome.reason} (the next attempt was cut short by the push deadline)`;
      if (r.status !== null && r.status >= 200 && r.status < 300) {
        const inBody = errorInBody(r.bodySnippet);
        outcome = inBody ? { kind: 'refused', reason: `HTTP ${r.status}, but ${inBody}` } : { kind: 'sent', status: r.status };
        break;
      }
      if (r.status !== null && REFUSED.has(r.status)) {
        outcome = { kind: 'refused', reason: said };
        break;
      }
      if (r.status !== null && WRONG_RECEIVER.has(r.status)) {
        outcome = { kind: 'wrong-receiver', reason: `${said}: the receiver, the URL or the credentials are wrong, not the batch` };
        break;
      }
      const base = Math.min(opts.maxBackoffMs ?? 30_000, (opts.initialBackoffMs ?? 500) * 2 ** (attempt - 1));
      const delay = Math.max(r.retryAfterMs ?? 0, base * (0.5 + Math.random() * 0.5));
      outcome = { kind: 'stop', reason: said };
      if (now() + delay >= until) break;
      opts.onEvent?.({ type: 'retry', batch: b, attempt, delayMs: delay, reason: said });
      await sleep(delay, opts.signal);
    }

    if (outcome.kind === 'sent') {
      accepted = true;
      // The receiver took bodies from us: the URL and format are right, so what it refused before was the batch.
      for (const h of held.splice(0)) reject(h.b, `${h.reason} (this receiver accepts other batches)`);
    }
    switch (outcome.kind) {
      case 'sent':
        try {
          sentNow.push(moveBatch(opts.dir, b, 'sent'));
          res.sent.push(b.name);
          res.sentRecords += parsed.records.length;
          done.add(b.name);
          opts.onEvent?.({ type: 'sent', batch: b, status: outcome.status, attempts: attempt, records: parsed.records.length });
        } catch (err) {
          if (!existsSync(b.path)) {
            // Another push moved it meanwhile (both sent it, under the same key): it is recorded as sent.
            res.sent.push(b.name);
            res.sentRecords += parsed.records.length;
            done.add(b.name);
            continue;
          }
          // The receiver has it but we cannot record that: resent next time under the same key. Go on with the rest.
          res.unmarked.push(b.name);
          res.sentRecords += parsed.records.length;
          done.add(b.name);
          opts.onEvent?.({ type: 'unmarked', batch: b, reason: errorMessage(err) });
        }
        continue;
      case 'refused':
        if (accepted) {
          reject(b, outcome.reason);
          continue;
        }
        if (held.length === 0) {
          held.push({ b, reason: outcome.reason });
          opts.onEvent?.({ type: 'held', batch: b, reason: outcome.reason });
          fail(b, `${outcome.reason}; kept pending: this receiver has accepted no batch yet, and a wrong URL or format looks the same`);
          continue;
        }
        fail(b, `${outcome.reason}; the receiver refused ${held.length + 1} batches and accepted none: check the URL and the format; nothing was set aside`);
        opts.onEvent?.({ type: 'gave-up', batch: b, reason: outcome.reason });
        break;
      case 'wrong-receiver':
      case 'stop':
        fail(b, outcome.reason);
        opts.onEvent?.({ type: 'gave-up', batch: b, reason: outcome.reason });
        break;
    }
    break;
  }
  if (opts.rowCheck && baseline !== null && sentNow.length > 0) {
    // The receiver counts dropped rows a moment after it answers (about a second): look twice.
    const rose = await opts.rowCheck.roseAbove(baseline, opts.signal);
    res.verified = rose !== null;
    if (rose) {
      const reason = `HTTP 2xx, but the receiver dropped ${rose} row(s) of this push as invalid (${opts.rowCheck.counter}; see its log)`;
      for (const b of sentNow) {
        res.sent.splice(res.sent.indexOf(b.name), 1);
        reject(b, reason);
      }
      res.sentRecords = 0;
    }
  }
  res.pending = batches.filter((b) => !done.has(b.name)).map((b) => b.name);
  if (res.pending.length === 0 && res.rejected.length === 0 && res.unmarked.length === 0) res.lastError = null;
  return res;
}

/**
 * Batches whose newest record ended more than maxAgeMs before `nowMs`: sent to a receiver that
 * stamps samples on arrival, they would land at the wrong time. Unreadable lines are ignored
 * here (the push sets them aside); a batch without a readable time counts by its creation time.
 */
export function staleBatches(batches: readonly BatchInfo[], nowMs: number, maxAgeMs: number): { batch: BatchInfo; endedAtMs: number }[] {
  const out: { batch: BatchInfo; endedAtMs: number }[] = [];
  for (const b of batches) {
    let records: ResultRecord[] = [];
    try {
      records = parseBatchText(readFileSync(b.path, 'utf8')).records;
    } catch {
      // unreadable: the push reports it
    }
    let ended = -Infinity;
    for (const r of records) {
      const t = r.started_at ? Date.parse(r.started_at) : NaN;
      if (Number.isFinite(t)) ended = Math.max(ended, t + (typeof r.duration_ms === 'number' ? r.duration_ms : 0));
    }
    if (ended === -Infinity) ended = b.createdAt.getTime();
    if (nowMs - ended > maxAgeMs) out.push({ batch: b, endedAtMs: ended });
  }
  return out;
}
