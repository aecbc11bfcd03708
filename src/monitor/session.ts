/**
 * A running monitor: measuring sessions (probes/continuous.ts) → core → window records (the output sink, the spool, push) and
 * incident records (the incidents file, the state file, the outboxes of the alert receivers).
 * Everything it needs comes in as arguments; it never touches `process`.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunContext } from '../records/assemble.js';
import type { ResultRecord } from '../core/schema.js';
import { writeFileAtomic } from '../output/sink.js';
import { appendWhole, type WriteFn } from '../output/write-all.js';
import { acquireLock, type Lock } from '../output/lock.js';
import { QosError } from '../core/errors.js';
import { Outbox, type AlertReceiver } from './alerts.js';
import { MonitorCore, type IncidentRecord, type MonitoredEndpoint } from './core.js';
import type { DetectionConfig } from './detector.js';
import { ConfigReader } from '../core/config-reader.js';
import type { BaseSpec } from '../core/samples.js';
import { runContinuous, spreadStarts, type Resolver } from '../probes/continuous.js';
import { sharedPace } from '../probes/pacing.js';
import { probeFor } from '../probes/index.js';
import type { ProbeDef } from '../probes/probe.js';
import type { ThresholdRule } from '../quality/thresholds.js';

export interface SessionEndpoint extends MonitoredEndpoint {
  host: string;
  port: number | null;
  /** The test measured (its kind is `method`): the endpoint's own test of that kind; else one from `port`. */
  spec?: BaseSpec;
}

export interface SessionOptions {
  ctx: RunContext;
  /** Each link's context, for the streams bound to one (`link`: issue 22). */
  linkContexts?: ReadonlyMap<string, RunContext>;
  endpoints: readonly SessionEndpoint[];
  intervalMs: number;
  timeoutMs: number;
  windowMs: number;
  detection: DetectionConfig;
  rules: readonly ThresholdRule[];
  profile: string | null;
  /** Folder for state.json and the outboxes (one per config). */
  stateDir: string;
  incidentsPath: string;
  receivers: readonly AlertReceiver[];
  resendMs: number;
  signal: AbortSignal;
  /** Look every host name up again this often, ms (default: probes/continuous.ts RESOLVE_EVERY_MS). */
  resolveEveryMs?: number;
  /** The resolver (tests script one). */
  resolve?: Resolver;
  onWindow(r: ResultRecord): void;
  /** Each incident record as it is written (a library user's hook). */
  onIncident?(r: IncidentRecord): void;
  /** After each window of every endpoint (spool commit, push): may be slow, never awaited by the probes. */
  onWindowsDone?(): Promise<void>;
  log(line: string): void;
  /** write(2) for the incidents file (injectable: tests simulate a full disk). */
  writeFn?: WriteFn;
}

/**
 * One monitor per config: a second one would close the first one's incidents again under the
 * same ids and reopen its outages under new ones. The lock is `monitor.lock` in the config's
 * state folder; LOCK_HELD (exit 5) names the holder.
 */
export function acquireMonitorLock(stateDir: string, describeHolder: (holder: string, lockPath: string) => string): Lock {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'monitor.lock');
  try {
    return acquireLock(path);
  } catch (err) {
    if (!(err instanceof QosError) || err.code !== 'LOCK_HELD') throw err;
    let holder = '?';
    try {
      const [pid, host, since] = readFileSync(path, 'utf8').trim().split(' ');
      holder = `pid ${pid ?? '?'} on ${host ?? '?'} since ${since ?? '?'}`;
    } catch {
      // released meanwhile
    }
    throw new QosError('LOCK_HELD', describeHolder(holder, path));
  }
}

interface StateFile {
  version: 1;
  /** Wall time the monitor last showed it was alive (each window and each incident change). */
  heartbeat: string;
  open: IncidentRecord[];
}

/**
 * Run until the signal fires. On start, incidents left open by a monitor that died are closed
 * as monitor_stopped at its last heartbeat (never lost, never duplicated: their ids are kept).
 */
export async function runMonitorSession(o: SessionOptions): Promise<{ windows: number; incidents: number }> {
  mkdirSync(o.stateDir, { recursive: true });
  mkdirSync(dirname(o.incidentsPath), { recursive: true });
  const statePath = join(o.stateDir, 'state.json');
  const outboxes = o.receivers.map((r) => ({ r, box: new Outbox(join(o.stateDir, 'outbox', r.name)) }));
  let windows = 0;
  let incidents = 0;
  const open = new Map<string, IncidentRecord>();
  let delivering: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let backoffMs = 1000;

  const saveState = () => {
    const s: StateFile = { version: 1, heartbeat: new Date().toISOString(), open: [...open.values()] };
    try {
      writeFileAtomic(statePath, JSON.stringify(s));
    } catch (err) {
      o.log(`cannot write ${statePath}: ${(err as Error).message}`);
    }
  };
  // Lines the incidents file could not take yet (a full disk), in order: written before the next one.
  let unwritten: string[] = [];
  const appendIncidents = () => {
    if (unwritten.length === 0) return;
    try {
      // Whole lines or nothing: a short write is cut back off the file, never left torn.
      appendWhole(o.incidentsPath, unwritten.join(''), o.writeFn);
      if (unwritten.length > 1) o.log(`wrote ${unwritten.length} waiting incident line(s) to ${o.incidentsPath}`);
      unwritten = [];
    } catch (err) {
      o.log(`cannot append to ${o.incidentsPath} (${unwritten.length} line(s) waiting, tried again at the next incident or window): ${(err as Error).message}`);
    }
  };
  const writeIncident = (rec: IncidentRecord) => {
    incidents++;
    o.onIncident?.(rec);
    if (rec.state === 'open') open.set(rec.incident_id, rec);
    else open.delete(rec.incident_id);
    unwritten.push(JSON.stringify(rec) + '\n');
    appendIncidents();
    for (const { box } of outboxes) {
      try {
        box.put(rec);
      } catch (err) {
        o.log(`cannot queue the incident for delivery in ${box.dir}: ${(err as Error).message}`);
      }
    }
    saveState();
    const what = rec.incident_kind === 'outage' ? `outage (${rec.samples_lost} lost${rec.cause ? `, ${rec.cause}` : ''})` : `degradation: ${rec.rule ?? rec.metric} ${rec.worst_value} > ${rec.threshold}`;
    o.log(`${rec.state === 'open' ? 'OPEN ' : 'CLOSE'} ${rec.endpoint}${rec.net_iface ? ` over ${rec.net_iface}` : ''}${rec.operator ? ` (${rec.operator})` : ''} ${what} since ${rec.started_at}${rec.ended_at ? ` until ${rec.ended_at}` : ''} [${rec.incident_id}]`);
    kick();
  };

  // A previous monitor of this config that did not stop cleanly: close what it left open.
  const previous = readState(statePath);
  if (previous) {
    for (const rec of previous.open) {
      // Never before it started (a clock stepped back after the open): Alertmanager refuses endsAt < startsAt.
      const startedMs = Date.parse(rec.started_at);
      const endedMs = Math.max(Date.parse(previous.heartbeat), startedMs);
      writeIncident({
        ...rec,
        state: 'closed',
        ended_at: new Date(endedMs).toISOString(),
        duration_ms: Math.max(0, endedMs - startedMs),
        end_reason: 'monitor_stopped',
      });
    }
  }

  // Delivery: in the background, oldest first, retried with backoff; never awaited by measurement.
  // An event put while a delivery runs is not in that delivery's listing of the outbox: it is delivered by a new pass
  // right after (found: an outage opened while 60 waiting events went out one by one waited for the next resend).
  let kickedMeanwhile = false;
  function kick(): void {
    if (outboxes.length === 0) return;
    if (delivering) {
      kickedMeanwhile = true;
      return;
    }
    kickedMeanwhile = false;
    let failed = false;
    delivering = (async () => {
      for (const { r, box } of outboxes) {
        if (box.pending().length === 0) continue;
        const res = await box.deliver(r, { timeoutMs: 10_000 });
        if (res.rejected > 0) {
          const last = box.rejected().at(-1);
          o.log(`alert delivery: ${res.rejected} event(s) refused for good, set aside in ${join(box.dir, 'rejected')}${last ? ` (${last.why})` : ''}`);
        }
        if (res.pending > 0) {
          failed = true;
          o.log(`alert delivery: ${res.pending} event(s) waiting (${res.lastError})`);
        }
      }
      clearTimeout(retryTimer);
      if (failed && !o.signal.aborted) {
        retryTimer = setTimeout(kick, backoffMs);
        backoffMs = Math.min(backoffMs * 2, 60_000);
      } else backoffMs = 1000;
    })().finally(() => {
      delivering = null;
      // After a failure the retry timer sends them (with its backoff); else at once.
      if (kickedMeanwhile && !failed) kick();
    });
  }
  kick();

  // Open incidents are re-sent to Alertmanager so they keep firing past its resolve_timeout.
  const am = outboxes.find((x) => x.r.name === 'alertmanager');
  const resend = am
    ? setInterval(() => {
        for (const rec of open.values()) am.box.put(rec);
        kick();
      }, o.resendMs)
    : undefined;

  const core = new MonitorCore({
    ctx: o.ctx,
    linkContexts: o.linkContexts,
    endpoints: o.endpoints,
    intervalMs: o.intervalMs,
    timeoutMs: o.timeoutMs,
    windowMs: o.windowMs,
    detection: o.detection,
    rules: o.rules,
    profile: o.profile,
    newId: randomUUID,
    onWindow: (r) => {
      windows++;
      o.onWindow(r);
      appendIncidents();
      windowsSinceFlush++;
      if (windowsSinceFlush >= o.endpoints.length) {
        windowsSinceFlush = 0;
        saveState();
        if (o.onWindowsDone && !flushing) flushing = o.onWindowsDone().finally(() => (flushing = null));
      }
    },
    onIncident: writeIncident,
  });
  let windowsSinceFlush = 0;
  let flushing: Promise<void> | null = null;

  // One engine (issue 20): each endpoint's kind's measuring session, the one `run` sends with, on the endless
  // schedule; the endpoints' slots spread over the interval (issue 24 item 12: no burst of every endpoint at once).
  const probing = new AbortController();
  // Every endpoint's session and schedule listens on it: a thousand endpoints are no leak (Node warns past 10).
  setMaxListeners(0, probing.signal);
  const starts = spreadStarts(o.endpoints.length, o.intervalMs, performance.now());
  // All endpoints together at most twice their nominal rate, in bursts of a twentieth of them (at least 10): a held-up
  // process drains the slots that fell due instead of sending them at once (issue 24 item 12).
  const n = o.endpoints.length;
  const pace = sharedPace((2 * n * 1000) / o.intervalMs, Math.max(10, Math.ceil(n / 20)), probing.signal);
  const loops = o.endpoints.map((ep, i) => {
    const def = probeFor(ep.method) as ProbeDef<BaseSpec>;
    // A stream over a link sends through that device (SO_BINDTODEVICE in the session), whatever its test said.
    const spec = { ...(ep.spec ?? defaultSpec(def, ep, o)), ...(ep.link ? { bind: { device: ep.link } } : {}) };
    return runContinuous({
      host: ep.host,
      family: (spec as { family?: 4 | 6 }).family,
      intervalMs: o.intervalMs,
      timeoutMs: o.timeoutMs,
      startMs: starts[i] as number,
      resolveEveryMs: o.resolveEveryMs,
      // A name that moved: after as many losses in a row as open an outage, look it up again (issue 24 item 7).
      resolveAfterLosses: o.detection.lossCount,
      open: (t, so) => (def.openSession as NonNullable<ProbeDef<BaseSpec>['openSession']>)(t, spec, so),
      signal: probing.signal,
      onResult: (f, ip) => core.onResult(i, { seq: f.seq, sentMono: f.sentMono, sentWall: f.sentWall, rttMs: f.rttMs, errorCode: f.errorCode, timing: f.timing }, ip),
      resolve: o.resolve,
      pace: () => pace.take(),
    });
  });
  saveState();

  await new Promise<void>((resolve) => {
    if (o.signal.aborted) return resolve();
    o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  probing.abort();
  await Promise.all(loops);
  clearInterval(resend);
  core.finish(performance.now(), Date.now());
  saveState();
  await flushing;
  if (o.onWindowsDone) await o.onWindowsDone();
  // One last delivery attempt, bounded; what is left waits in the outbox for the next start.
  clearTimeout(retryTimer);
  await delivering;
  kick();
  await Promise.race([delivering ?? Promise.resolve(), new Promise((r) => setTimeout(r, 5000).unref())]);
  return { windows, incidents };
}

function readState(path: string): StateFile | null {
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
    return s && s.version === 1 && Array.isArray(s.open) ? s : null;
  } catch {
    return null;
  }
}

/** The test of an endpoint that names only a port: the kind's own defaults, read by its parser as a config entry would be. */
function defaultSpec(def: ProbeDef<BaseSpec>, ep: SessionEndpoint, o: Pick<SessionOptions, 'intervalMs' | 'timeoutMs'>): BaseSpec {
  const base: BaseSpec = { kind: def.kind, count: 1, intervalMs: o.intervalMs, timeoutMs: o.timeoutMs };
  return def.parse(ep.port === null ? {} : { port: ep.port }, base, new ConfigReader('monitor'), `endpoint ${ep.name}`);
}
